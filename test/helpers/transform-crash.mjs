import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { scratch } from './base.mjs';
import { calibrationRun, rng, sceneTrial, writeRandom } from './crash.mjs';

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

/** One run to completion: its wall time and when its journal was durable (after start-up). */
export function calibrateTransform(scene) {
  const { wall, journalAt, timings, out } = calibrationRun(scene);
  if (out.journal === null) throw new Error('calibration run kept no journal');
  return { wall, journalAt, timings };
}

/** One trial: transform, SIGKILL after `delayMs`, classify, recover, check. */
export function transformTrial(scene, delayMs) {
  return sceneTrial(scene, delayMs, 'partly transformed');
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
