/**
 * Absolute offsets as two 32-bit halves held in numbers: exact for the whole 64-bit range (a
 * single number would be exact only up to 2^53), cheap to advance on the hot path, and the
 * halves are what a hex offset field is printed from.
 */

export const TWO32 = 4294967296;

/** A mutable absolute offset `hi * 2^32 + lo`, 0 <= hi, lo < 2^32. */
export class Offset {
  constructor(
    public hi: number,
    public lo: number,
  ) {}

  /**
   * Advance by `n` bytes (0 <= n < 2^52), modulo 2^64: a shown offset (xxd -o) may pass 2^64 and
   * wrap to 0, as in xxd; no file offset reaches it.
   */
  add(n: number): void {
    let lo = this.lo + n;
    if (lo >= TWO32) {
      const carry = Math.floor(lo / TWO32);
      this.hi = (this.hi + carry) % TWO32;
      lo -= carry * TWO32;
    }
    this.lo = lo;
  }

  /** A copy advanced by `n` bytes. */
  plus(n: number): Offset {
    const o = new Offset(this.hi, this.lo);
    o.add(n);
    return o;
  }

  /** Decimal digits, exact at any size. */
  decimal(): string {
    // Below 2^53 a number is exact; only above it is the bigint detour needed.
    return this.hi < 0x200000 ? String(this.hi * TWO32 + this.lo) : ((BigInt(this.hi) << 32n) | BigInt(this.lo)).toString();
  }

  /**
   * `%08ld` of the offset read as a signed 64-bit number, as xxd -d prints it: at least 8
   * characters, zero-padded after a minus sign (`-0000005`), negative from 2^63 on.
   */
  signedDecimal08(): string {
    if (this.hi < 0x80000000) return this.decimal().padStart(8, '0');
    const v = (1n << 64n) - ((BigInt(this.hi) << 32n) | BigInt(this.lo));
    return `-${v.toString().padStart(7, '0')}`;
  }

  /** `%08x`: at least 8 lowercase hex digits. */
  hex(): string {
    const lo = this.lo.toString(16).padStart(8, '0');
    return this.hi === 0 ? lo : this.hi.toString(16) + lo;
  }
}
