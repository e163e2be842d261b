// unhex as a library user calls it: a dump in chunks in, a file out. A new regular file gets its
// holes left sparse (st_blocks stays small) and its length set at the end; a sink that cannot seek
// gets zeros; --seek moves every offset; going back is allowed in a file (as xxd -r does) and
// refused on a stream; the output equals `xxd -r`'s where xxd -r reads the dump.
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fdSink, InputError, unhex, type UnhexOptions, type UnhexSink } from '../../src/edit/index.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-edit-unhex-');
const HAVE_XXD = !spawnSync('xxd', [], { input: 'x' }).error;
if (!HAVE_XXD) console.warn('NOTICE: xxd not installed; the comparisons with xxd -r are SKIPPED');

/** Unhexes `dump` into a new file at `path` (a sparse sink); returns the outcome. */
async function toFile(dump: string | string[], path: string, opts: UnhexOptions = {}) {
  const fd = openSync(path, 'wx');
  try {
    return await unhex(typeof dump === 'string' ? [dump] : dump, fdSink(fd, true), opts);
  } finally {
    closeSync(fd);
  }
}

/** Unhexes `dump` into memory through a sink that cannot seek. */
async function toStream(dump: string | Iterable<string>, opts: UnhexOptions = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  const sink: UnhexSink = { write: (b) => parts.push(Buffer.from(b)) };
  await unhex(typeof dump === 'string' ? [dump] : dump, sink, opts);
  return Buffer.concat(parts);
}

describe('holes', () => {
  it('a jump of 1 GiB in the offsets makes a sparse file: the size says 1 GiB, the blocks say almost nothing', async () => {
    const path = join(dir, 'sparse.bin');
    const outcome = await toFile('00000000: 4142  AB\n40000000: 4344  CD\n', path);
    expect(outcome).toMatchObject({ format: 'xxd', length: 0x40000002n, data: 4n, sparse: true, lines: 2 });
    const st = statSync(path);
    expect(st.size).toBe(0x40000002);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024);
    const fd = openSync(path, 'r');
    const head = Buffer.alloc(2);
    const tail = Buffer.alloc(2);
    readSync(fd, head, 0, 2, 0);
    readSync(fd, tail, 0, 2, 0x40000000);
    closeSync(fd);
    expect(head.toString() + tail.toString()).toBe('ABCD');
  });

  it('a squeezed run of zero lines and a final offset past the data are holes too', async () => {
    const path = join(dir, 'squeezed.bin');
    const dump = '00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n04000000  41  |A|\n04000001\n';
    const outcome = await toFile(dump, path);
    expect(outcome.length).toBe(0x4000001n);
    expect(statSync(path).blocks * 512).toBeLessThan(1024 * 1024);
    expect(
      readFileSync(path)
        .subarray(0x3fffff0)
        .equals(Buffer.concat([Buffer.alloc(16), Buffer.from('A')])),
    ).toBe(true);
  });

  it('on a sink that cannot seek, the holes are zeros, and the output is the same bytes', async () => {
    const dump = '00000000: 4142  AB\n00000100: 4344  CD\n';
    const want = Buffer.alloc(0x102);
    want.write('AB', 0);
    want.write('CD', 0x100);
    expect((await toStream(dump)).equals(want)).toBe(true);
  });
});

describe('offsets', () => {
  it('--seek adds to every offset, a negative one subtracts (xxd -r -s); before 0 is an error', async () => {
    const dump = '00000010: 4142  AB\n';
    expect((await toStream(dump, { seek: 0x10n })).equals(Buffer.concat([Buffer.alloc(0x20), Buffer.from('AB')]))).toBe(true);
    expect((await toStream(dump, { seek: -0x10n })).toString()).toBe('AB');
    const err = await toStream(dump, { seek: -0x11n, name: 'd' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe('d line 1: offset 0x10 with --seek -0x11 is before the start of the output');
  });

  it('xxd lines that go back overwrite in a file (as xxd -r does) and are refused on a stream', async () => {
    const dump = '00000004: 4546  EF\n00000000: 4142  AB\n';
    const path = join(dir, 'back.bin');
    await toFile(dump, path);
    expect(readFileSync(path).equals(Buffer.from('AB\0\0EF'))).toBe(true);
    const err = await toStream(dump, { name: 'd' }).catch((e: unknown) => e);
    expect((err as InputError).message).toBe('d line 2: offset 0x0 goes back (the output is at 0x6): only a file can be written out of order; use -o FILE');
  });

  it('the dump may come one byte at a time', async () => {
    const dump = '00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 01  |Hello, world!...|\n*\n00000030  74  |t|\n00000031\n';
    const pieces = Buffer.from(dump).toString('latin1').split('');
    const one = await toStream(pieces);
    expect(one.equals(await toStream(dump))).toBe(true);
    expect(one.length).toBe(0x31);
  });
});

describe.skipIf(!HAVE_XXD)('the same file as xxd -r', () => {
  const arbFile = fc.oneof(
    fc.uint8Array({ maxLength: 1000 }),
    fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 600 })).map(([b, z]) => Uint8Array.from(Buffer.concat([b, Buffer.alloc(z), b]))),
  );
  let n = 0;
  it.each([
    [['-g1'], [], 0n],
    [['-c8', '-g4'], ['-c8'], 0n],
    [['-a'], [], 0n],
    [[], ['-s', '0x100'], 0x100n],
    [['-p'], ['-p'], 0n],
  ])('xxd %j | xxd -r %j', async (dumpArgs, revArgs, seek) => {
    await fc.assert(
      fc.asyncProperty(arbFile, async (data) => {
        const input = join(dir, 'in.bin');
        writeFileSync(input, data);
        const dump = spawnSync('xxd', [...dumpArgs, input], { encoding: 'latin1' }).stdout;
        const theirs = spawnSync('xxd', ['-r', ...revArgs], { input: Buffer.from(dump, 'latin1') }).stdout;
        const out = join(dir, `ours-${n++}.bin`);
        await toFile(dump, out, { seek });
        expect(readFileSync(out).equals(theirs)).toBe(true);
      }),
      { numRuns: 15 },
    );
  });
});

describe('fdSink', () => {
  it('writes in order without seeking when the output is not a new file', async () => {
    const path = join(dir, 'seq.bin');
    const fd = openSync(path, 'w');
    await unhex(['4142\n', '4344\n'], fdSink(fd, false));
    expect(fstatSync(fd).size).toBe(4);
    closeSync(fd);
    expect(readFileSync(path, 'latin1')).toBe('ABCD');
  });
});
