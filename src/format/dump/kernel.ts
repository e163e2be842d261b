/**
 * The WebAssembly kernels that produce every byte of dump text on the hot path, and the memory
 * they share with JS. Why: the same loops in plain JS (256-entry tables, DataView stores) measured
 * ~250 MiB/s uncoloured and ~13 MiB/s coloured here; the kernels reach roughly 3x and 15x that
 * (bench/dump-engine.mjs). JS keeps every decision (squeeze, autoskip, carry between windows,
 * offsets, chunking); the kernels only write. Uses WebAssembly SIMD (v128 copies and the text
 * column), available in every Node.js the package supports (>= 20).
 *
 * Memory map (one instance and its own memory per dumper; the memory never grows, so the views
 * JS keeps stay valid):
 *
 *   HIDIG   0        hex digits of the offset's high 32 bits (up to 8), written by JS
 *   DEC     64       the decimal offset field (xxd -d), right-aligned in 20 bytes: a counter of
 *                    20 zero-padded digits the kernel advances line by line, or a negative
 *                    field JS writes for one line
 *   CELL32  1024     per byte: 2 hex digits + 2 spaces
 *   HEX16O  2048     per byte: 2 lowercase hex digits (offsets)
 *   HEX16B  2560     per byte: 2 hex digits of the data (upper or lower)
 *   TEXT    3072     per byte: text-column character
 *   CAT     3328     per byte: category code 0..4
 *   POS     3584     per column k of a line: u16 column of byte k's hex digits
 *   GAP     7936     per column k: u8 layout spaces after byte k on a full line
 *   HXL     4096     u8 length of each HX slot     (6 x 256)
 *   TXL     6144     u8 length of each TX slot     (6 x 256)
 *   CLOSEL  7680     u8 length of each CLOSE slot  (6)
 *   CLOSE   8192     6 slots of 64 bytes: the close string of a category (slot 5: none)
 *   ISOL    8704     u8 length of each ISO slot (256)
 *   BITS    9216     per byte: 8 binary digits (xxd -b)
 *   ISO     HX-32K   per byte b: open, digits, close: a byte with nothing open before it and
 *                    spaces after it (every byte of a canonical line), in one copy
 *   HX      16384    colour state s (0..4 a category is open, 5 none) x byte b: the transition
 *                    from s to b's category (close s, open b's; empty when equal), then b's digits
 *   TX      HX+192K  the same transition, then b's text-column character
 *   IN      TX+192K  input bytes, IN_CAP per call
 *   OUT     IN+IN_CAP  output chunk (CHUNK_BYTES) plus room for the longest line
 *
 * HX / TX slots are 2^slotShift bytes (16 for ordinary ANSI codes, at most 128); the coloured
 * kernel copies whole slots with 8-byte stores and advances by the real length, so the bytes
 * copied past an entry are overwritten by the next one.
 */
import { Buffer } from 'node:buffer';
import { byteTables } from './bytes.js';
import type { CompiledColors } from './options.js';
import { CHUNK_BYTES } from './out.js';
import {
  add,
  and,
  block,
  br,
  brIf,
  eq,
  eq64,
  geU,
  globalSet,
  gtU,
  i32,
  if_,
  bitselect,
  divU,
  remU,
  load128,
  ltU8x16,
  splat8,
  sub8x16,
  load16,
  load32,
  load64,
  load8,
  Locals,
  loop,
  ltU,
  module,
  ne,
  or,
  select,
  shl,
  shrU,
  store128,
  store16,
  store32,
  store64,
  store8,
  sub,
  type Code,
  type FuncDef,
} from './wasm-asm.js';

