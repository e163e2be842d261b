#!/usr/bin/env node
// Crash safety, proved by killing: `mmapx patch` with thousands of hunks on a large file is
// killed with SIGKILL at random instants (before, during and after its journal is written, and
// while it writes), then `mmapx recover` runs; the file must be byte-identical to the original or
// to the fully patched file, every time, and no journal may remain.
//
//   node bench/crash.mjs [TRIALS] [--size 64M] [--hunks 20000] [--seed N]   (build first)
//
// The trials are split between a patch that keeps the size, one that grows the file and one that
// truncates it. Half of the kill instants are uniform over a whole run, half fall between the
// start of the journal and the end of the run (the phases of a calibration run's --json timings).
// The summary counts where the kills landed (journal absent / incomplete / complete, file
// original / partly patched / patched before recover) and the outcomes. Exit 1 on any failure.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BIN, NODE, scratch } from './lib.mjs';

/** A small deterministic PRNG (mulberry32), so that a failing seed can be rerun. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sha = (b) => createHash('sha256').update(b).digest('hex');

function hashFile(path) {
  return sha(readFileSync(path));
}

/**
 * Builds the scene: a file of `size` pseudo-random bytes, a native patch of `hunks` guarded hunks
 * (1-16 bytes each, disjoint, spread over the file; `grow` > 0 adds bytes past the end, < 0 cuts
 * them off), and the hashes of the original and of the patched file.
 */
export function prepare(dir, { size = 64 << 20, hunks = 20000, seed = 1, grow = 0 } = {}) {
  const rand = rng(seed);
  const original = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) original.writeUInt32LE((rand() * 2 ** 32) >>> 0, i);
  // `grow` > 0 extends the file (zero-filled, a hunk at the new end); < 0 truncates it.
  const sizeAfter = size + grow;
  const patched = Buffer.alloc(sizeAfter);
  original.copy(patched, 0, 0, Math.min(size, sizeAfter));
  const lines = [`# crash test: ${hunks} hunks${grow ? `, size ${size} -> ${sizeAfter}` : ''}`];
  if (grow) lines.push(`size before ${size}`, `size after ${sizeAfter}`);
  const stride = Math.floor(size / hunks);
  for (let k = 0; k < hunks; k++) {
    const len = 1 + Math.floor(rand() * Math.min(16, stride - 1));
    const at = k * stride + Math.floor(rand() * (stride - len));
    const old = original.subarray(at, at + len);
    const neu = Buffer.from(old.map((b) => (b + 1 + Math.floor(rand() * 254)) & 0xff));
    if (at + len > sizeAfter) continue;
    neu.copy(patched, at);
    lines.push(`0x${at.toString(16)}: ${old.toString('hex')} -> ${neu.toString('hex')}`);
  }
  if (grow > 0) {
    const tail = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    tail.copy(patched, sizeAfter - 4);
    lines.push(`0x${(sizeAfter - 4).toString(16)}: 00 00 00 00 -> de ad be ef`);
  }
  const file = join(dir, `victim-${seed}.bin`);
  const pristine = join(dir, `pristine-${seed}.bin`);
  const patch = join(dir, `victim-${seed}.patch`);
  writeFileSync(pristine, original);
  writeFileSync(patch, `${lines.join('\n')}\n`);
  return {
    file,
    pristine,
    patch,
    args: grow > 0 ? ['--grow'] : grow < 0 ? ['--truncate'] : [],
    originalHash: sha(original),
    patchedHash: sha(patched),
    journal: join(dirname(file), `.${basename(file)}.mmapx-journal`),
  };
}

function reset(scene) {
  writeFileSync(scene.file, readFileSync(scene.pristine));
}

/** Runs the patch once to completion and returns its wall time and its phases (--json timings). */
export function calibrate(scene) {
  reset(scene);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(NODE, [BIN, '--json', 'patch', scene.file, scene.patch, '--no-hash', ...scene.args], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`calibration patch failed: ${r.stderr}`);
  if (hashFile(scene.file) !== scene.patchedHash) throw new Error('calibration patch did not give the patched file');
  const t = JSON.parse(r.stdout).timings;
  const startup = Math.max(0, wall - t.total);
  const beforeJournal = ['parse', 'open', 'ffi', 'plan', 'hash'].reduce((s, k) => s + (t[k] ?? 0), 0);
  return { wall, journalAt: startup + beforeJournal, timings: t };
}

function journalState(path) {
  if (!existsSync(path)) return 'none';
  const b = readFileSync(path);
  return b.length >= 120 && b.subarray(b.length - 56, b.length - 48).toString('latin1') === 'MMAPXEND' ? 'complete' : 'incomplete';
}

