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
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BIN, NODE, scratch } from './base.mjs';
import { hashPieces, killedAfter, rng, writeRandom } from './crash.mjs';

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

function reset(scene) {
  if (existsSync(scene.journal)) unlinkSync(scene.journal);
  copyFileSync(scene.pristine, scene.file);
}

/** One run to completion: its wall time and when its journal was durable (after start-up). */
export function calibrateShift(scene) {
  reset(scene);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(NODE, [BIN, '--json', ...scene.args], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`calibration run failed: ${r.stderr}`);
  if (hashFile(scene.file) !== scene.resultHash) throw new Error('calibration run did not give the result');
  const out = JSON.parse(r.stdout);
  const t = out.timings;
  const startup = Math.max(0, wall - t.total);
  const journalAt = startup + ['parse', 'open', 'ffi', 'plan', 'journal'].reduce((s, k) => s + (t[k] ?? 0), 0);
  return { wall, journalAt, method: out.method, timings: t };
}

/** One trial: shift, SIGKILL after `delayMs`, classify, recover, check. */
export async function shiftTrial(scene, delayMs) {
  reset(scene);
  const { code, killed, stderr } = await killedAfter(scene.args, delayMs);
  if (!killed && code !== 0) return { delayMs, ok: false, why: `exited ${code}: ${stderr.trim()}` };
  const journal = existsSync(scene.journal) ? 'journal' : 'no journal';
  const h = hashFile(scene.file);
  const before = h === scene.originalHash ? 'original' : h === scene.resultHash ? 'result' : 'partly shifted';
  const rec = spawnSync(NODE, [BIN, 'recover', scene.file], { encoding: 'utf8' });
  const a = hashFile(scene.file);
  const after = a === scene.originalHash ? 'original' : a === scene.resultHash ? 'result' : 'CORRUPT';
  const ok = rec.status === 0 && after !== 'CORRUPT' && !existsSync(scene.journal);
  return {
    delayMs,
    killed,
    journal,
    before,
    after,
    ok,
    ...(!ok && { why: `recover exited ${rec.status}: ${rec.stderr.trim()}; file after: ${after}` }),
  };
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
