/**
 * VCDIFF (RFC 3284) as xdelta3 writes it, decoded to a {@link Delta}. Pure.
 *
 * A VCDIFF is a header (magic D6 C3 C4 00, indicator, secondary compressor id, application header)
 * and windows. Each window makes `target window length` bytes of the target, after the previous
 * windows' bytes, from three sections: data (ADD and RUN bytes), instructions (opcodes of the
 * default code table and their sizes) and addresses (COPY addresses, coded against a cache of recent
 * addresses). A COPY address below the window's segment length reads the segment (a range of the
 * source, or with VCD_TARGET of the target made so far); at or above it, the target window itself,
 * the segment's length first (so a copy may overlap what it writes, repeating a pattern).
 *
 * xdelta3's extensions: an Adler-32 of each target window after the section lengths (window
 * indicator bit 4, VCD_ADLER32), the application header (`target//source/`), and secondary
 * compression of each section (delta indicator bits) by lzma (xdelta3's default), djw or fgk; each
 * compressed section starts with its decompressed size. See vcdiff-secondary.ts.
 *
 * Lazy: `decodeVcdiff` reads the header and walks the window headers (checking that each window's
 * sections lie inside the patch) to find the target size; `ops()` decodes the windows one by one.
 * Ops come in target coordinates: a source COPY becomes a `source` op (`from === at` when the bytes do
 * not move, which the applier skips), a COPY of the window or an earlier target a `target` op.
 *
 * Hostile input: integers are bounded (at most 10 bytes, below 2^53), a target window is at most
 * 64 MiB (xdelta3's own limit), a decompressed section at most twice its window plus 1 KiB, and every
 * address, size and section length is checked before use; errors name the patch's byte offset.
 */

import { DjwDecoder } from './djw.js';
import { FgkDecoder } from './fgk.js';
import { XzSectionDecoder } from './lzma.js';
import type { Delta, DeltaCheck, DeltaOp } from './model.js';
import { type SecondaryDecoder, SectionError } from './vcdiff-secondary.js';
import { hex, PatchReader, u32beAt } from './wire.js';

/** The magic bytes (then the version byte, 0). */
export const VCDIFF_MAGIC = [0xd6, 0xc3, 0xc4] as const;

// Header indicator.
export const VCD_SECONDARY = 1;
export const VCD_CODETABLE = 2;
export const VCD_APPHEADER = 4;
// Window indicator.
export const VCD_SOURCE = 1;
export const VCD_TARGET = 2;
export const VCD_ADLER32 = 4;
// Delta indicator: which sections are compressed.
const SECTION_BITS = [1, 2, 4] as const;
const SECTION_NAMES = ['data', 'instructions', 'addresses'] as const;

/** The largest target window xdelta3 reads (XD3_HARDMAXWINSIZE), and so the largest this decoder reads. */
export const VCDIFF_MAX_WINDOW = 1 << 26;

/** xdelta3's secondary compressor ids (not IANA-registered: xdelta3's own). */
export const VCDIFF_SECONDARY: Readonly<Record<number, string>> = { 1: 'djw', 2: 'lzma', 16: 'fgk' };

function newSecondary(id: number): SecondaryDecoder {
  return id === 1 ? new DjwDecoder() : id === 16 ? new FgkDecoder() : new XzSectionDecoder();
}

// ---- the default code table (RFC 3284 section 5.6)

export const NOOP = 0;
export const ADD = 1;
export const RUN = 2;
export const COPY = 3;
/** Address modes: SELF, HERE, 4 NEAR slots, 3 SAME slots of 256 entries. */
export const NEAR_SLOTS = 4;
export const SAME_SLOTS = 3;
export const MODES = 2 + NEAR_SLOTS + SAME_SLOTS;

/** One code table entry: two half-instructions (type, size (0: read from the instructions), mode). */
export interface CodeTable {
  readonly type1: Uint8Array;
  readonly size1: Uint8Array;
  readonly mode1: Uint8Array;
  readonly type2: Uint8Array;
  readonly size2: Uint8Array;
  readonly mode2: Uint8Array;
}

