/**
 * Resolving a patch against a file's current bytes, before anything is written.
 *
 * {@link planPatch} takes the file as a size and a `read(offset, length)` callback (the CLI reads
 * through windows of a mapping; tests pass a Uint8Array through {@link bytesAccess}) and:
 *
 * 1. resolves negative offsets and anchors (one pass over the file for all anchors);
 * 2. decides the final size (`size after`, or growth to the last hunk's end when `grow`) and
 *    refuses hunks past it, growth without `grow`, shrinking without `truncate`;
 * 3. refuses overlapping hunks, naming both lines;
 * 4. classifies each hunk: `already` (its range holds the new bytes), `fail` (a guard differs),
 *    or `apply`; checks `size before`.
 *
 * Structural problems (overlaps, out of range) throw {@link InputError}; guard failures and
 * anchors matching the wrong number of times are collected in `plan.failures`, so a report can
 * list them all, and {@link assertPlan} turns them into one {@link GuardError}. Hashes are left to
 * the caller: {@link hashesNeeded} says which to compute, {@link checkHashes} judges them, and
 * {@link patchedChunks} streams the would-be result for `sha256 after` before anything is written.
 *
 * The file model: the patch first resizes the file (growing fills with zeros), then writes the
 * hunks. So bytes past the current end read as zeros, for guards and for "already applied".
 */

import { GuardError, InputError } from '../../errors.js';
import { MAX_FILE_SIZE, MAX_FILE_SIZE_TEXT, unresolvedAddress } from '../number.js';
import { compilePattern, WindowScanner } from '../search.js';
import { formatHex, formatPattern, hex } from './lex.js';
import { equalBytes } from '../bytes.js';
import { resolveRange } from '../range.js';
import {
  describeSource,
  firstAddress,
  isFromEnd,
  MAX_HUNKS,
  MAX_STATEMENT_BYTES,
  tooManyHunks,
  type AnchorHunk,
  type BytePattern,
  type FileGuards,
  type Hunk,
  type Patch,
  type RangeOp,
  type ShiftStatement,
  type Source,
} from './model.js';

/** Read access to the file being patched. */
export interface FileAccess {
  /** Current size in bytes. */
  readonly size: bigint;
  /**
   * `length` bytes at `offset` (always within `size`). The result is only read before the next
   * call, so it may be a view into a window that the callback replaces later.
   */
  read(offset: bigint, length: number): Uint8Array;
}

/** A FileAccess over bytes in memory. */
export function bytesAccess(bytes: Uint8Array): FileAccess {
  return { size: BigInt(bytes.length), read: (offset, length) => bytes.subarray(Number(offset), Number(offset) + length) };
}

export interface PlanOptions {
  /** Allow the file to grow (hunks past the end, a larger `size after`). */
  readonly grow?: boolean;
  /** Allow the file to shrink (a smaller `size after`). */
  readonly truncate?: boolean;
  /** Bytes per read while scanning for anchors (default 64 MiB). */
  readonly window?: number;
  /** How anchors are searched (default {@link sequentialScan} over `file`); the CLI scans in parallel. */
  readonly scan?: PatternScan;
  /** SHA-256 of some bytes, lowercase hex: needed by transform statements (their guard is the range's hash after them). */
  readonly sha256?: (data: Uint8Array) => string;
}

export type HunkState = 'apply' | 'already' | 'fail';

/** A hunk resolved to an absolute offset and classified against the file. */
export interface PlannedHunk {
  readonly offset: bigint;
  readonly old?: Uint8Array;
  readonly new: Uint8Array;
  /**
   * The bytes there now (a copy, never a view of the file; zeros past the current end; one array
   * may serve several hunks: do not modify it). The journal saves these.
   */
  readonly current: Uint8Array;
  readonly state: HunkState;
  /** The hunk it came from (an anchor yields one planned hunk per match). */
  readonly hunk: Hunk;
  /** For anchor hunks: where the pattern matched. */
  readonly match?: bigint;
}

export interface Plan {
  /** The file's size now. */
  readonly sizeBefore: bigint;
  /** The size the patch leaves (equal to sizeBefore when it does not resize). */
  readonly sizeAfter: bigint;
  /** Sorted by offset, disjoint. */
  readonly hunks: readonly PlannedHunk[];
  /** One line per failed guard or anchor, `SOURCE: what`, in source order. */
  readonly failures: readonly string[];
  /** `fail` if anything failed; `already` if every hunk is already applied and no resize is due. */
  readonly state: 'apply' | 'already' | 'fail';
  /** The patch's file guards (hashes are checked by the caller, see checkHashes). */
  readonly guards: FileGuards;
  /**
   * The patch's inserts and deletes (see {@link planShifts}), in the order of the result: by
   * offset; at one offset the inserts in the patch's order, then the delete. Absent without any.
   * `sizeAfter` is then the size they give, and `hunks` are in the coordinates before the patch.
   */
  readonly shifts?: readonly PlannedShift[];
}

/** An insert or delete of a patch, resolved against the file before the patch. */
export interface PlannedShift {
  readonly kind: 'insert' | 'delete';
  /** Where, in the file before the patch. */
  readonly offset: bigint;
  /** Bytes inserted or deleted. */
  readonly length: bigint;
  /** An insert's bytes. */
  readonly bytes?: Uint8Array;
  /** A delete's guard: the bytes being deleted. */
  readonly old?: Uint8Array;
  readonly statement: ShiftStatement;
}

