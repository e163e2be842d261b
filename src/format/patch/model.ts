/**
 * The hunk model shared by every patch source (native patch files, `--edit`, `--find/--replace`,
 * xxd / hexdump -C dumps, IPS) and by `diff`.
 *
 * A source is parsed into a {@link Patch}: a list of hunks plus file-level guards. Nothing here
 * touches a file; {@link ./plan.ts} resolves a patch against a file's bytes (given as a `read`
 * callback) into a plan that says, per hunk, whether it will be applied, is already applied, or
 * fails its guard.
 *
 * Offsets and sizes are `bigint` so that files beyond 2^53 bytes stay exact; byte data is
 * `Uint8Array`.
 */

import { InputError } from '../../errors.js';
import type { AddressRef } from '../exe/address.js';
import { hasAddress, type Range } from '../range.js';
import type { BytePattern } from '../search.js';
import type { Transform } from '../transform.js';

export type { BytePattern };

/**
 * Where a hunk or guard came from, for one-line error messages.
 *
 * For text sources `line` is the 1-based line number. For binary sources (IPS) `line` is the
 * 1-based record number and `byte` the record's offset inside the patch file. For command-line
 * sources (`--edit`, `--find`) `name` is the option and `line` its 1-based occurrence.
 */
export interface Source {
  /** Patch file name as the user gave it, `-` for stdin, or the option (`--edit`). */
  readonly name: string;
  /** 1-based line (text), record (IPS) or occurrence (options). */
  readonly line: number;
  /** Byte offset of the record inside a binary patch file. */
  readonly byte?: number;
}

/**
 * A change at a fixed offset.
 *
 * `old`, when present, is the guard: the bytes that must be there before the change (same length
 * as `new`). A hunk whose target range already holds `new` counts as already applied, guarded or
 * not. Bytes past the current end of the file read as zeros once the file is grown, so a guard
 * there expects zeros.
 */
/** Whether the hunk's offset counts from the end of the file (`-4`, also `-0`). */
export function isFromEnd(h: OffsetHunk): boolean {
  return h.fromEnd === true || h.offset < 0n;
}

export interface OffsetHunk {
  readonly kind: 'offset';
  /**
   * Where the change starts. Negative counts from the end of the file as it is before the patch
   * (`-4` = the last four bytes); only `--edit` and hand-written patches produce these, and a plan
   * refuses them when the patch changes the file size (the end would move between runs).
   */
  readonly offset: bigint;
  /**
   * The offset counts back from the end although it is not negative: `-0` (offset 0n) is the end
   * itself, as everywhere in mmapx. Set only then; a negative offset says it alone.
   */
  readonly fromEnd?: boolean;
  /**
   * `at sym:check+0x12: ...`, `--edit sym:check+0x12=...`: the hunk is where this address is in
   * the file's executable image. `offset` is 0 until the engine resolves it (per file, see
   * src/edit/address.ts `bindPatch`); a plan refuses a patch that still has one.
   */
  readonly address?: AddressRef;
  /** Expected current bytes (guard), same length as `new`; absent for an unguarded hunk. */
  readonly old?: Uint8Array;
  /** The bytes to write; never empty. */
  readonly new: Uint8Array;
  readonly source: Source;
  /** The trailing `# comment` of the hunk's line, if any: it names the change in reports. */
  readonly note?: string;
}

/**
 * How many times an anchor pattern must match: exactly `n` (n ≥ 1), or `'all'` = one or more, and
 * every match is patched.
 */
export type MatchCount = number | 'all';

/**
 * A change located by a byte pattern: every position where `pattern` matches (matches may
 * overlap) is a match; the number of matches must equal `expect`; each match `m` turns into an
 * {@link OffsetHunk} at `m + relOffset`.
 *
 * Idempotence: after the patch is applied the pattern may no longer match (the change often
 * rewrites bytes inside it). So if the pattern itself does not match the expected number of
 * times, the resolver looks for the pattern *as it would read after the change* (the new bytes
 * substituted where they overlap it); if that matches as expected, at places whose changes do not
 * overlap, the hunks resolve there and are reported as already applied. This is a judgement from
 * the bytes alone: a file that never had the pattern but holds the patched form as often as
 * expected also counts as patched. `sha256 before`/`after` or `size` guards make it exact.
 */
export interface AnchorHunk {
  readonly kind: 'anchor';
  readonly pattern: BytePattern;
  readonly expect: MatchCount;
  /** Offset of the change relative to the start of each match; may be negative. */
  readonly relOffset: bigint;
  /** Expected current bytes at the change (guard), same length as `new`. */
  readonly old?: Uint8Array;
  readonly new: Uint8Array;
  readonly source: Source;
  readonly note?: string;
}

