// The crash harness of in-place delta application, shared by the test suite (a few trials in
// test/cli/delta-crash.test.ts) and bench/delta-crash.mjs (the long run: 200 trials).
//
// Two kinds of run. deltaCrashRun (the library): the delta below, handed as ops to the built
// library by a child process. deltaFormatCrashRun (a user's command): a real patch FILE of one
// format (ips32, ups, bps, vcdiff, bsdiff), made by the project's encoders (bundled from src/ with
// esbuild) or by Debian's `bsdiff`, applied by `mmapx patch FILE PATCH` (the built CLI), killed
// the same way, then `mmapx recover FILE`.
//
// A delta that rewrites a whole file in place (an insertion at the start, which shifts every
// byte, plus literals, fills, xors, target copies, and a change of size) is applied by a process
// (test/helpers/delta-child.mjs, through the built library) that is killed with SIGKILL at a random
// instant; then `mmapx recover` runs. The file must be byte-identical to the original or to the
// target, every time, and no journal may remain. Half of the kill instants are uniform over a whole
// run, half fall between the start of the journal and the end (a calibration run's timings).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32 } from 'node:zlib';
import { calibrationRun, killedAfter, outcomeKey, rng, sceneTrials } from './crash.mjs';
import { BIN, NODE, ROOT, scratch } from './base.mjs';

const CHILD = join(ROOT, 'test', 'helpers', 'delta-child.mjs');
const sha = (b) => createHash('sha256').update(b).digest('hex');

/** The target of `ops` over `source` (the model's semantics, written out here independently of src/). */
function applyOps(source, ops, targetSize) {
  const t = Buffer.alloc(targetSize);
  source.copy(t, 0, 0, Math.min(source.length, targetSize));
  const src = (i) => (i < source.length ? source[i] : 0);
  for (const o of ops) {
    const at = o.at;
    if (o.kind === 'data') Buffer.from(o.bytes, 'base64').copy(t, at);
    else if (o.kind === 'fill') t.fill(o.value, at, at + o.length);
    else if (o.kind === 'source') for (let i = 0; i < o.length; i++) t[at + i] = src(o.from + i);
    else if (o.kind === 'target') for (let i = 0; i < o.length; i++) t[at + i] = t[o.from + i];
    else if (o.kind === 'xor') {
      const b = Buffer.from(o.bytes, 'base64');
      for (let i = 0; i < b.length; i++) t[at + i] = src(o.from + i) ^ b[i];
    }
  }
  return t;
}

/**
 * The scene: a file of `size` random bytes and a delta (JSON, for the child) that inserts 4 KiB at
 * the start, changes pieces all over (literals, fills, xors, target copies) and grows or shrinks
 * the file by `grow` bytes; crc32 checks of source and target, as BPS has them.
 */
export function prepare(dir, { size = 64 << 20, seed = 1, grow = 0 } = {}) {
  const rand = rng(seed);
  const original = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) original.writeUInt32LE((rand() * 2 ** 32) >>> 0, i);
  const targetSize = size + grow;
  const ops = [];
  const rb = (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
    return b.toString('base64');
  };
  ops.push({ kind: 'data', at: 0, bytes: rb(4096) });
  // The rest: the source shifted by 4096, interrupted every ~256 KiB by another op.
  let at = 4096;
  while (at < targetSize) {
    const run = Math.min(targetSize - at, 128 * 1024 + Math.floor(rand() * 256 * 1024));
    ops.push({ kind: 'source', at, length: run, from: at - 4096 });
    at += run;
    if (at >= targetSize) break;
    const len = Math.min(targetSize - at, 1 + Math.floor(rand() * 2048));
    const k = Math.floor(rand() * 4);
    if (k === 0) ops.push({ kind: 'data', at, bytes: rb(len) });
    else if (k === 1) ops.push({ kind: 'fill', at, length: len, value: Math.floor(rand() * 256) });
    else if (k === 2) ops.push({ kind: 'xor', at, from: at, bytes: rb(len) });
    else ops.push({ kind: 'target', at, length: len, from: at - 1 - Math.floor(rand() * 100_000) });
    at += len;
  }
  const target = applyOps(original, ops, targetSize);
  const file = join(dir, `victim-${seed}.bin`);
  const pristine = join(dir, `pristine-${seed}.bin`);
  const delta = join(dir, `victim-${seed}.json`);
  writeFileSync(pristine, original);
  writeFileSync(
    delta,
    JSON.stringify({
      format: 'bps',
      sourceSize: size,
      targetSize,
      checks: [
        { algorithm: 'crc32', of: 'source', value: crc32(original) },
        { algorithm: 'crc32', of: 'target', value: crc32(target) },
      ],
      ops,
    }),
  );
  return { file, pristine, delta, originalHash: sha(original), targetHash: sha(target), journal: join(dirname(file), `.${basename(file)}.mmapx-journal`) };
}