/** Bytes [offset, offset+length) of the file, zeros past its end: always a copy. */
function readVirtual(file: FileAccess, offset: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  if (offset < file.size) {
    const n = Number(file.size - offset < BigInt(length) ? file.size - offset : BigInt(length));
    out.set(file.read(offset, n).subarray(0, n), 0);
  }
  return out;
}

/** A pattern for messages: its hex, and its alignment when it has one. */
function patternText(p: BytePattern): string {
  const text = formatPattern(p.bytes, p.mask);
  return p.align !== undefined && p.align > 1 ? `${text} (aligned to ${p.align})` : text;
}

/** The anchor's pattern as it reads once its change is in place (undefined if no overlap). */
function postPattern(a: AnchorHunk): BytePattern | undefined {
  const L = BigInt(a.pattern.bytes.length);
  const from = a.relOffset > 0n ? a.relOffset : 0n;
  const to = a.relOffset + BigInt(a.new.length) < L ? a.relOffset + BigInt(a.new.length) : L;
  if (from >= to) return undefined;
  const bytes = Uint8Array.from(a.pattern.bytes);
  const mask = Uint8Array.from(a.pattern.mask);
  let differs = false;
  for (let i = Number(from); i < Number(to); i++) {
    const nb = a.new[i - Number(a.relOffset)]!;
    if (mask[i] !== 0xff || bytes[i] !== nb) differs = true;
    bytes[i] = nb;
    mask[i] = 0xff;
  }
  return differs ? { bytes, mask, ...(a.pattern.align !== undefined && { align: a.pattern.align }) } : undefined;
}

interface AnchorScan {
  readonly anchor: AnchorHunk;
  readonly post: BytePattern | undefined;
  preCount: number;
  preAt: readonly bigint[];
  postCount: number;
  postAt: readonly bigint[];
}

/** `all` patches at most this many matches: each becomes a hunk held in memory. */
export const MAX_ALL_MATCHES = 1_000_000;

/** Keep every position for `all` (up to one past the cap); otherwise enough to resolve and quote. */
function keepLimit(expect: AnchorHunk['expect']): number {
  return expect === 'all' ? MAX_ALL_MATCHES + 1 : expect + 3;
}

/** What a pattern search over the whole file reports: every match counted, the first `keep` kept. */
export interface PatternMatches {
  readonly count: number;
  /** Start offsets of the first matches, increasing. */
  readonly at: readonly bigint[];
}

/**
 * Searches the whole file for each pattern (matches may overlap), keeping the first `keep[i]`
 * positions of pattern i: the default is one sequential pass through `file.read` windows.
 */
export type PatternScan = (patterns: readonly BytePattern[], keep: readonly number[]) => PatternMatches[];

/** The default {@link PatternScan}: one pass over the file in windows, feeding every pattern's scanner. */
export function sequentialScan(file: FileAccess, window = 64 * 1024 * 1024): PatternScan {
  return (patterns, keep) => {
    const jobs = patterns.map((p, i) => ({ scanner: new WindowScanner(compilePattern(p)), at: [] as bigint[], limit: keep[i]! }));
    if (jobs.length === 0) return [];
    for (let off = 0n; off < file.size; off += BigInt(window)) {
      const len = Number(file.size - off < BigInt(window) ? file.size - off : BigInt(window));
      const view = file.read(off, len);
      for (const j of jobs) j.scanner.scan(view, off, (at) => void (j.at.length < j.limit && j.at.push(at)));
    }
    return jobs.map((j) => ({ count: j.scanner.count, at: j.at }));
  };
}

function scanAnchors(anchors: readonly AnchorHunk[], scan: PatternScan): AnchorScan[] {
  const scans = anchors.map((anchor): AnchorScan => ({ anchor, post: postPattern(anchor), preCount: 0, preAt: [], postCount: 0, postAt: [] }));
  if (scans.length === 0) return scans;
  scan(
    scans.map((s) => s.anchor.pattern),
    scans.map((s) => keepLimit(s.anchor.expect)),
  ).forEach((m, i) => {
    scans[i]!.preCount = m.count;
    scans[i]!.preAt = m.at;
  });
  // The patched form only matters where the pattern itself does not match as expected (typically
  // a rerun of an applied patch): a second pass for those anchors only, so a first application
  // reads the file once.
  const rerun = scans.filter((s) => s.post !== undefined && !satisfies(s.anchor.expect, s.preCount));
  if (rerun.length > 0) {
    scan(
      rerun.map((s) => s.post!),
      rerun.map((s) => keepLimit(s.anchor.expect)),
    ).forEach((m, i) => {
      rerun[i]!.postCount = m.count;
      rerun[i]!.postAt = m.at;
    });
  }
  return scans;
}

function satisfies(expect: AnchorHunk['expect'], count: number): boolean {
  return expect === 'all' ? count >= 1 : count === expect;
}

function countText(expect: AnchorHunk['expect']): string {
  return expect === 'all' ? 'at least once' : expect === 1 ? 'once' : `${expect} times`;
}

function times(n: number): string {
  return n === 1 ? 'once' : `${n} times`;
}

/**
 * The bytes a match of the anchor's own pattern holds where its change goes, when the pattern
 * fixes every one of them (no wildcard there, the change inside the match): the file need not be
 * read again for them. One array for all matches.
 */
