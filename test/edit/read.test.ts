// readRange as a library user calls it: the bytes of a range as a Readable stream, equal to what
// `mmapx cat` prints; the file's lock held until the stream ends or is destroyed; a slow consumer
// keeps a bounded amount queued whatever the file size; a truncation by another process is a
// stream error with code ERR_TRUNCATED, and no byte from past the new end is handed out.
import { randomBytes } from 'node:crypto';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, readRange } from '../../src/edit/index.js';
import { mmapx } from '../helpers/cli.js';
import { collect, lockFree } from '../helpers/edit.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-edit-read-');

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

describe('readRange', () => {
  const path = join(dir, 'data.bin');
  const data = randomBytes(3 * 1024 * 1024 + 123);
  writeFileSync(path, data);

  it('streams the whole file, and ranges as cat prints them', async () => {
    expect((await collect(readRange(path))).equals(data)).toBe(true);
    for (const range of ['0x10:32', '-64..', '..4K', '1048570..2097160']) {
      const cli = mmapx(['cat', path, range]);
      expect(cli.status, cli.dump).toBe(0);
      expect((await collect(readRange(path, { range }))).equals(cli.stdoutBytes)).toBe(true);
    }
    expect((await collect(readRange(path, { range: { offset: -100, length: 10 } }))).equals(data.subarray(data.length - 100, data.length - 90))).toBe(true);
    expect((await collect(readRange(path, { range: { offset: 5n } }))).equals(data.subarray(5))).toBe(true);
  });

  it('a range past the end is an InputError on the stream; the file is unchanged', async () => {
    const err = await collect(readRange(path, { range: `0:${data.length + 1}` })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(2);
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(lockFree(path)).toBe(true);
  });

  it('holds the lock until the stream ends, and destroy() releases it early', async () => {
    const s = readRange(path, { highWaterMark: 1 });
    const it = s[Symbol.asyncIterator]();
    const first = (await it.next()).value as Buffer;
    expect(first.length).toBeGreaterThan(0);
    expect(first.equals(data.subarray(0, first.length))).toBe(true);
    expect(lockFree(path)).toBe(false);
    const closed = new Promise((r) => s.once('close', r));
    s.destroy();
    await closed;
    expect(lockFree(path)).toBe(true);
    // Read to its end: released too.
    const t = readRange(path);
    await collect(t);
    expect(lockFree(path)).toBe(true);
  });

  it('a slow consumer keeps a bounded amount queued, however large the file', async () => {
    const big = join(dir, 'big.bin');
    writeFileSync(big, '');
    truncateSync(big, 48 * 1024 * 1024); // sparse: reads as zeros
    let produced = 0;
    let consumed = 0;
    let ahead = 0;
    const s = readRange(big, {
      highWaterMark: 64 * 1024,
      progress: {
        phase() {},
        update(done) {
          produced = Number(done);
          ahead = Math.max(ahead, produced - consumed);
        },
      },
    });
    let chunks = 0;
    for await (const chunk of s) {
      chunks++;
      consumed += (chunk as Buffer).length;
      for (let i = 0; i < 3; i++) await nextTurn(); // a slow consumer
      expect(s.readableLength).toBeLessThanOrEqual(2 * 1024 * 1024);
    }
    expect(consumed).toBe(48 * 1024 * 1024);
    expect(chunks).toBeGreaterThan(1);
    // Never more than a couple of 1 MiB slices read ahead of the consumer.
    expect(ahead).toBeLessThanOrEqual(3 * 1024 * 1024);
  });

  it('a truncation by another process is ERR_TRUNCATED, and nothing past the new end goes out', async () => {
    const cut = join(dir, 'cut.bin');
    const bytes = randomBytes(8 * 1024 * 1024);
    writeFileSync(cut, bytes);
    const s = readRange(cut, { highWaterMark: 1 });
    const got: Buffer[] = [];
    let error: unknown;
    try {
      for await (const chunk of s) {
        got.push(chunk as Buffer);
        if (got.length === 1) truncateSync(cut, 1024 * 1024 + 10);
      }
    } catch (e) {
      error = e;
    }
    expect((error as { code?: string }).code).toBe('ERR_TRUNCATED');
    // What came out was read before the cut: the file's own bytes, no zeros from past the new end.
    const all = Buffer.concat(got);
    expect(all.length).toBeLessThan(bytes.length);
    expect(all.equals(bytes.subarray(0, all.length))).toBe(true);
    expect(lockFree(cut)).toBe(true);
  });

  it('an aborted signal ends the stream with its reason and releases the file', async () => {
    const ac = new AbortController();
    const s = readRange(path, { signal: ac.signal, highWaterMark: 1 });
    const it = s[Symbol.asyncIterator]();
    await it.next();
    ac.abort(new Error('enough'));
    await expect(it.next()).rejects.toThrow();
    expect(lockFree(path)).toBe(true);
  });
});