function buildDefaultCodeTable(): CodeTable {
  const t = {
    type1: new Uint8Array(256),
    size1: new Uint8Array(256),
    mode1: new Uint8Array(256),
    type2: new Uint8Array(256),
    size2: new Uint8Array(256),
    mode2: new Uint8Array(256),
  };
  let i = 0;
  const one = (type: number, size: number, mode: number): void => {
    t.type1[i] = type;
    t.size1[i] = size;
    t.mode1[i] = mode;
    i++;
  };
  const two = (type1: number, size1: number, mode1: number, type2: number, size2: number, mode2: number): void => {
    t.type2[i] = type2;
    t.size2[i] = size2;
    t.mode2[i] = mode2;
    one(type1, size1, mode1);
  };
  one(RUN, 0, 0);
  for (let s = 0; s <= 17; s++) one(ADD, s, 0);
  for (let m = 0; m < MODES; m++) {
    one(COPY, 0, m);
    for (let s = 4; s <= 18; s++) one(COPY, s, m);
  }
  for (let m = 0; m < MODES; m++) {
    const maxCopy = m < 2 + NEAR_SLOTS ? 6 : 4;
    for (let a = 1; a <= 4; a++) for (let c = 4; c <= maxCopy; c++) two(ADD, a, 0, COPY, c, m);
  }
  for (let m = 0; m < MODES; m++) two(COPY, 4, m, ADD, 1, 0);
  return t;
}

/** The default code table, built once. */
export const DEFAULT_CODE_TABLE: CodeTable = buildDefaultCodeTable();

// ---- reading

/** Whether `bytes` start with the VCDIFF magic (any version byte: other versions get a clear error). */
export function looksLikeVcdiff(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === VCDIFF_MAGIC[0] && bytes[1] === VCDIFF_MAGIC[1] && bytes[2] === VCDIFF_MAGIC[2];
}

/** Big-endian base-128 integers (RFC 3284 section 2), bounded: at most 10 bytes, below 2^53. */
function readInt(bytes: Uint8Array, at: number, fail: (at: number, msg: string) => never, what: string, where = 'its section'): [value: number, next: number] {
  let value = 0;
  for (let p = at; p < at + 10; p++) {
    if (p >= bytes.length) fail(at, `${what} runs past the end of ${where}`);
    const b = bytes[p]!;
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) fail(at, `${what} is larger than 2^53`);
    if ((b & 0x80) === 0) return [value, p + 1];
  }
  return fail(at, `${what} is longer than 10 bytes`);
}

interface Section {
  readonly start: number;
  readonly length: number;
}

interface WindowHeader {
  readonly offset: number;
  readonly indicator: number;
  readonly segLength: number;
  readonly segOffset: number;
  readonly targetLength: number;
  readonly deltaIndicator: number;
  readonly sections: readonly [Section, Section, Section];
  readonly adler32: number | undefined;
  readonly end: number;
}

interface Header {
  readonly secondary: number | undefined;
  readonly appHeader: string | undefined;
  readonly windowsStart: number;
}

/** The patch's header and window headers, read at given offsets; `fail` names the patch and the byte. */
class Reader extends PatchReader {
  int(at: number, what: string): [number, number] {
    return readInt(this.bytes, at, (i, m) => this.fail(i, m), what, 'the patch');
  }

  byte(at: number, what: string): number {
    if (at >= this.bytes.length) this.fail(at, `the patch ends before the ${what}`);
    return this.bytes[at]!;
  }

  header(): Header {
    const b = this.bytes;
    if (!looksLikeVcdiff(b)) {
      for (let i = 0; i < 3; i++) if (i >= b.length || b[i] !== VCDIFF_MAGIC[i]) this.fail(i, 'not a VCDIFF patch (no D6 C3 C4 magic)');
      this.fail(b.length, 'the patch ends inside the VCDIFF magic');
    }
    if (b[3] !== 0) this.fail(3, `VCDIFF version ${hex(b[3]!)} is not supported (only version 0 of RFC 3284)`);
    const indicator = this.byte(4, 'header indicator');
    if (indicator & ~7) this.fail(4, `unknown header indicator bits ${hex(indicator & ~7)}`);
    let at = 5;
    let secondary: number | undefined;
    if (indicator & VCD_SECONDARY) {
      secondary = this.byte(at, 'secondary compressor id');
      if (VCDIFF_SECONDARY[secondary] === undefined) {
        this.fail(at, `unknown secondary compressor id ${secondary} (xdelta3's are 1 djw, 2 lzma, 16 fgk)`);
      }
      at++;
    }
    if (indicator & VCD_CODETABLE) this.fail(4, 'custom code tables (VCD_CODETABLE) are not supported (xdelta3 neither writes nor reads them)');
    let appHeader: string | undefined;
    if (indicator & VCD_APPHEADER) {
      const [length, next] = this.int(at, 'application header length');
      if (length > b.length - next) this.fail(at, `application header of ${length} bytes runs past the end of the patch`);
      appHeader = new TextDecoder().decode(b.subarray(next, next + length));
      at = next + length;
    }
    return { secondary, appHeader, windowsStart: at };
  }