/** The file as it was; a journal a failed trial left is removed (counted there, it must not fail the next ones). */
function reset(scene) {
  rmSync(scene.journal, { force: true });
  writeFileSync(scene.file, readFileSync(scene.pristine));
}

/** The first line of a child's complaint. */
const firstLine = (s) =>
  s
    .trim()
    .split('\n')
    .find((l) => /Error|error|mmapx/.test(l)) ?? s.trim().split('\n')[0];

/** One run to completion: its wall time, and when its journal starts (its timings). */
export function calibrate(scene) {
  reset(scene);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(NODE, [CHILD, scene.file, scene.delta], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`calibration run failed: ${r.stderr}`);
  if (sha(readFileSync(scene.file)) !== scene.targetHash) throw new Error('calibration run did not give the target');
  const { timings, journal } = JSON.parse(r.stdout);
  const startup = Math.max(0, wall - timings.total);
  return { wall, journalAt: startup + (timings.open ?? 0) + (timings.plan ?? 0), timings, journal };
}

function journalState(path) {
  if (!existsSync(path)) return 'none';
  const b = readFileSync(path);
  return b.length >= 120 && b.subarray(b.length - 56, b.length - 48).toString('latin1') === 'MMAPXEND' ? 'complete' : 'incomplete';
}

/** One trial: apply, SIGKILL after `delayMs`, classify, recover, check. */
export async function trial(scene, delayMs) {
  reset(scene);
  const { code, killed, stderr } = await killedAfter([scene.file, scene.delta], delayMs, CHILD);
  if (!killed && code !== 0) return { delayMs, ok: false, why: `the application exited ${code}: ${firstLine(stderr)}` };
  const journal = journalState(scene.journal);
  const h = sha(readFileSync(scene.file));
  const fileBefore = h === scene.originalHash ? 'original' : h === scene.targetHash ? 'patched' : 'partly patched';
  const rec = spawnSync(NODE, [BIN, 'recover', scene.file], { encoding: 'utf8' });
  const after = sha(readFileSync(scene.file));
  const fileAfter = after === scene.originalHash ? 'original' : after === scene.targetHash ? 'patched' : 'CORRUPT';
  const ok = rec.status === 0 && fileAfter !== 'CORRUPT' && !existsSync(scene.journal);
  return {
    delayMs,
    killed,
    journal,
    fileBefore,
    fileAfter,
    ok,
    ...(!ok && { why: `recover exited ${rec.status}: ${firstLine(rec.stderr)}; file after: ${fileAfter}` }),
  };
}

/** `trials` trials on one scene: the tally of where the kills landed and how it ended, and the failures. */
export async function deltaCrashRun({ trials, size, seed = 1, grow = 0, dir = scratch('mmapx-delta-crash-'), log = () => {} }) {
  const scene = prepare(dir, { size, seed, grow });
  const cal = calibrate(scene);
  log(`calibration: ${cal.wall.toFixed(0)} ms per run, journal of ${cal.journal} bytes from ~${cal.journalAt.toFixed(0)} ms (${JSON.stringify(cal.timings)})`);
  const rand = rng(seed * 7919);
  const tally = {};
  const failures = [];
  for (let i = 0; i < trials; i++) {
    const delay = i % 2 === 0 ? rand() * cal.wall : cal.journalAt + rand() * Math.max(1, cal.wall - cal.journalAt);
    const t = await trial(scene, delay);
    const key = t.ok ? `${t.killed ? 'killed' : 'finished'}, journal ${t.journal}, file ${t.fileBefore} -> ${t.fileAfter}` : 'FAILED';
    tally[key] = (tally[key] ?? 0) + 1;
    if (!t.ok) failures.push(t);
  }
  const count = (what) =>
    Object.entries(tally)
      .filter(([k]) => k.endsWith(`-> ${what}`))
      .reduce((s, [, v]) => s + v, 0);
  return { trials, size, grow, calibration: cal, tally, original: count('original'), patched: count('patched'), failures };
}

// ---------------------------------------------------------------------------------------------
// Per format: a real patch file applied by `mmapx patch FILE PATCH`.

/** The formats deltaFormatCrashRun knows, in the order the bench runs them. */
export const DELTA_CRASH_FORMATS = ['ips32', 'ups', 'bps', 'vcdiff', 'bsdiff'];

/** Whether Debian's `bsdiff` is installed (the bsdiff patches are made by it). */
export const haveBsdiff = () => !spawnSync('bsdiff', [], { stdio: 'ignore' }).error;

