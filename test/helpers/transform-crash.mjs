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
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { scratch } from './base.mjs';
import { calibrationRun, outcomeKey, rng, sceneTrials, writeRandom } from './crash.mjs';

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
  const { tally, failures } = await sceneTrials(scene, cal, {
    trials,
    seed,
    partly: 'partly transformed',
    key: (r) => `${outcomeKey(r)} (recover: ${r.status})`,
    onTrial,
  });
  return { trials, size, offset, length, calibration: cal, tally, failures };
}
