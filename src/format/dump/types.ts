import type { ByteCategory } from './bytes.js';
import type { HexylBase, HexylBorder, HexylCharacterTable, HexylEndianness } from './hexyl.js';

/**
 * Output dialects of the dump engine. Each one is byte-identical to its peer:
 *
 * - `canonical`: `hexdump -C` (16 bytes per line, `*` squeezing, final offset line). Like
 *   `hexdump -C -s N` at the end of a file, zero bytes at a start offset N > 0 print just the
 *   offset line; `hexdump -n 0` prints nothing, so a caller that wants that does not dump at all.
 * - `xxd`: `xxd` with `-c -g -u -a -b -e -d -o -E`.
 * - `plain`: `xxd -p` (30 bytes per line by default; `cols: 0` puts everything on one line).
 * - `c`: `xxd -i` (a C array; `name` / `varName` give the identifier).
 * - `json`: newline-delimited JSON, see {@link DumpOptions.format}.
 * - `hexyl`: hexyl's view (panels of 8 bytes, a border, a character panel), for a terminal; not
 *   byte-identical to hexyl: it squeezes any repeated line, as hexdump does (see `panels`,
 *   `border`, `base`, `group`, `endianness`, `characterTable`, `squeeze`, `end`).
 * - `od`: GNU `od`, by default `od -A x -t x1z -v` but squeezing (`-v` is `squeeze: false`); `types`
 *   (`-t`), `addressRadix` (`-A`) and `cols` (`-w`) as od takes them. Multi-byte units are
 *   little-endian (od prints the host's order; mmapx runs on little-endian hosts).
 * - `hexdump-x`, `hexdump-d`, `hexdump-o`, `hexdump-c`, `hexdump-b`: util-linux `hexdump -x`,
 *   `-d`, `-o`, `-c`, `-b` (16 bytes per line, `*` squeezing, final offset line).
 */
export type DumpFormat = 'canonical' | 'xxd' | 'plain' | 'c' | 'json' | 'hexyl' | 'od' | 'hexdump-x' | 'hexdump-d' | 'hexdump-o' | 'hexdump-c' | 'hexdump-b';

/** od's `-A`: hex, octal or decimal addresses, or none. */
export type AddressRadix = 'x' | 'o' | 'd' | 'n';

/** The text written before and after a coloured run (an ANSI SGR pair, or `<nul>`/`</nul>` in tests). */
export interface ColorPair {
  readonly open: string;
  readonly close: string;
}

/** Colour per byte category. A category that is missing (or has two empty strings) stays uncoloured. */
export type DumpColors = Partial<Readonly<Record<ByteCategory, ColorPair>>>;

/**
 * Receives the output in big chunks: at most 1 MiB (`CHUNK_BYTES`), and normally over 256 KiB
 * except the last one. It must consume the chunk synchronously: the chunk is a view of the
 * engine's memory, reused as soon as the call returns, so copy it if you need to keep it. An
 * exception thrown by the sink (EPIPE, ...) propagates out of `push`/`end`; the dumper must not be
 * used afterwards.
 */
export type DumpSink = (chunk: Uint8Array) => void;

