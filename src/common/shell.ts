/** POSIX sh quoting, once for heal: the crontab line, the commands `heal install` prints, and the restart commands the report shows. */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One word for /bin/sh: unchanged when it holds only safe characters, else in single quotes. */
export function shellQuote(word: string): string {
  if (SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** An argv as one sh command line. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
