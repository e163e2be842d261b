// writeAt as a library user calls it (mmapx/edit): guards that fail as typed errors naming the
// offset and both byte strings (file byte-identical), already written, growth, fills, offsets from
// the end, a pending journal, the lock, cancellation. In-process: nothing is spawned.
import { closeSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GuardError, InputError, OperationError, PastEndError, writeAt, WriteGuardError, type WriteOutcome } from '../../src/edit/index.js';
import { journalPath } from '../../src/edit/journal.js';
import { tryLockFile } from '../../src/mmap/sys/flock.js';
import { fingerprint } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-edit-write-');
let n = 0;

/** A fresh file holding `bytes`. */
function file(bytes: Uint8Array | string): string {
  const p = join(dir, `f${n++}.bin`);
  writeFileSync(p, bytes);
  return p;
}

const bytes = (...v: number[]) => Uint8Array.from(v);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('writeAt', () => {
  it('writes the bytes in place and says what was there', async () => {
    const p = file('hello world!');
    const r: WriteOutcome = await writeAt(p, 6, Buffer.from('WO'));
    expect(r).toMatchObject({ status: 'written', path: p, offset: 6n, length: 2, grewFrom: null, grewTo: null });
    expect(hex(r.old)).toBe(hex(Buffer.from('wo')));
    expect(hex(r.new)).toBe(hex(Buffer.from('WO')));
    expect(r.synced).not.toBeNull();
    expect(readFileSync(p, 'utf8')).toBe('hello WOrld!');
  });

  it('a second call finds the bytes there: already, nothing written', async () => {
    const p = file('abcdef');
    const guard = { expect: Buffer.from('cd') };
    expect((await writeAt(p, 2, Buffer.from('CD'), guard)).status).toBe('written');
    const again = await writeAt(p, 2, Buffer.from('CD'), guard);
    expect(again.status).toBe('already');
    expect(again.synced).toBeNull();
    expect(readFileSync(p, 'utf8')).toBe('abCDef');
  });

  it('a failed guard is a WriteGuardError with the offset, expected and found bytes; the file is unchanged', async () => {
    const p = file('abcdef');
    const before = fingerprint(p);
    const err = await writeAt(p, 1, bytes(0x58, 0x59), { expect: bytes(0x41, 0x42) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteGuardError);
    expect(err).toBeInstanceOf(GuardError);
    const g = err as WriteGuardError;
    expect(g.reason).toBe('differs');
    expect(g.offset).toBe(1n);
    expect(g.path).toBe(p);
    expect(g.exitCode).toBe(3);
    expect(hex(g.expected)).toBe('4142');
    expect(hex(g.found)).toBe(hex(Buffer.from('bc')));
    expect(g.message).toBe('bytes at 0x1 are 62 63, expected 41 42; nothing written');
    expect(fingerprint(p)).toBe(before);
  });

  it('a guard past the end of the file fails with what is there, and nothing grows', async () => {
    const p = file('abcd');
    const before = fingerprint(p);
    const err = (await writeAt(p, 2, bytes(1, 2, 3), { expect: bytes(0x63, 0x64, 0), grow: true }).catch((e: unknown) => e)) as WriteGuardError;
    expect(err).toBeInstanceOf(WriteGuardError);
    expect(err.reason).toBe('past-end');
    expect(err.fileSize).toBe(4n);
    expect(hex(err.found)).toBe(hex(Buffer.from('cd')));
    expect(err.message).not.toMatch(/--/); // the engine names no CLI flag
    expect(fingerprint(p)).toBe(before);
  });

  it('past the end without grow: PastEndError (no flag advice), file unchanged; with grow the file grows', async () => {
    const p = file('abcd');
    const before = fingerprint(p);
    const err = (await writeAt(p, 3, bytes(1, 2)).catch((e: unknown) => e)) as PastEndError;
    expect(err).toBeInstanceOf(PastEndError);
    expect(err).toBeInstanceOf(InputError);
    expect({ offset: err.offset, length: err.length, size: err.size, path: err.path }).toEqual({ offset: 3n, length: 2, size: 4n, path: p });
    expect(err.message).toBe('writing 2 bytes at 0x3 ends past the end of the file (size 0x4)');
    expect(fingerprint(p)).toBe(before);

    const r = await writeAt(p, 6, bytes(0x7a), { grow: true });
    expect(r).toMatchObject({ status: 'written', grewFrom: 4n, grewTo: 7n });
    expect(r.old.length).toBe(0); // nothing existed there
    expect(readFileSync(p)).toEqual(Buffer.from([0x61, 0x62, 0x63, 0x64, 0, 0, 0x7a]));
  });

  it('a negative offset counts back from the end; -0 is the end itself (with grow)', async () => {
    const p = file('abcdef');
    expect((await writeAt(p, -2, Buffer.from('EF'))).offset).toBe(4n);
    expect(readFileSync(p, 'utf8')).toBe('abcdEF');
    expect((await writeAt(p, -0, Buffer.from('!'), { grow: true })).offset).toBe(6n);
    expect((await writeAt(p, -1n, Buffer.from('?'))).offset).toBe(6n);
    expect(readFileSync(p, 'utf8')).toBe('abcdEF?');
  });

  it('a fill writes one byte repeated without a buffer of that size', async () => {
    const p = file(Buffer.alloc(4096, 1));
    const r = await writeAt(p, 100, { fill: 0xff, length: 3000 });
    expect(r).toMatchObject({ status: 'written', length: 3000 });
    expect(r.new.length).toBe(64);
    const now = readFileSync(p);
    expect(now.subarray(100, 3100).every((b) => b === 0xff)).toBe(true);
    expect(now[99]).toBe(1);
    expect(now[3100]).toBe(1);
    expect((await writeAt(p, 100, { fill: 0xff, length: 3000 })).status).toBe('already');
  });

  it('bad arguments are InputErrors before the file is touched', async () => {
    const p = file('abcd');
    const before = fingerprint(p);
    await expect(writeAt(p, 0, bytes(1, 2), { expect: bytes(1) })).rejects.toThrow(InputError);
    await expect(writeAt(p, 0, new Uint8Array(0))).rejects.toThrow(InputError);
    await expect(writeAt(p, 0, { fill: 256, length: 1 })).rejects.toThrow(InputError);
    await expect(writeAt(p, 0.5, bytes(1))).rejects.toThrow(InputError);
    await expect(writeAt(p, 5, bytes(1))).rejects.toThrow(/past the end/);
    expect(fingerprint(p)).toBe(before);
  });

  it('refuses while a journal of an interrupted patch is beside the file', async () => {
    const p = file('abcd');
    writeFileSync(journalPath(p), 'x');
    const before = fingerprint(p);
    const err = await writeAt(p, 0, bytes(0x41)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationError);
    expect(fingerprint(p)).toBe(before);
  });

  it('a missing file is an OperationError with its errno name', async () => {
    const err = (await writeAt(join(dir, 'missing.bin'), 0, bytes(1)).catch((e: unknown) => e)) as OperationError;
    expect(err).toBeInstanceOf(OperationError);
    expect(err.code).toBe('ENOENT');
  });

  it('waits for a lock without blocking the event loop, and an abort stops the wait', async () => {
    const p = file('abcd');
    const fd = openSync(p, 'r');
    try {
      expect(tryLockFile(fd, 'exclusive')).toBe('locked');
      const ac = new AbortController();
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const pending = writeAt(p, 0, bytes(0x41), { lockWait: 30, signal: ac.signal });
      setTimeout(() => ac.abort(), 100);
      await expect(pending).rejects.toThrow(/abort/i);
      clearInterval(timer);
      expect(ticks).toBeGreaterThan(0);
      expect(readFileSync(p, 'utf8')).toBe('abcd');
    } finally {
      closeSync(fd);
    }
  });

  it('reports its phases to a clock', async () => {
    const p = file('abcd');
    const laps: string[] = [];
    await writeAt(p, 8, bytes(1), { grow: true, clock: { lap: (name) => laps.push(name) } });
    expect(laps).toEqual(['open', 'ffi', 'grow', 'map', 'compare', 'write', 'msync', 'fsync']);
    expect(statSync(p).size).toBe(9);
  });
});

describe('writeAt with the bytes of another file, a window at a time', () => {
  const MiB = 1024 * 1024;
  /** 20 MiB of a pattern (three windows of 8 MiB), and a source file holding them. */
  const pattern = (seed: number) => Buffer.from(Array.from({ length: 20 * MiB }, (_, i) => (i * 31 + seed) & 0xff));

  it('writes data longer than a window, says already when it is there, and quotes its first bytes', async () => {
    const data = pattern(5);
    const src = file(data);
    const target = file(Buffer.alloc(21 * MiB));
    const fd = openSync(src, 'r');
    try {
      const source = { file: { fd, path: src }, offset: 0n, length: data.length };
      const r = await writeAt(target, 1, source);
      expect(r.status).toBe('written');
      expect(hex(r.new)).toBe(hex(data.subarray(0, 64)));
      expect(r.synced).toEqual({ offset: 0n, length: 20 * MiB + 4096 });
      const now = readFileSync(target);
      expect(now.subarray(1, 1 + data.length).equals(data)).toBe(true);
      expect(now[0]).toBe(0);
      expect((await writeAt(target, 1, source)).status).toBe('already');
    } finally {
      closeSync(fd);
    }
  });

  it('a guard that fails in the last window writes nothing in the first', async () => {
    const data = pattern(9);
    const old = pattern(1);
    const target = file(old);
    const before = fingerprint(target);
    const expect_ = Buffer.from(old);
    expect_[expect_.length - 1]! ^= 0xff; // differs only in the third window
    const fd = openSync(file(data), 'r');
    try {
      const err = await writeAt(target, 0, { file: { fd, path: 'src' }, offset: 0n, length: data.length }, { expect: expect_ }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WriteGuardError);
      expect(fingerprint(target)).toBe(before);
    } finally {
      closeSync(fd);
    }
  });

  it('a source that ends before its length is an error, and a grown file gets its size back', async () => {
    const target = file('abcd');
    const src = file('xy');
    const fd = openSync(src, 'r');
    try {
      const err = await writeAt(target, 2, { file: { fd, path: src }, offset: 0n, length: 5 }, { grow: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OperationError);
      expect((err as Error).message).toContain(`the data (${src}) ended at 2 bytes of 5`);
      expect(readFileSync(target, 'utf8')).toBe('abcd');
    } finally {
      closeSync(fd);
    }
  });
});
