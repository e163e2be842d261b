// The in-place delta applier (src/edit/delta.ts) as a library user calls it, on hand-made deltas
// (test/helpers/delta.ts): every op kind, backward and forward copies, overlapping target copies,
// a shift of the whole file, grow and shrink, checks verified before and after writing, "already
// applied", wrong sources (exit 3, the file byte-identical), --out, the journal, and the cost.
import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { applyDelta, deltaHooks } from '../../src/edit/delta.js';
import { journalPath } from '../../src/edit/journal.js';
import { GuardError, InputError, OperationError } from '../../src/errors.js';
import { applyDeltaInMemory, type DeltaOp } from '../../src/format/delta/index.js';
import { deltaOf, prng, randomBytes, randomOps, withCrcs, withWindows } from '../helpers/delta.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-delta-');
let n = 0;
function file(bytes: Uint8Array): string {
  const p = join(dir, `d${n++}.bin`);
  writeFileSync(p, bytes);
  return p;
}
const same = (p: string, want: Uint8Array) => expect(Buffer.compare(readFileSync(p), Buffer.from(want))).toBe(0);
const noJournal = (p: string) => expect(existsSync(journalPath(p))).toBe(false);

describe('applyDelta in place', () => {
  it('random deltas of every op kind give what the in-memory reference gives, in small chunks, with and without the cache', async () => {
    const rand = prng(7);
    for (let t = 0; t < 36; t++) {
      const sourceSize = 1 + Math.floor(rand() * 6000);
      const targetSize = 1 + Math.floor(rand() * 6000);
      const source = randomBytes(sourceSize, rand);
      const ops = randomOps(sourceSize, targetSize, rand);
      const kind = t % 3;
      const made = kind === 0 ? withCrcs(ops, source) : kind === 1 ? withWindows(ops, source, 1024) : undefined;
      const delta = made?.delta ?? deltaOf(ops, { targetSize: BigInt(targetSize), sourceSize: BigInt(sourceSize) });
      const target = made?.target ?? applyDeltaInMemory(source, delta);
      const p = file(source);
      const r = await applyDelta(p, delta, { chunk: 64 + (t % 5) * 37, recent: t % 2 === 0 ? 0 : 512 });
      same(p, target);
      noJournal(p);
      expect(r.sizeAfter).toBe(BigInt(target.length));
      // Exactly the bytes that differ were counted (what the plan could not compute, after writing).
      let differ = 0;
      for (let i = 0; i < target.length; i++) if (target[i] !== (i < source.length ? source[i] : 0)) differ++;
      expect(r.status === 'applied' && r.bytesChanged).toBe(differ);
      if (made) expect((await applyDelta(p, delta)).status).toBe('already');
    }
  });

  it('each op kind alone: the bytes, the count of changed bytes, and a journal of just those', async () => {
    const source = Uint8Array.from({ length: 64 }, (_, i) => i);
    const cases: [DeltaOp, number][] = [
      [{ kind: 'data', at: 4n, bytes: Uint8Array.of(4, 0xaa, 0xbb, 7) }, 2],
      [{ kind: 'fill', at: 8n, length: 4n, value: 9 }, 3], // byte 9 is 9 already
      [{ kind: 'source', at: 0n, length: 8n, from: 32n }, 8],
      [{ kind: 'source', at: 40n, length: 8n, from: 8n }, 8],
      [{ kind: 'target', at: 16n, length: 12n, from: 13n }, 12],
      [{ kind: 'add', at: 20n, from: 20n, bytes: Uint8Array.of(1, 0, 0, 2) }, 2],
      [{ kind: 'xor', at: 20n, from: 60n, bytes: Uint8Array.of(1, 0, 0, 2) }, 4],
      [{ kind: 'source', at: 60n, length: 8n, from: 62n }, 4], // past the source's end: zeros, and the file grows
    ];
    for (const [op, changed] of cases) {
      const delta = deltaOf([op]);
      const want = applyDeltaInMemory(source, delta);
      const p = file(source);
      const r = await applyDelta(p, delta);
      same(p, want);
      expect(r.status).toBe('applied');
      if (r.status !== 'applied') continue;
      expect(r.bytesChanged).toBe(changed);
      // header + trailer, one 12-byte record head per range, and the originals of bytes inside the old size
      expect(r.journal!.bytes).toBeLessThanOrEqual(64 + 56 + r.ranges * 12 + 16);
    }
  });

  it('an insertion at the start shifts the whole file: correct in place, the journal holds the file once', async () => {
    const rand = prng(3);
    const source = randomBytes(300_000, rand);
    const ins = randomBytes(1000, rand);
    const { delta, target } = withCrcs(
      [
        { kind: 'data', at: 0n, bytes: ins },
        { kind: 'source', at: 1000n, length: 300_000n, from: 0n },
      ],
      source,
    );
    const p = file(source);
    const r = await applyDelta(p, delta, { chunk: 4096 });
    same(p, target);
    noJournal(p);
    if (r.status !== 'applied') throw new Error(r.status);
    // Every byte of the old file changed (random bytes shifted by 1000), and the journal holds them once.
    expect(r.journal!.bytes).toBeGreaterThanOrEqual(300_000);
    expect(r.journal!.bytes).toBeLessThan(300_000 + 64 + 56 + 12 * 64);
    // The source reads of overwritten bytes came from the journal.
    expect(r.read.journal).toBeGreaterThan(290_000);
    expect(r.checked).toEqual({ patch: 'none', source: 'before', target: 'before', windows: { before: 0, after: 0, unchanged: 0 } });
    // And a deletion at the start (a forward copy) puts it back.
    const back = withCrcs([{ kind: 'source', at: 0n, length: 300_000n, from: 1000n }], target, { targetSize: 300_000n });
    await applyDelta(p, back.delta, { chunk: 1000 });
    same(p, source);
  });

  it('target copies reaching back past the cache: the target checksum is verified after writing, and a mismatch rolls back', async () => {
    const rand = prng(5);
    const source = randomBytes(20_000, rand);
    const ops: DeltaOp[] = [
      { kind: 'data', at: 0n, bytes: randomBytes(5000, rand) },
      { kind: 'target', at: 10_000n, length: 4000n, from: 100n },
      { kind: 'target', at: 15_000n, length: 3000n, from: 14_990n }, // overlapping: a pattern of 10 bytes
    ];
    const { delta, target } = withCrcs(ops, source);
    const p = file(source);
    const r = await applyDelta(p, delta, { chunk: 512, recent: 1024 });
    same(p, target);
    expect(r.checked.target).toBe('after');
    // The same ops with a target checksum off by one: written, found wrong, rolled back.
    const bad = deltaOf(ops, {
      sourceSize: 20_000n,
      targetSize: BigInt(target.length),
      checks: [...delta.checks.slice(0, 1), { algorithm: 'crc32', of: 'target', value: crc32(target) ^ 1 }],
    });
    const q = file(source);
    const err = await applyDelta(q, bad, { chunk: 512, recent: 1024 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(String(err)).toMatch(/the patch is damaged: the target has crc32 0x[0-9a-f]{8}, the delta says 0x[0-9a-f]{8}; the file was rolled back/);
    same(q, source);
    noJournal(q);
    // With the default cache the plan computes it: refused before writing.
    await expect(applyDelta(q, bad)).rejects.toThrow(/nothing written/);
    same(q, source);
  });

  it('grow and shrink: the file is extended first and cut last, and bytes past the source read as zeros', async () => {
    const source = Uint8Array.from({ length: 100 }, (_, i) => i + 1);
    const grow = deltaOf([{ kind: 'xor', at: 90n, from: 90n, bytes: new Uint8Array(30).fill(0xff) }], { sourceSize: 100n, targetSize: 150n });
    const p = file(source);
    await applyDelta(p, grow);
    same(p, applyDeltaInMemory(source, grow));
    expect(statSync(p).size).toBe(150);
    const shrink = deltaOf([{ kind: 'source', at: 0n, length: 10n, from: 140n }], { sourceSize: 150n, targetSize: 40n });
    const before = readFileSync(p);
    const r = await applyDelta(p, shrink);
    same(p, applyDeltaInMemory(before, shrink));
    if (r.status !== 'applied') throw new Error(r.status);
    // The journal held the 10 changed bytes and the 110 cut off.
    expect(r.journal!.bytes).toBe(64 + 56 + 12 + 10 + 12 + 110);
  });
});

describe('applyDelta: the checks and "already applied"', () => {
  const rand = prng(11);
  const source = randomBytes(8192, rand);
  const ops: DeltaOp[] = [
    { kind: 'data', at: 100n, bytes: randomBytes(50, rand) },
    { kind: 'source', at: 3000n, length: 500n, from: 6000n },
    { kind: 'fill', at: 7000n, length: 64n, value: 0 },
  ];

  it('a file of the wrong size, or the wrong checksum, or a wrong window: exit 3 naming expected and found, byte-identical', async () => {
    const { delta } = withCrcs(ops, source);
    const short = file(source.subarray(0, 8000));
    const e1 = await applyDelta(short, delta).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(GuardError);
    expect((e1 as GuardError).exitCode).toBe(3);
    expect(String(e1)).toMatch(/expects a file of 8192 bytes, found 8000; nothing written/);
    same(short, source.subarray(0, 8000));
    const other = Uint8Array.from(source);
    other[5000] ^= 1;
    const p = file(other);
    const hex = (v: number) => `0x${v.toString(16).padStart(8, '0')}`;
    await expect(applyDelta(p, delta)).rejects.toThrow(`crc32 should be ${hex(crc32(source))}, found ${hex(crc32(other))} (nor the target's); nothing written`);
    same(p, other);
    noJournal(p);
    const { delta: windowed } = withWindows(ops, source, 1024);
    // A byte the source copy at 3000 reads (from 6000..6500): the window at 0xc00 comes out wrong.
    other[6100] ^= 1;
    const w = file(other);
    const e3 = await applyDelta(w, windowed).catch((e: unknown) => e);
    expect(e3).toBeInstanceOf(GuardError);
    expect(String(e3)).toMatch(/the target window at 0xc00 \(1024 bytes\) would have adler32 0x[0-9a-f]{8}, the delta says 0x[0-9a-f]{8}; nothing written/);
    same(w, other);
  });

  it('a damaged patch (its own crc32) is an input error before the file is read', async () => {
    const { delta } = withCrcs(ops, source);
    const patch = Buffer.from('BPS1 some patch bytes....');
    const withPatch = {
      ...delta,
      checks: [...delta.checks, { algorithm: 'crc32' as const, of: 'patch' as const, value: crc32(patch.subarray(0, patch.length - 4)) }],
    };
    const p = file(source);
    const ok = await applyDelta(p, withPatch, { patch, name: 'fix.bps' });
    expect(ok.checked.patch).toBe('before');
    const q = file(source);
    const bad = Buffer.from(patch);
    bad[3] ^= 0x20;
    await expect(applyDelta(q, withPatch, { patch: bad, name: 'fix.bps' })).rejects.toThrow(/^fix\.bps: the patch is damaged: its crc32 is 0x/);
    same(q, source);
  });

  it('already applied: by the target checksum, by every window, by no byte differing; the file untouched', async () => {
    // An xor applied twice undoes itself: the plan on the patched file computes other bytes.
    const flip: DeltaOp[] = [...ops, { kind: 'xor', at: 7500n, from: 7500n, bytes: new Uint8Array(40).fill(0x5a) }];
    for (const made of [withCrcs(flip, source), withWindows(flip, source, 1024)]) {
      const p = file(source);
      expect((await applyDelta(p, made.delta)).status).toBe('applied');
      const mtime = statSync(p).mtimeMs;
      const again = await applyDelta(p, made.delta);
      expect(again.status).toBe('already');
      if (again.status === 'already') expect(again.by).toBe(made.delta.format === 'vcdiff' ? 'windows' : 'checksum');
      expect(statSync(p).mtimeMs).toBe(mtime);
      same(p, made.target);
    }
    // IPS32-like: literals only, no checksum: the second run finds no byte to change.
    const lits = deltaOf([{ kind: 'data', at: 10n, bytes: Uint8Array.of(1, 2, 3) }], { format: 'ips32' });
    const q = file(source);
    await applyDelta(q, lits);
    const again = await applyDelta(q, lits);
    expect(again.status === 'already' && again.by).toBe('bytes');
  });

  it('a window whose ops are identity copies is not read; dry run lists the ranges and the journal it would need', async () => {
    const big = randomBytes(64 * 1024, rand);
    const whole: DeltaOp[] = [
      { kind: 'source', at: 0n, length: 8192n, from: 0n },
      { kind: 'data', at: 8192n, bytes: Uint8Array.of(1, 2, 3, 4) },
      { kind: 'source', at: 8196n, length: 65536n - 8196n, from: 8196n },
    ];
    const made = withWindows(whole, big, 4096);
    const p = file(big);
    const dry = await applyDelta(p, made.delta, { dryRun: true });
    expect(dry.status).toBe('dry-run');
    if (dry.status !== 'dry-run') return;
    expect(dry.checked.windows).toEqual({ before: 1, after: 0, unchanged: 15 });
    expect(dry.read.file).toBeLessThanOrEqual(4096 + 4);
    expect(dry.ranges).toBe(1);
    expect(dry.changes).toEqual([{ offset: 8192n, length: 4 }]);
    same(p, big);
    const r = await applyDelta(p, made.delta);
    same(p, made.target);
    expect(r.read.file).toBeLessThanOrEqual(2 * 4096 + 8);
  });
});

describe('applyDelta: --out, no journal, failures after the journal', () => {
  const rand = prng(13);
  const source = randomBytes(50_000, rand);
  const ops = randomOps(50_000, 52_000, rand);

  it('out: the target goes to a new file, the source is untouched; a wrong source leaves no output', async () => {
    const { delta, target } = withCrcs(ops, source);
    const p = file(source);
    const out = join(dir, `out${n++}.bin`);
    const r = await applyDelta(p, delta, { out, chunk: 700 });
    same(out, target);
    same(p, source);
    expect(r.status === 'applied' && r.out).toBe(out);
    const wrong = Uint8Array.from(source);
    wrong[0] ^= 1;
    const q = file(wrong);
    const out2 = join(dir, `out${n++}.bin`);
    await expect(applyDelta(q, delta, { out: out2 })).rejects.toThrow(GuardError);
    expect(existsSync(out2)).toBe(false);
    await expect(applyDelta(p, delta, { out: p })).rejects.toThrow(/is the source file itself/);
  });

  it('without a journal: still correct for a shift (the originals kept in an unlinked temporary file)', async () => {
    const { delta, target } = withCrcs([{ kind: 'source', at: 7n, length: 50_000n, from: 0n }], source);
    const p = file(source);
    const r = await applyDelta(p, delta, { journal: false, chunk: 999 });
    same(p, target);
    expect(r.status === 'applied' && r.journal).toBeNull();
    noJournal(p);
  });

  it('a failure while writing rolls the file back from the journal; a journal left by a kill blocks the next run', async () => {
    const { delta } = withCrcs(ops, source);
    const p = file(source);
    deltaHooks.afterFlush = () => {
      throw new Error('disk on fire');
    };
    try {
      await expect(applyDelta(p, delta, { chunk: 512 })).rejects.toThrow(/disk on fire; the file was rolled back from the journal, nothing changed/);
    } finally {
      deltaHooks.afterFlush = undefined;
    }
    same(p, source);
    noJournal(p);
    writeFileSync(journalPath(p), 'x');
    await expect(applyDelta(p, delta)).rejects.toThrow(OperationError);
  });
});

describe('applyDelta: cost proportional to what changes', () => {
  it('a small delta to a large sparse file reads and journals only what it changes (counted, and by /proc/self/io)', async () => {
    const p = join(dir, `sparse${n++}.bin`);
    writeFileSync(p, '');
    const size = 1n << 30n;
    truncateSync(p, Number(size));
    const mid = size / 2n;
    // A full reconstruction, as VCDIFF or bsdiff gives it: identity copies around three changes, windows of 1 MiB.
    const rand = prng(17);
    const ops: DeltaOp[] = [
      { kind: 'source', at: 0n, length: mid, from: 0n },
      { kind: 'data', at: mid, bytes: randomBytes(4096, rand) },
      { kind: 'source', at: mid + 4096n, length: 4096n, from: 12345n },
      { kind: 'xor', at: mid + 8192n, from: mid + 8192n, bytes: randomBytes(4096, rand) },
      { kind: 'source', at: mid + 12288n, length: size - mid - 12288n, from: mid + 12288n },
    ];
    const io = () => {
      const t = readFileSync('/proc/self/io', 'latin1');
      return Number(/rchar: (\d+)/.exec(t)![1]);
    };
    const delta = deltaOf(ops, { format: 'vcdiff', sourceSize: size, targetSize: size });
    const before = io();
    const r = await applyDelta(p, delta);
    const readBytes = io() - before;
    expect(r.status).toBe('applied');
    if (r.status !== 'applied') return;
    expect(r.bytesChanged).toBeGreaterThan(8000); // the data and the xor (the copy moves zeros onto zeros)
    expect(r.read.file).toBeLessThan(64 * 1024);
    expect(r.journal!.bytes).toBeLessThan(16 * 1024);
    expect(readBytes).toBeLessThan(4 * 1024 * 1024);
  });
});
