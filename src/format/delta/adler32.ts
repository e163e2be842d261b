/**
 * Adler-32 (RFC 1950), the per-window checksum xdelta3 adds to VCDIFF (`VCD_ADLER32`). Pure.
 */

/** The largest n such that 255 n (n + 1) / 2 + (n + 1) (65521 - 1) < 2^32: sums stay exact in 32 bits. */
const NMAX = 5552;
const MOD = 65521;

/**
 * The Adler-32 of `bytes`, continuing from `value` (1 for a fresh checksum), so that a long range can be
 * checked in pieces: `adler32(b, adler32(a))` is the checksum of `a` then `b`.
 */
export function adler32(bytes: Uint8Array, value = 1): number {
  let a = value & 0xffff;
  let b = (value >>> 16) & 0xffff;
  let i = 0;
  while (i < bytes.length) {
    const end = Math.min(bytes.length, i + NMAX);
    for (; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}
