// dump as a library user calls it: the text of a dump as a Readable stream, byte-identical to what
// `mmapx hexdump` prints for the same file and options (every format, across map windows); bad
// options are an InputError before the file is opened; the file's lock is held until the stream
// ends or is destroyed; a slow consumer keeps a bounded amount queued.
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, openSync, readFileSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dump, type DumpFileOptions, type DumpFormat, dumpReadable, InputError } from '../../src/edit/index.js';
import { dumpToString } from '../../src/format/dump/index.js';
import { mmapx } from '../helpers/cli.js';
import { collect, lockFree } from '../helpers/edit.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-edit-dump-');

// Random bytes, a run of zeros (squeezed lines) and text.
const small = join(dir, 'small.bin');
writeFileSync(small, Buffer.concat([randomBytes(1000), Buffer.alloc(300), Buffer.from('hello, world\n'.repeat(20)), randomBytes(77)]));

/** The same dump from the CLI and from the stream. */
const cases: [DumpFormat, string[], DumpFileOptions][] = [
  ['canonical', [], {}],
  ['canonical', ['-v', '-s', '100', '-n', '700'], { squeeze: false, offset: 100, length: 700 }],
  ['canonical', ['-s', '-64'], { offset: -64 }],
  ['canonical', ['-s', '0x10000'], { offset: 0x10000 }], // past the end: the offset line only
  ['xxd', ['-c', '7', '-g', '3', '-u'], { cols: 7, group: 3, upper: true }],
  ['xxd', ['-a'], { autoskip: true }],
  ['plain', [], {}],
  ['plain', ['-c', '0', '-n', '50'], { cols: 0, length: 50n }],
  ['c', [], {}],
  ['c', ['--name', 'firmware', '-c', '5'], { varName: 'firmware', cols: 5 }],
  ['json', ['-c', '100'], { cols: 100 }],
  ['xxd', ['-b', '-d', '-E', '-o', '-7', '-s', '5', '-l', '300'], { bits: true, decimal: true, ebcdic: true, displayOffset: -7n, offset: 5, length: 300 }],
  ['xxd', ['-e', '-g', '8'], { littleEndian: true, group: 8 }],
  ['canonical', ['-E', '-o', '0x1000'], { ebcdic: true, displayOffset: 0x1000n }],
  ['c', ['-n', 'fw', '-C'], { varName: 'fw', capitalize: true }],
  ['od', ['-t', 'x2', '-t', 'c', '-A', 'd', '-j', '3', '-N', '1500'], { types: ['x2', 'c'], addressRadix: 'd', offset: 3, length: 1500 }],
  ['hexdump-x', ['-v'], { squeeze: false }],
];

