/**
 * Addresses by what an executable contains, for every place that takes an OFFSET or a RANGE:
 *
 * ```text
 * sym:NAME[+OFF]   a symbol (mangled or demangled C++ name; Mach-O's leading "_" optional);
 *                  as a RANGE, the symbol's bytes (its size; PE and Mach-O store none: up to
 *                  the next symbol of its section, or the section's end)
 * sec:NAME[+OFF]   a section (`.text`, `__TEXT,__text` or `__text`); as a RANGE, its bytes
 * seg:N[+OFF]      the Nth segment (0-based, as `info --segments` lists them); as a RANGE, its file bytes
 * va:ADDR[+OFF]    a virtual address, translated through the segments (PE: the sections)
 * rva:ADDR[+OFF]   PE: an address relative to ImageBase
 * ```
 *
 * OFF is `+N` or `-N` (a number as in number.ts, at the end of the token). Resolution is pure:
 * it takes an {@link ExeImage} and says where the bytes are in the file, or throws an
 * {@link ExeFormatError} naming what is missing (with candidates for a name that does not match
 * exactly one thing). Whether the result fits in the file is the range code's business.
 */

import { formatOffset, parseNumber } from '../number.js';
import { shown } from '../quote.js';
import { type ExeImage, ExeFormatError, type ExeSymbol, type Section } from './types.js';

export type AddressKind = 'sym' | 'sec' | 'seg' | 'va' | 'rva';

/** A parsed symbolic address, not yet resolved against any file. */
export interface AddressRef {
  readonly kind: AddressKind;
  /** The symbol or section name, the segment number or the address, as written. */
  readonly name: string;
  /** The `+N` / `-N` after it; 0n when none. */
  readonly addend: bigint;
  /** Whether a `+N`/`-N` was written (`sym:f+0` is a position, not the symbol's range). */
  readonly hasAddend: boolean;
  /** The token as the user wrote it. */
  readonly text: string;
}

/** Where an address is in the file. */
export interface ResolvedAddress {
  /** File offset of the addressed byte. */
  readonly offset: bigint;
  /**
   * The size of the named thing (symbol size, section or segment file size) when the address names
   * a whole thing (no addend); null for `va:`/`rva:` and for addresses with an addend.
   */
  readonly length: bigint | null;
}

const KINDS: readonly AddressKind[] = ['sym', 'sec', 'seg', 'va', 'rva'];

/** Whether a token starts like a symbolic address (`sym:`, `sec:`, `seg:`, `va:`, `rva:`). */
export function isAddressToken(text: string): boolean {
  const colon = text.indexOf(':');
  return colon > 0 && (KINDS as readonly string[]).includes(text.slice(0, colon));
}

const ADDEND = /[+-](?:0[xXoObB][0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9]+)?[KMGTkmgt]?(?:i?[bB])?)$/;

/**
 * Parses `KIND:NAME[+OFF]`. The addend is the last `+N`/`-N` of the token when it is a number
 * (so `operator+` and `sym:a-b` with a non-numeric tail stay names).
 *
 * @throws {ExeFormatError} an unknown kind, an empty name, a bad number for `seg:`/`va:`/`rva:`.
 */
export function parseAddress(text: string): AddressRef {
  const colon = text.indexOf(':');
  const kind = text.slice(0, colon) as AddressKind;
  if (colon <= 0 || !KINDS.includes(kind)) {
    throw new ExeFormatError(`bad address ${shown(text)}: write sym:NAME, sec:NAME, seg:N, va:ADDR or rva:ADDR`, { token: text });
  }
  let name = text.slice(colon + 1);
  let addend = 0n;
  let hasAddend = false;
  const m = ADDEND.exec(name);
  if (m && m.index > 0) {
    addend = parseNumber(m[0], 'address offset');
    name = name.slice(0, m.index);
    hasAddend = true;
  }
  if (name.length === 0) throw new ExeFormatError(`bad address ${shown(text)}: the ${kind}: name is empty`, { token: text });
  if (kind === 'seg' || kind === 'va' || kind === 'rva') {
    const n = parseNumber(name, kind === 'seg' ? 'segment number' : 'address');
    if (n < 0n) throw new ExeFormatError(`bad address ${shown(text)}: ${kind}: cannot be negative`, { token: text });
  }
  return { kind, name, addend, hasAddend, text };
}

function candidates(list: readonly string[]): string {
  const unique = [...new Set(list)];
  const shownList = unique.slice(0, 8).join(', ');
  return unique.length > 8 ? `${shownList}, ... (${unique.length} in all)` : shownList;
}

