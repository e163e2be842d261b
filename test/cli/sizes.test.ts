// Impossible sizes, through the built CLI: every way a user can ask for an offset or a size past
// what a file can have (the signed 64-bit range, the largest size mmapx gives a file, the
// filesystem's largest file, `ulimit -f`) is one stderr line and exit 2 (the input) or 1 (this
// file's filesystem or this process), before any work: the file is byte-identical, no journal is
// left, and the run ends quickly. A hang is caught by the spawn's timeout (the process is killed:
// its signal is not null), not by timing the run. And a grow is reported as the change it is.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_FILE_SIZE } from '../../src/format/number.js';
import { fileSizeLimit } from '../../src/mmap/index.js';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, expectSuccess, fingerprint, mmapx, PINNED_ENV, type Run, runCommand } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-sizes-');
const ROOT_USER = process.getuid?.() === 0;
/** Long enough for a loaded machine; a hang (minutes of hashing zeros, as before) is killed here. */
const HANG = 20_000;
let n = 0;
beforeAll(() => requireBuild());

function file(content: string | Uint8Array = 'ABCDEFGH'): string {
  const p = join(dir, `s${n++}.bin`);
  writeFileSync(p, content);
  return p;
}

function patchFile(text: string): string {
  const p = join(dir, `p${n++}.patch`);
  writeFileSync(p, text);
  return p;
}

const journalOf = (p: string) => join(dir, `.${p.slice(dir.length + 1)}.mmapx-journal`);

/** No raw message of Node's (or a stack) may reach the user. */
const RAW = /The value of "|ERR_[A-Z_]+|EFBIG: file too large|RangeError|\n\s+at /;

/** The sizes no file can have, as a user would type them. */
const SIZES: readonly (readonly [string, bigint])[] = [
  ['2^53+1', (1n << 53n) + 1n],
  ['2^63-2', (1n << 63n) - 2n],
  ['2^63', 1n << 63n],
  ['2^64+1', (1n << 64n) + 1n],
  ['10^30', 10n ** 30n],
];

interface Path {
  /** The command line for a target file `f`, the size `v` as decimal and as hex digits (no 0x). */
  args: (f: string, v: { dec: string; hex: string }) => string[];
  /** What a refusal says (one of the classes); always exit 2 here. */
  line: RegExp;
}

const BAD = /(is out of the signed 64-bit range|past the largest (size mmapx gives a file|offset mmapx handles)|past the end of the file|is too large)/;

const PATHS: Record<string, Path> = {
  'write --grow at V': { args: (f, v) => ['write', f, v.dec, '11', '--grow'], line: BAD },
  'write --grow at 0xV': { args: (f, v) => ['write', f, `0x${v.hex}`, '11', '--grow'], line: BAD },
  'write at V, no --grow': { args: (f, v) => ['write', f, v.dec, '11'], line: BAD },
  'write --fill --length V --grow': { args: (f, v) => ['write', f, '0', '--fill', '0', '--length', v.dec, '--grow'], line: BAD },
  'patch --edit V=11 --grow': { args: (f, v) => ['patch', f, '--edit', `${v.dec}=11`, '--grow'], line: BAD },
  'patch --edit 0xV=11 --grow --dry-run': { args: (f, v) => ['patch', f, '--edit', `0x${v.hex}=11`, '--grow', '--dry-run'], line: BAD },
  'patch --edit V=11, no --grow': { args: (f, v) => ['patch', f, '--edit', `${v.dec}=11`], line: BAD },
  'patch-file line "0xV: 11" --grow': { args: (f, v) => ['patch', f, patchFile(`0x${v.hex}: 11\n`), '--grow'], line: BAD },
  'patch-file line "0xV: 11" --grow --dry-run': { args: (f, v) => ['patch', f, patchFile(`0x${v.hex}: 11\n`), '--grow', '--dry-run'], line: BAD },
  'patch-file "size after V" --grow': { args: (f, v) => ['patch', f, patchFile(`size after ${v.dec}\n`), '--grow'], line: BAD },
  'patch-file "size after V" --grow --dry-run': { args: (f, v) => ['patch', f, patchFile(`size after ${v.dec}\n`), '--grow', '--dry-run'], line: BAD },
  'patch-file anchor "find 41 +V: 11" --grow': { args: (f, v) => ['patch', f, patchFile(`find 41 +${v.dec}: 11\n`), '--grow'], line: BAD },
  'xxd dump line at V --grow': { args: (f, v) => ['patch', f, patchFile(`${v.hex.padStart(8, '0')}: 4142  AB\n`), '--format', 'xxd', '--grow'], line: BAD },
  'cat 0:V': { args: (f, v) => ['cat', f, `0:${v.dec}`], line: BAD },
  'cat V:1': { args: (f, v) => ['cat', f, `0x${v.hex}:1`], line: BAD },
  'cat 0..V': { args: (f, v) => ['cat', f, `0..${v.dec}`], line: BAD },
  'hash --range 0:V': { args: (f, v) => ['hash', f, '--range', `0:${v.dec}`], line: BAD },
  'find --range V:1': { args: (f, v) => ['find', f, '41', '--range', `${v.dec}:1`], line: BAD },
  'info --range 0:V': { args: (f, v) => ['info', f, '--range', `0:${v.dec}`], line: BAD },
  'flush --range 0:V': { args: (f, v) => ['flush', f, '--range', `0:${v.dec}`], line: BAD },
  'protect ro --range 0:V': { args: (f, v) => ['protect', f, 'ro', '--range', `0:${v.dec}`], line: BAD },
};