  /** The header of the window at `at`, its sections checked to lie inside the patch. */
  window(at: number, secondary: number | undefined): WindowHeader {
    const indicator = this.byte(at, 'window indicator');
    if (indicator & ~7) this.fail(at, `unknown window indicator bits ${hex(indicator & ~7)}`);
    if ((indicator & (VCD_SOURCE | VCD_TARGET)) === (VCD_SOURCE | VCD_TARGET)) this.fail(at, 'window copies from both the source and the target');
    let p = at + 1;
    const int = (what: string): number => {
      const [value, next] = this.int(p, what);
      p = next;
      return value;
    };
    let segLength = 0;
    let segOffset = 0;
    if (indicator & (VCD_SOURCE | VCD_TARGET)) {
      segLength = int('segment length');
      segOffset = int('segment position');
    }
    const enclenAt = p;
    const encodingLength = int('delta encoding length');
    const encodingStart = p;
    const targetLength = int('target window length');
    if (targetLength > VCDIFF_MAX_WINDOW) this.fail(encodingStart, `target window of ${targetLength} bytes (at most ${VCDIFF_MAX_WINDOW}, as xdelta3)`);
    const deltaIndicator = this.byte(p, 'delta indicator');
    if (deltaIndicator & ~7) this.fail(p, `unknown delta indicator bits ${hex(deltaIndicator & ~7)}`);
    if (deltaIndicator !== 0 && secondary === undefined) this.fail(p, 'compressed sections in a patch without a secondary compressor');
    p++;
    const lengths = SECTION_NAMES.map((name) => int(`${name} section length`));
    let adler32: number | undefined;
    if (indicator & VCD_ADLER32) {
      if (this.bytes.length - p < 4) this.fail(p, 'the patch ends inside the window checksum');
      adler32 = u32beAt(this.bytes, p);
      p += 4;
    }
    const sections: Section[] = [];
    for (let i = 0; i < 3; i++) {
      const length = lengths[i]!;
      if (length > this.bytes.length - p) this.fail(p, `${SECTION_NAMES[i]} section of ${length} bytes runs past the end of the patch`);
      sections.push({ start: p, length });
      p += length;
    }
    if (encodingLength !== p - encodingStart) {
      this.fail(enclenAt, `delta encoding length ${encodingLength} disagrees with the window's ${p - encodingStart} bytes`);
    }
    return {
      offset: at,
      indicator,
      segLength,
      segOffset,
      targetLength,
      deltaIndicator,
      sections: sections as [Section, Section, Section],
      adler32,
      end: p,
    };
  }
}

/** A VCDIFF window's ops, decoded from its (decompressed) sections. */
class WindowDecoder {
  readonly #r: Reader;
  readonly #w: WindowHeader;
  readonly #start: bigint;
  readonly #data: Uint8Array;
  readonly #inst: Uint8Array;
  readonly #addr: Uint8Array;
  /** Where each section's byte `i` sits in the patch: `offset + i`, or the section's start when decompressed. */
  readonly #origin: [number, number, number];
  readonly #compressed: number;
  #dataPos = 0;
  #addrPos = 0;
  #here: number;
  // The address cache, reset for each window (addresses are below 2^53: exact in doubles).
  readonly #near = new Float64Array(NEAR_SLOTS);
  #nextSlot = 0;
  readonly #same = new Float64Array(SAME_SLOTS * 256);
  #pending: DeltaOp | undefined;

  constructor(r: Reader, w: WindowHeader, start: bigint, sections: readonly [Uint8Array, Uint8Array, Uint8Array]) {
    this.#r = r;
    this.#w = w;
    this.#start = start;
    [this.#data, this.#inst, this.#addr] = sections;
    this.#origin = [w.sections[0].start, w.sections[1].start, w.sections[2].start];
    this.#compressed = w.deltaIndicator;
    this.#here = w.segLength;
  }

  #fail(section: number, index: number, msg: string): never {
    if (this.#compressed & SECTION_BITS[section]!) {
      return this.#r.fail(this.#origin[section], `${msg} (byte ${index} of the decompressed ${SECTION_NAMES[section]} section)`);
    }
    return this.#r.fail(this.#origin[section] + index, msg);
  }

