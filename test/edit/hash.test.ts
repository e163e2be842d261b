// hashRange as a library user calls it (mmapx/edit): the digest of a file or a range of it with
// each algorithm, the same as node:crypto's and zlib's over the same bytes; bad input as typed
// errors; progress and cancellation. In-process: nothing is spawned.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { journalPath } from '../../src/edit/journal.js';
import { DIGEST_ALGOS, type DigestAlgo, hashRange, hashStream, InputError, OperationError } from '../../src/edit/index.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-edit-hash-');
const content = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31 + 7) & 0xff));
const p = join(dir, 'f.bin');
writeFileSync(p, content);

const digest = (algo: 'sha256' | 'sha1' | 'md5', bytes: Uint8Array) => createHash(algo).update(bytes).digest('hex');

describe('hashRange', () => {
  it('sha256 of the whole file by default', async () => {
    expect(await hashRange(p)).toBe(digest('sha256', content));
  });

  it.each(['sha512', 'sha224', 'sha384', 'blake2b512', 'sha3-256'] as const)('%s of the file and of a range', async (algorithm) => {
    expect(await hashRange(p, { algorithm })).toBe(createHash(algorithm).update(content).digest('hex'));
    expect(await hashRange(p, { algorithm, range: '7:1000' })).toBe(createHash(algorithm).update(content.subarray(7, 1007)).digest('hex'));
  });

  it.each(['sha256', 'sha1', 'md5'] as const)('%s of a range (CLI syntax, or offset and length)', async (algorithm) => {
    expect(await hashRange(p, { algorithm, range: '0x100:1000' })).toBe(digest(algorithm, content.subarray(0x100, 0x100 + 1000)));
    expect(await hashRange(p, { algorithm, range: { offset: 5, length: 60_000 } })).toBe(digest(algorithm, content.subarray(5, 60_005)));
    expect(await hashRange(p, { algorithm, range: { offset: -16 } })).toBe(digest(algorithm, content.subarray(-16)));
  });

  const crc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
  it.skipIf(crc32 === undefined)('crc32 as 8 hex digits', async () => {
    expect(await hashRange(p, { algorithm: 'crc32' })).toBe(crc32!(content).toString(16).padStart(8, '0'));
  });

  it('an empty range hashes nothing', async () => {
    expect(await hashRange(p, { range: '10:0' })).toBe(digest('sha256', new Uint8Array(0)));
  });

  it('bad input is an InputError, a missing file an OperationError; the file is only read', async () => {
    await expect(hashRange(p, { algorithm: 'sha3-512' as DigestAlgo })).rejects.toBeInstanceOf(InputError);
    await expect(hashRange(p, { range: '0:70001' })).rejects.toBeInstanceOf(InputError);
    await expect(hashRange(p, { range: 'nonsense' })).rejects.toBeInstanceOf(InputError);
    const err = (await hashRange(join(dir, 'missing.bin')).catch((e: unknown) => e)) as OperationError;
    expect(err).toBeInstanceOf(OperationError);
    expect(err.code).toBe('ENOENT');
    expect(readFileSync(p).equals(content)).toBe(true);
  });

  it('hears_about_a_pending_journal_through_the_callback', async () => {
    const q = join(dir, 'journaled.bin');
    writeFileSync(q, 'abc');
    writeFileSync(journalPath(q), 'x');
    const heard: [string, string][] = [];
    expect(await hashRange(q, { onPendingJournal: (f, j) => heard.push([f, j]) })).toBe(digest('sha256', Buffer.from('abc')));
    expect(heard).toEqual([[q, journalPath(q)]]);
  });

  it('reports its phase and progress', async () => {
    const events: string[] = [];
    await hashRange(p, { progress: { phase: (label, total) => events.push(`${label} ${total}`), update: (done) => events.push(String(done)) } });
    expect(events).toEqual([`hash ${p} 70000`, '70000']);
  });

  it('an aborted signal stops it with the signal reason', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(hashRange(p, { signal: ac.signal })).rejects.toThrow('stop');
  });
});

describe('hashStream', () => {
  it('hashes_what_a_readable_gives_chunk_by_chunk_with_each_algorithm', async () => {
    for (const algorithm of DIGEST_ALGOS) {
      if (algorithm === 'crc32' && !(zlib as { crc32?: unknown }).crc32) continue;
      const seen: bigint[] = [];
      const r = await hashStream(Readable.from([content.subarray(0, 1000), content.subarray(1000)]), { algorithm, onChunk: (n) => seen.push(n) });
      expect(r, algorithm).toEqual({ digest: await hashRange(p, { algorithm }), algorithm, length: 70_000n });
      expect(seen).toEqual([1000n, 70_000n]);
    }
  });

  it('takes_a_generator_that_reuses_one_buffer', async () => {
    const buf = Buffer.alloc(4096);
    function* pieces() {
      for (let at = 0; at < content.length; at += buf.length) {
        const n = content.copy(buf, 0, at, at + buf.length);
        yield buf.subarray(0, n);
      }
    }
    expect(await hashStream(pieces())).toEqual({ digest: digest('sha256', content), algorithm: 'sha256', length: 70_000n });
    expect(await hashStream([])).toEqual({ digest: digest('sha256', new Uint8Array(0)), algorithm: 'sha256', length: 0n });
  });

  it('an_unknown_algorithm_is_an_input_error_and_the_source_errors_pass_through', async () => {
    await expect(hashStream([], { algorithm: 'sha3-512' as DigestAlgo })).rejects.toBeInstanceOf(InputError);
    const failing = new Readable({
      read() {
        this.destroy(new Error('broken source'));
      },
    });
    await expect(hashStream(failing)).rejects.toThrow('broken source');
  });
});
