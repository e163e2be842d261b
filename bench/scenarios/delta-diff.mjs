// `mmapx diff --format vcdiff` (and bps) against `xdelta3 -e`, in one run:
// (1) patch sizes on similar binaries: a base of binary-like content (random runs, zero padding,
//     tables of numbers, text) and NEW made from it by changed, inserted, deleted and moved regions
//     (16 MiB each; 4 MiB with --quick). xdelta3 is run as Debian ships it (lzma secondary
//     compression of the data, instruction and address sections) and with `-S none` (the same
//     VCDIFF without it, as mmapx writes: the matchers compared alone). Every mmapx patch is
//     applied by `xdelta3 -d` and must give NEW back (BPS: by mmapx's own decoder, in memory).
// (2) two 256 MiB files (MMAPX_BENCH_DELTA_MIB overrides; 64 MiB with --quick), warm cache:
//     time (median of interleaved runs), peak RSS (/usr/bin/time -f %M) and patch size side by side.
// Ratios are mmapx / xdelta3: below 1 means smaller or faster.
import { spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_ENV, BIN, NODE, fmt, has, interleave, scratch, table, warm } from '../lib.mjs';

const MiB = 1 << 20;

/** Deterministic pseudo-random bytes (AES-128-CTR of zeros under a key made of `seed`): fast and repeatable. */
function stream(seed) {
  const key = Buffer.alloc(16);
  key.writeUInt32LE(seed);
  const c = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return (n) => c.update(Buffer.alloc(n));
}

