// The SIGKILL harness of a patch with insert and delete statements (src/edit/patchshift.ts),
// shared by the suite (test/cli/patch-shift-crash.test.ts, a few kills on a file of 12 MiB) and
// bench/patch-shift-crash.mjs (the long run).
//
// A file of pseudo-random bytes gets a native patch of two guarded hunks, a guarded delete of
// 4097 bytes (steps staged in the journal) and an insert of 5000 bytes (two stages, two
// overwrites, in the coordinates before the patch). `mmapx patch` is killed with SIGKILL at a
// random instant (half uniform over a run, half between its journal's creation and the end),
// then `mmapx recover` runs: the file must be byte-identical to the original or to the result,
// with no journal left. The tally says where the kills landed (journal or none; the file
// original, result, or in between before recover) and the outcomes.
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { scratch } from './base.mjs';
import { calibrationRun, hashPieces, outcomeKey, rng, sceneTrials, writeRandom } from './crash.mjs';

function readAt(path, at, length) {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(length);
    readSync(fd, b, 0, length, at);
    return b;
  } finally {
    closeSync(fd);
  }
}

/** The scene: the pristine file, the patch, and the hashes of the original and of the result. */
export function preparePatchShift(dir, { size, seed = 1 }) {
  const rand = rng(seed);
  const pristine = join(dir, `pshift-pristine-${seed}.bin`);
  const file = join(dir, `pshift-victim-${seed}.bin`);
  writeRandom(pristine, size, rand);
  const h1 = 0x100;
  const del = { at: 1001 + 0x2000, len: 4097 };
  const ins = { at: Math.floor(size / 2) + 3, bytes: Buffer.from(Array.from({ length: 5000 }, () => Math.floor(rand() * 256))) };
  const h2 = size - 0x1000;
  const new1 = Buffer.from('c0ffee01', 'hex');
  const new2 = Buffer.from('c0ffee02', 'hex');
  const patch = join(dir, `pshift-${seed}.patch`);
  writeFileSync(
    patch,
    [
      '# crash test: two hunks, a delete and an insert, every address before the patch',
      `0x${h2.toString(16)}: ${readAt(pristine, h2, 4).toString('hex')} -> ${new2.toString('hex')}`,
      `insert 0x${ins.at.toString(16)}: ${ins.bytes.toString('hex')}`,
      `delete ${del.at}:${del.len}: ${readAt(pristine, del.at, del.len).toString('hex')}`,
      `0x${h1.toString(16)}: ${readAt(pristine, h1, 4).toString('hex')} -> ${new1.toString('hex')}`,
      '',
    ].join('\n'),
  );
  const originalHash = hashPieces([{ path: pristine, from: 0, to: size }]);
  const resultHash = hashPieces([
    { path: pristine, from: 0, to: h1 },
    new1,
    { path: pristine, from: h1 + 4, to: del.at },
    { path: pristine, from: del.at + del.len, to: ins.at },
    ins.bytes,
    { path: pristine, from: ins.at, to: h2 },
    new2,
    { path: pristine, from: h2 + 4, to: size },
  ]);
  return { file, pristine, patch, args: ['patch', file, patch], originalHash, resultHash, journal: join(dirname(file), `.${basename(file)}.mmapx-journal`) };
}

/** One run to completion: its wall time and when its journal was written (after start-up). */
export function calibratePatchShift(scene) {
  const { wall, journalAt, timings } = calibrationRun(scene, ['parse', 'open', 'ffi', 'plan']);
  return { wall, journalAt, timings };
}

/** `trials` trials (none started after `deadline`, ms since the epoch): the tallies and the failures. */
export async function patchShiftCrashRun({ trials, size, seed = 1, dir = scratch('mmapx-pshift-crash-'), log = () => {}, deadline = Infinity }) {
  const scene = preparePatchShift(dir, { size, seed });
  const cal = calibratePatchShift(scene);
  log(`calibration: ${cal.wall.toFixed(0)} ms per run, journal written from ~${cal.journalAt.toFixed(0)} ms`);
  const { run, tally, failures } = await sceneTrials(scene, cal, {
    trials,
    seed,
    partly: 'in between',
    key: outcomeKey,
    deadline,
    onTrial: (i, key, r) => log(`trial ${i + 1}: kill at ${r.delayMs.toFixed(0)} ms: ${key}`),
  });
  return { trials: run, size, calibration: cal, tally, failures };
}
