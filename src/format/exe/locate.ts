/**
 * From file offsets back to what an executable says is there: the section an offset is in and its
 * virtual address (`find --addr`), and the section starts a range of the file crosses
 * (`hexdump --annotate`). Pure, over the shared {@link ExeImage} shape: the same for ELF, PE and
 * Mach-O.
 */

import { formatOffset } from '../number.js';
import type { ExeImage, Section, Segment } from './types.js';

/** Characters that could break a line or mislead a terminal: controls, separators, bidi controls, lone surrogates. */
const UNSAFE = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069]/gu;
const UNSAFE_ONE = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069]/u;

/**
 * A name from the file as it may be shown on a line of text: controls and the like (a hostile
 * file's names could hold escape sequences) become `\xNN` / `\uNNNN`. Names without any come back as they are.
 */
export function printableName(name: string): string {
  if (!UNSAFE_ONE.test(name)) return name;
  return name.replace(UNSAFE, (ch) => {
    const c = ch.charCodeAt(0);
    return c < 0x100 ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
  });
}

/** Where a file offset is in an image. */
export interface Location {
  /** The file offset. */
  readonly offset: bigint;
  /** The section whose file bytes hold it, or null (headers, padding, tables outside sections). */
  readonly section: string | null;
  /** The section's index in its table, or null. */
  readonly sectionIndex: number | null;
  /** The offset from the section's first byte, or null. */
  readonly sectionOffset: bigint | null;
  /** Its virtual address when loaded, or null (not loaded, or a relocatable object). */
  readonly va: bigint | null;
}

/** Sections with bytes in the file, in file order: what offsets are looked up in. */
function fileSections(image: ExeImage): Section[] {
  return image.sections
    .filter((s) => s.fileSize > 0n && s.type !== 'nobits' && s.offset + s.fileSize > s.offset)
    .sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : a.index - b.index));
}

function unlinked(image: ExeImage): boolean {
  return image.kind === 'rel' || image.kind === 'object';
}

/** Whether a section is loaded at its address (ELF `alloc`; PE and Mach-O sections have an address when loaded). */
function loaded(s: Section): boolean {
  return s.flags.includes('alloc') || s.addr !== 0n;
}

/**
 * Looks file offsets up in an image: build once ({@link locator}), then ask for many offsets
 * (binary search over the sections; the segments for the bytes between sections).
 */
export interface Locator {
  locate(offset: bigint): Location;
}

/** A {@link Locator} over `image`'s sections and segments. */
export function locator(image: ExeImage): Locator {
  const sections = fileSections(image);
  const loads: Segment[] = image.segments.filter((s) => s.fileSize > 0n);
  // ELF: the LOAD segments say where bytes are mapped (the others repeat parts of them).
  const mapped = loads.some((s) => s.name === 'load') ? loads.filter((s) => s.name === 'load') : loads;
  const noVa = unlinked(image);
  // reach[i]: the furthest end of sections[0..i], so that the look back stops where nothing earlier reaches.
  const reach: bigint[] = [];
  for (const [i, s] of sections.entries()) {
    const end = s.offset + s.fileSize;
    reach.push(i > 0 && reach[i - 1]! > end ? reach[i - 1]! : end);
  }
  // The last section starting at or before `offset` that holds it (sections may nest or overlap:
  // the innermost, latest-starting one wins).
  const sectionAt = (offset: bigint): Section | undefined => {
    let lo = 0;
    let hi = sections.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sections[mid]!.offset <= offset) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0 && reach[i]! > offset; i--) {
      const s = sections[i]!;
      if (offset < s.offset + s.fileSize) return s;
    }
    return undefined;
  };
  return {
    locate(offset: bigint): Location {
      const s = sectionAt(offset);
      let va: bigint | null = null;
      if (!noVa) {
        if (s !== undefined && loaded(s)) va = s.addr + (offset - s.offset);
        else {
          const seg = mapped.find((g) => offset >= g.offset && offset < g.offset + g.fileSize);
          if (seg !== undefined) va = seg.addr + (offset - seg.offset);
        }
      }
      return {
        offset,
        section: s?.name ?? null,
        sectionIndex: s?.index ?? null,
        sectionOffset: s === undefined ? null : offset - s.offset,
        va,
      };
    },
  };
}

/** `.text+0x40`, or null outside sections. */
export function sectionPlace(l: Location): string | null {
  return l.section === null || l.sectionOffset === null ? null : `${l.section}+${formatOffset(l.sectionOffset)}`;
}

/** A section start inside a range of the file, for a dump's header line. */
export interface SectionStart {
  /** Where the header goes: the section's first byte, or the range's start when the section began before it. */
  readonly offset: bigint;
  readonly section: Section;
  /** `-- .text (VA 0x401000) --` (no VA for sections that are not loaded or in a relocatable object). */
  readonly text: string;
}

/**
 * The header lines of a dump of `[start, end)`: one per section with file bytes that starts inside
 * it, and one at `start` for the section already under way there (if any).
 */
export function sectionStarts(image: ExeImage, start: bigint, end: bigint): SectionStart[] {
  const noVa = unlinked(image);
  const text = (s: Section): string =>
    `-- ${s.name.length > 0 ? printableName(s.name) : `section ${s.index}`}${!noVa && loaded(s) ? ` (VA ${formatOffset(s.addr)})` : ''} --`;
  const out: SectionStart[] = [];
  for (const s of fileSections(image)) {
    if (s.offset >= end) break;
    if (s.offset >= start) out.push({ offset: s.offset, section: s, text: text(s) });
    else if (s.offset + s.fileSize > start) out.push({ offset: start, section: s, text: text(s) });
  }
  return out.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
}
