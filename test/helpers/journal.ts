// Writes mmapx journals from the documented format (src/cli/journal.ts, version 1) without the
// tool's own code, so that recover's tests also check the format as documented.
import { createHash } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';

export interface TestRecord {
  offset: number;
  bytes: Uint8Array;
}

export interface TestJournal {
  dev: bigint;
  ino: bigint;
  sizeBefore: number;
  sizeAfter: number;
  records: TestRecord[];
  /** The writer's pid (default: one that is not running). */
  pid?: number;
  /** When it was written, ms since the epoch (default 0: unknown). */
  created?: number;
}

/** The journal's bytes: header, records, trailer (checksum over header + records). */
export function journalBytes(j: TestJournal): Buffer {
  const head = Buffer.alloc(64);
  head.write('MMAPXJNL', 0, 'latin1');
  head.writeUInt32LE(1, 8);
  head.writeUInt32LE(64, 12);
  head.writeBigUInt64LE(j.dev, 16);
  head.writeBigUInt64LE(j.ino, 24);
  head.writeBigUInt64LE(BigInt(j.sizeBefore), 32);
  head.writeBigUInt64LE(BigInt(j.sizeAfter), 40);
  head.writeBigUInt64LE(BigInt(j.pid ?? 0), 48);
  head.writeBigUInt64LE(BigInt(j.created ?? 0), 56);
  const parts: Buffer[] = [head];
  for (const r of j.records) {
    const rh = Buffer.alloc(12);
    rh.writeBigUInt64LE(BigInt(r.offset), 0);
    rh.writeUInt32LE(r.bytes.length, 8);
    parts.push(rh, Buffer.from(r.bytes));
  }
  const body = Buffer.concat(parts);
  const trailer = Buffer.alloc(56);
  trailer.write('MMAPXEND', 0, 'latin1');
  trailer.writeBigUInt64LE(BigInt(j.records.length), 8);
  trailer.writeBigUInt64LE(BigInt(body.length), 16);
  createHash('sha256').update(body).digest().copy(trailer, 24);
  return Buffer.concat([body, trailer]);
}

/** The identity the journal must record for `path`. */
export function identity(path: string): { dev: bigint; ino: bigint } {
  const st = statSync(path, { bigint: true });
  return { dev: st.dev, ino: st.ino };
}

/** Writes `bytes` as the journal at `at`, mode 0600. */
export function putJournal(at: string, bytes: Uint8Array): void {
  writeFileSync(at, bytes, { mode: 0o600 });
}
