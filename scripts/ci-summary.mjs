// Adds up vitest JSON reports and prints the one line CI's test counter reads:
// "N passed, N failed, N skipped". A report that is missing (the run died before vitest wrote it)
// counts as one failure, so a run that executed no test is never green.
// `--label NAME` first prints the line as "NAME: N passed, ..." (one platform's own count, printed
// before the total line, which has no label).
import { existsSync, readFileSync } from 'node:fs';
import { basename, relative } from 'node:path';

const args = process.argv.slice(2);
const label = args[0] === '--label' ? `${args[1]}: ` : '';
const files = label ? args.slice(2) : args;

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of files) {
  let report;
  try {
    report = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
  } catch {
    report = undefined;
  }
  if (!report || typeof report.numPassedTests !== 'number') {
    console.error(`${file}: no test report (the run failed before or while testing)`);
    failed += 1;
    continue;
  }
  passed += report.numPassedTests;
  // Name every failure: CI shows the tail of the log, and a count alone does not say what broke.
  for (const suite of report.testResults ?? []) {
    const where = relative(process.cwd(), suite.name ?? '?');
    for (const test of suite.assertionResults ?? []) {
      if (test.status !== 'failed') continue;
      const why = String((test.failureMessages ?? [])[0] ?? '')
        .split('\n')[0]
        .slice(0, 300);
      console.log(`FAIL ${basename(file, '.json')} ${where} > ${test.fullName ?? test.title}: ${why}`);
    }
    if (suite.status === 'failed' && !(suite.assertionResults ?? []).some((t) => t.status === 'failed')) {
      console.log(
        `FAIL ${basename(file, '.json')} ${where}: ${String(suite.message ?? '')
          .split('\n')[0]
          .slice(0, 300)}`,
      );
    }
  }
  failed += report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if (report.success === false && report.numFailedTests === 0) failed += 1;
}
console.log(`${label}${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
