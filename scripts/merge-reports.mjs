// Adds vitest JSON report OTHER into REPORT (both written by one platform's runs, .ci/win-x64), so
// that the platform keeps one report file: counts summed, test files listed together.
//
//   node scripts/merge-reports.mjs REPORT OTHER
//
// A missing or unreadable report is a failed test file in the result (counted by
// scripts/ci-summary.mjs), never silently dropped; REPORT stays missing when it was, so that the
// summary names it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const [target, other] = process.argv.slice(2);
if (!target || !other) {
  console.error('usage: node scripts/merge-reports.mjs REPORT OTHER');
  process.exit(2);
}
const read = (file) => {
  try {
    const r = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
    return r && typeof r.numPassedTests === 'number' ? r : undefined;
  } catch {
    return undefined;
  }
};
const base = read(target);
if (base === undefined) {
  console.error(`${target}: no test report to add ${other} to`);
  process.exit(1);
}
const got = read(other);
const add = got ?? {
  numPassedTests: 0,
  numFailedTests: 0,
  numRuntimeErrorTestSuites: 1,
  success: false,
  testResults: [{ name: other, status: 'failed', message: `${other}: no test report (the run failed before or while testing)`, assertionResults: [] }],
};
for (const key of Object.keys(base).filter((k) => /^num/.test(k) && typeof base[k] === 'number')) {
  base[key] += typeof add[key] === 'number' ? add[key] : 0;
}
base.success = base.success !== false && add.success !== false;
base.testResults = [...(base.testResults ?? []), ...(add.testResults ?? [])];
writeFileSync(target, JSON.stringify(base));
process.exit(got === undefined ? 1 : 0);