const HIDIG = 0;
const DEC = 64;
const DEC_LEN = 20;
const CELL32 = 1024;
const HEX16O = 2048;
const HEX16B = 2560;
const TEXT = 3072;
const CAT = 3328;
const POS = 3584;
const HXL = 4096;
const TXL = 6144;
const CLOSEL = 7680;
const GAP = 7936;
const CLOSE = 8192;
const CLOSE_SLOT = 64;
const ISOL = 8704;
const BITS = 9216;
const ISO = 16384;
const HX = ISO + 256 * 128;
const MAX_SLOT = 128;
const TX = HX + 6 * 256 * MAX_SLOT;
/** The longest open or close string a colour may have, in bytes (a slot holds close + open + 2). */
export const MAX_COLOR_BYTES = 32;
export const IN = TX + 6 * 256 * MAX_SLOT;
/** Input bytes copied into the kernel's memory per call. */
export const IN_CAP = 256 * 1024;
export const OUT = IN + IN_CAP;
/**
 * Room after a chunk: the longest line (xxd, 256 columns, every byte changing colour, 32-byte
 * colour strings) is about 50 KiB; HexPrinter keeps chunks within CHUNK_BYTES, this is margin.
 */
const OUT_SLACK = 64 * 1024;
const OUT_CAP = CHUNK_BYTES + OUT_SLACK;
const PAGES = Math.ceil((OUT + OUT_CAP) / 65536);

const NONE = 5;
const SPACES = 0x20202020;

// ---------------------------------------------------------------------------------------------
// Hex-dump lines (canonical and xxd).
// Shared parameters: src, n (lines), len (bytes per line; 1..cols), lo (offset, low 32 bits, of the
// first line; the caller never lets it wrap within a call), hiLen (digits at HIDIG, 0 below 4 GiB),
// out, limit (stop before a line that would start past it), textCol, sep (the two characters
// after the offset), bar (text column in |...|), pad (a short line: blank the hex area first),
// squeeze and checkFrom (canonical squeezing, 16-byte lines only: stop before a line at or
// after checkFrom that equals the 16 bytes before it, which JS then squeezes), cell (how a byte
// is written: 0 hex digits and two spaces in one store, the fast common case; 1 hex digits only,
// for layouts whose bytes are not in column order (xxd -e); 2 eight binary digits (xxd -b); 1 and
// 2 blank the hex area first), textTab (the text column from the TEXT table, byte by byte, instead
// of the printable-ASCII test: xxd -E), decimal (xxd -d: the offset field is the last hiLen of
// the DEC_LEN bytes at DEC, advanced by len after each line as a decimal counter).
// They return the number of lines written and leave the output position in global 0.

/** The accessors of some function's locals (helpers take the names they use). */
type Vars<N extends string> = Pick<Locals<N>, 'get' | 'set' | 'inc'>;

const HEX_PARAMS = [
  'src',
  'n',
  'len',
  'lo',
  'hiLen',
  'out',
  'limit',
  'textCol',
  'sep',
  'bar',
  'pad',
  'squeeze',
  'checkFrom',
  'cell',
  'textTab',
  'decimal',
] as const;

/** Offset digits, then `sep`; leaves `p` at the first hex digit. */
function offsetField(v: Vars<'p' | 'lo' | 'hiLen' | 'sep' | 'decimal'>): Code[] {
  const hexo = (shift: number): Code => load16(add(i32(HEX16O), shl(and(shrU(v.get('lo'), i32(shift)), i32(255)), i32(1))));
  const from = sub(i32(DEC + DEC_LEN), v.get('hiLen'));
  return [
    if_(
      v.get('decimal'),
      store64(v.get('p'), load64(from)),
      store64(v.get('p'), load64(from, 8), 8),
      store64(v.get('p'), load64(from, 16), 16),
      v.inc('p', v.get('hiLen')),
    ),
    if_(
      eq(v.get('decimal'), i32(0)),
      if_(v.get('hiLen'), store64(v.get('p'), load64(i32(HIDIG))), v.inc('p', v.get('hiLen'))),
      store32(v.get('p'), or(hexo(24), shl(hexo(16), i32(16)))),
      store32(v.get('p'), or(hexo(8), shl(hexo(0), i32(16))), 4),
      v.inc('p', i32(8)),
    ),
    store16(v.get('p'), v.get('sep')),
    v.inc('p', i32(2)),
  ];
}

/**
 * xxd -d: add `len` to the decimal counter at DEC (digits with carry, from the right) and widen
 * the field (hiLen) when a carry reaches a digit left of it. A negative field is JS's, rewritten
 * before each line, so what this does to it does not matter.
 */
