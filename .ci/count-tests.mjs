// Adds up vitest's JSON results of one or more runs and prints the one plain line CI reads:
// "tests: N passed, N failed". Arguments: LABEL=FILE for each run; each run also gets a line.
import { readFileSync } from 'node:fs';

function count(file) {
  let results;
  try {
    results = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // No results: the build or the runner failed before any test ran.
    return { passed: 0, failed: 1, skipped: 0, note: 'no results: the build or the runner failed before any test ran' };
  }
  // A test file that fails to load has no failed tests of its own: count it as one failure.
  const brokenFiles = (results.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
  return {
    passed: results.numPassedTests ?? 0,
    failed: (results.numFailedTests ?? 0) + brokenFiles,
    skipped: (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0),
  };
}

const total = { passed: 0, failed: 0, skipped: 0 };
for (const arg of process.argv.slice(2)) {
  const at = arg.indexOf('=');
  const [label, file] = at > 0 ? [arg.slice(0, at), arg.slice(at + 1)] : [arg, arg];
  const run = count(file);
  for (const key of Object.keys(total)) total[key] += run[key];
  console.log(`  ${label} — ${run.passed} passing, ${run.failed} failing${run.skipped ? `, ${run.skipped} skipped` : ''}${run.note ? ` (${run.note})` : ''}`);
}
if (process.argv.length <= 2) total.failed = 1;
console.log(`tests: ${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`);
process.exit(total.failed > 0 || total.passed === 0 || total.skipped > 0 ? 1 : 0);