/** The C++ name without its parameter list: `ns::K::m(int, double) const` -> `ns::K::m`. */
function withoutParameters(name: string): string {
  const open = name.indexOf('(');
  return open > 0 ? name.slice(0, open) : name;
}

/**
 * The last identifier of a C++ name as written (`ns::K::m(int) const` -> `m`, `ns::~K` -> `K`,
 * `std::vector<int>::push_back` -> `push_back`), or undefined for operators and names it cannot
 * tell. An Itanium-mangled name of that entity holds it as `<length><identifier>`: a cheap test
 * before demangling a symbol.
 */
function lastIdentifier(name: string): string | undefined {
  let base = withoutParameters(name);
  for (let before = ''; before !== base; ) {
    before = base;
    base = base.replace(/<[^<>]*>/g, ''); // template arguments, innermost first
  }
  const last = base.slice(base.lastIndexOf(':') + 1).replace(/^~/, '');
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(last) && !last.startsWith('operator') ? last : undefined;
}

/**
 * Symbols called `name`: the exact stored name, then `_name` (Mach-O), then the demangled name in
 * full, then without its parameters. Demangling is the costly step: only names that hold the
 * last identifier in its mangled form are demangled.
 */
export function findSymbols(image: ExeImage, name: string): ExeSymbol[] {
  const all = image.symbols().filter((s) => s.type !== 'file' && s.type !== 'section');
  for (const stored of [name, `_${name}`]) {
    const hits = all.filter((s) => s.name === stored);
    if (hits.length > 0) return hits;
  }
  const last = lastIdentifier(name);
  const mangled = last === undefined ? all : all.filter((s) => s.name.includes(`${last.length}${last}`));
  for (const t of [(d: string) => d === name, (d: string) => withoutParameters(d) === name]) {
    const hits = mangled.filter((s) => s.demangled !== undefined && t(s.demangled));
    if (hits.length > 0) return hits;
  }
  return [];
}

/** Names like `name` for a "did you mean": stored names containing it, or its last identifier (then demangled). */
function similarNames(image: ExeImage, name: string): string[] {
  const lower = (lastIdentifier(name) ?? name).toLowerCase();
  return image
    .symbols()
    .filter((s) => s.type !== 'file' && s.type !== 'section' && s.name.toLowerCase().includes(lower))
    .map((s) => s.demangled ?? s.name);
}

function defined(s: ExeSymbol): boolean {
  return s.section !== null || s.offset !== null;
}

function symbolAddress(image: ExeImage, ref: AddressRef): ResolvedAddress {
  const hits = findSymbols(image, ref.name).filter(defined);
  if (hits.length === 0) {
    const near = similarNames(image, ref.name);
    const hint = near.length > 0 ? ` (did you mean: ${candidates(near)})` : '';
    throw new ExeFormatError(`${shown(ref.text)}: no defined symbol ${shown(ref.name)} in this ${image.description} file${hint}`, { token: ref.text });
  }
  // The same symbol in .symtab and .dynsym (or twice under aliases at one place) is one answer.
  const places = new Map<string, ExeSymbol>();
  for (const s of hits) places.set(`${s.offset}:${s.size}`, s);
  if (places.size > 1) {
    const list = [...places.values()].map((s) => `${s.demangled ?? s.name} at ${s.offset === null ? 'no file offset' : formatOffset(s.offset)}`);
    throw new ExeFormatError(`${shown(ref.text)}: ${places.size} symbols match ${shown(ref.name)}: ${candidates(list)}; write the mangled name`, {
      token: ref.text,
    });
  }
  const s = [...places.values()][0]!;
  if (s.offset === null) {
    throw new ExeFormatError(`${shown(ref.text)}: symbol ${shown(s.name)} has no bytes in the file (value ${formatOffset(s.value)})`, { token: ref.text });
  }
  return { offset: s.offset + ref.addend, length: ref.hasAddend ? null : symbolLength(image, s, s.offset) };
}

/**
 * A symbol's length: its size where the format stores one (ELF); where it does not (PE, Mach-O,
 * or an ELF symbol of size 0), up to the next symbol at a higher offset in the same section, or
 * to the end of that section.
 */
function symbolLength(image: ExeImage, s: ExeSymbol, offset: bigint): bigint {
  if (s.size > 0n || s.section === null) return s.size;
  const section = image.sections.find((x) => x.index === s.section);
  let end = section !== undefined && offset >= section.offset && offset <= section.offset + section.fileSize ? section.offset + section.fileSize : offset;
  for (const o of image.symbols()) {
    if (o.section === s.section && o.offset !== null && o.offset > offset && o.offset < end && o.type !== 'section' && o.type !== 'file') end = o.offset;
  }
  return end - offset;
}