function decimalStep(v: Vars<'len' | 'hiLen' | 'di' | 'dc'>): Code {
  const at = add(i32(DEC), v.get('di'));
  return block(
    v.set('dc', v.get('len')),
    v.set('di', i32(DEC_LEN)),
    loop(
      v.inc('di', i32(-1)),
      v.set('dc', add(sub(load8(at), i32(0x30)), v.get('dc'))),
      store8(at, add(i32(0x30), remU(v.get('dc'), i32(10)))),
      v.set('dc', divU(v.get('dc'), i32(10))),
      brIf(1, eq(v.get('dc'), i32(0))),
      brIf(0, v.get('di')),
    ),
    // The carry left the top digit: the counter is full (no offset below 2^63 gets there).
  ) as Code;
}

/** Widen the decimal field to the counter's leftmost non-zero digit. */
function decimalWiden(v: Vars<'hiLen' | 'di'>): Code {
  return if_(
    and(ltU(v.get('di'), sub(i32(DEC_LEN), v.get('hiLen'))), ne(load8(add(i32(DEC), v.get('di'))), i32(0x30))),
    v.set('hiLen', sub(i32(DEC_LEN), v.get('di'))),
  );
}

/** The loop over lines: `body` writes one line at `p` from `src`. */
function lineLoop(
  v: Vars<'line' | 'n' | 'p' | 'limit' | 'src' | 'len' | 'lo' | 'out' | 'squeeze' | 'checkFrom' | 'decimal' | 'hiLen' | 'di' | 'dc'>,
  body: Code[],
): Code[] {
  const src = v.get('src');
  return [
    v.set('p', v.get('out')),
    block(
      loop(
        brIf(1, geU(v.get('line'), v.get('n'))),
        brIf(1, gtU(v.get('p'), v.get('limit'))),
        // A 16-byte line equal to the one before it: two 8-byte compares decide exactly.
        if_(
          v.get('squeeze'),
          if_(
            geU(src, v.get('checkFrom')),
            if_(eq64(load64(src), load64(sub(src, i32(16)))), brIf(4, eq64(load64(src, 8), load64(sub(src, i32(16)), 8)))),
          ),
        ),
        ...body,
        if_(v.get('decimal'), decimalStep(v), decimalWiden(v)),
        v.inc('src', v.get('len')),
        v.inc('lo', v.get('len')),
        v.inc('line', i32(1)),
        br(0),
      ),
    ),
    globalSet(0, v.get('p')),
    v.get('line'),
  ];
}