export type Hunk = OffsetHunk | AnchorHunk;

/** A file-level guard value and the line that declared it. */
export interface Guard<T> {
  readonly value: T;
  readonly source: Source;
}

/**
 * Whole-file guards. Hashes are 64 lowercase hex digits (SHA-256); computing them is the
 * caller's job (see {@link ./plan.ts} `checkHashes`).
 */
export interface FileGuards {
  /** SHA-256 of the whole file before the patch. */
  readonly sha256Before?: Guard<string>;
  /** SHA-256 of the whole file after the patch. */
  readonly sha256After?: Guard<string>;
  /** Size of the file before the patch. */
  readonly sizeBefore?: Guard<bigint>;
  /**
   * Size of the file after the patch: larger grows it (zero-filled, before any hunk is written),
   * smaller truncates it. Hunks must lie within it.
   */
  readonly sizeAfter?: Guard<bigint>;
}

/**
 * A native patch statement over a range, resolved into an offset hunk against the file's bytes
 * when the patch is planned (plan.ts): `fill RANGE PATTERN` (the pattern repeated over the range),
 * `copy RANGE to OFFSET` (the range's bytes as they are before the patch, written at OFFSET), and
 * a transform `OP RANGE [ARG] [(UNIT)] -> sha256 HEX` (the range's bytes transformed; HEX is the
 * SHA-256 of the range after it, which makes it guarded and idempotent: a range that hashes to
 * it already is applied, one whose transform does not is a failed guard). Every statement's range
 * lies within the file and at most {@link MAX_STATEMENT_BYTES} long.
 */
export type RangeOp =
  | { readonly kind: 'fill'; readonly range: Range; readonly pattern: Uint8Array; readonly source: Source; readonly note?: string }
  | {
      readonly kind: 'copy';
      readonly range: Range;
      readonly to: bigint;
      readonly toFromEnd: boolean;
      /** `to sym:NAME`: the destination is an address in the file's image (`to` is 0 until resolved). */
      readonly toAddress?: AddressRef;
      readonly source: Source;
      readonly note?: string;
    }
  | {
      readonly kind: 'transform';
      readonly range: Range;
      readonly transform: Transform;
      /** The op, its argument and unit as written (for the formatted line). */
      readonly op: string;
      readonly arg?: string;
      readonly unit?: string;
      /** SHA-256 (64 lowercase hex digits) of the range after the transform. */
      readonly after: string;
      readonly source: Source;
      readonly note?: string;
    };

/**
 * Bytes one range statement may cover: its bytes are held in memory (old and new) while the patch
 * is planned and written. Larger ranges are for the commands (`fill`, `copy`, `transform`), which
 * go window by window.
 */
export const MAX_STATEMENT_BYTES = 16 * 1024 * 1024;

/**
 * A native patch statement that shifts the file's tail: `insert OFFSET: BYTES` (the bytes go in
 * before the byte at OFFSET; the end of the file appends) or `delete RANGE [: OLD]` (the range
 * goes; OLD, when given, must be exactly its bytes). Like every address of a patch, OFFSET and
 * RANGE refer to the file BEFORE the patch (negative: from its end then), so the statements of a
 * patch do not depend on their order, except that several inserts at one offset go in the
 * patch's order. See plan.ts for the conflicts refused and src/edit/patchshift.ts for how such a
 * patch is written (crash-safe, in two phases).
 */
export type ShiftStatement =
  | {
      readonly kind: 'insert';
      /** Where the bytes go; negative (or `fromEnd`) counts from the end of the file before the patch. */
      readonly offset: bigint;
      readonly fromEnd: boolean;
      /** `insert sym:NAME: ...`: where the address is in the file's image (`offset` is 0 until resolved). */
      readonly address?: AddressRef;
      /** The bytes inserted; never empty. */
      readonly bytes: Uint8Array;
      readonly source: Source;
      readonly note?: string;
    }
  | {
      readonly kind: 'delete';
      readonly range: Range;
      /** The bytes being deleted (a guard): exactly the range's length. */
      readonly old?: Uint8Array;
      readonly source: Source;
      readonly note?: string;
    };

/** A parsed patch from any source. Hunks keep the source's order. */
export interface Patch {
  readonly hunks: readonly Hunk[];
  readonly guards: FileGuards;
  /** Range statements of a native patch (resolved when planned), in the source's order. */
  readonly ops?: readonly RangeOp[];
  /** `insert` and `delete` statements of a native patch, in the source's order. */
  readonly shifts?: readonly ShiftStatement[];
}