let encoders;
/** The project's delta encoders (src/format/delta), bundled once by esbuild into `dir` and imported. */
async function deltaEncoders(dir) {
  if (encoders === undefined) {
    const { build } = await import('esbuild');
    const out = join(dir, 'delta-encoders.mjs');
    await build({
      entryPoints: [join(ROOT, 'src', 'format', 'delta', 'index.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: out,
      logLevel: 'warning',
    });
    encoders = await import(pathToFileURL(out).href);
  }
  return encoders;
}

/** The ops of the harness (numbers, bytes as Buffers) as the encoders take them (bigints). */
const deltaOp = (o) => ({
  kind: o.kind,
  at: BigInt(o.at),
  ...(o.length !== undefined && { length: BigInt(o.length) }),
  ...(o.from !== undefined && { from: BigInt(o.from) }),
  ...(o.value !== undefined && { value: o.value }),
  ...(o.bytes !== undefined && { bytes: o.bytes }),
});

/** The target of ops with Buffer bytes (applyOps takes them in base64). */
const targetOf = (original, ops, targetSize) =>
  applyOps(
    original,
    ops.map((o) => (o.bytes === undefined ? o : { ...o, bytes: o.bytes.toString('base64') })),
    targetSize,
  );

/**
 * The ops of one format's pair. IPS32 and UPS cannot move bytes: changes scattered over the whole
 * file (literals and fills for IPS32, xors for UPS, every ~64-320 KiB) and the change of size.
 * BPS and VCDIFF (and the NEW file that bsdiff diffs): 4 KiB inserted at the start, which shifts
 * every byte, then source copies interrupted by literals, fills, target copies (and xors, VCDIFF).
 */
function formatOps(format, original, targetSize, rand) {
  const size = original.length;
  const rb = (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
    return b;
  };
  const ops = [];
  if (format === 'ips32' || format === 'ups') {
    const common = Math.min(size, targetSize);
    for (let at = Math.floor(rand() * 4096); at < common; ) {
      const len = Math.min(common - at, 1 + Math.floor(rand() * 2048));
      if (format === 'ups') ops.push({ kind: 'xor', at, from: at, bytes: rb(len) });
      else if (rand() < 0.5) ops.push({ kind: 'data', at, bytes: rb(len) });
      else ops.push({ kind: 'fill', at, length: len, value: Math.floor(rand() * 256) });
      at += len + 64 * 1024 + Math.floor(rand() * 256 * 1024);
    }
    // Growth: new bytes at the end (IPS32: its last 4 KiB; the bytes before are the zeros a grown file holds).
    if (targetSize > size) {
      const from = format === 'ups' ? size : Math.max(size, targetSize - 4096);
      ops.push(format === 'ups' ? { kind: 'xor', at: from, from, bytes: rb(targetSize - from) } : { kind: 'data', at: from, bytes: rb(targetSize - from) });
    }
    return ops;
  }
  const kinds = format === 'bps' ? ['data', 'fill', 'target'] : ['data', 'fill', 'target', 'xor'];
  ops.push({ kind: 'data', at: 0, bytes: rb(4096) });
  let at = 4096;
  while (at < targetSize) {
    const run = Math.min(targetSize - at, 128 * 1024 + Math.floor(rand() * 256 * 1024));
    // Past the source's end (growth) the shifted copy would read zeros: new bytes instead.
    const copy = Math.max(0, Math.min(run, size - (at - 4096)));
    if (copy > 0) ops.push({ kind: 'source', at, length: copy, from: at - 4096 });
    if (run > copy) ops.push({ kind: 'data', at: at + copy, bytes: rb(run - copy) });
    at += run;
    if (at >= targetSize) break;
    const len = Math.min(targetSize - at, 1 + Math.floor(rand() * 2048));
    const k = kinds[Math.floor(rand() * kinds.length)];
    if (k === 'data') ops.push({ kind: 'data', at, bytes: rb(len) });
    else if (k === 'fill') ops.push({ kind: 'fill', at, length: len, value: Math.floor(rand() * 256) });
    else if (k === 'xor') ops.push({ kind: 'xor', at, from: Math.min(at, size - len), bytes: rb(len) });
    else ops.push({ kind: 'target', at, length: len, from: at - 1 - Math.floor(rand() * Math.min(at - 1, 100_000)) });
    at += len;
  }
  return ops;
}

/** Writes the encoder's pieces to `path`. */
function writePieces(path, pieces) {
  const fd = openSync(path, 'w');
  try {
    for (const p of pieces) writeSync(fd, p);
  } finally {
    closeSync(fd);
  }
}

/**
 * The scene of one format: OLD (`size` random bytes), NEW (`size + grow` bytes, see formatOps) and
 * a patch file of that format from OLD to NEW; the command is `mmapx patch FILE PATCH`.
 * @throws when bsdiff is wanted and not installed, or it fails.
 */
export async function prepareFormat(dir, { format, size = 16 << 20, seed = 1, grow = 0 }) {
  if (!DELTA_CRASH_FORMATS.includes(format)) throw new Error(`unknown delta format ${format} (${DELTA_CRASH_FORMATS.join(', ')})`);
  const rand = rng(seed);
  const original = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) original.writeUInt32LE((rand() * 2 ** 32) >>> 0, i);
  const targetSize = size + grow;
  const ops = formatOps(format, original, targetSize, rand);
  const target = targetOf(original, ops, targetSize);
  const name = `${format}-${seed}`;
  const file = join(dir, `${name}.bin`);
  const pristine = join(dir, `${name}.orig`);
  const patch = join(dir, `${name}.${format}`);
  writeFileSync(pristine, original);
  const sizes = { sourceSize: BigInt(size), targetSize: BigInt(targetSize) };
  if (format === 'bsdiff') {
    const neu = join(dir, `${name}.new`);
    writeFileSync(neu, target);
    const r = spawnSync('bsdiff', [pristine, neu, patch], { encoding: 'utf8' });
    rmSync(neu, { force: true });
    if (r.error || r.status !== 0) throw new Error(`bsdiff failed: ${r.error?.message ?? r.stderr.trim()}`);
  } else {
    const enc = await deltaEncoders(dir);
    const bops = ops.map(deltaOp);
    const crcs = { sourceCrc32: crc32(original), targetCrc32: crc32(target) };
    if (format === 'ips32') writePieces(patch, enc.encodeIps32(bops, { ...sizes, targetByteAt: (o) => target[Number(o)] }));
    else if (format === 'bps') writePieces(patch, enc.encodeBps(bops, { ...sizes, ...crcs }));
    else if (format === 'vcdiff') writePieces(patch, enc.encodeVcdiff(bops, { ...sizes, target: (at, n) => target.subarray(Number(at), Number(at) + n) }));
    else {
      // UPS: a shrink XORs the source's tail with zeros (it must cover the larger file, to be reversible).
      if (targetSize < size) bops.push(deltaOp({ kind: 'xor', at: targetSize, from: targetSize, bytes: original.subarray(targetSize) }));
      writePieces(patch, enc.encodeUps(bops, { ...sizes, ...crcs }));
    }
  }
  return {
    format,
    file,
    pristine,
    patch,
    args: ['patch', file, patch],
    originalHash: sha(original),
    resultHash: sha(target),
    journal: join(dirname(file), `.${basename(file)}.mmapx-journal`),
  };
}

/**
 * `trials` SIGKILL trials of `mmapx patch FILE PATCH` for one format (one scene, growing or
 * shrinking by `grow`), each followed by `mmapx recover FILE`: the tally of where the kills landed
 * and how they ended, how many ended original and how many patched, and the failures. Half of the
 * kill instants (the first trial's among them) fall from the creation of the journal to the end (the
 * journal, the writes, the sync), half are uniform over a run: the fastest of `calibrations` runs
 * times them, as a loaded machine slows some runs.
 */
export async function deltaFormatCrashRun({ format, trials, size, seed = 1, grow = 0, calibrations = 3, dir = scratch('mmapx-delta-crash-'), log = () => {} }) {
  const scene = await prepareFormat(dir, { format, size, seed, grow });
  const patchBytes = readFileSync(scene.patch).length;
  let cal;
  for (let i = 0; i < Math.max(1, calibrations); i++) {
    const c = calibrationRun(scene, ['parse', 'open', 'plan']);
    if (cal === undefined || c.wall < cal.wall) cal = c;
  }
  log(
    `${format}: patch of ${patchBytes} bytes; calibration: ${cal.wall.toFixed(0)} ms per run, journal from ~${cal.journalAt.toFixed(0)} ms (${JSON.stringify(cal.timings)})`,
  );
  const r = await sceneTrials(scene, cal, { trials, seed, partly: 'partly patched', key: outcomeKey, focusFirst: true });
  const count = (what) =>
    Object.entries(r.tally)
      .filter(([k]) => k.endsWith(`-> ${what}`))
      .reduce((s, [, v]) => s + v, 0);
  return {
    format,
    trials: r.run,
    size,
    grow,
    patchBytes,
    calibration: cal,
    tally: r.tally,
    original: count('original'),
    patched: count('result'),
    failures: r.failures,
  };
}