describe('dump', () => {
  it.each(cases)('%s %j: the stream equals the CLI output', async (format, flags, options) => {
    const cli = mmapx(['hexdump', '-f', format, ...flags, small]);
    expect(cli.status, cli.dump).toBe(0);
    expect((await collect(dump(small, format, options))).toString()).toBe(cli.stdout);
  });

  it('-n 0 prints nothing, as the CLI', async () => {
    expect(mmapx(['hexdump', '-n', '0', small]).stdout).toBe('');
    expect((await collect(dump(small, 'canonical', { length: 0 }))).length).toBe(0);
  });

  it('a file over several map windows, cut into steps, gives the CLI output', async () => {
    const big = join(dir, 'big.bin');
    const fd = openSync(big, 'w');
    try {
      // Data around the 16 MiB window edge and at both ends; zeros between (squeezed).
      writeSync(fd, randomBytes(5000), 0, 5000, 0);
      writeSync(fd, randomBytes(70_000), 0, 70_000, 16 * 1024 * 1024 - 33_333);
      writeSync(fd, randomBytes(999), 0, 999, 20 * 1024 * 1024);
    } finally {
      closeSync(fd);
    }
    const cli = mmapx(['hexdump', big]);
    expect(cli.status, cli.dump).toBe(0);
    expect((await collect(dump(big, 'canonical'))).equals(cli.stdoutBytes)).toBe(true);
  });

  it('bad options are an InputError before the file is opened', async () => {
    const missing = join(dir, 'missing.bin');
    await expect(collect(dump(missing, 'canonical', { group: 2 }))).rejects.toBeInstanceOf(InputError);
    await expect(collect(dump(missing, 'xxd', { cols: 999 }))).rejects.toBeInstanceOf(InputError);
    await expect(collect(dump(missing, 'bogus' as DumpFormat))).rejects.toBeInstanceOf(InputError);
    // With good options, the open fails.
    const err = await collect(dump(missing, 'xxd')).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('ENOENT');
  });

  it('holds the lock until the end, and destroy() releases it early', async () => {
    const big = join(dir, 'lock.bin');
    writeFileSync(big, randomBytes(2 * 1024 * 1024));
    const s = dump(big, 'xxd', { highWaterMark: 1 });
    const it = s[Symbol.asyncIterator]();
    expect(((await it.next()).value as Buffer).length).toBeGreaterThan(0);
    expect(lockFree(big)).toBe(false);
    const closed = new Promise((r) => s.once('close', r));
    s.destroy();
    await closed;
    expect(lockFree(big)).toBe(true);
    await collect(dump(big, 'plain'));
    expect(lockFree(big)).toBe(true);
  });

  it('a slow consumer keeps a bounded amount of text queued', async () => {
    const big = join(dir, 'slow.bin');
    writeFileSync(big, randomBytes(4 * 1024 * 1024));
    let dumped = 0;
    let consumed = 0;
    let ahead = 0;
    const s = dump(big, 'plain', {
      highWaterMark: 16 * 1024,
      progress: {
        phase() {},
        update(done) {
          dumped = Number(done);
          // Input bytes formatted ahead of the text taken (plain: 61 characters per 30 bytes).
          ahead = Math.max(ahead, dumped - (consumed * 30) / 61);
        },
      },
    });
    let maxQueued = 0;
    for await (const chunk of s) {
      consumed += (chunk as Buffer).length;
      maxQueued = Math.max(maxQueued, s.readableLength);
      await new Promise((r) => setImmediate(r));
    }
    expect(dumped).toBe(4 * 1024 * 1024);
    expect(consumed).toBe(readFileSync(big).length * 2 + Math.ceil((4 * 1024 * 1024) / 30));
    // The text of one engine chunk (1 MiB) and a step at most, not the file's 8 MiB of text.
    expect(maxQueued).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(ahead).toBeLessThanOrEqual(1024 * 1024);
  });

  it('a truncation by another process is ERR_TRUNCATED; the text before it is the dump of the file as it was', async () => {
    const cut = join(dir, 'cut.bin');
    const bytes = randomBytes(8 * 1024 * 1024);
    writeFileSync(cut, bytes);
    const s = dump(cut, 'plain', { highWaterMark: 1 });
    const got: Buffer[] = [];
    let error: unknown;
    try {
      for await (const chunk of s) {
        got.push(chunk as Buffer);
        if (got.length === 1) truncateSync(cut, 100_000);
      }
    } catch (e) {
      error = e;
    }
    expect((error as { code?: string }).code).toBe('ERR_TRUNCATED');
    const out = Buffer.concat(got).toString();
    const whole = dumpToString({ format: 'plain', start: 0n }, bytes);
    expect(out.length).toBeGreaterThan(0);
    expect(out.length).toBeLessThan(whole.length);
    expect(whole.startsWith(out)).toBe(true);
    expect(lockFree(cut)).toBe(true);
  });
});

describe('dumpReadable', () => {
  /** `bytes` as a stream of pieces cut at pseudo-random places (1-byte pieces when `step` is 1). */
  async function* pieces(bytes: Uint8Array, step: number): AsyncGenerator<Uint8Array> {
    let seed = 7;
    for (let at = 0; at < bytes.length; ) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const n = step === 1 ? 1 : 1 + (seed % step);
      yield bytes.subarray(at, at + n);
      at += n;
    }
  }
  const bytes = readFileSync(small);

  // (c without a name: see below.)
  it.each(cases.filter(([f, , o]) => (typeof o.offset !== 'number' || o.offset >= 0) && (f !== 'c' || o.varName !== undefined)))(
    '%s %j: the same text as dump of the file, in 1-byte and uneven pieces',
    async (format, _flags, options) => {
      const want = await collect(dump(small, format, options));
      for (const step of [1, 4096]) {
        expect((await collect(dumpReadable(pieces(bytes, step), format, options))).equals(want), `step ${step}`).toBe(true);
      }
    },
  );

  it('a Readable of a file: -n 0 prints nothing; an offset from the end is an InputError', async () => {
    expect((await collect(dumpReadable(createReadStream(small), 'canonical', { length: 0 }))).length).toBe(0);
    await expect(collect(dumpReadable(createReadStream(small), 'canonical', { offset: -4 }))).rejects.toBeInstanceOf(InputError);
    expect((await collect(dumpReadable(createReadStream(small), 'xxd'))).equals(await collect(dump(small, 'xxd')))).toBe(true);
    // c without a name: the entries of the named array only, as xxd -i of standard input.
    const named = (await collect(dump(small, 'c'))).toString().split('\n');
    expect((await collect(dumpReadable(createReadStream(small), 'c'))).toString()).toBe(`${named.slice(1, -3).join('\n')}\n`);
  });
});