function knownCurrent(a: AnchorHunk): Uint8Array | undefined {
  const from = Number(a.relOffset);
  const to = from + a.new.length;
  if (from < 0 || to > a.pattern.bytes.length) return undefined;
  for (let i = from; i < to; i++) if (a.pattern.mask[i] !== 0xff) return undefined;
  return a.pattern.bytes.slice(from, to);
}

/**
 * Match positions the anchor resolves to, or a failure line; `current`: the bytes every match
 * holds at the change, when the matches are all of the pattern itself and it fixes them.
 */
function resolveAnchor(s: AnchorScan): { at: readonly bigint[]; current?: Uint8Array } | { failure: string } {
  const { anchor } = s;
  const pre = s.preCount;
  if (anchor.expect === 'all' && pre > MAX_ALL_MATCHES) {
    return {
      failure: `${describeSource(anchor.source)}: find ${patternText(anchor.pattern)} matched ` + `${pre} times; (all) patches at most ${MAX_ALL_MATCHES}`,
    };
  }
  if (satisfies(anchor.expect, pre)) {
    const current = knownCurrent(anchor);
    return { at: s.preAt, ...(current !== undefined && { current }) };
  }
  const postCount = s.postCount;
  // The positions kept are complete unless a count ran past keepLimit, and then the union
  // exceeds any numeric expectation (or the cap of `all`) anyway.
  if (s.post && s.preAt.length === pre && s.postAt.length === postCount) {
    const union = [...new Set([...s.preAt, ...s.postAt])].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    // Trust the patched form only if it locates disjoint changes: `de ad -> 00 00 (all)` must
    // not take every pair of zeros in the file for an applied change.
    const len = BigInt(anchor.new.length);
    const disjoint = union.every((m, i) => i === 0 || m - union[i - 1]! >= len);
    if (disjoint && satisfies(anchor.expect, union.length)) return { at: union };
  }
  const where = s.preAt.length > 0 ? ` at ${s.preAt.slice(0, 3).map(hex).join(', ')}${pre > 3 ? ', ...' : ''}` : '';
  const post = postCount > 0 ? ` (${times(postCount)} with the change applied)` : '';
  return {
    failure:
      `${describeSource(anchor.source)}: find ${patternText(anchor.pattern)} matched ` +
      `${pre === 0 ? 'nothing' : times(pre)}${where}${post}; expected ${countText(anchor.expect)}`,
  };
}

interface Resolved {
  readonly offset: bigint;
  readonly hunk: Hunk;
  readonly match?: bigint;
  /** The bytes there now, when the scan already saw them (see knownCurrent). */
  readonly current?: Uint8Array;
}

const OP_COMMAND = { fill: 'fill', copy: 'copy', transform: 'transform' } as const;