/** One trial: patch, SIGKILL after `delayMs`, classify, recover, check. */
export async function trial(scene, delayMs) {
  reset(scene);
  const child = spawn(NODE, [BIN, '-q', 'patch', scene.file, scene.patch, '--no-hash', ...scene.args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
  const { code, signal } = await new Promise((res) => child.on('exit', (c, s) => res({ code: c, signal: s })));
  clearTimeout(timer);
  const killed = signal === 'SIGKILL';
  if (!killed && code !== 0) return { delayMs, ok: false, why: `patch exited ${code}: ${stderr.trim()}` };
  const journal = journalState(scene.journal);
  const h = hashFile(scene.file);
  const fileBefore = h === scene.originalHash ? 'original' : h === scene.patchedHash ? 'patched' : 'partly patched';
  const rec = spawnSync(NODE, [BIN, 'recover', scene.file], { encoding: 'utf8' });
  const after = hashFile(scene.file);
  const fileAfter = after === scene.originalHash ? 'original' : after === scene.patchedHash ? 'patched' : 'CORRUPT';
  const ok = rec.status === 0 && fileAfter !== 'CORRUPT' && !existsSync(scene.journal);
  return {
    delayMs,
    killed,
    journal,
    fileBefore,
    fileAfter,
    recover: rec.stderr.trim(),
    ok,
    ...(!ok && { why: `recover exited ${rec.status}: ${rec.stderr.trim()}; file after: ${fileAfter}` }),
  };
}

/** Runs `trials` trials on one scene; returns the tallies and the failures. */
export async function crashRun({ trials, size, hunks, seed = 1, dir = scratch('mmapx-crash-'), grow = 0, log = () => {} }) {
  const scene = prepare(dir, { size, hunks, seed, grow });
  const cal = calibrate(scene);
  log(`calibration: ${cal.wall.toFixed(0)} ms per run, journal starts at ~${cal.journalAt.toFixed(0)} ms (${JSON.stringify(cal.timings)})`);
  const rand = rng(seed * 7919);
  const tally = {};
  const failures = [];
  for (let i = 0; i < trials; i++) {
    const focus = i % 2 === 1;
    const delay = focus ? cal.journalAt - 5 + rand() * (cal.wall - cal.journalAt + 10) : rand() * cal.wall * 1.1;
    const r = await trial(scene, Math.max(0, delay));
    const key = r.ok ? `${r.killed ? 'killed' : 'finished'}, journal ${r.journal}, file ${r.fileBefore} -> ${r.fileAfter}` : 'FAILED';
    tally[key] = (tally[key] ?? 0) + 1;
    if (!r.ok) failures.push(r);
  }
  for (const f of [scene.file, scene.pristine, scene.patch]) if (existsSync(f)) unlinkSync(f);
  return { trials, size, hunks, grow, calibration: cal, tally, failures };
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const num = (s) => {
    const m = /^(\d+)([KMG]?)$/i.exec(s);
    if (!m) throw new Error(`bad number ${s}`);
    return Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase()];
  };
  const trials = Number(args.find((a, i) => /^\d+$/.test(a) && !['--size', '--hunks', '--seed'].includes(args[i - 1])) ?? 200);
  const size = num(opt('--size', '64M'));
  const hunks = num(opt('--hunks', '20000'));
  const seed = Number(opt('--seed', '1'));
  let failed = 0;
  // A third of the trials each on a patch that keeps the size, grows the file, shrinks it.
  const kinds = [0, 8192, -8192];
  for (const [i, grow] of kinds.entries()) {
    const n = Math.floor(trials / 3) + (i < trials % 3 ? 1 : 0);
    const what = grow > 0 ? `, growing by ${grow}` : grow < 0 ? `, shrinking by ${-grow}` : '';
    console.log(`\n## ${n} trials: ${hunks} hunks on ${size} bytes${what} (seed ${seed})`);
    const r = await crashRun({ trials: n, size, hunks, seed: seed + i, grow, log: (s) => console.log(s) });
    for (const [k, v] of Object.entries(r.tally).sort((a, b) => b[1] - a[1])) console.log(`${String(v).padStart(5)}  ${k}`);
    for (const f of r.failures) console.log(`FAILURE after ${f.delayMs.toFixed(1)} ms: ${f.why}`);
    failed += r.failures.length;
  }
  console.log(failed === 0 ? `\nall ${trials} trials: the file was the original or the patched file after recover` : `\n${failed} FAILED`);
  process.exitCode = failed === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) await main();

