// The SIGKILL harness of `mmapx insert` and `mmapx delete`, shared by the test suite
// (test/cli/shift-crash.test.ts, a short run) and bench/shift-crash.mjs (the long run).
//
// A file of pseudo-random bytes is shifted (an insert of a payload file, or a delete of a range)
// and the process is killed with SIGKILL at a random instant: half uniform over a whole run, half
// between the end of its journal's fsync and the end of the run (the phases of a calibration run's
// --json timings). Then `mmapx recover` runs; the file must then be byte-identical to the
// original or to the result, and no journal may remain. The scenes cover the paths of the engine:
// a small unaligned distance (steps staged in the journal), a large unaligned one (steps of the
// distance), and block-aligned ones (extents, where the filesystem can move them).
import { basename, dirname, join } from 'node:path';
import { scratch } from './base.mjs';
import { calibrationRun, hashPieces, outcomeKey, rng, sceneTrials, writeRandom } from './crash.mjs';

const hashFile = (path, size) => hashPieces([{ path, from: 0, to: size ?? Number.MAX_SAFE_INTEGER }]);

/**
 * A scene: the pristine file, the command's arguments, and the hashes of the original and the
 * result. `kind` insert or delete; `offset`; `distance` (bytes inserted or deleted).
 */
export function prepareShift(dir, { size, kind, offset, distance, seed = 1 }) {
  const rand = rng(seed);
  const pristine = join(dir, `shift-pristine-${seed}.bin`);
  const file = join(dir, `shift-victim-${seed}.bin`);
  writeRandom(pristine, size, rand);
  const original = hashFile(pristine);
  let args;
  let result;
  if (kind === 'insert') {
    const payload = join(dir, `shift-payload-${seed}.bin`);
    writeRandom(payload, distance, rand);
    args = ['insert', file, String(offset), '--file', payload];
    result = hashPieces([
      { path: pristine, from: 0, to: offset },
      { path: payload, from: 0, to: distance },
      { path: pristine, from: offset, to: size },
    ]);
  } else {
    args = ['delete', file, `${offset}:${distance}`];
    result = hashPieces([
      { path: pristine, from: 0, to: offset },
      { path: pristine, from: offset + distance, to: size },
    ]);
  }
  return { file, pristine, args, originalHash: original, resultHash: result, journal: join(dirname(file), `.${basename(file)}.mmapx-journal`) };
}

/** One run to completion: its wall time, the method it used, and when its journal was durable (after start-up). */
export function calibrateShift(scene) {
  const { wall, journalAt, timings, out } = calibrationRun(scene);
  return { wall, journalAt, method: out.method, timings };
}

/** `trials` trials on one scene: the tallies (where the kills landed, outcomes) and the failures. */
export async function shiftCrashRun({ trials, size, kind, offset, distance, seed = 1, dir = scratch('mmapx-shift-crash-'), log = () => {} }) {
  const scene = prepareShift(dir, { size, kind, offset, distance, seed });
  const cal = calibrateShift(scene);
  log(`calibration: ${cal.wall.toFixed(0)} ms per run (${cal.method}), journal durable at ~${cal.journalAt.toFixed(0)} ms`);
  const { tally, failures } = await sceneTrials(scene, cal, { trials, seed, partly: 'partly shifted', key: outcomeKey });
  return { trials, size, kind, offset, distance, method: cal.method, calibration: cal, tally, failures };
}
