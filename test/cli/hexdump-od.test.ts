// mmapx hexdump -f od and -f hexdump-x|d|o|c|b through the built CLI, against the installed od and
// hexdump. (The engine's option matrix is tested in-process in test/format/dump-od.test.ts; here
// the option spellings, -j/-N, a sparse file past 4 GiB and the usage errors.)
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, expectSuccess, fingerprint, mmapx, PINNED_ENV } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
beforeAll(() => requireBuild());
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const HAS_OD = has('od');
const HAS_HEXDUMP = has('hexdump');
if (!HAS_OD) console.warn('NOTICE: od is not installed: CLI tests against od are skipped');
if (!HAS_HEXDUMP) console.warn('NOTICE: hexdump is not installed: CLI tests against hexdump -x/-d/-o/-c/-b are skipped');

function peer(cmd: string, args: string[]): Buffer {
  const r = spawnSync(cmd, args, { env: PINNED_ENV, maxBuffer: 1 << 30 });
  expect(r.status, `${cmd} ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Random bytes, a run of zeros (squeezed), repeated 16-byte lines, and an odd tail. */
const sample = (() => {
  const b = Buffer.alloc(3001);
  for (let i = 0; i < b.length; i++) b[i] = i < 1000 ? (i * 7919 + (i >> 3)) & 0xff : i < 2000 ? 0 : i % 16 < 8 ? 0x41 + (i % 5) : i % 32;
  return b;
})();
const path = join(dir, 'sample.bin');
beforeAll(() => writeFileSync(path, sample));

describe.skipIf(!HAS_OD)('-f od = od', () => {
  it.each([
    [['-v'], ['-A', 'x', '-t', 'x1z', '-v']],
    [[], ['-A', 'x', '-t', 'x1z']],
    [
      ['-t', 'x2', '-t', 'c', '-A', 'd', '-w', '8', '-j', '100', '-N', '333'],
      ['-t', 'x2', '-t', 'c', '-A', 'd', '-w8', '-j', '100', '-N', '333'],
    ],
    [
      ['--type', 'o1', '--type', 'u2', '--address-radix', 'o', '--width', '4', '--skip-bytes', '0x10', '--read-bytes', '50'],
      ['-t', 'o1', '-t', 'u2', '-A', 'o', '-w4', '-j', '16', '-N', '50'],
    ],
    [
      ['-t', 'a', '-A', 'n', '-s', '-40'],
      ['-t', 'a', '-A', 'n', '-j', String(sample.length - 40)],
    ],
    [
      ['-t', 'd8', '-t', 'x1z', '-n', '1K', '-v'],
      ['-A', 'x', '-t', 'd8', '-t', 'x1z', '-N', '1024', '-v'],
    ],
    [
      ['-N', '0'],
      ['-A', 'x', '-t', 'x1z', '-N', '0'],
    ], // od -N 0 prints the address line (hexdump -n 0 prints nothing)
  ])('mmapx hexdump -f od %j = od %j', (ours, theirs) => {
    const r = mmapx(['hexdump', path, '-f', 'od', ...ours]);
    expectSuccess(r);
    expect(r.stdoutBytes.equals(peer('od', [...theirs, path])), r.dump).toBe(true);
  });
});

describe.skipIf(!HAS_HEXDUMP)('-f hexdump-LETTER = hexdump -LETTER', () => {
  it.each(['x', 'd', 'o', 'c', 'b'])('-f hexdump-%s, whole file, -v, and -s/-n', (letter) => {
    for (const [ours, theirs] of [
      [[], []],
      [['-v'], ['-v']],
      [
        ['-s', '1990', '-n', '101'],
        ['-s', '1990', '-n', '101'],
      ],
      [
        ['-j', '7', '-N', '0x21'],
        ['-s', '7', '-n', '33'],
      ],
    ]) {
      const r = mmapx(['hexdump', path, '-f', `hexdump-${letter}`, ...ours!]);
      expectSuccess(r);
      expect(r.stdoutBytes.equals(peer('hexdump', [`-${letter}`, ...theirs!, path])), r.dump).toBe(true);
    }
  });
});

describe.skipIf(!HAS_OD || !HAS_HEXDUMP)('past 4 GiB', () => {
  it('od_j_and_hexdump_s_in_a_sparse_file_past_4_gib_show_absolute_addresses', () => {
    const p = join(dir, 'sparse5g.bin');
    const fd = openSync(p, 'w');
    ftruncateSync(fd, 5 * 1024 ** 3);
    const at = 4.5 * 1024 ** 3 + 100;
    writeSync(fd, Buffer.from('beyond 2^32: mmapx'), 0, 18, at);
    closeSync(fd);
    const s = String(at - 200);
    const r = mmapx(['hexdump', p, '-f', 'od', '-j', '4.5G', '-N', '512', '-t', 'x1z', '-t', 'c']);
    expectSuccess(r);
    // Two types: the hex fields share the width of the character fields (4 columns each).
    expect(r.stdout).toContain('120000060  00  00  00  00  62  65  79  6f  6e  64  20  32  5e  33  32  3a  >....beyond 2^32:<\n');
    expect(r.stdoutBytes.equals(peer('od', ['-A', 'x', '-t', 'x1z', '-t', 'c', '-j', String(4.5 * 1024 ** 3), '-N', '512', p])), r.dump).toBe(true);
    const h = mmapx(['hexdump', p, '-f', 'hexdump-x', '-s', s, '-n', '300']);
    expectSuccess(h);
    expect(h.stdoutBytes.equals(peer('hexdump', ['-x', '-s', s, '-n', '300', p])), h.dump).toBe(true);
  });
});

describe('usage errors', () => {
  it.each([
    [['-f', 'xxd', '-t', 'x1'], /-t\/--type only applies to --format od, not xxd/],
    [['-A', 'd'], /-A\/--address-radix only applies to --format od, not canonical/],
    [['-f', 'od', '-t', 'x2', '-w', '5'], /invalid od width 5: it must be a multiple of 2/],
    [['-f', 'od', '-t', 'f4'], /floating-point types are not supported/],
    [['-f', 'od', '-t', 'x3'], /invalid od type size 3/],
    [['-f', 'od', '-s', '1', '-j', '1'], /-s\/--offset and -j\/--skip-bytes mean the same/],
    [['-f', 'hexdump-x', '-n', '1', '-N', '1'], /-n\/--length and -N\/--read-bytes mean the same/],
    [['-f', 'hexdump-c', '-c', '8'], /fixed 16 bytes per line/],
    [['-f', 'od', '-A', 'z'], /argument 'z' is invalid/],
  ])('mmapx hexdump %j fails with one line, exit 2, file untouched', (args, message) => {
    const before = fingerprint(path);
    const r = mmapx(['hexdump', path, ...args]);
    expectFailure(r, 2, message);
    expect(r.stdout).toBe('');
    expect(fingerprint(path)).toBe(before);
  });
});
