/**
 * VCDIFF (RFC 3284) written from {@link DeltaOp}s, readable by `xdelta3 -d -s SOURCE`. Pure.
 *
 * The target is cut into windows (8 MiB by default). Each window gets one source segment, the span of
 * the source its source copies read, and its ops become ADD (literal bytes), RUN (fills) and COPY
 * instructions of the default code table, with the RFC's address cache (SELF, HERE, 4 NEAR, 3 SAME
 * modes; the mode giving the smallest number is chosen) and the combined ADD+COPY and COPY+ADD
 * opcodes where sizes allow. No secondary compression. Target bytes that no op covers are the
 * source's bytes at the same offset (a source copy), or zeros past the source's end.
 *
 * Two things VCDIFF as xdelta3 reads it cannot say: a copy of target bytes made by an earlier window
 * (that needs VCD_TARGET windows, which xdelta3 does not implement) and bsdiff/UPS-style add/xor ops.
 * Both are written as literal bytes, which needs the target's bytes: the caller that has them (a diff
 * reading the new file) passes `target`, which also gives every window xdelta3's Adler-32 checksum.
 *
 * Memory: one window's instructions and literal bytes at a time; the ops are read as they come.
 */

import { InputError } from '../../errors.js';
import { adler32 } from './adler32.js';
import type { DeltaOp } from './model.js';
import { NEAR_SLOTS, SAME_SLOTS, VCD_ADLER32, VCD_APPHEADER, VCD_SOURCE, VCDIFF_MAGIC, VCDIFF_MAX_WINDOW } from './vcdiff.js';

/** What {@link encodeVcdiff} needs besides the ops. */
export interface VcdiffEncodeHeader {
  /** The target's size: the ops lie in `[0, targetSize)`. */
  readonly targetSize: bigint;
  /** The source's size: source copies lie in `[0, sourceSize)`. */
  readonly sourceSize: bigint;
  /** Target bytes per window (default 8 MiB; at most 64 MiB, the most xdelta3 reads). */
  readonly windowSize?: number;
  /** The application header; xdelta3 writes `TARGET//SOURCE/` (names without directories). */
  readonly appHeader?: string;
  /**
   * The target's bytes `[at, at + length)` (length at most the window size), when the caller has them:
   * then each window carries its Adler-32, and copies of earlier windows and add/xor ops are written
   * as literals. Without it such ops are an error.
   */
  readonly target?: (at: bigint, length: number) => Uint8Array;
}

/** The default window: xdelta3's default input window (XD3_DEFAULT_WINSIZE). */
export const VCDIFF_DEFAULT_WINDOW = 1 << 23;

/** A growable byte buffer. */
class Bytes {
  #buf = new Uint8Array(256);
  length = 0;
  #room(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.length + n));
    grown.set(this.#buf.subarray(0, this.length));
    this.#buf = grown;
  }
  byte(b: number): void {
    this.#room(1);
    this.#buf[this.length++] = b;
  }
  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.length);
    this.length += b.length;
  }
  /** A big-endian base-128 integer (RFC 3284 section 2). */
  int(n: number): void {
    let k = 1;
    while (n >= 128 ** k) k++;
    this.#room(k);
    for (let i = k - 1; i >= 0; i--) {
      const digit = Math.floor(n / 128 ** i) % 128;
      this.#buf[this.length++] = i > 0 ? digit | 0x80 : digit;
    }
  }
  view(): Uint8Array {
    return this.#buf.subarray(0, this.length);
  }
}

const intSize = (n: number): number => {
  let k = 1;
  while (n >= 128 ** k) k++;
  return k;
};

/** One instruction of a window: ADD (bytes), RUN (fill) or COPY (from the source or this window's target). */
type Inst =
  | { readonly kind: 'add'; readonly bytes: Uint8Array }
  | { readonly kind: 'run'; readonly value: number; readonly size: number }
  | { readonly kind: 'copy'; size: number; readonly source: boolean; readonly from: bigint };

/** The RFC's address cache, as encoder: picks the mode that gives the smallest number. */
class AddressCache {
  readonly #near = new Array<number>(NEAR_SLOTS).fill(0);
  #next = 0;
  readonly #same = new Array<number>(SAME_SLOTS * 256).fill(0);

