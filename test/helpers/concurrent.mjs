// The concurrent harness, shared by the test suite (test/cli/concurrent.test.ts, a short run) and
// bench/concurrent.mjs (the long run a user starts).
// Two `mmapx patch` processes started together on one file, with overlapping hunks, many rounds.
// mmapx's advisory lock makes them take turns (the second waits up to --wait seconds, then plans
// against what the first left), so the file must end as one of the two serial orders leaves it,
// never a mix, with the statuses of that order. Both serial orders are computed first, by running
// the two patches one after the other on the original. With --wait 0 the second may instead fail
// at once, `locked by another mmapx (pid N)` naming the first: the file is then what the first
// alone makes of it.
//
//   node bench/concurrent.mjs [ROUNDS] [--size 32M]      (build first; ROUNDS per scenario and wait)
//
// Scenarios: an unguarded hunk and a guarded one that overlap (in one order the guard fails, exit 3;
// in the other both apply); two guarded hunks with the same old bytes (the second fails, exit 3).
// Prints a tally per scenario and wait; exits 1 on any round that matches no serial order.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BENCH_ENV, BIN, NODE, scratch } from './base.mjs';

const sha = (b) => createHash('sha256').update(b).digest('hex');
const hexAt = (b, at, n) => b.subarray(at, at + n).toString('hex');

/** The two patches of each scenario, as `mmapx patch FILE ...` arguments, for the original bytes `o`. */
export const SCENARIOS = {
  'unguarded and guarded, overlapping': (o) => [
    ['--edit', '0x1000=11223344'],
    ['--edit', `0x1002:${hexAt(o, 0x1002, 4)}=55667788`],
  ],
  'both guarded, same old bytes': (o) => [
    ['--edit', `0x1000:${hexAt(o, 0x1000, 4)}=aaaaaaaa`],
    ['--edit', `0x1000:${hexAt(o, 0x1000, 4)}=bbbbbbbb`],
  ],
};

function runPatch(file, args, wait) {
  const r = spawnSync(NODE, [BIN, ...(wait === undefined ? [] : ['--wait', String(wait)]), 'patch', file, ...args], { encoding: 'utf8', env: BENCH_ENV });
  return { status: r.status, stderr: r.stderr };
}

/** Runs `order` (indexes into `patches`) one after the other on a copy of `original`: statuses by patch, and the result's hash. */
function serial(dir, original, patches, order) {
  const copy = join(dir, `serial-${order.join('')}.bin`);
  writeFileSync(copy, original);
  const status = [];
  for (const i of order) status[i] = runPatch(copy, patches[i]).status;
  return { status, hash: sha(readFileSync(copy)) };
}

function start(file, args, wait) {
  const child = spawn(NODE, [BIN, ...(wait === undefined ? [] : ['--wait', String(wait)]), 'patch', file, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: BENCH_ENV,
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.resume();
  const done = new Promise((res) => child.on('close', (status, signal) => res({ pid: child.pid, status, signal, stderr })));
  return done;
}

/**
 * `rounds` rounds of one scenario: both patches started together (in alternating order) on a fresh
 * copy of the original, then the outcome judged against the serial orders. `wait` is passed as
 * --wait (undefined: the default).
 */
export async function concurrentRounds({ scenario, rounds, size = 32 << 20, wait, dir = scratch('mmapx-concurrent-') }) {
  const original = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) original.writeUInt32LE((i * 2654435761) >>> 0, i);
  const patches = SCENARIOS[scenario](original);
  const orders = { 'first then second': serial(dir, original, patches, [0, 1]), 'second then first': serial(dir, original, patches, [1, 0]) };
  const alone = [serial(dir, original, patches, [0]), serial(dir, original, patches, [1])];
  const file = join(dir, 'shared.bin');
  const journal = join(dirname(file), `.${basename(file)}.mmapx-journal`);
  const tally = {};
  const failures = [];
  for (let round = 0; round < rounds; round++) {
    writeFileSync(file, original);
    const first = round % 2;
    const runs = [];
    runs[first] = start(file, patches[first], wait);
    runs[1 - first] = start(file, patches[1 - first], wait);
    const [a, b] = await Promise.all(runs);
    const hash = sha(readFileSync(file));
    const r = [a, b];
    const problems = [];
    for (const [i, x] of r.entries()) {
      if (x.signal !== null) problems.push(`patch ${i + 1} ended by ${x.signal}`);
      if (!/^[^\n]*\n$/.test(x.stderr)) problems.push(`patch ${i + 1} printed not one stderr line: ${JSON.stringify(x.stderr)}`);
    }
    if (existsSync(journal)) problems.push('a journal was left behind');
    let outcome;
    for (const [name, o] of Object.entries(orders)) {
      if (outcome === undefined && o.status[0] === a.status && o.status[1] === b.status && o.hash === hash) outcome = name;
    }
    for (const [i, x] of r.entries()) {
      const other = r[1 - i];
      const locked = new RegExp(`^mmapx: patch: .*: locked by another mmapx \\(pid ${other.pid}\\)(: still locked after waiting .*)?\\n$`);
      if (outcome === undefined && x.status === 1 && locked.test(x.stderr) && other.status === alone[1 - i].status[1 - i] && hash === alone[1 - i].hash) {
        outcome = `${i === 0 ? 'first' : 'second'} locked out`;
      }
    }
    if (outcome === undefined) {
      problems.push(
        `no serial order: statuses ${a.status}/${b.status}, file ${hash.slice(0, 12)}; ` +
          `orders ${Object.entries(orders)
            .map(([k, o]) => `${k}: ${o.status.join('/')} ${o.hash.slice(0, 12)}`)
            .join(', ')}; ` +
          `stderr ${JSON.stringify(a.stderr)} ${JSON.stringify(b.stderr)}`,
      );
    }
    const key = problems.length === 0 ? outcome : 'FAILED';
    tally[key] = (tally[key] ?? 0) + 1;
    if (problems.length > 0) failures.push({ round, problems });
  }
  return { scenario, wait: wait ?? 'default', rounds, orders, tally, failures };
}