/** What {@link DumpOptions} a dialect accepts is listed per option; any other option given is an `InputError`. */
export interface DumpOptions {
  /**
   * Absolute offset of the first byte pushed (`-s`). Shown offsets are absolute; at 2^32 and
   * above the offset field grows beyond 8 digits and shifts the line, as in xxd and hexdump.
   * Range 0 ≤ start < 2^64.
   */
  start: bigint;
  /**
   * The dialect. `json` writes one object per line, each covering up to `cols` bytes (default
   * 4096) in input order: `{"offset":N,"length":N,"hex":"..."}` followed by `\n`, where `offset`
   * is the absolute offset of the line's first byte (a JSON integer, exact even above 2^53, so
   * parse it as a big integer if offsets may be that large), `length` the number of bytes (equal
   * to `cols` except on the last line) and `hex` two lowercase hex digits per byte (uppercase with
   * `upper`). No other keys (but `path` first, when given), no spaces. Empty input writes nothing.
   */
  format: DumpFormat;
  /**
   * Bytes per line (`-c`). 0 or absent means the dialect's default.
   * - `xxd`: 1..256, default 16 (6 with `bits`); 0 means the default, as xxd -c0.
   * - `plain`: ≥ 1, default 30; `0` = all bytes on one line (xxd -p -c0: even empty input gives one `\n`).
   * - `c`: ≥ 1, default 12.
   * - `json`: 1..1048576, default 4096.
   * - `canonical`: fixed at 16 (hexdump -C has no such option); anything but absent, 0 or 16 is an error.
   * - `hexyl`: 8 bytes per panel (`panels` sets the line); anything but absent or 0 is an error.
   * - `od` (`-w`): a multiple of the largest unit size of `types`, up to 65536; default 16.
   * - `hexdump-x|d|o|c|b`: fixed at 16, as `canonical`.
   */
  cols?: number;
  /**
   * Bytes per group (`-g`), `xxd` and `hexyl`. xxd: negative → the default (2; 1 with `bits`, 4
   * with `littleEndian`); 0 or more than `cols` → one group of `cols` bytes. hexyl: 1 (default),
   * 2, 4 or 8, the bytes of a group written together as one number (see `endianness`). Other
   * dialects reject it (their layout is fixed).
   */
  group?: number;
  /** Uppercase hex digits of the bytes (`-u`). Offsets stay lowercase, as in xxd. All dialects. */
  upper?: boolean;
  /**
   * `canonical`, `hexyl`, `od` and `hexdump-*`: squeeze repeated lines to `*` (default true;
   * `false` = hexdump / od `-v`). hexyl: a line equal to the line before it becomes one `*` line
   * for the whole run; a run that reaches the end of the input is followed by a line with the
   * offset of the end.
   */
  squeeze?: boolean;
  /** `hexyl` only: panels of 8 bytes per line, 1..256 (default 2). */
  panels?: number;
  /** `hexyl` only: the frame: `unicode` (default, `┌─┬┐│┊`), `ascii` (`+-|`) or `none` (spaces). */
  border?: HexylBorder;
  /** `hexyl` only: the digits of each byte: 2 (`%08b`), 8 (`%03o`), 10 (`%03d`) or 16 (`%02x`, default). */
  base?: HexylBase;
  /** `hexyl` only: the order of the bytes of a group: `big` (default, as in the file) or `little` (reversed). */
  endianness?: HexylEndianness;
  /** `hexyl` only: how bytes show in the character panel (default `default`, hexyl's symbols). */
  characterTable?: HexylCharacterTable;
  /**
   * `hexyl` only: the offset just past the last byte, when known in advance: the offset column
   * then has as many hex digits as the largest offset needs (at least 8) and every line lines up.
   * Without it the column has the digits of `start` (at least 8), and a later offset that needs
   * more widens its line, as in hexyl and xxd.
   */
  end?: bigint;
  /**
   * `od` only: od's `-t` types, each string one or several of `a`, `c`, `d`, `o`, `u`, `x` (the
   * last four with a size 1, 2, 4, 8 or C, S, I, L; default 4), each optionally followed by `z`
   * (the `>text<` trailer). One output line per type per block, in order. Default `['x1z']`.
   */
  types?: readonly string[];
  /** `od` only: od's `-A`, the address radix (default `x`; `n` prints no addresses). */
  addressRadix?: AddressRadix;
  /** `xxd` only: `xxd -a`, a `*` line replaces runs of all-zero lines (default false). */
  autoskip?: boolean;
  /**
   * `c` only: the input path exactly as the user typed it. The C identifier is derived as xxd
   * derives it: every byte of the path's UTF-8 form that is not an ASCII letter or digit becomes
   * `_`, and `__` is prepended when it starts with a digit (`./9.bin` → `__9_bin`, `a/b.c` →
   * `a_b_c`). Without `name` and `varName` only the array entries are written, as `xxd -i < file`.
   */
  name?: string;
  /** `c` only: the identifier to use instead of one derived from `name` (xxd -n); mangled the same way. */
  varName?: string;
  /** `c` only: uppercase the identifier and write `_LEN` (xxd -C). */
  capitalize?: boolean;
  /**
   * `xxd` only: binary digits instead of hex (xxd -b): 8 digits per byte, 6 bytes per line and
   * groups of 1 byte by default (`cols` 1..256 and `group` as with hex). `upper` changes nothing.
   * Not with `littleEndian` (xxd lets the last of -b and -e win; this refuses the pair).
   */
  bits?: boolean;
  /**
   * `xxd` only: little-endian groups (xxd -e): the bytes of each group are shown in reverse order,
   * group size 4 by default, a power of 2 (as in xxd, one clamped to the line length need not
   * be); a short last group is right-aligned in its place. When the line length is not a
   * multiple of the group size, xxd writes some bytes' hex digits over the first characters of its
   * text column; so does this, byte for byte. Never coloured (`colors` is ignored), as xxd 2022
   * has no colour.
   */
  littleEndian?: boolean;
  /**
   * `xxd` only: decimal offsets (xxd -d), `%08ld` of the shown offset: at least 8 digits, and, as
   * xxd prints it, negative when the shown offset (with `displayOffset`) is 2^63 or more.
   */
  decimal?: boolean;
  /**
   * `xxd` and `canonical`: added to every shown offset (xxd -o), modulo 2^64 as in xxd, so a
   * negative value counts down from 2^64 (`-5` shows the first line at `fffffffffffffffb`).
   * Range -(2^64-1)..2^64-1. The bytes dumped do not change.
   */
  displayOffset?: bigint;
  /**
   * `xxd` and `canonical`: the text column reads the bytes as EBCDIC (xxd -E, with xxd's table:
   * bytes below 0x40 show `.`, the others are converted to ASCII and shown if printable).
   */
  ebcdic?: boolean;
  /**
   * `json` only: a file path written as the first key of every line,
   * `{"path":"a.bin","offset":N,...}`, for dumps of several files. Characters outside ASCII are
   * written as `\uXXXX` escapes.
   */
  path?: string;
  /**
   * Colours per byte category, `canonical`, `xxd` and `hexyl`; the other dialects never colour and
   * ignore it (as xxd -R does not affect -p / -i). A byte's hex digits and its text-column
   * character are wrapped in its category's `open`/`close`; adjacent bytes of one category with
   * nothing between them (the bytes of one xxd group, neighbouring text-column characters) share
   * one pair. Offsets, spaces, `|`, `*` and line ends are never wrapped, so removing every
   * `open`/`close` string leaves exactly the uncoloured output.
   */
  colors?: DumpColors;
  /**
   * `canonical`, `xxd`, `od` and `hexdump-*`: lines of text inserted between the dump's lines
   * (`hexdump --annotate`: a header per section). Each goes out just before the line that holds
   * the byte at `offset`: a mark inside a line comes before that line, a mark before `start`
   * before the first line, a mark at or past the end of the input never. Marks of one line go
   * out in the order given. Output around a mark starts afresh: the line after it is printed
   * even when it repeats the one before (no `*` spans a mark). The dumper sorts them by offset.
   */
  marks?: readonly DumpMark[];
}

/** A line of text for {@link DumpOptions.marks}: `text` has no line end (the dumper adds `\n`). */
export interface DumpMark {
  readonly offset: bigint;
  readonly text: string;
}

/** A streaming dumper: push the bytes in order, in windows of any size, then call `end` once. */
export interface Dumper {
  /** Format `bytes` (any length, including 0). The engine does not keep a reference after returning. */
  push(bytes: Uint8Array): void;
  /** Finish the dump (last short line, trailers) and hand the remaining output to the sink. */
  end(): void;
}
