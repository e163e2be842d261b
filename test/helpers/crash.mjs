// The crash harness, shared by the test suite (test/cli/crash.test.ts, a short run) and
// bench/crash.mjs (the long run a user starts).
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
//
//   node bench/crash.mjs --files 200 [TRIALS] [--size 8K] [--hunks 16] [--seed N]
//
// Several files: one `mmapx patch --files-from LIST -p PATCH` over 200 small files (committed in
// batches: journals written, synced together, files written, synced together, journals removed)
// is killed at random instants, then one `mmapx recover --files-from LIST` runs. Before recover,
// every file must be the original, the patched file, or hold a complete journal (the invariant of
// the batches); after it, every file must be the original or the patched file, with no journal.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, openSync, readFileSync, readSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BIN, NODE, scratch } from './base.mjs';

/** A small deterministic PRNG (mulberry32), so that a failing seed can be rerun. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHUNK = 8 << 20;

/** A file of `size` pseudo-random bytes, written a chunk at a time. */
export function writeRandom(path, size, rand) {
  const fd = openSync(path, 'w');
  const b = Buffer.alloc(Math.min(CHUNK, size));
  try {
    for (let at = 0; at < size; at += b.length) {
      const n = Math.min(b.length, size - at);
      for (let i = 0; i + 4 <= n; i += 4) b.writeUInt32LE((rand() * 2 ** 32) >>> 0, i);
      writeSync(fd, b, 0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** sha256 of the pieces [path, from, to) (or a buffer), read in chunks: never the whole file in memory. */
export function hashPieces(pieces) {
  const h = createHash('sha256');
  const b = Buffer.alloc(CHUNK);
  for (const p of pieces) {
    if (Buffer.isBuffer(p)) {
      h.update(p);
      continue;
    }
    const fd = openSync(p.path, 'r');
    try {
      for (let at = p.from; at < p.to; ) {
        const n = readSync(fd, b, 0, Math.min(b.length, p.to - at), at);
        if (n === 0) break;
        h.update(b.subarray(0, n));
        at += n;
      }
    } finally {
      closeSync(fd);
    }
  }
  return h.digest('hex');
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

/**
 * Runs `mmapx -q ARGS` (or `node SCRIPT ARGS` with `script`) and kills it with SIGKILL after
 * `delayMs` unless it ended first (also the shift and delta trials').
 */
export async function killedAfter(args, delayMs, script) {
  const child = spawn(NODE, script === undefined ? [BIN, '-q', ...args] : [script, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
  const { code, signal } = await new Promise((res) => child.on('exit', (c, s) => res({ code: c, signal: s })));
  clearTimeout(timer);
  return { code, killed: signal === 'SIGKILL', stderr };
}

/** One trial: patch, SIGKILL after `delayMs`, classify, recover, check. */
export async function trial(scene, delayMs) {
  reset(scene);
  const { code, killed, stderr } = await killedAfter(['patch', scene.file, scene.patch, ...scene.args, '--no-hash'], delayMs);
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

/**
 * The several-file scene: `files` files of `size` bytes, one patch of `hunks` hunks that fits
 * them all (with `grow`, a size change too), and each file's original and patched hashes. Every
 * other hunk is guarded (the files share those bytes); the others are unguarded, over bytes that
 * differ from file to file, so that each journal holds bytes of its own file only.
 */
export function prepareMany(dir, { files = 200, size = 8192, hunks = 16, seed = 1, grow = 0 } = {}) {
  const rand = rng(seed);
  const base = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) base.writeUInt32LE((rand() * 2 ** 32) >>> 0, i);
  const sizeAfter = size + grow;
  const lines = [`# crash test, several files: ${hunks} hunks${grow ? `, size ${size} -> ${sizeAfter}` : ''}`];
  if (grow) lines.push(`size before ${size}`, `size after ${sizeAfter}`);
  const changes = [];
  const stride = Math.floor((Math.min(size, sizeAfter) - 64) / hunks);
  for (let k = 0; k < hunks; k++) {
    const len = 1 + Math.floor(rand() * Math.min(16, stride - 1));
    const at = 64 + k * stride + Math.floor(rand() * (stride - len));
    const old = base.subarray(at, at + len);
    const neu = Buffer.from(old.map((b) => (b + 1 + Math.floor(rand() * 254)) & 0xff));
    const guarded = k % 2 === 0;
    changes.push([at, neu, guarded]);
    lines.push(guarded ? `0x${at.toString(16)}: ${old.toString('hex')} -> ${neu.toString('hex')}` : `0x${at.toString(16)}: ${neu.toString('hex')}`);
  }
  if (grow > 0) {
    const tail = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    changes.push([sizeAfter - 4, tail, true]);
    lines.push(`0x${(sizeAfter - 4).toString(16)}: 00 00 00 00 -> de ad be ef`);
  }
  const patch = join(dir, `many-${seed}.patch`);
  writeFileSync(patch, `${lines.join('\n')}\n`);
  const list = [];
  for (let i = 0; i < files; i++) {
    const original = Buffer.from(base);
    original.writeBigUInt64LE(BigInt(i), 0);
    // Under the unguarded hunks, bytes of this file only (never its new bytes).
    for (const [at, neu, guarded] of changes) {
      if (guarded) continue;
      for (let j = 0; j < neu.length; j++) original[at + j] = (neu[j] + 1 + Math.floor(rand() * 254)) & 0xff;
    }
    const patched = Buffer.alloc(sizeAfter);
    original.copy(patched, 0, 0, Math.min(size, sizeAfter));
    for (const [at, neu] of changes) neu.copy(patched, at);
    const file = join(dir, `many-${seed}-${String(i).padStart(4, '0')}.bin`);
    list.push({ file, original, originalHash: sha(original), patchedHash: sha(patched), journal: join(dirname(file), `.${basename(file)}.mmapx-journal`) });
  }
  const listFile = join(dir, `many-${seed}.list`);
  writeFileSync(listFile, `${list.map((f) => f.file).join('\n')}\n`);
  return { files: list, list: listFile, patch, args: grow > 0 ? ['--grow'] : grow < 0 ? ['--truncate'] : [] };
}

function resetMany(scene) {
  for (const f of scene.files) {
    if (existsSync(f.journal)) unlinkSync(f.journal);
    writeFileSync(f.file, f.original);
  }
}

/** Runs the several-file patch once to completion: its wall time, and when its first file began (after start-up). */
export function calibrateMany(scene) {
  resetMany(scene);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(NODE, [BIN, '--json', 'patch', '--files-from', scene.list, '-p', scene.patch, '--no-hash', ...scene.args], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`calibration patch failed: ${r.stderr}`);
  for (const f of scene.files) if (hashFile(f.file) !== f.patchedHash) throw new Error(`calibration patch did not give the patched ${f.file}`);
  const work = JSON.parse(r.stdout).reduce((s, o) => s + o.timings.total, 0);
  return { wall, workAt: Math.max(0, wall - work) };
}

/** One several-file trial: patch, SIGKILL after `delayMs`, check the invariant, recover all, check. */
export async function trialMany(scene, delayMs) {
  resetMany(scene);
  const { code, killed, stderr } = await killedAfter(['patch', '--files-from', scene.list, '-p', scene.patch, ...scene.args, '--no-hash'], delayMs);
  if (!killed && code !== 0) return { delayMs, ok: false, why: `patch exited ${code}: ${stderr.trim()}` };
  const seen = { journals: 0, complete: 0, original: 0, patched: 0, partly: 0 };
  const broken = [];
  for (const f of scene.files) {
    const journal = journalState(f.journal);
    const h = hashFile(f.file);
    const state = h === f.originalHash ? 'original' : h === f.patchedHash ? 'patched' : 'partly';
    seen[state]++;
    if (journal !== 'none') seen.journals++;
    if (journal === 'complete') seen.complete++;
    // The invariant: a file that is neither the original nor the patched one has its journal.
    if (state === 'partly' && journal !== 'complete') broken.push(`${f.file} is partly patched without a complete journal (${journal})`);
  }
  const rec = spawnSync(NODE, [BIN, '-q', 'recover', '--files-from', scene.list], { encoding: 'utf8' });
  if (rec.status !== 0) broken.push(`recover exited ${rec.status}: ${rec.stderr.trim().split('\n').slice(0, 3).join(' | ')}`);
  for (const f of scene.files) {
    const h = hashFile(f.file);
    if (h !== f.originalHash && h !== f.patchedHash) broken.push(`${f.file} is CORRUPT after recover`);
    if (existsSync(f.journal)) broken.push(`${f.journal} is still there after recover`);
  }
  return { delayMs, killed, seen, ok: broken.length === 0, ...(broken.length > 0 && { why: broken.slice(0, 5).join('; ') }) };
}

/**
 * Runs several-file trials: at least `trials`, and more (up to 4 times as many) until `hits` of
 * them were killed while journals were in place (what the test is about).
 */
export async function crashRunMany({
  trials,
  files = 200,
  size = 8192,
  hunks = 16,
  seed = 1,
  grow = 0,
  hits = 0,
  dir = scratch('mmapx-crash-'),
  log = () => {},
}) {
  const scene = prepareMany(dir, { files, size, hunks, seed, grow });
  const cal = calibrateMany(scene);
  log(`calibration: ${cal.wall.toFixed(0)} ms per run of ${files} files, the files from ~${cal.workAt.toFixed(0)} ms`);
  const rand = rng(seed * 7919);
  const tally = {};
  const failures = [];
  let withJournals = 0;
  let done = 0;
  for (; done < trials || (withJournals < hits && done < trials * 4); done++) {
    // Half of the instants anywhere in a run, half while the files are being worked on.
    const delay = done % 2 === 1 ? cal.workAt + rand() * (cal.wall - cal.workAt) : rand() * cal.wall * 1.1;
    const r = await trialMany(scene, Math.max(0, delay));
    if (r.seen?.journals) withJournals++;
    const key = r.ok
      ? `${r.killed ? 'killed' : 'finished'}, ${r.seen.journals ? `${r.seen.complete} complete journals of ${r.seen.journals}` : 'no journal'}, files ${r.seen.original} original / ${r.seen.partly} partly / ${r.seen.patched} patched`
      : 'FAILED';
    tally[key] = (tally[key] ?? 0) + 1;
    if (!r.ok) failures.push(r);
  }
  for (const f of scene.files) for (const p of [f.file, f.journal]) if (existsSync(p)) unlinkSync(p);
  for (const p of [scene.list, scene.patch]) if (existsSync(p)) unlinkSync(p);
  return { trials: done, files, size, hunks, grow, calibration: cal, withJournals, tally, failures };
}

/**
 * The shared steps of the one-scene harnesses (shift-crash.mjs, transform-crash.mjs). A scene is
 * `{ file, pristine, args, originalHash, resultHash, journal }`: the command `mmapx ...args` turns
 * the pristine copy of `file` into the result.
 */
const hashWhole = (path) => hashPieces([{ path, from: 0, to: Number.MAX_SAFE_INTEGER }]);

/** The scene's file back to the pristine copy, without a journal. */
export function resetScene(scene) {
  if (existsSync(scene.journal)) unlinkSync(scene.journal);
  copyFileSync(scene.pristine, scene.file);
}

/**
 * One run to completion with --json: its wall time, its report, and when its journal was durable
 * (start-up plus the timings of `phases`, those up to the journal).
 * @throws when the run fails or does not give the result.
 */
export function calibrationRun(scene, phases = ['parse', 'open', 'ffi', 'plan', 'journal']) {
  resetScene(scene);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(NODE, [BIN, '--json', ...scene.args], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`calibration run failed: ${r.stderr}`);
  if (hashWhole(scene.file) !== scene.resultHash) throw new Error('calibration run did not give the result');
  const out = JSON.parse(r.stdout);
  const t = out.timings;
  const startup = Math.max(0, wall - t.total);
  const journalAt = startup + phases.reduce((s, k) => s + (t[k] ?? 0), 0);
  return { wall, journalAt, timings: t, out };
}

/**
 * One trial: the command, SIGKILL after `delayMs`, then `mmapx --json recover`. Says whether a
 * journal was left, what the file was before recover (`partly`: the word for neither original nor
 * result) and after it; `ok` when recover succeeded, left no journal and the file is the original
 * or the result.
 */
export async function sceneTrial(scene, delayMs, partly) {
  resetScene(scene);
  const { code, killed, stderr } = await killedAfter(scene.args, delayMs);
  if (!killed && code !== 0) return { delayMs, ok: false, why: `exited ${code}: ${stderr.trim()}` };
  const journal = existsSync(scene.journal) ? 'journal' : 'no journal';
  const name = (h, other) => (h === scene.originalHash ? 'original' : h === scene.resultHash ? 'result' : other);
  const before = name(hashWhole(scene.file), partly);
  const rec = spawnSync(NODE, [BIN, '--json', 'recover', scene.file], { encoding: 'utf8' });
  const after = name(hashWhole(scene.file), 'CORRUPT');
  let status = '?';
  try {
    status = JSON.parse(rec.stdout).status;
  } catch {
    // reported below
  }
  const ok = rec.status === 0 && after !== 'CORRUPT' && !existsSync(scene.journal);
  return {
    delayMs,
    killed,
    journal,
    before,
    after,
    status,
    ok,
    ...(!ok && { why: `recover exited ${rec.status}: ${rec.stderr.trim()}; file after: ${after}` }),
  };
}

/**
 * `trials` trials of {@link sceneTrial} (none started after `deadline`, ms since the epoch): half
 * killed at a uniform instant of a run (`cal.wall`), half around the journal's moment
 * (`cal.journalAt`) to the end (the odd trials, or the even ones with `focusFirst`: a run of one
 * trial then kills around the journal). Tallies each outcome under its `key(trial)` (FAILED for a failure).
 */
export async function sceneTrials(scene, cal, { trials, seed, partly, key, deadline = Infinity, focusFirst = false, onTrial = () => {} }) {
  const rand = rng(seed * 7919);
  const tally = {};
  const failures = [];
  let run = 0;
  for (let i = 0; i < trials && Date.now() < deadline; i++, run++) {
    const focus = (i % 2 === 1) !== focusFirst;
    const delay = focus ? cal.journalAt - 2 + rand() * (cal.wall - cal.journalAt + 4) : rand() * cal.wall * 1.1;
    const r = await sceneTrial(scene, Math.max(0, delay), partly);
    const k = r.ok ? key(r) : 'FAILED';
    tally[k] = (tally[k] ?? 0) + 1;
    if (!r.ok) failures.push(r);
    onTrial(i, k, r);
  }
  for (const f of [scene.file, scene.pristine, scene.journal, scene.patch]) if (f !== undefined && existsSync(f)) unlinkSync(f);
  return { run, tally, failures };
}

/** The usual tally key: how the run ended, whether a journal was left, the file before and after recover. */
export const outcomeKey = (r) => `${r.killed ? 'killed' : 'finished'}, ${r.journal}, file ${r.before} -> ${r.after}`;