/** The first hunk or statement of `patch` whose place is a symbolic address not yet resolved (see {@link OffsetHunk.address}). */
export function firstAddress(patch: Patch): { text: string; source: Source } | undefined {
  for (const h of patch.hunks) if (h.kind === 'offset' && h.address !== undefined) return { text: h.address.text, source: h.source };
  for (const o of patch.ops ?? []) {
    if (hasAddress(o.range)) return { text: o.range.text, source: o.source };
    if (o.kind === 'copy' && o.toAddress !== undefined) return { text: o.toAddress.text, source: o.source };
  }
  for (const s of patch.shifts ?? []) {
    if (s.kind === 'insert' ? s.address !== undefined : hasAddress(s.range))
      return { text: s.kind === 'insert' ? s.address!.text : s.range.text, source: s.source };
  }
  return undefined;
}

/** Whether the patch inserts or deletes bytes (its tail shifts). */
export function hasShifts(patch: Patch): boolean {
  return (patch.shifts?.length ?? 0) > 0;
}

/**
 * Most hunks one patch may hold: lines of a patch file, IPS records, the stretches of a dump, the
 * changes a plan resolves (matches of `find` included). Each is held in memory with its bytes, its
 * plan entry and its journal record (about 1 KiB together), so a list of millions would exhaust
 * the heap and abort the process (2 million lines did); more is refused, naming where the count
 * passed the limit. 2^20: a 16 MiB file differing in every 16th byte still patches in one run.
 */
export const MAX_HUNKS = 1_048_576;

/** The error for a patch with more than {@link MAX_HUNKS} hunks; `source` is the first one past it. */
export function tooManyHunks(source: Source): InputError {
  return new InputError(
    `${describeSource(source)}: the patch has more than ${MAX_HUNKS} hunks (each is held in memory): split it into several patches, or make fewer, longer hunks (mmapx diff --coalesce N)`,
    { line: source.line },
  );
}

/** `name line 3` / `name record 3 (byte 0x1a)` / `--edit #2`: the prefix of error messages. */
export function describeSource(source: Source): string {
  if (source.byte !== undefined) {
    return `${source.name} record ${source.line} (byte 0x${source.byte.toString(16)})`;
  }
  if (source.name.startsWith('--')) return `${source.name} #${source.line}`;
  return `${source.name} line ${source.line}`;
}

/**
 * Joins patches from several sources into one, so that all their hunks are validated together.
 *
 * @throws {InputError} when two sources declare different values for the same file guard.
 */
export function mergePatches(patches: readonly Patch[]): Patch {
  const hunks: Hunk[] = [];
  const ops: RangeOp[] = [];
  const shifts: ShiftStatement[] = [];
  const guards: { -readonly [K in keyof FileGuards]: FileGuards[K] } = {};
  for (const p of patches) {
    for (const h of p.hunks) hunks.push(h); // not push(...): a spread's length is bounded by the stack
    for (const o of p.ops ?? []) ops.push(o);
    for (const s of p.shifts ?? []) shifts.push(s);
    for (const key of ['sha256Before', 'sha256After', 'sizeBefore', 'sizeAfter'] as const) {
      const g = p.guards[key];
      if (g === undefined) continue;
      const prev = guards[key];
      if (prev !== undefined && prev.value !== g.value) {
        throw new InputError(
          `${describeSource(g.source)}: ${GUARD_NAMES[key]} ${showGuardValue(g.value)} contradicts ` +
            `${describeSource(prev.source)} (${showGuardValue(prev.value)})`,
          { line: g.source.line },
        );
      }
      // Object.assign: one generic write for the four differently-typed keys.
      Object.assign(guards, { [key]: prev ?? g });
    }
  }
  return { hunks, guards, ...(ops.length > 0 && { ops }), ...(shifts.length > 0 && { shifts }) };
}

/**
 * Whether a patch asks for any change: a hunk, or a `size after` (a resize alone is a change).
 * A patch without either (an empty file, comments or guards only, an IPS with no record) cannot
 * change a file, and is what a truncated or failed download looks like.
 */
export function isEmptyPatch(patch: Patch): boolean {
  return patch.hunks.length === 0 && (patch.ops?.length ?? 0) === 0 && !hasShifts(patch) && patch.guards.sizeAfter === undefined;
}

/** The keyword of each guard in the native format, also used in messages. */
const GUARD_NAMES = {
  sha256Before: 'sha256 before',
  sha256After: 'sha256 after',
  sizeBefore: 'size before',
  sizeAfter: 'size after',
} as const;

function showGuardValue(v: string | bigint): string {
  return typeof v === 'bigint' ? `0x${v.toString(16)}` : v;
}