function hexPlain(): FuncDef {
  const v = new Locals([...HEX_PARAMS], ['line', 'p', 'k', 't', 'di', 'dc']);
  const body = lineLoop(v, [
    ...offsetField(v),
    // A short line, or cells that write only their digits: blank the whole hex area first.
    if_(
      or(v.get('pad'), v.get('cell')),
      v.set('k', i32(0)),
      loop(store32(add(v.get('p'), v.get('k')), i32(SPACES)), v.inc('k', i32(4)), brIf(0, ltU(v.get('k'), v.get('textCol')))),
    ),
    v.set('k', i32(0)),
    /** Column of byte k's digits. */
    ...((): Code[] => {
      const at = add(v.get('p'), load16(add(i32(POS), shl(v.get('k'), i32(1)))));
      const byte = load8(add(v.get('src'), v.get('k')));
      const each = (store: Code): Code => loop(store, v.inc('k', i32(1)), brIf(0, ltU(v.get('k'), v.get('len'))));
      return [
        // One 32-bit store per byte: "hh  ". The next byte's store overwrites the spaces it owns;
        // the last byte's spaces are the two before the text column.
        if_(eq(v.get('cell'), i32(0)), each(store32(at, load32(add(i32(CELL32), shl(byte, i32(2))))))),
        if_(eq(v.get('cell'), i32(1)), each(store16(at, load16(add(i32(HEX16B), shl(byte, i32(1))))))),
        if_(eq(v.get('cell'), i32(2)), each(store64(at, load64(add(i32(BITS), shl(byte, i32(3))))))),
      ];
    })(),
    v.set('t', add(v.get('p'), v.get('textCol'))),
    if_(v.get('bar'), store8(v.get('t'), i32(0x7c)), v.inc('t', i32(1))),
    v.set('k', i32(0)),
    // The text column from the TEXT table (xxd -E), a byte at a time.
    if_(
      v.get('textTab'),
      loop(
        store8(add(v.get('t'), v.get('k')), load8(add(i32(TEXT), load8(add(v.get('src'), v.get('k')))))),
        v.inc('k', i32(1)),
        brIf(0, ltU(v.get('k'), v.get('len'))),
      ),
    ),
    // Text column, 16 bytes at a time: the byte where 0x20 <= b <= 0x7e, else '.'. Up to 15
    // bytes past the line are written too; what follows overwrites them.
    if_(
      eq(v.get('textTab'), i32(0)),
      loop(
        store128(
          add(v.get('t'), v.get('k')),
          bitselect(
            load128(add(v.get('src'), v.get('k'))),
            splat8(0x2e),
            ltU8x16(sub8x16(load128(add(v.get('src'), v.get('k'))), splat8(0x20)), splat8(0x5f)),
          ),
        ),
        v.inc('k', i32(16)),
        brIf(0, ltU(v.get('k'), v.get('len'))),
      ),
    ),
    v.inc('t', v.get('len')),
    if_(v.get('bar'), store8(v.get('t'), i32(0x7c)), v.inc('t', i32(1))),
    store8(v.get('t'), i32(0x0a)),
    v.set('p', add(v.get('t'), i32(1))),
  ]);
  return { name: 'hexPlain', vars: v as Locals<string>, returns: true, body: body.flat() };
}

function hexColor(): FuncDef {
  // slotShift: log2 of the HX/TX slot size; cw8: bytes copied per close string (multiple of 8);
  // lastGap: spaces after the line's last byte (2 on a full line, the padding on a short one).
  const v = new Locals([...HEX_PARAMS, 'slotShift', 'cw8', 'lastGap'], ['line', 'p', 'k', 'x', 'cur', 'idx', 's', 'i', 'g', 'di', 'dc']);
  /**
   * Copy `limit` bytes (a multiple of `width`) from `s` to `p`: one `width`-byte move, and a loop
   * for the rest only when `longer` (the rare long colour strings).
   */
  const copyFromS = (width: 8 | 16, longer: Code, limit: Code): Code[] => {
    const [load, store] = width === 16 ? [load128, store128] : [load64, store64];
    return [
      store(v.get('p'), load(v.get('s'))),
      if_(
        longer,
        v.set('i', i32(width)),
        loop(
          store(add(v.get('p'), v.get('i')), load(add(v.get('s'), v.get('i')))),
          v.inc('i', i32(width)),
          brIf(0, ltU(v.get('i'), limit)),
        ),
      ),
    ];
  };
  /** Copy the slot at `s` to `p` (1 << slotShift bytes). */
  const copySlot = (): Code[] => copyFromS(16, gtU(v.get('slotShift'), i32(4)), shl(i32(1), v.get('slotShift')));
  /** Append the slot of (colour state, byte x) from table `base`; then x's category is open. */
  const entry = (base: number, lengths: number): Code[] => [
    v.set('idx', or(shl(v.get('cur'), i32(8)), v.get('x'))),
    v.set('s', add(i32(base), shl(v.get('idx'), v.get('slotShift')))),
    ...copySlot(),
    v.inc('p', load8(add(i32(lengths), v.get('idx')))),
    v.set('cur', load8(add(i32(CAT), v.get('x')))),
  ];
  /** Close the open category, if any. */
  const close = (): Code[] => [
    v.set('s', add(i32(CLOSE), shl(v.get('cur'), i32(6)))),
    ...copyFromS(8, gtU(v.get('cw8'), i32(8)), v.get('cw8')),
    v.inc('p', load8(add(i32(CLOSEL), v.get('cur')))),
    v.set('cur', i32(NONE)),
  ];
  const body = lineLoop(v, [
    ...offsetField(v),
    v.set('cur', i32(NONE)),
    v.set('k', i32(0)),
    loop(
      v.set('x', load8(add(v.get('src'), v.get('k')))),
      // Layout spaces after this byte (none inside an xxd group) are never coloured.
      v.set('g', load8(add(i32(GAP), v.get('k')))),
      v.inc('k', i32(1)),
      v.set('g', select(v.get('lastGap'), v.get('g'), eq(v.get('k'), v.get('len')))),
      block(
        // A byte standing alone (nothing open, spaces after): its whole cell in one copy.
        if_(
          and(eq(v.get('cur'), i32(NONE)), ne(v.get('g'), i32(0))),
          v.set('idx', v.get('x')),
          v.set('s', add(i32(ISO), shl(v.get('x'), v.get('slotShift')))),
          ...copySlot(),
          v.inc('p', load8(add(i32(ISOL), v.get('x')))),
          br(1),
        ),
        ...entry(HX, HXL),
        if_(v.get('g'), ...close()),
      ),
      if_(
        v.get('g'),
        store32(v.get('p'), i32(SPACES)),
        // Only a short line has more than 4 spaces to pad.
        if_(
          gtU(v.get('g'), i32(4)),
          v.set('i', i32(4)),
          loop(store32(add(v.get('p'), v.get('i')), i32(SPACES)), v.inc('i', i32(4)), brIf(0, ltU(v.get('i'), v.get('g')))),
        ),
        v.inc('p', v.get('g')),
      ),
      brIf(0, ltU(v.get('k'), v.get('len'))),
    ),
    if_(v.get('bar'), store8(v.get('p'), i32(0x7c)), v.inc('p', i32(1))),
    v.set('k', i32(0)),
    loop(v.set('x', load8(add(v.get('src'), v.get('k')))), ...entry(TX, TXL), v.inc('k', i32(1)), brIf(0, ltU(v.get('k'), v.get('len')))),
    ...close(),
    if_(v.get('bar'), store8(v.get('p'), i32(0x7c)), v.inc('p', i32(1))),
    store8(v.get('p'), i32(0x0a)),
    v.inc('p', i32(1)),
  ]);
  return { name: 'hexColor', vars: v as Locals<string>, returns: true, body: body.flat() };
}

