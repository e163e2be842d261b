// mmapx patch FILE DELTA end to end (the built CLI): BPS, UPS and IPS32 patches made by the
// project's encoders from ops (detected by their magic), VCDIFF made by `xdelta3 -e` and bsdiff by
// `bsdiff` (each compared with the tool's own output; skipped where it is not installed), --info,
// --dry-run, --out, --json, several files, already applied, a wrong source (exit 3, byte-identical)
// and a damaged patch (exit 2).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyDeltaInMemory, crc32, type DeltaOp, encodeBps, encodeIps32, encodeUps } from '../../src/format/delta/index.js';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, expectSuccess, fingerprint, mmapx } from '../helpers/cli.js';
import { deltaOf, prng, randomBytes } from '../helpers/delta.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-cli-delta-');
beforeAll(() => requireBuild());
let n = 0;
function file(bytes: Uint8Array, ext = 'bin'): string {
  const p = join(dir, `f${n++}.${ext}`);
  writeFileSync(p, bytes);
  return p;
}
const join8 = (pieces: Iterable<Uint8Array>) => Buffer.concat([...pieces]);
const rand = prng(29);
const source = randomBytes(40_000, rand);
const HAVE_XDELTA3 = !spawnSync('xdelta3', ['-V'], { stdio: 'ignore' }).error;
const HAVE_BSDIFF = !spawnSync('bsdiff', [], { stdio: 'ignore' }).error && !spawnSync('bspatch', [], { stdio: 'ignore' }).error;
if (!HAVE_XDELTA3) console.warn('NOTICE: xdelta3 not installed (Debian package xdelta3): the VCDIFF comparison is SKIPPED');
if (!HAVE_BSDIFF) console.warn('NOTICE: bsdiff/bspatch not installed (Debian package bsdiff): the bsdiff comparison is SKIPPED');

/** A UPS patch of `source` that XORs `length` random bytes at `at` (a file of the same size). */
function upsOf(at: bigint, length: number): { patch: string; target: Uint8Array } {
  const ops: DeltaOp[] = [{ kind: 'xor', at, from: at, bytes: randomBytes(length, rand) }];
  const target = applyDeltaInMemory(source, deltaOf(ops));
  const size = BigInt(source.length);
  const patch = join8(encodeUps(ops, { sourceSize: size, targetSize: size, sourceCrc32: crc32(source), targetCrc32: crc32(target) }));
  return { patch: file(patch, 'ups'), target };
}