function expectRefusedUntouched(r: Run, status: 1 | 2, line: RegExp, target: string, before: string): void {
  expect(r.signal, `killed: it hung\n${r.dump}`).toBeNull();
  expectFailure(r, status, line);
  expect(r.stderr, r.dump).not.toMatch(RAW);
  expect(fingerprint(target)).toBe(before);
  expect(existsSync(journalOf(target)), r.dump).toBe(false);
}

describe('impossible sizes are one line, exit 2, before any work', () => {
  for (const [pathName, path] of Object.entries(PATHS)) {
    for (const [sizeName, size] of SIZES) {
      it(`${pathName} with V = ${sizeName}`, () => {
        const f = file();
        const before = fingerprint(f);
        const args = path.args(f, { dec: size.toString(), hex: size.toString(16) });
        const r = mmapx(args, { timeout: HANG });
        expectRefusedUntouched(r, 2, new RegExp(`^mmapx: [a-z]+: .*${path.line.source}`), f, before);
      });
    }
  }

  it('--json --dry-run of a size of 2^64+1 reports the error, not a dry run', () => {
    const f = file();
    const before = fingerprint(f);
    const r = mmapx(['--json', 'patch', f, '--edit', `${(1n << 64n) + 1n}=11`, '--grow', '--dry-run'], { timeout: HANG });
    expectRefusedUntouched(r, 2, BAD, f, before);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ command: 'patch', ok: false, exitCode: 2 });
    expect(j.status).toBeUndefined();
  });

  it('the largest size itself is not refused as impossible (2^53-1 is past this filesystem or fine)', () => {
    // The boundary: growth to exactly MAX_FILE_SIZE is no input error; whether the filesystem
    // holds it decides between exit 0 (a sparse file) and exit 1 (EFBIG). Dry run: nothing changes.
    const f = file();
    const before = fingerprint(f);
    const r = mmapx(['patch', f, '--edit', `${MAX_FILE_SIZE - 1n}=11`, '--grow', '--dry-run', '--no-hash'], { timeout: HANG });
    expect(r.signal, r.dump).toBeNull();
    expect([0, 1], r.dump).toContain(r.status);
    if (r.status === 1)
      expect(r.stderr, r.dump).toMatch(/cannot grow the file to 9007199254740991 bytes: its filesystem holds files of at most \d+ bytes \(EFBIG\)\n$/);
    expect(fingerprint(f)).toBe(before);
  });
});

describe('hexdump -s past the end of a regular file', () => {
  // A start past the end is not an impossible size: hexdump -C prints the end offset and exits 0
  // (test/cli/hexdump-past-end.test.ts compares with the peers). Only a start outside the signed
  // 64-bit range is an input error.
  for (const [sizeName, size] of SIZES) {
    const outside = size > (1n << 63n) - 1n;
    it(`hexdump -s ${sizeName}: ${outside ? 'exit 2, one line' : 'the end offset, exit 0'}, untouched`, () => {
      const f = file();
      const before = fingerprint(f);
      const r = mmapx(['hexdump', f, '-s', size.toString()], { timeout: HANG });
      if (outside) {
        expectRefusedUntouched(r, 2, BAD, f, before);
      } else {
        expect(r.signal, r.dump).toBeNull();
        expect(r.status, r.dump).toBe(0);
        expect(r.stdout).toBe('00000008\n');
        expect(fingerprint(f)).toBe(before);
      }
    });
  }
});