// ---------------------------------------------------------------------------------------------
// Streams of hex pairs (plain, c, json). They return the output position.

/** xxd -p: pairs, a newline whenever `col` reaches `cols` (cols 0: never). */
function plainHex(): FuncDef {
  const v = new Locals(['src', 'n', 'out', 'col', 'cols'], ['p', 'i', 'm', 'end']);
  const body: Code[] = [
    v.set('p', v.get('out')),
    v.set('i', i32(0)),
    block(
      loop(
        brIf(1, geU(v.get('i'), v.get('n'))),
        v.set('m', sub(v.get('n'), v.get('i'))),
        if_(and(ne(v.get('cols'), i32(0)), ltU(sub(v.get('cols'), v.get('col')), v.get('m'))), v.set('m', sub(v.get('cols'), v.get('col')))),
        v.set('end', add(v.get('i'), v.get('m'))),
        loop(
          store16(v.get('p'), load16(add(i32(HEX16B), shl(load8(add(v.get('src'), v.get('i'))), i32(1))))),
          v.inc('p', i32(2)),
          v.inc('i', i32(1)),
          brIf(0, ltU(v.get('i'), v.get('end'))),
        ),
        if_(
          v.get('cols'),
          v.inc('col', v.get('m')),
          if_(eq(v.get('col'), v.get('cols')), store8(v.get('p'), i32(0x0a)), v.inc('p', i32(1)), v.set('col', i32(0))),
        ),
        br(0),
      ),
    ),
    v.get('p'),
  ];
  return { name: 'plainHex', vars: v as Locals<string>, returns: true, body: body.flat() };
}