  /** The best mode for `addr` at `here`, and the value to write (one byte for the SAME modes). */
  choose(addr: number, here: number): { mode: number; value: number } {
    const slot = addr % (SAME_SLOTS * 256);
    if (this.#same[slot] === addr) return { mode: 2 + NEAR_SLOTS + Math.floor(slot / 256), value: slot % 256 };
    let mode = 0;
    let value = addr;
    if (here - addr < value) {
      mode = 1;
      value = here - addr;
    }
    for (let i = 0; i < NEAR_SLOTS; i++) {
      const d = addr - this.#near[i]!;
      if (d >= 0 && d < value) {
        mode = 2 + i;
        value = d;
      }
    }
    return { mode, value };
  }

  update(addr: number): void {
    this.#near[this.#next] = addr;
    this.#next = (this.#next + 1) % NEAR_SLOTS;
    this.#same[addr % (SAME_SLOTS * 256)] = addr;
  }
}

/** Encodes one window's instructions (the default code table) into its three sections. */
function encodeWindow(insts: readonly Inst[], segLength: number, segOffset: bigint, start: bigint): { data: Bytes; inst: Bytes; addr: Bytes } {
  const data = new Bytes();
  const inst = new Bytes();
  const addr = new Bytes();
  const cache = new AddressCache();
  let here = segLength;
  const address = (i: Inst & { kind: 'copy' }): number => (i.source ? Number(i.from - segOffset) : segLength + Number(i.from - start));
  const writeAddr = (mode: number, value: number): void => {
    if (mode >= 2 + NEAR_SLOTS) addr.byte(value);
    else addr.int(value);
  };
  for (let k = 0; k < insts.length; k++) {
    const cur = insts[k]!;
    const next = insts[k + 1];
    if (cur.kind === 'add' && cur.bytes.length <= 4 && next?.kind === 'copy') {
      // ADD 1..4 then COPY 4..6 (NEAR modes and before) or COPY 4 (SAME modes): one opcode.
      const a = address(next);
      const { mode, value } = cache.choose(a, here + cur.bytes.length);
      const fits = mode < 2 + NEAR_SLOTS ? next.size >= 4 && next.size <= 6 : next.size === 4;
      if (fits) {
        const a1 = cur.bytes.length - 1;
        inst.byte(mode < 2 + NEAR_SLOTS ? 163 + 12 * mode + 3 * a1 + (next.size - 4) : 235 + 4 * (mode - 2 - NEAR_SLOTS) + a1);
        data.bytes(cur.bytes);
        writeAddr(mode, value);
        cache.update(a);
        here += cur.bytes.length + next.size;
        k++;
        continue;
      }
    }
    if (cur.kind === 'copy') {
      const a = address(cur);
      const { mode, value } = cache.choose(a, here);
      if (cur.size === 4 && next?.kind === 'add' && next.bytes.length === 1) {
        // COPY 4 then ADD 1: one opcode.
        inst.byte(247 + mode);
        writeAddr(mode, value);
        data.bytes(next.bytes);
        cache.update(a);
        here += 5;
        k++;
        continue;
      }
      if (cur.size >= 4 && cur.size <= 18) {
        inst.byte(19 + 16 * mode + (cur.size - 3));
      } else {
        inst.byte(19 + 16 * mode);
        inst.int(cur.size);
      }
      writeAddr(mode, value);
      cache.update(a);
      here += cur.size;
    } else if (cur.kind === 'add') {
      const n = cur.bytes.length;
      if (n <= 17) {
        inst.byte(1 + n);
      } else {
        inst.byte(1);
        inst.int(n);
      }
      data.bytes(cur.bytes);
      here += n;
    } else {
      inst.byte(0);
      inst.int(cur.size);
      data.byte(cur.value);
      here += cur.size;
    }
  }
  return { data, inst, addr };
}

/**
 * Writes a VCDIFF of `ops` (in increasing `at`, non-overlapping, as a {@link Delta} yields them) in
 * pieces: the header, then each window.
 * @throws {InputError} for ops out of order or out of range, and for target copies of earlier windows
 * and add/xor ops when `header.target` is not given.
 */
export function* encodeVcdiff(ops: Iterable<DeltaOp>, header: VcdiffEncodeHeader): Generator<Uint8Array> {
  const windowSize = header.windowSize ?? VCDIFF_DEFAULT_WINDOW;
  if (!Number.isInteger(windowSize) || windowSize < 1 || windowSize > VCDIFF_MAX_WINDOW) {
    throw new InputError(`VCDIFF window size ${windowSize} (1 to ${VCDIFF_MAX_WINDOW})`);
  }
  const { targetSize, sourceSize, target } = header;

  const head = new Bytes();
  head.bytes(Uint8Array.from([...VCDIFF_MAGIC, 0]));
  if (header.appHeader === undefined) {
    head.byte(0);
  } else {
    const app = new TextEncoder().encode(header.appHeader);
    head.byte(VCD_APPHEADER);
    head.int(app.length);
    head.bytes(app);
  }
  yield head.view();

  // The window being filled: [start, start + length), and its instructions.
  let start = 0n;
  let length = 0;
  let insts: Inst[] = [];

  function* flush(): Generator<Uint8Array> {
    let lo: bigint | undefined;
    let hi = 0n;
    for (const i of insts) {
      if (i.kind !== 'copy' || !i.source) continue;
      if (lo === undefined || i.from < lo) lo = i.from;
      const end = i.from + BigInt(i.size);
      if (end > hi) hi = end;
    }
    const segLength = lo === undefined ? 0 : Number(hi - lo);
    const sections = encodeWindow(insts, segLength, lo ?? 0n, start);
    const w = new Bytes();
    w.byte((lo === undefined ? 0 : VCD_SOURCE) | (target === undefined ? 0 : VCD_ADLER32));
    if (lo !== undefined) {
      w.int(segLength);
      w.int(Number(lo));
    }
    const lengths = [sections.data.length, sections.inst.length, sections.addr.length];
    const checksum = target === undefined ? 0 : 4;
    const encoding = intSize(length) + 1 + lengths.reduce((sum, n) => sum + intSize(n) + n, 0) + checksum;
    w.int(encoding);
    w.int(length);
    w.byte(0); // no compressed sections
    for (const n of lengths) w.int(n);
    if (target !== undefined) {
      const sum = adler32(target(start, length));
      w.bytes(Uint8Array.from([sum >>> 24, (sum >>> 16) & 0xff, (sum >>> 8) & 0xff, sum & 0xff]));
    }
    yield w.view();
    for (const s of [sections.data, sections.inst, sections.addr]) if (s.length > 0) yield s.view();
    start += BigInt(length);
    length = 0;
    insts = [];
  }

  /** A copy, merged into the previous one when it continues it (adjacent ops, identity gaps). */
  const copy = (source: boolean, from: bigint, size: number): void => {
    const last = insts.at(-1);
    if (last?.kind === 'copy' && last.source === source && last.from + BigInt(last.size) === from) last.size += size;
    else insts.push({ kind: 'copy', size, source, from });
  };

  const targetBytes = (at: bigint, n: number, why: string): Uint8Array => {
    if (target === undefined) throw new InputError(`VCDIFF cannot write ${why} at ${at} without the target's bytes`);
    const bytes = target(at, n);
    if (bytes.length !== n) throw new InputError(`the target's bytes at ${at}: ${bytes.length} bytes where ${n} were asked for`);
    return bytes;
  };

  /** Appends `size` target bytes at the window's end, made by `part(offset, n)` for each piece. */
  function* put(size: bigint, part: (offset: bigint, n: number) => void): Generator<Uint8Array> {
    let done = 0n;
    while (done < size) {
      if (length === windowSize) yield* flush();
      const n = Number(size - done < BigInt(windowSize - length) ? size - done : BigInt(windowSize - length));
      part(done, n);
      length += n;
      done += BigInt(n);
    }
  }

  /** Source bytes at the same offset (bytes no op covers), zeros past the source's end. */
  function* identity(from: bigint, to: bigint): Generator<Uint8Array> {
    const copyEnd = to < sourceSize ? to : sourceSize;
    if (from < copyEnd) yield* put(copyEnd - from, (o, n) => copy(true, from + o, n));
    const zerosFrom = from > sourceSize ? from : sourceSize;
    if (zerosFrom < to) yield* put(to - zerosFrom, (_, n) => insts.push({ kind: 'run', value: 0, size: n }));
  }

  let cursor = 0n;
  for (const op of ops) {
    const size = op.kind === 'data' || op.kind === 'add' || op.kind === 'xor' ? BigInt(op.bytes.length) : op.length;
    if (op.at < cursor) throw new InputError(`delta op at ${op.at} goes back before ${cursor}`);
    if (op.at + size > targetSize) throw new InputError(`delta op at ${op.at} of ${size} bytes runs past the target size ${targetSize}`);
    yield* identity(cursor, op.at);
    const at = op.at;
    switch (op.kind) {
      case 'source':
        if (op.from < 0n || op.from + op.length > sourceSize) {
          throw new InputError(`delta op at ${at} copies source [${op.from}, +${op.length}) past the source size ${sourceSize}`);
        }
        yield* put(size, (o, n) => copy(true, op.from + o, n));
        break;
      case 'target':
        if (op.from < 0n || op.from >= at) throw new InputError(`delta target copy at ${at} reads ahead from ${op.from}`);
        yield* put(size, (o, n) => {
          // The part that reads an earlier window's bytes becomes a literal; the rest copies this window.
          const from = op.from + o;
          const before = from < start ? Number(start - from < BigInt(n) ? start - from : BigInt(n)) : 0;
          if (before > 0) insts.push({ kind: 'add', bytes: targetBytes(at + o, before, 'a copy of an earlier window') });
          if (before < n) copy(false, from + BigInt(before), n - before);
        });
        break;
      case 'data':
        yield* put(size, (o, n) => insts.push({ kind: 'add', bytes: op.bytes.subarray(Number(o), Number(o) + n) }));
        break;
      case 'fill':
        yield* put(size, (_, n) => insts.push({ kind: 'run', value: op.value, size: n }));
        break;
      case 'add':
      case 'xor':
        yield* put(size, (o, n) => insts.push({ kind: 'add', bytes: targetBytes(at + o, n, `an ${op.kind} op`) }));
        break;
    }
    cursor = at + size;
  }
  yield* identity(cursor, targetSize);
  if (length > 0 || start === 0n) yield* flush();
}