describe('impossible counts', () => {
  it('patch --count past 2^53-1 says the limit, exit 2, untouched', () => {
    for (const [count, line] of [
      ['9007199254740993', /--count 9007199254740993 must be at most 2\^53-1$/],
      ['0x7ffffffffffffffe', /--count 0x7ffffffffffffffe must be at most 2\^53-1$/],
      ['10000000000000000000', /bad count "10000000000000000000": .* out of the signed 64-bit range/],
    ] as const) {
      const f = file();
      const before = fingerprint(f);
      expectRefusedUntouched(mmapx(['patch', f, '--find', '41', '--replace', '42', '--count', count], { timeout: HANG }), 2, line, f, before);
    }
  });
});

describe.skipIf(!ROOT_USER)('impossible offsets on a device (mknod in a temporary directory)', () => {
  // A private zero device: reading it is harmless, and nothing here gets as far as mapping it.
  const dev = join(dir, 'zero');
  beforeAll(() => execFileSync('mknod', [dev, 'c', '1', '5']));
  const cases: Record<string, (v: string) => string[]> = {
    'cat --force DEV 0:V': (v) => ['cat', '--force', dev, `0:${v}`],
    'cat --force DEV V:1': (v) => ['cat', '--force', dev, `${v}:1`],
    'hash --force DEV --range V:1': (v) => ['hash', '--force', dev, '--range', `${v}:1`],
    'flush --force DEV --range 0:V': (v) => ['flush', '--force', dev, '--range', `0:${v}`],
    'write --force DEV V 11': (v) => ['write', '--force', dev, v, '11'],
    'hexdump --force DEV -s V -n 16': (v) => ['hexdump', '--force', dev, '-s', v, '-n', '16'],
    'hexdump --force DEV -n V (no end to stop at)': (v) => ['hexdump', '--force', dev, '-n', v],
  };
  for (const [name, args] of Object.entries(cases)) {
    for (const [sizeName, size] of SIZES) {
      it(`${name} with V = ${sizeName}`, () => {
        const r = mmapx(args(size.toString()), { timeout: HANG });
        expect(r.signal, r.dump).toBeNull();
        expectFailure(r, 2, BAD);
        expect(r.stderr, r.dump).not.toMatch(RAW);
        // Not a made-up file size: a device has none.
        expect(r.stderr, r.dump).not.toMatch(/\(size 9007199254740991\)|\(size 0x1fffffffffffff\)/);
      });
    }
  }
});

