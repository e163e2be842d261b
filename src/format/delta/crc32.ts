/**
 * CRC-32 as zlib, PNG, gzip, UPS and BPS compute it (IEEE 802.3: reflected polynomial 0xedb88320,
 * initial value and final xor 0xffffffff; the check value of "123456789" is 0xcbf43926).
 *
 * Streaming: `crc32(b, crc32(a))` equals `crc32(a + b)`, so a file or a patch is checked piece by
 * piece. zlib's own crc32 does the work where this Node has it and can hand zlib over without an
 * import (process.getBuiltinModule: 20.16+, 22.3+); elsewhere a slicing-by-8 table implementation
 * ({@link crc32Portable}) computes the same values. No static import of node:zlib: every command
 * that can meet a delta (patch) would load zlib at start-up, checksum or not.
 */

type Crc32Fn = (data: Uint8Array, value?: number) => number;

/** zlib.crc32 where this Node has it (undefined: not looked up yet; null: none). */
let native: Crc32Fn | null | undefined;

function nativeCrc32(): Crc32Fn | null {
  if (native === undefined) {
    const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
    const zlib = get?.('node:zlib') as { crc32?: Crc32Fn } | undefined;
    native = zlib?.crc32 ?? null;
  }
  return native;
}

/** The eight 256-entry tables of slicing-by-8, made on first use (nothing runs at import). */
let tables: Uint32Array | undefined;

function makeTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  // Table k: the CRC of byte n followed by k zero bytes, so that 8 bytes fold in one step.
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

/**
 * CRC-32 of `bytes`, continuing from `previous` (the CRC of the bytes before; 0 to start), in
 * plain JavaScript. The same values as {@link crc32}; exported so that tests compare the two.
 */
export function crc32Portable(bytes: Uint8Array, previous = 0): number {
  tables ??= makeTables();
  const t = tables;
  const b = bytes;
  const n = b.length;
  let c = ~previous | 0;
  let i = 0;
  // Per-byte work (no built-in computes a CRC where zlib.crc32 is missing), 8 bytes a step.
  for (; i + 8 <= n; i += 8) {
    const lo = c ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
    c =
      t[7 * 256 + (lo & 0xff)]! ^
      t[6 * 256 + ((lo >>> 8) & 0xff)]! ^
      t[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      t[4 * 256 + (lo >>> 24)]! ^
      t[3 * 256 + b[i + 4]!]! ^
      t[2 * 256 + b[i + 5]!]! ^
      t[256 + b[i + 6]!]! ^
      t[b[i + 7]!]!;
  }
  for (; i < n; i++) c = t[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * CRC-32 of `bytes`, continuing from `previous` (the CRC of the bytes before them; 0 to start):
 * an unsigned 32-bit number.
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const fn = nativeCrc32();
  return fn !== null ? fn(bytes, previous) >>> 0 : crc32Portable(bytes, previous);
}
