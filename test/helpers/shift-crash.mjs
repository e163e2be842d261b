import { existsSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { scratch } from './base.mjs';
import { calibrationRun, hashPieces, rng, sceneTrial, writeRandom } from './crash.mjs';

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

/** One trial: shift, SIGKILL after `delayMs`, classify, recover, check. */
export function shiftTrial(scene, delayMs) {
  return sceneTrial(scene, delayMs, 'partly shifted');
}

/** `trials` trials on one scene: the tallies (where the kills landed, outcomes) and the failures. */
export async function shiftCrashRun({ trials, size, kind, offset, distance, seed = 1, dir = scratch('mmapx-shift-crash-'), log = () => {} }) {
  const scene = prepareShift(dir, { size, kind, offset, distance, seed });
  const cal = calibrateShift(scene);
  log(`calibration: ${cal.wall.toFixed(0)} ms per run (${cal.method}), journal durable at ~${cal.journalAt.toFixed(0)} ms`);
  const rand = rng(seed * 7919);
  const tally = {};
  const failures = [];
  for (let i = 0; i < trials; i++) {
    const focus = i % 2 === 1;
    const delay = focus ? cal.journalAt - 2 + rand() * (cal.wall - cal.journalAt + 4) : rand() * cal.wall * 1.1;
    const r = await shiftTrial(scene, Math.max(0, delay));
    const key = r.ok ? `${r.killed ? 'killed' : 'finished'}, ${r.journal}, file ${r.before} -> ${r.after}` : 'FAILED';
    tally[key] = (tally[key] ?? 0) + 1;
    if (!r.ok) failures.push(r);
  }
  for (const f of [scene.file, scene.pristine, scene.journal]) if (existsSync(f)) unlinkSync(f);
  return { trials, size, kind, offset, distance, method: cal.method, calibration: cal, tally, failures };
}