/** xxd -i entries: `first` = no entry written yet; `sepw` = ", 0x", `indw` = "  0x" (32-bit). */
function cEntries(): FuncDef {
  const v = new Locals(['src', 'n', 'out', 'col', 'cols', 'first', 'sepw', 'indw'], ['p', 'i']);
  const body: Code[] = [
    v.set('p', v.get('out')),
    v.set('i', i32(0)),
    block(
      loop(
        brIf(1, geU(v.get('i'), v.get('n'))),
        if_(eq(v.get('col'), i32(0)), if_(eq(v.get('first'), i32(0)), store16(v.get('p'), i32(0x0a2c)), v.inc('p', i32(2)))),
        store32(v.get('p'), select(v.get('indw'), v.get('sepw'), eq(v.get('col'), i32(0)))),
        store16(v.get('p'), load16(add(i32(HEX16B), shl(load8(add(v.get('src'), v.get('i'))), i32(1)))), 4),
        v.inc('p', i32(6)),
        v.set('first', i32(0)),
        v.inc('col', i32(1)),
        v.set('col', select(i32(0), v.get('col'), eq(v.get('col'), v.get('cols')))),
        v.inc('i', i32(1)),
        br(0),
      ),
    ),
    v.get('p'),
  ];
  return { name: 'cEntries', vars: v as Locals<string>, returns: true, body: body.flat() };
}

/** Bare hex pairs (json). */
function hexPairs(): FuncDef {
  const v = new Locals(['src', 'n', 'out'], ['p', 'i']);
  const body: Code[] = [
    v.set('p', v.get('out')),
    v.set('i', i32(0)),
    block(
      loop(
        brIf(1, geU(v.get('i'), v.get('n'))),
        store16(v.get('p'), load16(add(i32(HEX16B), shl(load8(add(v.get('src'), v.get('i'))), i32(1))))),
        v.inc('p', i32(2)),
        v.inc('i', i32(1)),
        br(0),
      ),
    ),
    v.get('p'),
  ];
  return { name: 'hexPairs', vars: v as Locals<string>, returns: true, body: body.flat() };
}

// ---------------------------------------------------------------------------------------------

interface KernelExports {
  hexPlain(...a: number[]): number;
  hexColor(...a: number[]): number;
  plainHex(src: number, n: number, out: number, col: number, cols: number): number;
  cEntries(src: number, n: number, out: number, col: number, cols: number, first: number, sepw: number, indw: number): number;
  hexPairs(src: number, n: number, out: number): number;
  g0: { value: number };
}

/** The slice of the WebAssembly JS API used here (the project's lib settings do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
}
const wasm = (): WasmApi => (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;

/** The kernel's WebAssembly module, assembled (scripts/build.mjs does it once, at build time). */
export function kernelBytes(): Uint8Array {
  return module([hexPlain(), hexColor(), plainHex(), cEntries(), hexPairs()], PAGES, 1);
}

/**
 * The compiled module, built on first use (a few KiB; synchronous compilation is fine). The
 * bundles carry its bytes assembled at build time: assembling them here took ~7 ms of every
 * `hexdump`, more than a small dump itself.
 */
function kernelModule(): object {
  const bytes = typeof __MMAPX_DUMP_KERNEL__ === 'string' ? Buffer.from(__MMAPX_DUMP_KERNEL__, 'base64') : kernelBytes();
  compiled ??= new (wasm().Module)(bytes);
  return compiled;
}

/** How a hex-dump dialect lays out its lines (see HexLayout in hexlines.ts). */
export interface KernelLayout {
  readonly pos: Uint16Array;
  readonly textCol: number;
  /** The two characters after the offset, little-endian. */
  readonly sep: number;
  readonly bar: boolean;
  /** How a byte's digits are written (see the kernel's `cell`): 0 or absent hex, 1 hex in any column order, 2 bits. */
  readonly cell?: 0 | 1 | 2;
  /** The text column's character per byte instead of printable ASCII (xxd -E). */
  readonly text?: Uint8Array;
  /** The offset field is set per line with {@link Kernel.setOffsetField} (xxd -d). */
  readonly decimal?: boolean;
}

/**
 * One kernel instance with its own memory, configured for one dumper: the data's hex case, the
 * line layout and the colours are written into the tables once.
 */
