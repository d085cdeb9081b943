// Prints vitest's JSON results as the one plain line CI reads: "tests: N passed, N failed".
import { readFileSync } from 'node:fs';

let results;
try {
  results = JSON.parse(readFileSync(process.argv[2], 'utf8'));
} catch {
  console.error('no test results were written: the build or the runner failed before any test ran');
  console.log('tests: 0 passed, 1 failed');
  process.exit(1);
}
const passed = results.numPassedTests ?? 0;
// A test file that fails to load has no failed tests of its own: count it as one failure.
const brokenFiles = (results.testResults ?? []).filter((file) => file.status === 'failed' && file.assertionResults?.length === 0).length;
const failed = (results.numFailedTests ?? 0) + brokenFiles;
const skipped = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
