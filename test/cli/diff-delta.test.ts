// `mmapx diff --format bps|ups|ips32|vcdiff` end to end: the patch (to -o, or to a pipe) rebuilds
// NEW through the format's decoder; --json reports the patch's size and ops; the usage errors
// are one line, status 2, with nothing written; a terminal on standard output is refused.
import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyDeltaInMemory, decodeBps, decodeIps32, decodeUps, decodeVcdiff } from '../../src/format/delta/index.js';
import { expectFailure, mmapx } from '../helpers/cli.js';
import { randomBytes } from '../helpers/peers.js';
import { hasScript, inTerminal } from '../helpers/terminal.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-diff-delta-');
const oldPath = join(dir, 'old.bin');
const newPath = join(dir, 'new.bin');
const old = randomBytes(120_000, 31);
// An insertion at the start (everything shifts), a changed region, a deleted one.
const nu = Buffer.concat([randomBytes(700, 32), old.subarray(0, 50_000), randomBytes(300, 33), old.subarray(50_300, 90_000), old.subarray(95_000)]);
writeFileSync(oldPath, old);
writeFileSync(newPath, nu);

describe('diff --format bps|ups|ips32|vcdiff', () => {
  it('vcdiff with --json: the report, and a patch that rebuilds NEW (moves cost only what is new)', () => {
    const out = join(dir, 'p.vcdiff');
    const r = mmapx(['--json', 'diff', '--format', 'vcdiff', oldPath, newPath, '-o', out]);
    expect(r.status, r.dump).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    const patch = readFileSync(out);
    expect(j).toMatchObject({ format: 'vcdiff', sizeOld: 120_000, sizeNew: nu.length, identical: false, output: out, patchBytes: patch.length, crc32: null });
    expect(j.bytesAdded).toBe(1000);
    expect((j.bytesCopied as number) + (j.bytesAdded as number)).toBe(nu.length);
    expect(Object.keys(j.timings as object)).toEqual(expect.arrayContaining(['index', 'compare', 'output']));
    expect(patch.length).toBeLessThan(1100);
    expect(Buffer.from(applyDeltaInMemory(old, decodeVcdiff(patch, out))).equals(nu)).toBe(true);
  });

  it('bps to a pipe: the bytes -o writes; ups and ips32 change bytes in place', () => {
    const piped = mmapx(['diff', '--format', 'bps', oldPath, newPath]);
    expect(piped.status, piped.dump).toBe(0);
    const bps = join(dir, 'p.bps');
    expect(mmapx(['-q', 'diff', '--format', 'bps', oldPath, newPath, '-o', bps]).status).toBe(0);
    expect(piped.stdoutBytes.equals(readFileSync(bps))).toBe(true);
    expect(Buffer.from(applyDeltaInMemory(old, decodeBps(piped.stdoutBytes, 'bps'))).equals(nu)).toBe(true);
    for (const [format, decode] of [
      ['ups', decodeUps],
      ['ips32', decodeIps32],
    ] as const) {
      const r = mmapx(['diff', '--format', format, oldPath, newPath, '--stats']);
      expect(r.status, r.dump).toBe(0);
      expect(r.stderr, r.dump).toMatch(
        new RegExp(`^\\d+ ops?: \\d+ (xor runs?|literals?) \\(\\d+ bytes\\), ${format} patch of \\d+ bytes, size 120000 -> ${nu.length} in `),
      );
      expect(Buffer.from(applyDeltaInMemory(old, decode(r.stdoutBytes, format))).equals(nu), format).toBe(true);
      writeFileSync(join(dir, `p.${format}`), r.stdoutBytes);
    }
  });

  it('each format round trips through mmapx patch: OLD patched in place becomes NEW', () => {
    // The patches the tests above wrote.
    for (const format of ['bps', 'ups', 'ips32', 'vcdiff']) {
      const file = join(dir, `rt-${format}.bin`);
      writeFileSync(file, old);
      const r = mmapx(['-q', 'patch', file, join(dir, `p.${format}`)]);
      expect(r.status, r.dump).toBe(0);
      expect(readFileSync(file).equals(nu), format).toBe(true);
    }
  });

  it('identical files: one copy, reported as identical', () => {
    const r = mmapx(['diff', '--format', 'vcdiff', oldPath, oldPath, '-o', join(dir, 'same.vcdiff'), '--stats']);
    expect(r.status, r.dump).toBe(0);
    expect(r.stderr).toMatch(/^identical, vcdiff patch of \d+ bytes, written to /);
  });

  it('usage errors: one line, status 2, no patch written', () => {
    const out = join(dir, 'never');
    expectFailure(
      mmapx(['--json', 'diff', '--format', 'ups', oldPath, newPath]),
      2,
      /^mmapx: diff: .*: --format ups with --json needs -o PATCH \(the patch is binary\)$/,
    );
    expectFailure(
      mmapx(['diff', '--format', 'bps', '--coalesce', '3', oldPath, newPath, '-o', out]),
      2,
      /^mmapx: diff: .*: --coalesce does not apply to --format bps$/,
    );
    // A sparse NEW one byte past 4 GiB: IPS32's offsets end before its last byte (refused before reading).
    const big = join(dir, 'big-sparse.bin');
    writeFileSync(big, '');
    truncateSync(big, 2 ** 32 + 1);
    expectFailure(
      mmapx(['diff', '--format', 'ips32', oldPath, big, '-o', out]),
      2,
      /^mmapx: diff: .*: an IPS32 patch cannot grow a file to 4294967297 bytes: its offsets and sizes end at 0xffffffff \(4 GiB\); use --format bps or vcdiff$/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it.skipIf(!hasScript())('a terminal on standard output is refused (status 2)', () => {
    const t = inTerminal(['diff', '--format', 'vcdiff', oldPath, newPath]);
    expect(t.status, t.dump).toBe(2);
    expect(t.screen.join('\n'), t.dump).toMatch(/--format vcdiff writes a binary patch: give -o PATCH or redirect standard output$/);
  });
});