  *ops(): Generator<DeltaOp> {
    const table = DEFAULT_CODE_TABLE;
    const inst = this.#inst;
    let ip = 0;
    while (ip < inst.length) {
      const at = ip;
      const code = inst[ip++]!;
      for (let half = 0; half < 2; half++) {
        const type = half === 0 ? table.type1[code]! : table.type2[code]!;
        if (type === NOOP) continue;
        let size = half === 0 ? table.size1[code]! : table.size2[code]!;
        if (size === 0) [size, ip] = readInt(inst, ip, (i, m) => this.#fail(1, i, m), 'instruction size');
        const op = this.#op(type, size, half === 0 ? table.mode1[code]! : table.mode2[code]!, at);
        const done = op === undefined ? undefined : this.#merge(op);
        if (done !== undefined) yield done;
      }
    }
    const expected = this.#w.segLength + this.#w.targetLength;
    if (this.#here !== expected) {
      this.#fail(1, inst.length, `the instructions make ${this.#here - this.#w.segLength} bytes, the window says ${this.#w.targetLength}`);
    }
    if (this.#dataPos !== this.#data.length) this.#fail(0, this.#dataPos, `${this.#data.length - this.#dataPos} bytes left over in the data section`);
    if (this.#addrPos !== this.#addr.length) this.#fail(2, this.#addrPos, `${this.#addr.length - this.#addrPos} bytes left over in the address section`);
    if (this.#pending !== undefined) yield this.#pending;
  }

  /** Merges `op` into the pending op when they continue each other; else returns the pending op, done. */
  #merge(op: DeltaOp): DeltaOp | undefined {
    const p = this.#pending;
    if (p !== undefined && p.kind === op.kind) {
      if ((p.kind === 'source' || p.kind === 'target') && (op.kind === 'source' || op.kind === 'target')) {
        if (p.at + p.length === op.at && p.from + p.length === op.from) {
          this.#pending = { kind: p.kind, at: p.at, length: p.length + op.length, from: p.from };
          return undefined;
        }
      } else if (p.kind === 'fill' && op.kind === 'fill' && p.value === op.value && p.at + p.length === op.at) {
        this.#pending = { kind: 'fill', at: p.at, length: p.length + op.length, value: p.value };
        return undefined;
      }
    }
    this.#pending = op;
    return p;
  }

  /** One half-instruction's op (undefined for a size of 0), advancing the window. */
  #op(type: number, size: number, mode: number, instAt: number): DeltaOp | undefined {
    const w = this.#w;
    const here = this.#here;
    const limit = w.segLength + w.targetLength;
    const names = type === ADD ? 'ADD' : type === RUN ? 'RUN' : 'COPY';
    if (size > limit - here) this.#fail(1, instAt, `${names} of ${size} bytes runs past the window's ${w.targetLength} target bytes`);
    const at = this.#start + BigInt(here - w.segLength);
    let op: DeltaOp | undefined;
    if (type === ADD) {
      if (size > this.#data.length - this.#dataPos) this.#fail(0, this.#dataPos, `ADD of ${size} bytes runs past the data section`);
      if (size > 0) op = { kind: 'data', at, bytes: this.#data.subarray(this.#dataPos, this.#dataPos + size) };
      this.#dataPos += size;
    } else if (type === RUN) {
      if (this.#dataPos >= this.#data.length) this.#fail(0, this.#dataPos, 'RUN past the end of the data section');
      const value = this.#data[this.#dataPos++]!;
      if (size > 0) op = { kind: 'fill', at, length: BigInt(size), value };
    } else {
      const addrAt = this.#addrPos;
      const addr = this.#address(mode, here);
      if (addr >= here) this.#fail(2, addrAt, `COPY address ${addr} is not before the current position ${here}`);
      if (addr < w.segLength && size > w.segLength - addr) {
        this.#fail(2, addrAt, `COPY of ${size} bytes at ${addr} runs past the segment's ${w.segLength} bytes`);
      }
      if (size > 0) {
        if (addr >= w.segLength) {
          op = { kind: 'target', at, length: BigInt(size), from: this.#start + BigInt(addr - w.segLength) };
        } else {
          const from = BigInt(w.segOffset) + BigInt(addr);
          op = { kind: w.indicator & VCD_TARGET ? 'target' : 'source', at, length: BigInt(size), from };
        }
      }
    }
    this.#here = here + size;
    return op;
  }

  /** Decodes a COPY address of `mode` (RFC 3284 section 5.3) and updates the cache. */
  #address(mode: number, here: number): number {
    const addr = this.#addr;
    const at = this.#addrPos;
    let value: number;
    if (mode < 2 + NEAR_SLOTS) {
      let n: number;
      [n, this.#addrPos] = readInt(addr, at, (i, m) => this.#fail(2, i, m), 'COPY address');
      value = mode === 0 ? n : mode === 1 ? here - n : this.#near[mode - 2]! + n;
      if (value < 0) this.#fail(2, at, `COPY address ${n} back from ${here} is before the window`);
    } else {
      if (at >= addr.length) this.#fail(2, at, 'COPY address past the end of the address section');
      value = this.#same[(mode - 2 - NEAR_SLOTS) * 256 + addr[at]!]!;
      this.#addrPos = at + 1;
    }
    this.#near[this.#nextSlot] = value;
    this.#nextSlot = (this.#nextSlot + 1) % NEAR_SLOTS;
    this.#same[value % (SAME_SLOTS * 256)] = value;
    return value;
  }
}

/**
 * Decodes a VCDIFF patch: the header and the window headers now, the ops window by window.
 * @param name the patch's name for error messages.
 * @throws {InputError} naming the byte offset, for a malformed header or window header; `ops()` throws the
 * same for malformed sections.
 */
export function decodeVcdiff(bytes: Uint8Array, name: string): Delta {
  const r = new Reader(bytes, name);
  const header = r.header();
  let targetSize = 0n;
  let windows = 0;
  let checked = 0;
  let compressed = 0;
  for (let at = header.windowsStart; at < bytes.length; ) {
    const w = r.window(at, header.secondary);
    if (w.indicator & VCD_TARGET && BigInt(w.segOffset) + BigInt(w.segLength) > targetSize) {
      r.fail(at, `VCD_TARGET segment [${w.segOffset}, +${w.segLength}) reaches past the ${targetSize} target bytes made before the window`);
    }
    targetSize += BigInt(w.targetLength);
    windows++;
    if (w.adler32 !== undefined) checked++;
    if (w.deltaIndicator !== 0) compressed++;
    at = w.end;
  }
  const info: [string, string][] = [['format', 'VCDIFF (RFC 3284), version 0']];
  const secondaryName = header.secondary === undefined ? undefined : VCDIFF_SECONDARY[header.secondary]!;
  info.push(['secondary compressor', secondaryName === undefined ? 'none' : `${secondaryName} (id ${header.secondary}, ${compressed} of ${windows} windows)`]);
  if (header.appHeader !== undefined) info.push(['application header', header.appHeader]);
  info.push(['windows', String(windows)]);
  info.push(['window checksums', checked === 0 ? 'none' : checked === windows ? 'adler32' : `adler32 on ${checked} of ${windows} windows`]);

  function* ops(): Generator<DeltaOp | DeltaCheck> {
    const streams: (SecondaryDecoder | undefined)[] = [undefined, undefined, undefined];
    let start = 0n;
    for (let at = header.windowsStart; at < bytes.length; ) {
      const w = r.window(at, header.secondary);
      if (w.adler32 !== undefined) yield { algorithm: 'adler32', of: 'window', at: start, length: BigInt(w.targetLength), value: w.adler32 };
      const sections = [0, 1, 2].map((i) => {
        const s = w.sections[i]!;
        const raw = bytes.subarray(s.start, s.start + s.length);
        if ((w.deltaIndicator & SECTION_BITS[i]!) === 0) return raw;
        streams[i] ??= newSecondary(header.secondary!);
        return decompress(r, streams[i], raw, s.start, i, w.targetLength, secondaryName!);
      }) as [Uint8Array, Uint8Array, Uint8Array];
      yield* new WindowDecoder(r, w, start, sections).ops();
      start += BigInt(w.targetLength);
      at = w.end;
    }
  }

  return { format: 'vcdiff', targetSize, checks: [], metadata: header.appHeader, info, ops };
}

/** A compressed section: its decompressed size, then the compressor's bytes. */
function decompress(r: Reader, stream: SecondaryDecoder, raw: Uint8Array, offset: number, kind: number, window: number, compressor: string): Uint8Array {
  const what = `${SECTION_NAMES[kind]} section (${compressor})`;
  const [size, skip] = readInt(raw, 0, (i, m) => r.fail(offset + i, m), `${what} size`);
  if (size === 0) r.fail(offset, `${what} decompresses to 0 bytes`);
  const bound = 2 * window + 1024;
  if (size > bound) r.fail(offset, `${what} claims ${size} bytes, more than a window of ${window} bytes can use (${bound})`);
  const input = raw.subarray(skip);
  if (compressor !== 'lzma' && size > 8 * input.length)
    r.fail(offset, `${what} claims ${size} bytes from ${input.length} bytes of codes (at least one bit each)`);
  try {
    return stream.decode(input, size);
  } catch (error) {
    if (error instanceof SectionError) return r.fail(offset + skip + Math.min(error.at, input.length), `${what}: ${error.message}`);
    throw error;
  }
}