describe('sizes past the filesystem or the process limit: exit 1, EFBIG, before any work', () => {
  /** Runs the CLI with RLIMIT_FSIZE set to `blocks` by the shell's `ulimit -f`. */
  const limited = (blocks: number, args: string[]): Run =>
    runCommand(['sh', '-c', `ulimit -f ${blocks} && exec "$0" "$@"`, process.execPath, BIN], args, { env: PINNED_ENV, timeout: HANG });
  const LIMIT_LINE =
    /^mmapx: (write|patch): .*: cannot grow the file to 1048577 bytes: the file size limit of this process \(ulimit -f\) is \d+ bytes \(EFBIG\)$/;

  it.each([
    ['write --grow', (f: string) => ['write', f, '1M', '11', '--grow']],
    ['write --grow --fill', (f: string) => ['write', f, '1048576', '--fill', '7', '--length', '1', '--grow']],
    ['patch --edit --grow', (f: string) => ['patch', f, '--edit', '1M=11', '--grow']],
    ['patch --edit --grow --dry-run', (f: string) => ['patch', f, '--edit', '1M=11', '--grow', '--dry-run']],
    ['patch "size after" --grow', (f: string) => ['patch', f, patchFile('size after 1048577\n'), '--grow']],
    ['patch --no-journal --grow', (f: string) => ['patch', f, '--edit', '1M=11', '--grow', '--no-journal']],
  ])('%s past ulimit -f', (_name, args) => {
    const f = file();
    const before = fingerprint(f);
    expectRefusedUntouched(limited(64, args(f)), 1, LIMIT_LINE, f, before);
  });

  it('--json: one object with the code EFBIG', () => {
    const f = file();
    const r = limited(64, ['--json', 'write', f, '1M', '11', '--grow']);
    expect(r.status, r.dump).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ command: 'write', ok: false, exitCode: 1, error: { code: 'EFBIG' } });
  });

  it('within the limit, the same grow works', () => {
    const f = file();
    const r = limited(4096, ['write', f, '1M', '11', '--grow']);
    expectSuccess(r);
    expect(readFileSync(f).length).toBe(1048577);
  });

  // The filesystem's own limit (ext4: 16 TiB minus a block), where the temporary directory has one
  // below the largest size mmapx gives a file; tmpfs, XFS and Btrfs hold 8 EiB and skip this.
  const probe = (): bigint | undefined => {
    const p = file();
    const fd = openSync(p, 'r');
    try {
      const limit = fileSizeLimit(fd, MAX_FILE_SIZE);
      return limit?.by === 'filesystem' ? limit.bytes : undefined;
    } finally {
      closeSync(fd);
    }
  };
  const fsLimit = probe();
  it.skipIf(fsLimit === undefined).each([
    ['write --grow', (f: string, at: string) => ['write', f, at, '11', '--grow']],
    ['patch --edit --grow', (f: string, at: string) => ['patch', f, '--edit', `${at}=11`, '--grow']],
    ['patch --edit --grow --dry-run', (f: string, at: string) => ['patch', f, '--edit', `${at}=11`, '--grow', '--dry-run']],
  ])('%s one byte past the filesystem limit', (_name, args) => {
    const f = file();
    const before = fingerprint(f);
    const r = mmapx(args(f, String(fsLimit)), { timeout: HANG });
    expectRefusedUntouched(
      r,
      1,
      new RegExp(`: cannot grow the file to ${fsLimit! + 1n} bytes: its filesystem holds files of at most ${fsLimit} bytes \\(EFBIG\\)$`),
      f,
      before,
    );
  });
});

describe('a grow is a change: reported as written, with the sizes, and synced', () => {
  it('write --grow of zeros past the end (status written, not already)', () => {
    const f = file('AB');
    const r = mmapx(['--json', 'write', f, '2', '0000', '--grow']);
    expectSuccess(r);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ status: 'written', offset: 2, length: 2, old: '', new: '0000', grewFrom: 2, grewTo: 4 });
    expect(j.synced).not.toBeNull();
    expect(Object.keys(j.timings as object)).toContain('fsync');
    expect([...readFileSync(f)]).toEqual([0x41, 0x42, 0, 0]);
    // Now the bytes are there and the size is right: already.
    const again = mmapx(['--json', 'write', f, '2', '0000', '--grow']);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'already', grewFrom: null, grewTo: null });
  });

  it('the text summary says it wrote and grew, not "nothing written"', () => {
    const f = file('AB');
    const r = mmapx(['write', f, '1', '4200', '--grow']);
    expectSuccess(r);
    expect(r.stderr, r.dump).toMatch(/^wrote 2 bytes at 0x1 \(42 -> 42 00\), file grown from 2 to 3 bytes in /);
    expect(r.stderr).not.toMatch(/already|nothing written|not synced/);
    const z = file('AB');
    const zr = mmapx(['write', z, '4', '--fill', '0', '--length', '3', '--grow']);
    expect(zr.stderr, zr.dump).toMatch(/^wrote 3 bytes at 0x4 \(past the end -> 00 00 00\), file grown from 2 to 7 bytes in /);
    expect(readFileSync(z).length).toBe(7);
  });

  it('write --grow --no-sync says so and reports no sync', () => {
    const f = file('AB');
    const r = mmapx(['--json', 'write', f, '2', '00', '--grow', '--no-sync']);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'written', synced: null, grewTo: 3 });
  });

  it('patch --grow of zeros (the same class): applied with the new size, then already', () => {
    const f = file('AB');
    const r = mmapx(['--json', 'patch', f, '--edit', '2=0000', '--grow']);
    expectSuccess(r);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'applied', sizeBefore: 2, sizeAfter: 4 });
    expect(readFileSync(f).length).toBe(4);
    expect(JSON.parse(mmapx(['--json', 'patch', f, '--edit', '2=0000', '--grow']).stdout)).toMatchObject({ status: 'already' });
  });
});