/** A range statement's range in the file (within it, not empty, at most MAX_STATEMENT_BYTES). */
function opRange(o: RangeOp, size: bigint, what: string): { offset: bigint; length: number } {
  const where = describeSource(o.source);
  let r: { offset: bigint; length: bigint };
  try {
    r = resolveRange(o.range, size);
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${where}: ${what}: ${err.message}`, { line: o.source.line });
    throw err;
  }
  if (r.length === 0n) throw new InputError(`${where}: ${what}: the range ${o.range.text} is empty`, { line: o.source.line });
  if (r.length > BigInt(MAX_STATEMENT_BYTES)) {
    throw new InputError(
      `${where}: ${what} covers ${r.length} bytes, more than a patch statement may (${MAX_STATEMENT_BYTES}: its bytes are held in memory); ` +
        `use the command 'mmapx ${OP_COMMAND[o.kind]}' for larger ranges`,
      { line: o.source.line },
    );
  }
  return { offset: r.offset, length: Number(r.length) };
}

/**
 * Resolves the range statements against the file's bytes as they are before the patch: each
 * becomes an offset hunk (its new bytes computed now), or a failure (a transform whose result
 * is not the one its hash names). Copies' sources are returned too, so that the caller can refuse
 * a change to them (a rerun would read other bytes).
 */
function resolveOps(
  ops: readonly RangeOp[],
  file: FileAccess,
  sha256: ((data: Uint8Array) => string) | undefined,
  resolved: Resolved[],
  failures: { source: Source; text: string }[],
): { source: Source; offset: bigint; end: bigint }[] {
  const sources: { source: Source; offset: bigint; end: bigint }[] = [];
  const size = file.size;
  for (const o of ops) {
    const note = o.note !== undefined ? { note: o.note } : {};
    if (o.kind === 'fill') {
      const r = opRange(o, size, 'fill');
      const bytes = new Uint8Array(r.length);
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).fill(o.pattern);
      resolved.push({ offset: r.offset, hunk: { kind: 'offset', offset: r.offset, new: bytes, source: o.source, ...note } });
    } else if (o.kind === 'copy') {
      const r = opRange(o, size, 'copy');
      const to = o.toFromEnd ? size + o.to : o.to;
      const where = describeSource(o.source);
      if (to < 0n) throw new InputError(`${where}: copy to ${hex(o.to)}: before the start of the file (size ${hex(size)})`, { line: o.source.line });
      const end = r.offset + BigInt(r.length);
      if (to < end && r.offset < to + BigInt(r.length)) {
        throw new InputError(
          `${where}: copy ${o.range.text} to ${hex(to)}: the source and the destination overlap; a patch reads its bytes before it writes, so use the command 'mmapx copy'`,
          { line: o.source.line },
        );
      }
      const bytes = readVirtual(file, r.offset, r.length);
      resolved.push({ offset: to, hunk: { kind: 'offset', offset: to, new: bytes, source: o.source, ...note } });
      sources.push({ source: o.source, offset: r.offset, end });
    } else {
      const r = opRange(o, size, o.op);
      const where = describeSource(o.source);
      if (r.length % o.transform.unit !== 0) {
        throw new InputError(
          `${where}: ${o.transform.text}: the range ${o.range.text} (${r.length} bytes) is not a whole number of ${o.transform.unit}-byte units`,
          {
            line: o.source.line,
          },
        );
      }
      if (!sha256) throw new TypeError('planPatch: a transform statement needs opts.sha256');
      const current = readVirtual(file, r.offset, r.length);
      if (sha256(current) === o.after) {
        // Applied already: a hunk that holds its bytes.
        resolved.push({ offset: r.offset, hunk: { kind: 'offset', offset: r.offset, new: current, source: o.source, ...note } });
        continue;
      }
      const bytes = Uint8Array.from(current);
      o.transform.apply(bytes, 0);
      const got = sha256(bytes);
      if (got !== o.after) {
        failures.push({
          source: o.source,
          text: `${where}: ${o.transform.text} of ${o.range.text} would give sha256 ${got}, expected ${o.after} (nor does the range hold that result already)`,
        });
        continue;
      }
      resolved.push({ offset: r.offset, hunk: { kind: 'offset', offset: r.offset, old: current, new: bytes, source: o.source, ...note } });
    }
  }
  return sources;
}

function compareSource(a: Source, b: Source): number {
  return a.name === b.name ? a.line - b.line : 0;
}

/**
 * Resolves and classifies `patch` against the file. Nothing is written.
 *
 * @throws {InputError} for a negative offset before the start of the file, overlapping hunks
 *   (naming both), hunks past the end without `grow` or past `size after`, growth without
 *   `grow`, shrinking without `truncate`, growth past {@link MAX_FILE_SIZE}; a symbolic address
 *   (`at sym:...`) the engine has not resolved against the file (src/edit/address.ts bindPatch).
 */
export function planPatch(patch: Patch, file: FileAccess, opts: PlanOptions = {}): Plan {
  const unbound = firstAddress(patch);
  if (unbound !== undefined) {
    throw new InputError(`${describeSource(unbound.source)}: ${unresolvedAddress(unbound.text).message}`, { line: unbound.source.line });
  }
  if (patch.shifts !== undefined && patch.shifts.length > 0) return planShifts(patch, file, opts);
  const size = file.size;
  const failures: { source: Source; text: string }[] = [];
  const resolved: Resolved[] = [];
  const anchors: AnchorHunk[] = [];
  for (const h of patch.hunks) {
    if (h.kind === 'anchor') {
      anchors.push(h);
      continue;
    }
    const offset = isFromEnd(h) ? size + h.offset : h.offset;
    if (offset < 0n) {
      throw new InputError(`${describeSource(h.source)}: offset ${hex(h.offset)} is before the start of the file (size ${hex(size)})`, { line: h.source.line });
    }
    resolved.push({ offset, hunk: h });
  }
  for (const s of scanAnchors(anchors, opts.scan ?? sequentialScan(file, opts.window))) {
    const r = resolveAnchor(s);
    if ('failure' in r) {
      failures.push({ source: s.anchor.source, text: r.failure });
      continue;
    }
    for (const m of r.at) {
      const offset = m + s.anchor.relOffset;
      if (offset < 0n) {
        throw new InputError(`${describeSource(s.anchor.source)}: the match at ${hex(m)} puts the change at ${hex(offset)}, before the start of the file`, {
          line: s.anchor.source.line,
        });
      }
      resolved.push({ offset, hunk: s.anchor, match: m, ...(r.current !== undefined && { current: r.current }) });
    }
  }
  const copySources = patch.ops ? resolveOps(patch.ops, file, opts.sha256, resolved, failures) : [];
  // Every source counted its own; together (a patch file, --edit, the matches of each find) they may still be too many.
  if (resolved.length > MAX_HUNKS) throw tooManyHunks(resolved[MAX_HUNKS]!.hunk.source);

  // Final size.
  const g = patch.guards;
  let maxEnd = 0n;
  let last: Resolved | undefined;
  for (const r of resolved) {
    const end = r.offset + BigInt(r.hunk.new.length);
    if (end > maxEnd) {
      maxEnd = end;
      last = r;
    }
  }
  // A size no file can be given is refused first: it is no question of --grow or --truncate.
  const wanted = g.sizeAfter?.value ?? maxEnd;
  if (wanted > size && wanted > MAX_FILE_SIZE) {
    const src = g.sizeAfter?.source ?? last!.hunk.source;
    const what = g.sizeAfter ? `size after ${hex(wanted)}` : `the change at ${hex(last!.offset)}..${hex(maxEnd)}`;
    throw new InputError(`${describeSource(src)}: ${what} would grow the file past the largest size mmapx gives a file (${MAX_FILE_SIZE_TEXT})`, {
      line: src.line,
    });
  }
  const sizeAfter = g.sizeAfter?.value ?? (opts.grow && maxEnd > size ? maxEnd : size);
  if (sizeAfter > size && !opts.grow) {
    // Only a declared size can grow the file without opts.grow.
    const src = g.sizeAfter!.source;
    throw new InputError(`${describeSource(src)}: size after ${hex(sizeAfter)} grows the file from ${hex(size)}; growing needs --grow`, { line: src.line });
  }
  if (sizeAfter < size && !opts.truncate) {
    throw new InputError(
      `${describeSource(g.sizeAfter!.source)}: size after ${hex(sizeAfter)} shrinks the file from ${hex(size)}; shrinking needs --truncate`,
      { line: g.sizeAfter!.source.line },
    );
  }
  if (sizeAfter !== size) {
    // "From the end" would mean another place once the file has its new size, and a second run
    // would not find the change applied: refuse the combination.
    const fromEnd =
      patch.hunks.find((h) => h.kind === 'offset' && isFromEnd(h)) ??
      patch.ops?.find((o) => o.range.start.fromEnd || (o.range.kind === 'span' && o.range.end?.fromEnd) || (o.kind === 'copy' && o.toFromEnd));
    if (fromEnd) {
      throw new InputError(
        `${describeSource(fromEnd.source)}: an offset from the end cannot be combined with a change of the file size ` + `(${hex(size)} -> ${hex(sizeAfter)})`,
        { line: fromEnd.source.line },
      );
    }
  }
  if (maxEnd > sizeAfter && last) {
    const where = `${describeSource(last.hunk.source)}: the change at ${hex(last.offset)}..${hex(maxEnd)}`;
    throw new InputError(
      g.sizeAfter
        ? `${where} ends past size after ${hex(sizeAfter)} (${describeSource(g.sizeAfter.source)})`
        : `${where} ends past the end of the file (size ${hex(size)}); growing the file needs --grow`,
      { line: last.hunk.source.line },
    );
  }

  // Overlaps.
  resolved.sort((x, y) => (x.offset < y.offset ? -1 : x.offset > y.offset ? 1 : compareSource(x.hunk.source, y.hunk.source)));
  let reach: Resolved | undefined;
  let reachEnd = -1n;
  for (const r of resolved) {
    const end = r.offset + BigInt(r.hunk.new.length);
    if (reach && r.offset < reachEnd) {
      const [first, second] = compareSource(reach.hunk.source, r.hunk.source) <= 0 ? [reach, r] : [r, reach];
      const lo = r.offset;
      const hi = end < reachEnd ? end : reachEnd;
      const same = first.hunk === second.hunk ? ' (two matches of the same pattern)' : '';
      throw new InputError(`${describeSource(first.hunk.source)} and ${describeSource(second.hunk.source)} overlap at ` + `${hex(lo)}..${hex(hi)}${same}`, {
        line: second.hunk.source.line,
      });
    }
    if (end > reachEnd) {
      reachEnd = end;
      reach = r;
    }
  }

  // A copy reads its source before the patch: a change to that source would make a second run
  // copy other bytes, so it is refused (resolved is sorted by offset here).
  for (const c of copySources) {
    for (const r of resolved) {
      if (r.offset >= c.end) break;
      if (r.offset + BigInt(r.hunk.new.length) > c.offset) {
        throw new InputError(
          `${describeSource(c.source)}: the source of the copy (${hex(c.offset)}..${hex(c.end)}) is changed by ${describeSource(r.hunk.source)}: ` +
            'a patch reads every source before it writes, so a second run would copy other bytes; use two patches',
          { line: c.source.line },
        );
      }
    }
  }

  // Classification.
  const hunks: PlannedHunk[] = resolved.map((r) => {
    const h = r.hunk;
    const current = r.current ?? readVirtual(file, r.offset, h.new.length);
    let state: HunkState = 'apply';
    if (equalBytes(current, h.new)) state = 'already';
    else if (h.old !== undefined && !equalBytes(current, h.old)) {
      state = 'fail';
      failures.push({
        source: h.source,
        text:
          `${describeSource(h.source)}: at ${hex(r.offset)} expected ${formatHex(h.old)}, found ${formatHex(current)}` +
          (r.match !== undefined ? ` (match at ${hex(r.match)})` : ''),
      });
    }
    return {
      offset: r.offset,
      ...(h.old !== undefined && { old: h.old }),
      new: h.new,
      current,
      state,
      hunk: h,
      ...(r.match !== undefined && { match: r.match }),
    };
  });

  const allAlready = hunks.every((h) => h.state === 'already');
  if (g.sizeBefore && g.sizeBefore.value !== size) {
    const isAfter = g.sizeAfter !== undefined && g.sizeAfter.value === size && allAlready;
    if (!isAfter) {
      failures.push({
        source: g.sizeBefore.source,
        text: `${describeSource(g.sizeBefore.source)}: expected the file to be ${hex(g.sizeBefore.value)} bytes, it is ${hex(size)}`,
      });
    }
  }
  failures.sort((x, y) => compareSource(x.source, y.source));
  const state = failures.length > 0 ? 'fail' : allAlready && sizeAfter === size ? 'already' : 'apply';
  return { sizeBefore: size, sizeAfter, hunks, failures: failures.map((f) => f.text), state, guards: g };
}

/**
 * @throws {GuardError} when the plan failed: the first failure, and how many more there are.
 */
export function assertPlan(plan: Plan): void {
  if (plan.state !== 'fail') return;
  const more = plan.failures.length > 1 ? ` (and ${plan.failures.length - 1} more)` : '';
  throw new GuardError(`${plan.failures[0]}${more}`);
}

/**
 * Which SHA-256 values the caller must compute before writing: of the file as it is now
 * (`current`), and of the would-be result (`result`, see {@link patchedChunks}).
 */
export function hashesNeeded(plan: Plan): { current: boolean; result: boolean } {
  const g = plan.guards;
  if (plan.state === 'already') return { current: g.sha256After !== undefined, result: false };
  if (plan.state === 'fail') return { current: false, result: false };
  return { current: g.sha256Before !== undefined, result: g.sha256After !== undefined };
}

/**
 * Judges the hashes that {@link hashesNeeded} asked for (lowercase hex).
 *
 * @throws {GuardError} when a hash differs from the patch's guard.
 * @throws {TypeError} when a needed hash was not given (a caller bug).
 */
export function checkHashes(plan: Plan, hashes: { current?: string; result?: string }): void {
  const need = hashesNeeded(plan);
  const g = plan.guards;
  const check = (have: string | undefined, guard: FileGuards['sha256Before'], what: string): void => {
    if (!guard) return;
    if (have === undefined) throw new TypeError(`checkHashes: the ${what} hash is needed`);
    if (have.toLowerCase() !== guard.value) {
      throw new GuardError(`${describeSource(guard.source)}: sha256 of ${what} is ${have.toLowerCase()}, expected ${guard.value}`);
    }
  };
  if (plan.state === 'already') {
    if (need.current) check(hashes.current, g.sha256After, 'the file (already patched)');
    return;
  }
  if (need.current) check(hashes.current, g.sha256Before, 'the file');
  if (need.result) check(hashes.result, g.sha256After, 'the patched file');
}

/**
 * The file as the plan would leave it, `[0, sizeAfter)`, in chunks of `chunkSize` bytes — for
 * hashing the result before writing. Each chunk is a fresh array.
 */
export function* patchedChunks(plan: Plan, file: FileAccess, chunkSize = 1024 * 1024): Generator<Uint8Array> {
  const apply = plan.hunks.filter((h) => h.state === 'apply');
  let k = 0;
  for (let pos = 0n; pos < plan.sizeAfter; pos += BigInt(chunkSize)) {
    const n = Number(plan.sizeAfter - pos < BigInt(chunkSize) ? plan.sizeAfter - pos : BigInt(chunkSize));
    const chunk = readVirtual(file, pos, n);
    while (k < apply.length && apply[k]!.offset + BigInt(apply[k]!.new.length) <= pos) k++;
    applyPlanSlice(chunk, apply, k, pos);
    yield chunk;
  }
}

function applyPlanSlice(view: Uint8Array, hunks: readonly PlannedHunk[], from: number, viewOffset: bigint): number {
  const viewEnd = viewOffset + BigInt(view.length);
  let written = 0;
  for (let i = from; i < hunks.length; i++) {
    const h = hunks[i]!;
    if (h.offset >= viewEnd) break;
    const end = h.offset + BigInt(h.new.length);
    if (h.state !== 'apply' || end <= viewOffset) continue;
    const s = h.offset > viewOffset ? h.offset : viewOffset;
    const e = end < viewEnd ? end : viewEnd;
    view.set(h.new.subarray(Number(s - h.offset), Number(e - h.offset)), Number(s - viewOffset));
    written += Number(e - s);
  }
  return written;
}

/**
 * Writes the plan's `apply` hunks that fall inside `view`, a window of the (already resized) file
 * starting at `viewOffset`; parts outside the window are skipped, so a caller can go window by
 * window. Nothing else in the view changes. Returns the number of bytes written.
 */
export function applyPlan(view: Uint8Array, plan: Plan, viewOffset = 0n): number {
  return applyPlanSlice(view, plan.hunks, 0, viewOffset);
}

export interface ApplyInMemoryOptions extends PlanOptions {
  /** SHA-256 of some bytes, lowercase hex: needed when the patch has sha256 guards. */
  readonly sha256?: (data: Uint8Array) => string;
}

/**
 * Plans and applies a patch to bytes in memory; the input is not modified. For tests and small
 * inputs.
 *
 * @throws {InputError} as planPatch; {GuardError} when a guard fails.
 */
export function applyPatchToBytes(bytes: Uint8Array, patch: Patch, opts: ApplyInMemoryOptions = {}): { bytes: Uint8Array; plan: Plan } {
  const file = bytesAccess(bytes);
  const plan = planPatch(patch, file, opts);
  assertPlan(plan);
  const need = hashesNeeded(plan);
  const out = new Uint8Array(Number(plan.sizeAfter));
  if (plan.shifts) {
    let at = 0;
    for (const piece of shiftedChunks(plan, file)) {
      out.set(piece, at);
      at += piece.length;
    }
  } else {
    out.set(bytes.subarray(0, Math.min(bytes.length, out.length)));
    applyPlan(out, plan);
  }
  if (need.current || need.result) {
    if (!opts.sha256) throw new TypeError('applyPatchToBytes: the patch has sha256 guards; pass opts.sha256');
    checkHashes(plan, {
      ...(need.current && { current: opts.sha256(bytes) }),
      ...(need.result && { result: opts.sha256(out) }),
    });
  }
  return { bytes: out, plan };
}

/** Bytes of a delete's guard read from the file at most (its bytes are in the patch text anyway). */
function shiftWhere(s: ShiftStatement): string {
  return describeSource(s.source);
}

/**
 * Inserts and deletes one patch may hold. Each runs as a shift of the whole rest of the file (see
 * src/edit/patchshift.ts), so their cost adds up: the bound keeps a runaway patch from moving a
 * file thousands of times.
 */
export const MAX_SHIFTS = 1000;

/**
 * Plans a patch with inserts and deletes. Every address is one of the file before the patch: the
 * hunks and range statements are planned as {@link planPatch} does without them (`size after`
 * aside, and without growing or shrinking: the shifts alone change the size), then each shift is
 * resolved (negative offsets from the end of the file before the patch) and checked against the
 * others and the hunks. The result (see {@link shiftedChunks}): the original bytes with every
 * change in place, each insert's bytes before the byte at its offset, every deleted range left out.
 *
 * @throws {InputError} naming both lines: a change (hunk, anchor's match, range statement)
 *   overlapping a deleted range, two deletes overlapping, an insert strictly inside a deleted
 *   range; an insert past the end, a delete past it or empty, a guard of another length than the
 *   range, a result past {@link MAX_FILE_SIZE}; hunks past the end.
 */
function planShifts(patch: Patch, file: FileAccess, opts: PlanOptions): Plan {
  const size = file.size;
  const count = patch.shifts!.length;
  if (count > MAX_SHIFTS) {
    throw new InputError(
      `${shiftWhere(patch.shifts![MAX_SHIFTS]!)}: the patch has ${count} inserts and deletes, more than ${MAX_SHIFTS}: each one moves the rest of the file once, ` +
        'so the patch would move it that many times; split it, or write a new file',
      { line: patch.shifts![MAX_SHIFTS]!.source.line },
    );
  }
  const { sizeAfter: sizeGuard, ...rest } = patch.guards;
  // Without its shifts and `size after`, and neither grown nor shrunk: hunks stay within the file.
  let base: Plan;
  try {
    base = planPatch({ hunks: patch.hunks, guards: rest, ...(patch.ops && { ops: patch.ops }) }, file, { ...opts, grow: false, truncate: false });
  } catch (err) {
    // --grow does not apply: only the inserts change the size of such a patch.
    if (err instanceof InputError && err.message.endsWith('growing the file needs --grow')) {
      throw new InputError(
        `${err.message.slice(0, -'growing the file needs --grow'.length)}a patch with inserts or deletes changes the size only through them`,
        err.location,
      );
    }
    throw err;
  }
  const shifts: (PlannedShift & { seq: number })[] = [];
  patch.shifts!.forEach((s, seq) => {
    const where = shiftWhere(s);
    if (s.kind === 'insert') {
      const offset = s.fromEnd ? size + s.offset : s.offset;
      if (offset < 0n || offset > size) {
        throw new InputError(
          `${where}: insert at ${s.fromEnd ? '-' : ''}${hex(s.fromEnd ? -s.offset : s.offset)}: ${offset < 0n ? 'before the start' : 'past the end'} of the file (size ${hex(size)})`,
          {
            line: s.source.line,
          },
        );
      }
      if (s.bytes.length === 0) throw new InputError(`${where}: no bytes to insert`, { line: s.source.line });
      shifts.push({ kind: 'insert', offset, length: BigInt(s.bytes.length), bytes: s.bytes, statement: s, seq });
      return;
    }
    let r: { offset: bigint; length: bigint };
    try {
      r = resolveRange(s.range, size);
    } catch (err) {
      if (err instanceof InputError) throw new InputError(`${where}: delete: ${err.message}`, { line: s.source.line });
      throw err;
    }
    if (r.length === 0n) throw new InputError(`${where}: delete: the range ${s.range.text} is empty (0 bytes): nothing to delete`, { line: s.source.line });
    if (s.old !== undefined && BigInt(s.old.length) !== r.length) {
      throw new InputError(
        `${where}: delete ${s.range.text}: the guard has ${s.old.length} byte(s) but the range has ${r.length}: it must be the bytes being deleted`,
        {
          line: s.source.line,
        },
      );
    }
    shifts.push({ kind: 'delete', offset: r.offset, length: r.length, ...(s.old !== undefined && { old: s.old }), statement: s, seq });
  });
  // The order of the result: by offset; at one offset the inserts (in the patch's order) before the delete.
  shifts.sort((x, y) => (x.offset !== y.offset ? (x.offset < y.offset ? -1 : 1) : x.kind !== y.kind ? (x.kind === 'insert' ? -1 : 1) : x.seq - y.seq));
  const conflict = (a: ShiftStatement | Hunk, b: ShiftStatement | Hunk, what: string): never => {
    const [first, second] = compareSource(a.source, b.source) <= 0 ? [a, b] : [b, a];
    throw new InputError(`${describeSource(first.source)} and ${describeSource(second.source)}: ${what}`, { line: second.source.line });
  };
  let lastDelete: PlannedShift | undefined;
  for (const s of shifts) {
    if (s.kind === 'insert') {
      if (lastDelete && s.offset > lastDelete.offset && s.offset < lastDelete.offset + lastDelete.length) {
        conflict(
          lastDelete.statement,
          s.statement,
          `the insert at ${hex(s.offset)} is inside the deleted range ${hex(lastDelete.offset)}..${hex(lastDelete.offset + lastDelete.length)}`,
        );
      }
      continue;
    }
    if (lastDelete && s.offset < lastDelete.offset + lastDelete.length) {
      conflict(lastDelete.statement, s.statement, `the deleted ranges overlap at ${hex(s.offset)}..${hex(lastDelete.offset + lastDelete.length)}`);
    }
    lastDelete = s;
    // The hunks are sorted by offset and disjoint: the first one ending past the range's start.
    const end = s.offset + s.length;
    let lo = 0;
    let hi = base.hunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const h = base.hunks[mid]!;
      if (h.offset + BigInt(h.new.length) <= s.offset) lo = mid + 1;
      else hi = mid;
    }
    const h = base.hunks[lo];
    if (h && h.offset < end) {
      const at = h.offset > s.offset ? h.offset : s.offset;
      conflict(
        s.statement,
        h.hunk,
        `the change at ${hex(h.offset)}..${hex(h.offset + BigInt(h.new.length))} overlaps the deleted range ${hex(s.offset)}..${hex(end)} (at ${hex(at)})`,
      );
    }
  }
  let sizeAfter = size;
  for (const s of shifts) sizeAfter += s.kind === 'insert' ? s.length : -s.length;
  if (sizeAfter > MAX_FILE_SIZE) {
    const src = shifts.find((s) => s.kind === 'insert')!.statement.source;
    throw new InputError(
      `${describeSource(src)}: the inserts would grow the file to ${sizeAfter} bytes, past the largest size mmapx gives a file (${MAX_FILE_SIZE_TEXT})`,
      {
        line: src.line,
      },
    );
  }
  const failures: { source: Source; text: string }[] = [];
  const hunkFailures = base.failures;
  for (const s of shifts) {
    if (s.kind !== 'delete' || s.old === undefined) continue;
    const found = readVirtual(file, s.offset, s.old.length);
    if (!equalBytes(found, s.old)) {
      failures.push({
        source: s.statement.source,
        text: `${shiftWhere(s.statement)}: delete at ${hex(s.offset)} expected ${shortHex(s.old)}, found ${shortHex(found)}`,
      });
    }
  }
  if (sizeGuard && sizeGuard.value !== sizeAfter) {
    failures.push({
      source: sizeGuard.source,
      text: `${describeSource(sizeGuard.source)}: size after ${hex(sizeGuard.value)}, but the inserts and deletes give ${hex(sizeAfter)} (from ${hex(size)})`,
    });
  }
  // The hunks' failures are already lines in source order; merge the shifts' in by line.
  const merged = [...hunkFailures.map((text) => ({ line: lineOf(text), text })), ...failures.map((f) => ({ line: f.source.line, text: f.text }))];
  merged.sort((x, y) => x.line - y.line);
  const all = merged.map((m) => m.text);
  return {
    sizeBefore: size,
    sizeAfter,
    hunks: base.hunks,
    failures: all,
    // A shift is always applied: its state is never `already` (see native.ts).
    state: all.length > 0 ? 'fail' : 'apply',
    guards: patch.guards,
    shifts: shifts.map(({ seq: _seq, ...s }) => s),
  };
}

/** At most 16 bytes in hex, `...` for more. */
function shortHex(b: Uint8Array): string {
  return b.length > 16 ? `${formatHex(b.subarray(0, 16))} ...` : formatHex(b);
}

/** The line number a failure text names (`NAME line N: ...`), for ordering; 0 if none. */
function lineOf(text: string): number {
  const m = / line (\d+)[,:]/.exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * The file a plan with shifts leaves, in pieces, from the file before the patch (`file`), in one
 * pass: the original bytes in chunks of at most `chunkSize` with the plan's changes in place, an
 * insert's bytes where it goes, a deleted range left out. `seen`, when given, is told every
 * original byte in order (deleted ones too): the hash of the file before, in the same pass.
 * Without shifts, the same as {@link patchedChunks}. Each piece is only read before the next.
 */
export function* shiftedChunks(plan: Plan, file: FileAccess, chunkSize = 1024 * 1024, seen?: (original: Uint8Array) => void): Generator<Uint8Array> {
  const shifts = plan.shifts ?? [];
  const apply = plan.hunks.filter((h) => h.state === 'apply');
  const size = plan.sizeBefore;
  let k = 0;
  let hk = 0;
  let pos = 0n;
  for (;;) {
    const s = shifts[k];
    if (s && s.offset === pos) {
      k++;
      if (s.kind === 'insert') {
        yield s.bytes!;
        continue;
      }
      const end = pos + s.length;
      if (seen) for (let at = pos; at < end; at += BigInt(chunkSize)) seen(file.read(at, Number(end - at < BigInt(chunkSize) ? end - at : BigInt(chunkSize))));
      pos = end;
      continue;
    }
    const next = s ? s.offset : size;
    if (pos >= next) break;
    const n = Number(next - pos < BigInt(chunkSize) ? next - pos : BigInt(chunkSize));
    const chunk = readVirtual(file, pos, n);
    seen?.(chunk);
    while (hk < apply.length && apply[hk]!.offset + BigInt(apply[hk]!.new.length) <= pos) hk++;
    applyPlanSlice(chunk, apply, hk, pos);
    yield chunk;
    pos += BigInt(n);
  }
}