/** xorshift32 for choices. */
function chooser(seed) {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

const WORDS = 'the of and to in is was for on that with as by at from this be are or an it which not have has were but all can'.split(' ');

/**
 * `size` bytes of binary-like content: runs of random bytes (code, compressed data), zero padding,
 * tables of little-endian numbers and text, 256 B to 16 KiB each.
 */
function binaryLike(size, seed) {
  const rnd = stream(seed);
  const pick = chooser(seed);
  const out = Buffer.alloc(size);
  for (let p = 0; p < size; ) {
    const n = Math.min(size - p, 256 + pick(16384));
    const v = out.subarray(p, p + n);
    const kind = pick(8);
    if (kind < 4) rnd(n).copy(v);
    else if (kind === 4) v.fill(0);
    else if (kind === 5) for (let i = 0; i + 4 <= n; i += 4) v.writeUInt32LE((0x400000 + p + i * 3) >>> 0, i);
    else {
      let s = '';
      while (s.length < n) s += `${WORDS[pick(WORDS.length)]}${pick(9) === 0 ? '\n' : ' '}`;
      v.write(s, 'latin1');
    }
    p += n;
  }
  return out;
}

/**
 * NEW from OLD by `edits` edits spread over it, of the kinds given: `change` (random bytes over
 * 1 B..4 KiB), `insert` (1 B..64 KiB of random bytes), `insert-text` (the same of binary-like content), `delete` (1 B..8 KiB),
 * `move` (a 4..64 KiB block taken out and put back 1 MiB further), `bytes` (a byte changed every
 * 64 bytes over 1 KiB, as relocated pointers).
 */
function edited(old, { edits, kinds, seed }) {
  const rnd = stream(seed + 1);
  const pick = chooser(seed + 2);
  const parts = [];
  let p = 0;
  const step = Math.floor(old.length / edits);
  const moved = [];
  for (let e = 0; e < edits; e++) {
    const at = Math.max(p, e * step + pick(Math.max(1, step >> 1)));
    parts.push(old.subarray(p, at));
    p = at;
    while (moved.length > 0 && moved[0].at <= at) parts.push(moved.shift().bytes);
    const kind = kinds[pick(kinds.length)];
    if (kind === 'change') {
      const n = 1 + pick(4096);
      parts.push(rnd(n));
      p += n;
    } else if (kind === 'insert') parts.push(rnd(1 + pick(65536)));
    else if (kind === 'insert-text') parts.push(binaryLike(1 + pick(65536), seed + 100 + e));
    else if (kind === 'delete') p += 1 + pick(8192);
    else if (kind === 'move') {
      const n = 4096 + pick(61440);
      moved.push({ at: at + MiB, bytes: old.subarray(at, at + n) });
      p += n;
    } else if (kind === 'bytes') {
      const b = Buffer.from(old.subarray(p, p + 1024));
      for (let i = 0; i < b.length; i += 64) b[i] ^= 1 + pick(255);
      parts.push(b);
      p += b.length;
    }
    p = Math.min(p, old.length);
  }
  parts.push(old.subarray(p));
  for (const m of moved) parts.push(m.bytes);
  return Buffer.concat(parts);
}

function write(path, ...bufs) {
  const fd = openSync(path, 'w');
  for (const b of bufs) writeSync(fd, b);
  closeSync(fd);
  return path;
}

function run1(cmd, args) {
  const r = spawnSync(cmd, args, { env: BENCH_ENV, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

/** Peak RSS in MiB of `cmd args` (GNU time's %M). */
function peakRss(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { env: BENCH_ENV, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return Number(r.stderr.trim().split('\n').pop()) / 1024;
}

const size = (path) => statSync(path).size;

/** Checks that `xdelta3 -d` rebuilds NEW from mmapx's VCDIFF. */
function checkVcdiff(dir, oldPath, patch, newPath) {
  const out = join(dir, 'check.out');
  run1('xdelta3', ['-d', '-f', '-s', oldPath, patch, out]);
  if (!readFileSync(out).equals(readFileSync(newPath))) throw new Error(`xdelta3 -d of mmapx's ${patch} is not NEW`);
}

export async function run({ quick }) {
  if (!has('xdelta3')) {
    console.log('xdelta3 not installed (Debian package xdelta3): scenario skipped');
    return { skipped: 'xdelta3 missing' };
  }
  const dir = scratch();
  const base = (quick ? 4 : 16) * MiB;
  const old = binaryLike(base, 1);
  const oldPath = write(join(dir, 'old.bin'), old);
  const cases = [
    ['changed regions', { edits: 40, kinds: ['change'] }],
    ['inserted regions', { edits: 40, kinds: ['insert'] }],
    ['inserted binary-like regions', { edits: 40, kinds: ['insert-text'] }],
    ['deleted regions', { edits: 40, kinds: ['delete'] }],
    ['moved blocks', { edits: 20, kinds: ['move'] }],
    ['changed bytes every 64 (pointers)', { edits: 400, kinds: ['bytes'] }],
    ['mixed edits', { edits: 200, kinds: ['change', 'insert', 'insert-text', 'delete', 'move', 'bytes'] }],
    ['1 MiB inserted at the start', null],
    ['appended 1 MiB, first 1 MiB cut', null],
  ];
  const rows = [];
  const sizes = {};
  for (const [i, [name, spec]] of cases.entries()) {
    let nu;
    if (name === '1 MiB inserted at the start') nu = Buffer.concat([stream(99)(MiB), old]);
    else if (name === 'appended 1 MiB, first 1 MiB cut') nu = Buffer.concat([old.subarray(MiB), stream(98)(MiB)]);
    else nu = edited(old, { ...spec, seed: 10 + i });
    const newPath = write(join(dir, `new${i}.bin`), nu);
    const p = (ext) => join(dir, `p${i}.${ext}`);
    run1(NODE, [BIN, 'diff', '--format', 'vcdiff', oldPath, newPath, '-o', p('vcdiff')]);
    run1(NODE, [BIN, 'diff', '--format', 'bps', oldPath, newPath, '-o', p('bps')]);
    run1('xdelta3', ['-e', '-f', '-s', oldPath, newPath, p('xd3')]);
    run1('xdelta3', ['-e', '-f', '-S', 'none', '-s', oldPath, newPath, p('xd3n')]);
    checkVcdiff(dir, oldPath, p('vcdiff'), newPath);
    const s = { vcdiff: size(p('vcdiff')), bps: size(p('bps')), xdelta3: size(p('xd3')), xdelta3None: size(p('xd3n')) };
    sizes[name] = s;
    rows.push({
      case: name,
      'NEW size': `${(nu.length / MiB).toFixed(1)} MiB`,
      'mmapx vcdiff': s.vcdiff,
      'mmapx bps': s.bps,
      'xdelta3 -e': s.xdelta3,
      'xdelta3 -S none': s.xdelta3None,
      'vcdiff / xdelta3': fmt.ratio(s.vcdiff / s.xdelta3),
      'vcdiff / -S none': fmt.ratio(s.vcdiff / s.xdelta3None),
    });
  }
  console.log(`patch sizes in bytes, OLD: ${base / MiB} MiB of binary-like content (each mmapx VCDIFF checked with xdelta3 -d)`);
  table(rows, ['case', 'NEW size', 'mmapx vcdiff', 'mmapx bps', 'xdelta3 -e', 'xdelta3 -S none', 'vcdiff / xdelta3', 'vcdiff / -S none']);
  const worst = Math.max(...Object.values(sizes).map((s) => s.vcdiff / s.xdelta3));
  const worstNone = Math.max(...Object.values(sizes).map((s) => s.vcdiff / s.xdelta3None));
  console.log(`largest ratio: ${fmt.ratio(worst)} against xdelta3 -e, ${fmt.ratio(worstNone)} against xdelta3 -S none (target <= 1.5x)`);

  // (2) Two large files: time, peak RSS, patch size.
  const bigMiB = Number(process.env.MMAPX_BENCH_DELTA_MIB ?? (quick ? 64 : 256));
  const bigOld = join(dir, 'big-old.bin');
  const bigNew = join(dir, 'big-new.bin');
  {
    const b = binaryLike(bigMiB * MiB, 2);
    write(bigOld, b);
    write(bigNew, edited(b, { edits: 400, kinds: ['change', 'insert', 'insert-text', 'delete', 'move', 'bytes'], seed: 3 }));
  }
  warm(bigOld);
  warm(bigNew);
  const ours = join(dir, 'big.vcdiff');
  const theirs = join(dir, 'big.xd3');
  const commands = {
    'mmapx diff --format vcdiff': [NODE, [BIN, 'diff', '--format', 'vcdiff', bigOld, bigNew, '-o', ours]],
    'xdelta3 -e': ['xdelta3', ['-e', '-f', '-s', bigOld, bigNew, theirs]],
  };
  const runs = quick ? 1 : 3;
  const t = interleave(
    Object.entries(commands).map(([name, [cmd, args]]) => ({ name, cmd, args })),
    runs,
    { warmup: 0 },
  );
  checkVcdiff(dir, bigOld, ours, bigNew);
  const rss = {};
  if (has('/usr/bin/time')) for (const [name, [cmd, args]] of Object.entries(commands)) rss[name] = peakRss(cmd, args);
  const bytes = { 'mmapx diff --format vcdiff': size(ours), 'xdelta3 -e': size(theirs) };
  console.log(`\ntwo ${bigMiB} MiB files (NEW: 400 mixed edits), warm cache, median of ${runs} interleaved run(s)`);
  table(
    Object.keys(commands).map((name) => ({
      case: name,
      median: fmt.ms(t[name]),
      'peak RSS': rss[name] === undefined ? 'n/a' : `${rss[name].toFixed(0)} MiB`,
      'patch bytes': bytes[name],
    })),
    ['case', 'median', 'peak RSS', 'patch bytes'],
  );
  const ratios = {
    time: t['mmapx diff --format vcdiff'] / t['xdelta3 -e'],
    patchSize: bytes['mmapx diff --format vcdiff'] / bytes['xdelta3 -e'],
    ...(rss['xdelta3 -e'] && { peakRss: rss['mmapx diff --format vcdiff'] / rss['xdelta3 -e'] }),
    worstCasePatchSize: worst,
    worstCasePatchSizeVsNoSecondary: worstNone,
  };
  console.log(
    `mmapx / xdelta3: time ${fmt.ratio(ratios.time)}, patch size ${fmt.ratio(ratios.patchSize)}${ratios.peakRss ? `, peak RSS ${fmt.ratio(ratios.peakRss)}` : ''}`,
  );
  return { baseMiB: base / MiB, patchBytes: sizes, bigMiB, runs, medianMs: t, peakRssMiB: rss, bigPatchBytes: bytes, ratios };
}