export class Kernel {
  /** The whole memory, and views of the output region (handed to the sink, zero copy). */
  readonly mem: Uint8Array;
  private readonly memBuffer: Buffer;
  readonly out: Uint8Array;
  readonly outView: DataView;
  /** Results of the last {@link hexLines}: lines written, and the output position after them. */
  lines = 0;
  pos = 0;
  private readonly x: KernelExports;
  private layout: KernelLayout | undefined;
  private colored = false;
  private slotShift = 4;
  private cw8 = 8;
  private readonly upper: boolean;
  private hiCached = 0;
  private hiLen = 0;

  constructor(upper: boolean) {
    this.upper = upper;
    const memory = new (wasm().Memory)({ initial: PAGES, maximum: PAGES });
    const instance = new (wasm().Instance)(kernelModule(), { e: { m: memory } });
    this.x = instance.exports as unknown as KernelExports;
    this.mem = new Uint8Array(memory.buffer);
    this.memBuffer = Buffer.from(memory.buffer);
    this.out = new Uint8Array(memory.buffer, OUT, OUT_CAP);
    this.outView = new DataView(memory.buffer, OUT, OUT_CAP);
    const t = byteTables();
    new Uint32Array(memory.buffer, CELL32, 256).set(upper ? t.hexCell32Upper : t.hexCell32);
    new Uint16Array(memory.buffer, HEX16O, 256).set(t.hex16);
    new Uint16Array(memory.buffer, HEX16B, 256).set(upper ? t.hex16Upper : t.hex16);
    this.mem.set(t.text, TEXT);
    this.mem.set(t.category, CAT);
  }

  /** Set the line layout (and colours) of the hex-dump dialects. */
  setLayout(layout: KernelLayout, colors: CompiledColors | undefined): void {
    this.layout = layout;
    const t = byteTables();
    new Uint16Array(this.mem.buffer, POS, layout.pos.length).set(layout.pos);
    const width = this.width;
    const n = layout.pos.length;
    for (let k = 0; k < n; k++) this.mem[GAP + k] = (k + 1 < n ? layout.pos[k + 1]! : layout.textCol) - layout.pos[k]! - width;
    const text = layout.text ?? t.text;
    this.mem.set(text, TEXT);
    if (layout.cell === 2) this.mem.set(t.bits, BITS);
    this.colored = colors !== undefined;
    if (colors) {
      if (layout.cell === 1) throw new Error('kernel: no coloured layout with bytes out of column order');
      const { open, close } = colors;
      // The longest slot entry: close + open + 2 digits; slots are a power of two, at least 16.
      const longest = colors.maxPair + width;
      let shift = 4;
      while (1 << shift < longest) shift++;
      this.slotShift = shift;
      const m = this.mem;
      for (let cur = 0; cur <= NONE; cur++) {
        m.set(close[cur]!, CLOSE + cur * CLOSE_SLOT);
        m[CLOSEL + cur] = close[cur]!.length;
        for (let x = 0; x < 256; x++) {
          const c = t.category[x]!;
          const idx = (cur << 8) | x;
          let hx = HX + (idx << shift);
          let tx = TX + (idx << shift);
          if (c !== cur) {
            for (const part of [close[cur]!, open[c]!]) {
              m.set(part, hx);
              m.set(part, tx);
              hx += part.length;
              tx += part.length;
            }
          }
          hx = this.digits(x, hx);
          m[tx++] = text[x]!;
          m[HXL + idx] = hx - (HX + (idx << shift));
          m[TXL + idx] = tx - (TX + (idx << shift));
        }
      }
      for (let x = 0; x < 256; x++) {
        const c = t.category[x]!;
        let q = ISO + (x << shift);
        m.set(open[c]!, q);
        q += open[c]!.length;
        q = this.digits(x, q);
        m.set(close[c]!, q);
        q += close[c]!.length;
        m[ISOL + x] = q - (ISO + (x << shift));
      }
      let longestClose = 0;
      for (const c of close) longestClose = Math.max(longestClose, c.length);
      this.cw8 = Math.max(8, Math.ceil(longestClose / 8) * 8);
    }
  }

  /** Digits per byte in the hex area of the current layout. */
  private get width(): number {
    return this.layout?.cell === 2 ? 8 : 2;
  }