function findSection(image: ExeImage, ref: AddressRef): Section {
  let hits = image.sections.filter((s) => s.name === ref.name);
  // Mach-O: `__text` alone when only one segment has it.
  if (hits.length === 0) hits = image.sections.filter((s) => s.name.endsWith(`,${ref.name}`));
  if (hits.length === 1) return hits[0]!;
  const names = image.sections.map((s) => s.name).filter((n) => n.length > 0);
  if (hits.length === 0) {
    throw new ExeFormatError(`${shown(ref.text)}: no section ${shown(ref.name)} in this ${image.description} file (sections: ${candidates(names)})`, {
      token: ref.text,
    });
  }
  throw new ExeFormatError(`${shown(ref.text)}: ${hits.length} sections are called ${shown(ref.name)} (indexes ${hits.map((s) => s.index).join(', ')})`, {
    token: ref.text,
  });
}

/**
 * The file offset of virtual address `va`, through the segments that load (ELF `PT_LOAD`; every
 * Mach-O segment) or, for PE and files without segments, the sections. A span whose file bytes
 * hold `va` wins over one where `va` falls only in the zero-filled tail (ELF's `PT_TLS` covers
 * `.tbss`, whose addresses other sections reuse).
 */
export function vaToOffset(image: ExeImage, va: bigint, text: string): bigint {
  if (image.kind === 'rel' || image.kind === 'object') {
    throw new ExeFormatError(`${shown(text)}: a relocatable object has no virtual addresses; use sym: or sec:`, { token: text });
  }
  const segments = image.format === 'elf' ? image.segments.filter((s) => s.name === 'load') : image.format === 'pe' ? [] : image.segments;
  const spans =
    segments.length > 0
      ? segments.map((s) => ({ what: `segment ${s.index} (${s.name})`, addr: s.addr, mem: s.memSize, file: s.fileSize, offset: s.offset }))
      : image.sections
          .filter((s) => s.addr !== 0n)
          .map((s) => ({ what: `section ${s.name}`, addr: s.addr, mem: s.memSize, file: s.fileSize, offset: s.offset }));
  for (const s of spans) {
    if (va >= s.addr && va - s.addr < s.file) return s.offset + (va - s.addr);
  }
  for (const s of spans) {
    if (va >= s.addr && va - s.addr < s.mem) {
      throw new ExeFormatError(`${shown(text)}: virtual address ${formatOffset(va)} is in ${s.what} but has no bytes in the file (like .bss)`, {
        token: text,
      });
    }
  }
  throw new ExeFormatError(`${shown(text)}: virtual address ${formatOffset(va)} is in no ${segments.length > 0 ? 'segment' : 'section'} of this file`, {
    token: text,
  });
}

/**
 * Where `ref` is in the file.
 *
 * @throws {ExeFormatError} a missing or ambiguous name (listing candidates), a segment number out
 *   of range, an address in no segment or in one without file bytes, `rva:` outside PE.
 */
export function resolveAddress(image: ExeImage, ref: AddressRef): ResolvedAddress {
  switch (ref.kind) {
    case 'sym':
      return symbolAddress(image, ref);
    case 'sec': {
      const s = findSection(image, ref);
      if (s.fileSize === 0n && s.memSize > 0n) {
        throw new ExeFormatError(`${shown(ref.text)}: section ${s.name} has no bytes in the file`, { token: ref.text });
      }
      return { offset: s.offset + ref.addend, length: ref.hasAddend ? null : s.fileSize };
    }
    case 'seg': {
      const n = parseNumber(ref.name, 'segment number');
      const s = image.segments[Number(n)];
      if (n >= BigInt(image.segments.length) || s === undefined) {
        throw new ExeFormatError(
          `${shown(ref.text)}: this ${image.description} file has ${image.segments.length} segments (seg:0..seg:${image.segments.length - 1})`,
          {
            token: ref.text,
          },
        );
      }
      return { offset: s.offset + ref.addend, length: ref.hasAddend ? null : s.fileSize };
    }
    case 'va':
      return { offset: vaToOffset(image, parseNumber(ref.name, 'address') + ref.addend, ref.text), length: null };
    case 'rva': {
      if (image.imageBase === null) throw new ExeFormatError(`${shown(ref.text)}: rva: is for PE files; this is ${image.description}`, { token: ref.text });
      return { offset: vaToOffset(image, image.imageBase + parseNumber(ref.name, 'address') + ref.addend, ref.text), length: null };
    }
  }
}