/** A BPS patch of an insertion at the start, a literal, a target copy and a growth. */
function bps(): { patch: string; target: Uint8Array } {
  const ops: DeltaOp[] = [
    { kind: 'data', at: 0n, bytes: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
    { kind: 'source', at: 8n, length: 30_000n, from: 0n },
    { kind: 'target', at: 30_008n, length: 100n, from: 20n },
    { kind: 'source', at: 30_108n, length: 10_000n, from: 30_000n },
  ];
  const target = applyDeltaInMemory(source, deltaOf(ops));
  const patch = join8(
    encodeBps(ops, {
      sourceSize: BigInt(source.length),
      targetSize: BigInt(target.length),
      sourceCrc32: crc32(source),
      targetCrc32: crc32(target),
      metadata: '<hack>v1</hack>',
    }),
  );
  return { patch: file(patch, 'bps'), target };
}

describe('patch FILE DELTA (built CLI)', () => {
  it('BPS found by its magic: applied in place with the journal reported, then already applied; --json keys', () => {
    const { patch, target } = bps();
    const p = file(source);
    const r = mmapx(['patch', p, patch]);
    expectSuccess(r);
    expect(r.stderr).toMatch(
      /^patched .*: .*\(bps\) applied \(\d+ bytes changed in \d+ ranges?, size 40000 -> 40108; the journal needed [\d.]+ KiB\); checked patch, source, target before writing in /,
    );
    expect(Buffer.compare(readFileSync(p), Buffer.from(target))).toBe(0);
    const again = mmapx(['--json', 'patch', p, patch]);
    expectSuccess(again);
    const j = JSON.parse(again.stdout);
    expect(j).toMatchObject({ status: 'already', format: 'bps', by: 'checksum', bytesChanged: 0, journal: null });
    expect(Object.keys(j).filter((k) => k !== 'command' && k !== 'ok')).toEqual([
      'status',
      'file',
      'format',
      'sources',
      'dryRun',
      'sizeBefore',
      'sizeAfter',
      'ops',
      'checked',
      'read',
      'by',
      'bytesChanged',
      'journal',
      'timings',
    ]);
  });

  it('a wrong source: exit 3 naming expected and found, the file byte-identical; a damaged patch: exit 2', () => {
    const { patch } = bps();
    const other = Uint8Array.from(source);
    other[123] ^= 0xff;
    const p = file(other);
    const before = fingerprint(p);
    const want = `0x${crc32(source).toString(16).padStart(8, '0')}`;
    const got = `0x${crc32(other).toString(16).padStart(8, '0')}`;
    expectFailure(mmapx(['patch', p, patch]), 3, `mmapx: patch: ${p}: not the delta's source: its crc32 should be ${want}, found ${got}; nothing written`);
    expect(fingerprint(p)).toBe(before);
    const short = file(source.subarray(0, 1000));
    expectFailure(mmapx(['patch', short, patch, '--format', 'bps']), 3, /expects a file of 40000 bytes, found 1000; nothing written$/);
    const bad = Buffer.from(readFileSync(patch));
    bad[10] ^= 1;
    const q = file(source);
    expectFailure(mmapx(['patch', q, file(bad, 'bps')]), 2, /^mmapx: patch: .*: .*byte 0x[0-9a-f]+: .*/);
    expect(fingerprint(q)).toBe(fingerprint(file(source)));
  });

  it('--info, --dry-run, --out and several files', () => {
    const { patch, target } = bps();
    const info = mmapx(['patch', '--info', patch]);
    expectSuccess(info);
    expect(info.stdout).toMatch(
      /^format: bps\nsource size: 40000\ntarget size: 40108\nsource crc32: 0x[0-9a-f]{8}\ntarget crc32: 0x[0-9a-f]{8}\npatch crc32: 0x[0-9a-f]{8} \(ok\)\nmetadata: "<hack>v1<\/hack>"\n/,
    );
    expect(info.stdout).toMatch(/^ops: \d+: .*source/m);
    const ij = JSON.parse(mmapx(['--json', 'patch', '--info', patch]).stdout);
    expect(ij).toMatchObject({ format: 'bps', sourceSize: 40000, targetSize: 40108, patchChecksum: 'ok', metadata: '<hack>v1</hack>' });
    const p = file(source);
    const dry = mmapx(['patch', p, patch, '--dry-run']);
    expectSuccess(dry);
    expect(dry.stdout).toMatch(/^0x0\.\.0x[0-9a-f]+: \d+ bytes\n/);
    expect(dry.stderr).toMatch(/^dry run: .* would change \d+ bytes of .* in \d+ ranges?, size 40000 -> 40108 \(journal [\d.]+ KiB\);.* the file is untouched/);
    expect(Buffer.compare(readFileSync(p), Buffer.from(source))).toBe(0);
    const out = join(dir, `out${n++}.bin`);
    expectSuccess(mmapx(['patch', p, patch, '--out', out]));
    expect(Buffer.compare(readFileSync(out), Buffer.from(target))).toBe(0);
    expect(Buffer.compare(readFileSync(p), Buffer.from(source))).toBe(0);
    // Several files: one source, one already patched, one wrong.
    const a = file(source);
    const b = file(target);
    const c = file(source.subarray(0, 100));
    const many = mmapx(['--json', 'patch', a, b, c, '-p', patch]);
    expect(many.status).toBe(3);
    const list = JSON.parse(many.stdout) as { status?: string; exitCode?: number }[];
    expect(list.map((x) => x.status ?? x.exitCode)).toEqual(['applied', 'already', 3]);
    expect(Buffer.compare(readFileSync(a), Buffer.from(target))).toBe(0);
  });

  it('--out that is not a new or regular file is refused before anything is written: a directory, a FIFO, the source itself or a link to it', () => {
    const { patch } = bps();
    const p = file(source);
    const before = fingerprint(p);
    const sub = join(dir, `outdir${n++}`);
    mkdirSync(sub);
    const fifo = join(dir, `outfifo${n++}`);
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const link = join(dir, `outlink${n++}`);
    symlinkSync(p, link);
    expectFailure(mmapx(['patch', p, patch, '--out', sub]), 2, /--out .*: not a regular file/);
    expectFailure(mmapx(['patch', p, patch, '--out', fifo]), 2, /--out .*: not a regular file/);
    expectFailure(mmapx(['patch', p, patch, '--out', p]), 2, /is the source file itself/);
    expectFailure(mmapx(['patch', p, patch, '--out', link]), 2, /is the source file itself/);
    expect(fingerprint(p)).toBe(before);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('mmapx-tmp'))).toEqual([]);
  });

  it('without --format, a regular file is looked at by its first bytes: a text patch too large to hold is refused by its size, unread', () => {
    const p = file(source);
    const before = fingerprint(p);
    const big = join(dir, 'big.patch');
    writeFileSync(big, '');
    truncateSync(big, 600 * 1024 * 1024); // sparse: past what a string holds, under the 2 GiB read limit
    // The size refusal of a text patch (before any read), not the "has N bytes" one of bytes read whole.
    expectFailure(mmapx(['patch', p, big]), 2, /the patch \(.*big\.patch\) is larger than \d+ bytes: it is read into memory whole$/);
    expect(fingerprint(p)).toEqual(before);
  });

  it('--reverse applies a UPS delta backwards: target -> source, then already applied; refused for other deltas and text patches', () => {
    const { patch: ups, target } = upsOf(700n, 64);
    const p = file(target);
    const r = mmapx(['patch', p, ups, '--reverse']);
    expectSuccess(r);
    expect(r.stderr).toContain('(ups, backwards) applied');
    expect(Buffer.compare(readFileSync(p), source)).toBe(0);
    const again = mmapx(['--json', 'patch', p, ups, '-R']);
    expectSuccess(again);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'already' });
    // --info -R describes the backward delta: the sizes and checksums swapped.
    const info = mmapx(['patch', '--info', ups, '-R']);
    expectSuccess(info);
    expect(info.stdout).toContain(`source crc32: 0x${crc32(target).toString(16).padStart(8, '0')}`);
    const before = fingerprint(p);
    expectFailure(mmapx(['patch', p, bps().patch, '--reverse']), 2, /--reverse: a bps delta goes one way only/);
    expectFailure(mmapx(['patch', p, '--edit', '0=00', '--reverse']), 2, /--reverse applies a UPS delta backwards: it does not go with a text patch/);
    expect(fingerprint(p)).toBe(before);
  });

  it('UPS and IPS32 found by their magic', () => {
    const { patch: ups, target: upsTarget } = upsOf(500n, 300);
    const p = file(source);
    expectSuccess(mmapx(['patch', p, ups]));
    expect(Buffer.compare(readFileSync(p), Buffer.from(upsTarget))).toBe(0);
    const litOps: DeltaOp[] = [
      { kind: 'data', at: 10n, bytes: Uint8Array.of(0xde, 0xad) },
      { kind: 'fill', at: 40_000n, length: 50n, value: 7 },
    ];
    const ipsTarget = applyDeltaInMemory(source, deltaOf(litOps));
    const ips = file(join8(encodeIps32(litOps)), 'ips32');
    const q = file(source);
    const r = mmapx(['--json', 'patch', q, ips]);
    expectSuccess(r);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'applied', format: 'ips32', sizeAfter: 40050 });
    expect(Buffer.compare(readFileSync(q), Buffer.from(ipsTarget))).toBe(0);
    expect(JSON.parse(mmapx(['--json', 'patch', q, ips]).stdout)).toMatchObject({ status: 'already', by: 'bytes' });
  });

  it.skipIf(!HAVE_XDELTA3)('a VCDIFF made by xdelta3 -e (lzma) applied in place equals xdelta3 -d output', () => {
    const old = file(source);
    const neu = Buffer.from(source);
    neu.set(randomBytes(2000, rand), 10_000);
    const target = Buffer.concat([randomBytes(100, rand), neu]);
    const tgt = file(target);
    const vcd = join(dir, `p${n++}.vcdiff`);
    expect(spawnSync('xdelta3', ['-e', '-f', '-s', old, tgt, vcd]).status).toBe(0);
    const decoded = join(dir, `x${n++}.bin`);
    expect(spawnSync('xdelta3', ['-d', '-f', '-s', old, vcd, decoded]).status).toBe(0);
    const p = file(source);
    const r = mmapx(['--json', 'patch', p, vcd]);
    expectSuccess(r);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'applied', format: 'vcdiff' });
    expect(Buffer.compare(readFileSync(p), readFileSync(decoded))).toBe(0);
    expect(JSON.parse(mmapx(['--json', 'patch', p, vcd]).stdout).status).toBe('already');
  });

  it.skipIf(!HAVE_BSDIFF)('a bsdiff patch applied in place equals bspatch output', () => {
    const old = file(source);
    const neu = Buffer.from(source);
    for (let i = 0; i < neu.length; i += 97) neu[i] = (neu[i]! + 1) & 0xff;
    const tgt = file(Buffer.concat([neu.subarray(0, 20_000), randomBytes(500, rand), neu.subarray(20_000)]));
    const patch = join(dir, `p${n++}.bsdiff`);
    expect(spawnSync('bsdiff', [old, tgt, patch]).status).toBe(0);
    const out = join(dir, `b${n++}.bin`);
    expect(spawnSync('bspatch', [old, out, patch]).status).toBe(0);
    const p = join(dir, `v${n++}.bin`);
    copyFileSync(old, p);
    const r = mmapx(['--json', 'patch', p, patch]);
    expectSuccess(r);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'applied', format: 'bsdiff' });
    expect(Buffer.compare(readFileSync(p), readFileSync(out))).toBe(0);
    expect(existsSync(join(dir, `.${p.split('/').pop()}.mmapx-journal`))).toBe(false);
  });
});
