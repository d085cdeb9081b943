// Every test process (and the heal processes it starts) creates files with umask 022: heal, run as
// root, refuses a manifest that group or others may write, and a developer's umask must not decide
// whether the suite passes.
process.umask(0o022);
