// The SIGKILL harness of `mmapx transform` with its default journal (version 4: rolled forward,
// src/edit/transform-run.ts), shared by the test suite (test/cli/transform-crash.test.ts, a short
// run) and bench/transform-crash.mjs (the long run, on files of 1 GiB).
//
// A file of pseudo-random bytes gets `transform FILE RANGE OP ARG` (default options), and the
// process is killed with SIGKILL at a random instant: half uniform over a whole run, half between
// the end of its journal's fsync and the end of the run (the phases of a calibration run's --json
// timings). Then `mmapx recover` runs; the file must be byte-identical to the original or to the
// result, and no journal may remain. The result's hash is computed here from the pristine file in
// chunks, with the same op applied by a Buffer loop of this file (not by mmapx).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, openSync, readSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BIN, NODE, scratch } from './base.mjs';
import { hashPieces, killedAfter, rng, writeRandom } from './crash.mjs';

const CHUNK = 8 << 20;

/** sha256 of the file, and of the file with [offset, offset + length) xored with `key` (repeating from the range's start). */
function hashes(path, size, offset, length, key) {
  const before = createHash('sha256');
  const after = createHash('sha256');
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(CHUNK);
  try {
    for (let at = 0; at < size; ) {
      const n = readSync(fd, b, 0, Math.min(b.length, size - at), at);
      const chunk = b.subarray(0, n);
      before.update(chunk);
      const lo = Math.max(at, offset);
      const hi = Math.min(at + n, offset + length);
      for (let i = lo; i < hi; i++) chunk[i - at] ^= key[(i - offset) % key.length];
      after.update(chunk);
      at += n;
    }
  } finally {
    closeSync(fd);
  }
  return { original: before.digest('hex'), result: after.digest('hex') };
}

const hashFile = (path) => hashPieces([{ path, from: 0, to: Number.MAX_SAFE_INTEGER }]);

/** A scene: the pristine file, the command's arguments, the hashes of the original and the result. */
export function prepareTransform(dir, { size, offset, length, key = 'a55a3c', seed = 1 }) {
  const pristine = join(dir, `xor-pristine-${seed}.bin`);
  const file = join(dir, `xor-victim-${seed}.bin`);
  writeRandom(pristine, size, rng(seed));
  const h = hashes(pristine, size, offset, length, Buffer.from(key, 'hex'));
  return {
    file,
    pristine,
    args: ['transform', file, `${offset}:${length}`, 'xor', key],
    originalHash: h.original,
    resultHash: h.result,
    journal: join(dirname(file), `.${basename(file)}.mmapx-journal`),
  };
}

function reset(scene) {
  if (existsSync(scene.journal)) unlinkSync(scene.journal);
  copyFileSync(scene.pristine, scene.file);
}

/** One run to completion: its wall time and when its journal was durable (after start-up). */
export function calibrateTransform(scene) {
  reset(scene);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(NODE, [BIN, '--json', ...scene.args], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`calibration run failed: ${r.stderr}`);
  if (hashFile(scene.file) !== scene.resultHash) throw new Error('calibration run did not give the result');
  const out = JSON.parse(r.stdout);
  if (out.journal === null) throw new Error('calibration run kept no journal');
  const t = out.timings;
  const startup = Math.max(0, wall - t.total);
  const journalAt = startup + ['parse', 'open', 'ffi', 'plan', 'journal'].reduce((s, k) => s + (t[k] ?? 0), 0);
  return { wall, journalAt, timings: t };
}

/** One trial: transform, SIGKILL after `delayMs`, classify, recover, check. */
export async function transformTrial(scene, delayMs) {
  reset(scene);
  const { code, killed, stderr } = await killedAfter(scene.args, delayMs);
  if (!killed && code !== 0) return { delayMs, ok: false, why: `exited ${code}: ${stderr.trim()}` };
  const journal = existsSync(scene.journal) ? 'journal' : 'no journal';
  const h = hashFile(scene.file);
  const before = h === scene.originalHash ? 'original' : h === scene.resultHash ? 'result' : 'partly transformed';
  const rec = spawnSync(NODE, [BIN, '--json', 'recover', scene.file], { encoding: 'utf8' });
  const a = hashFile(scene.file);
  const after = a === scene.originalHash ? 'original' : a === scene.resultHash ? 'result' : 'CORRUPT';
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

/** `trials` trials on one scene: the tallies (where the kills landed, outcomes) and the failures. */
export async function transformCrashRun({
  trials,
  size,
  offset,
  length,
  key,
  seed = 1,
  dir = scratch('mmapx-xor-crash-'),
  log = () => {},
  onTrial = () => {},
}) {
  const scene = prepareTransform(dir, { size, offset, length, key, seed });
  const cal = calibrateTransform(scene);
  log(`calibration: ${cal.wall.toFixed(0)} ms per run, journal durable at ~${cal.journalAt.toFixed(0)} ms`);
  const rand = rng(seed * 7919);
  const tally = {};
  const failures = [];
  for (let i = 0; i < trials; i++) {
    const focus = i % 2 === 1;
    const delay = focus ? cal.journalAt - 2 + rand() * (cal.wall - cal.journalAt + 4) : rand() * cal.wall * 1.1;
    const r = await transformTrial(scene, Math.max(0, delay));
    const key = r.ok ? `${r.killed ? 'killed' : 'finished'}, ${r.journal}, file ${r.before} -> ${r.after} (recover: ${r.status})` : 'FAILED';
    tally[key] = (tally[key] ?? 0) + 1;
    if (!r.ok) failures.push(r);
    onTrial(i, key);
  }
  for (const f of [scene.file, scene.pristine, scene.journal]) if (existsSync(f)) unlinkSync(f);
  return { trials, size, offset, length, calibration: cal, tally, failures };
}