  /** Write byte x's digits (hex or bits, per the layout) at memory position q; returns the position after them. */
  private digits(x: number, q: number): number {
    const t = byteTables();
    if (this.layout?.cell === 2) {
      this.mem.set(t.bits.subarray(8 * x, 8 * x + 8), q);
      return q + 8;
    }
    const d = (this.upper ? t.hex16Upper : t.hex16)[x]!;
    this.mem[q] = d & 0xff;
    this.mem[q + 1] = d >> 8;
    return q + 2;
  }

  /**
   * The decimal offset field of the next line (decimal layouts), at most 20 characters. Digits
   * only: the kernel advances it line by line; with a minus sign, the next {@link hexLines} call
   * must write one line only.
   */
  setOffsetField(s: string): void {
    const m = this.mem;
    m.fill(0x30, DEC, DEC + DEC_LEN - s.length);
    for (let i = 0; i < s.length; i++) m[DEC + DEC_LEN - s.length + i] = s.charCodeAt(i);
    this.hiLen = s.length;
    this.hiCached = -1;
  }

  /**
   * Write up to `n` hex-dump lines of `len` bytes from `IN + inOff`, the first at offset `hi:lo`,
   * at output position `pos` (relative to the output region), stopping before a line that would
   * start past `limit`, and (when `checkFrom` >= 0, 16-byte lines) before a line at input offset
   * >= `checkFrom` that equals the 16 bytes before it. The caller keeps `lo + (n - 1) * len` below
   * 2^32. Results in {@link lines} and {@link pos}.
   */
  hexLines(
    inOff: number,
    n: number,
    len: number,
    hi: number,
    lo: number,
    pos: number,
    limit: number,
    pad: boolean,
    checkFrom = -1,
  ): void {
    const l = this.layout!;
    if (!l.decimal && hi !== this.hiCached) this.cacheHi(hi);
    const squeeze = checkFrom >= 0 ? 1 : 0;
    const args = [
      IN + inOff,
      n,
      len,
      lo | 0,
      this.hiLen,
      OUT + pos,
      OUT + limit,
      l.textCol,
      l.sep,
      l.bar ? 1 : 0,
      pad ? 1 : 0,
      squeeze,
      IN + checkFrom,
      l.cell ?? 0,
      l.text ? 1 : 0,
      l.decimal ? 1 : 0,
    ] as const;
    if (this.colored) {
      const lastGap = l.textCol - l.pos[len - 1]! - this.width;
      this.lines = this.x.hexColor(...args, this.slotShift, this.cw8, lastGap);
    } else {
      this.lines = this.x.hexPlain(...args);
    }
    this.pos = this.x.g0.value - OUT;
  }
  /** xxd -p pairs of `IN[inOff..+n)` at `pos`; returns the new position. Output <= 3n. */
  plain(inOff: number, n: number, pos: number, col: number, cols: number): number {
    return this.x.plainHex(IN + inOff, n, OUT + pos, col, cols) - OUT;
  }

  /** xxd -i entries; returns the new position. Output <= 8n. */
  cEntries(inOff: number, n: number, pos: number, col: number, cols: number, first: boolean, sepw: number, indw: number): number {
    return this.x.cEntries(IN + inOff, n, OUT + pos, col, cols, first ? 1 : 0, sepw | 0, indw | 0) - OUT;
  }

  /** Hex pairs; returns the new position. Output 2n. */
  hexPairs(inOff: number, n: number, pos: number): number {
    return this.x.hexPairs(IN + inOff, n, OUT + pos) - OUT;
  }

  /** Copy `src[from..to)` into the kernel's input area at `inOff` (Buffer#copy: no view allocated). */
  load(src: Buffer, from: number, to: number, inOff = 0): void {
    src.copy(this.memBuffer, IN + inOff, from, to);
  }

  private cacheHi(hi: number): void {
    this.hiCached = hi;
    const s = hi === 0 ? '' : hi.toString(16);
    for (let i = 0; i < s.length; i++) this.mem[HIDIG + i] = s.charCodeAt(i);
    this.hiLen = s.length;
  }
}
