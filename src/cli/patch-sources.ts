// The sources of a patch on mmapx patch's command line: the options made once from commander's
// values, which arguments are FILEs and which the PATCH file, the PATCH file (or standard input)
// read and parsed in its --format (with a hint when a native parse fails on another format),
// --edit and --find/--replace, all merged into one patch that every file gets.
import { constants as bufferConstants } from 'node:buffer';
import { fsError } from '../edit/files.js';
import { type PatchFormat, parsePatch } from '../edit/patch.js';
import { InputError } from '../errors.js';
import { parseNumber, parseOffset } from '../format/number.js';
import {
  detectDumpLayout,
  findReplaceHunk,
  isEmptyPatch,
  looksLikeIps,
  looksLikePlainDump,
  mergePatches,
  parseEditSpec,
  type Patch,
} from '../format/patch/index.js';
import { sniffHexRecords } from '../format/hexrec/index.js';
import { isDeltaFormat } from '../format/delta/formats.js';
import type { DeltaFormat } from '../format/delta/model.js';
import { readInput } from './input.js';
import { missingArgument } from './multi.js';

/** The options of patch, made once from commander's values. */
export interface PatchCliOptions {
  readonly patch: string | undefined;
  readonly filesFrom: string | undefined;
  /** --format as given (undefined: native, and none was given). */
  readonly format: PatchFormat | DeltaFormat | undefined;
  readonly seek: string | undefined;
  /** --base ADDR of an ihex or srec image, as typed. */
  readonly base: string | undefined;
  /** --expect-old IMAGE: the old bytes of an ihex or srec image. */
  readonly expectOld: string | undefined;
  readonly edit: readonly string[];
  readonly find: readonly string[];
  readonly replace: readonly string[];
  readonly all: boolean;
  readonly count: string | undefined;
  readonly align: string | undefined;
  readonly grow: boolean;
  readonly truncate: boolean;
  readonly allowEmpty: boolean;
  readonly dryRun: boolean;
  readonly expectResultSha256: string | undefined;
  readonly hash: boolean;
  readonly journal: boolean;
  readonly force: boolean;
  /** The inline sources given, for the ambiguity error: `--edit`, `--find/--replace`. */
  readonly inline: string | undefined;
  /** --out FILE: a delta's target written to a new file. */
  readonly out: string | undefined;
  /** --info: describe the delta, apply nothing. */
  readonly info: boolean;
  /** --reverse: a UPS delta applied backwards (its target turned back into its source). */
  readonly reverse: boolean;
}

/** patch's options from commander's values: the one place they are read and typed. */
export function parseOptions(opts: Record<string, unknown>): PatchCliOptions {
  const text = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));
  const list = (v: unknown): readonly string[] => (v as string[] | undefined) ?? [];
  const inline = [opts.edit !== undefined && '--edit', (opts.find !== undefined || opts.replace !== undefined) && '--find/--replace'].filter(Boolean);
  return {
    patch: text(opts.patch),
    filesFrom: text(opts.filesFrom),
    format: opts.format as PatchFormat | DeltaFormat | undefined, // commander checked the choices
    seek: text(opts.seek),
    base: text(opts.base),
    expectOld: text(opts.expectOld),
    edit: list(opts.edit),
    find: list(opts.find),
    replace: list(opts.replace),
    all: !!opts.all,
    count: text(opts.count),
    align: text(opts.align),
    grow: !!opts.grow,
    truncate: !!opts.truncate,
    allowEmpty: !!opts.allowEmpty,
    dryRun: !!opts.dryRun,
    expectResultSha256: text(opts.expectResultSha256),
    hash: opts.hash === true,
    journal: opts.journal !== false,
    force: !!opts.force,
    inline: inline.length ? inline.join(' and ') : undefined,
    out: text(opts.out),
    info: !!opts.info,
    reverse: !!opts.reverse,
  };
}

/** Reads the patch file (or, `what` = `--expect-old`, the old image); a binary format (IPS, a delta) has no string limit. */
export async function readPatchFile(arg: string, format: PatchFormat | 'binary', what = 'the patch'): Promise<{ bytes: Buffer; name: string }> {
  const name = arg === '-' ? 'stdin' : arg;
  const input = {
    what,
    terminal: `${what === 'the patch' ? 'PATCH' : what} is - but standard input is a terminal: pipe ${what === 'the patch' ? 'the patch' : 'the image'} in`,
    // Every format but IPS is text, and becomes one string.
    ...(format !== 'ips' && format !== 'binary' && { fileLimit: bufferConstants.MAX_STRING_LENGTH }),
  };
  try {
    return { bytes: await readInput(arg, input), name };
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw fsError(err, arg === '-' ? `cannot read ${what} from standard input` : `cannot read ${what} ${arg}`);
  }
}

/** Parses the patch file in `format`; a native parse error says when the text looks like another format. */
function parsePatchFile(bytes: Buffer, name: string, format: PatchFormat, seek: bigint, image: ImageOptions): Patch {
  try {
    return parsePatch(bytes, { format, name, seek, ...image });
  } catch (err) {
    if (!(err instanceof InputError) || format !== 'native') throw err;
    const text = bytes.toString('utf8');
    const records = sniffHexRecords(text);
    const hint = looksLikeIps(bytes)
      ? ' (this looks like an IPS patch: use --format ips)'
      : records !== undefined
        ? ` (this looks like ${records === 'ihex' ? 'Intel HEX' : 'S-records'}: use --format ${records} --base ADDR)`
        : looksLikePlainDump(text)
          ? ' (this looks like a plain hex dump, xxd -p: use --format plain --seek OFFSET)'
          : detectDumpLayout(text) !== undefined && !/^\s*(0x|find\b|size\b|sha256\b|#)/.test(text)
            ? ' (this looks like a hex dump: use --format xxd)'
            : '';
    throw hint ? new InputError(`${err.message}${hint}`, err.location) : err;
  }
}

/**
 * `--seek OFFSET`: where the bytes of a plain dump go (xxd -r -p -s), 0 without it; negative
 * counts from the end of the file. Only a plain dump has no offsets of its own.
 * @throws InputError for --seek without --format plain, a bad offset, or -0.
 */
function plainSeek(o: PatchCliOptions, format: PatchFormat): bigint {
  if (o.seek === undefined) return 0n;
  const text = o.seek;
  if (format !== 'plain')
    throw new InputError(
      `--seek ${text} only goes with --format plain: ${format === 'native' ? 'a native patch' : `an ${format} patch`} says where its bytes go`,
    );
  const at = parseOffset(text);
  if (at.address !== undefined) throw new InputError(`--seek ${text}: give a number (a plain dump's offsets are file offsets, not addresses)`);
  if (at.fromEnd && at.value === 0n) throw new InputError(`--seek ${text}: -0 is the end of the file, where no byte of the dump can go (the last byte is -1)`);
  return at.value;
}

/** What an ihex or srec image is read with: --base and the bytes of --expect-old. */
interface ImageOptions {
  readonly base?: bigint;
  readonly expectOld?: Uint8Array;
  readonly expectOldName?: string;
}

/**
 * `--base ADDR` and `--expect-old IMAGE` of an Intel HEX or S-record image (read here, whole, as
 * the patch is). Both only go with --format ihex or srec.
 * @throws InputError for either with another format, a bad or negative base, both the patch and
 *   the old image on standard input.
 */
async function imageOptions(o: PatchCliOptions, format: PatchFormat, patchArg: string | undefined): Promise<ImageOptions> {
  const image = format === 'ihex' || format === 'srec';
  for (const [value, flag] of [
    [o.base, '--base'],
    [o.expectOld, '--expect-old'],
  ] as const) {
    if (value !== undefined && !image) throw new InputError(`${flag} ${value} only goes with --format ihex or --format srec (an image of addresses)`);
  }
  if (!image) return {};
  let base: bigint | undefined;
  if (o.base !== undefined) {
    base = parseNumber(o.base, 'base');
    if (base < 0n) throw new InputError(`--base ${o.base}: an address is not negative`);
  }
  if (o.expectOld === undefined) return base === undefined ? {} : { base };
  if (o.expectOld === '-' && patchArg === '-') throw new InputError('--expect-old - and the patch both on standard input: give one of them as a file');
  const { bytes, name } = await readPatchFile(o.expectOld, format, '--expect-old');
  return { ...(base !== undefined && { base }), expectOld: bytes, expectOldName: name };
}

/** The refusal of a patch file that asks for no change (see isEmptyPatch). */
function emptyPatch(arg: string, format: PatchFormat, bytes: Buffer): InputError {
  const what =
    bytes.length === 0 ? 'is empty' : format === 'ips' ? 'has no record' : format === 'ihex' || format === 'srec' ? 'has no data record' : 'has no hunk';
  const name = arg === '-' ? 'on standard input' : arg;
  return new InputError(`the patch ${name} ${what}: refusing a patch that changes nothing (a truncated download looks like this); --allow-empty accepts it`);
}

/**
 * The patch every file gets: the PATCH file (its bytes `preread` when the command read them
 * already, to look for a delta's magic), --edit and --find/--replace, merged.
 */
export async function collectSources(
  patchArg: string | undefined,
  o: PatchCliOptions,
  several: boolean,
  preread?: { bytes: Buffer; name: string },
): Promise<{ patch: Patch; sources: string[] }> {
  const patches: Patch[] = [];
  const sources: string[] = [];
  if (isDeltaFormat(o.format)) throw new Error(`collectSources: ${o.format} is a delta (patch-delta.ts applies it)`);
  const format = o.format ?? 'native';
  const seek = plainSeek(o, format);
  const image = await imageOptions(o, format, patchArg);
  if (patchArg !== undefined) {
    const { bytes, name } = preread ?? (await readPatchFile(patchArg, format));
    const parsed = parsePatchFile(bytes, name, format, seek, image);
    if (isEmptyPatch(parsed) && !o.allowEmpty) throw emptyPatch(patchArg, format, bytes);
    patches.push(parsed);
    sources.push(format === 'native' ? name : `${name} (${format})`);
  } else if (o.format !== undefined) {
    throw new InputError(`--format ${format} describes a PATCH file, and none was given`);
  } else if (o.allowEmpty) {
    throw new InputError('--allow-empty describes a PATCH file, and none was given');
  }
  if (o.edit.length > 0) {
    patches.push({ hunks: o.edit.map((spec, i) => parseEditSpec(spec, i + 1)), guards: {} });
    sources.push(`--edit x${o.edit.length}`);
  }
  // Repeatable in pairs: the Nth --replace goes with the Nth --find; each pair is one hunk.
  const { find: finds, replace: replaces } = o;
  if (finds.length > 0 || replaces.length > 0) {
    if (finds.length === 0) throw new InputError('--replace needs --find');
    if (replaces.length === 0) throw new InputError('--find needs --replace (to only search, use mmapx find)');
    if (finds.length !== replaces.length) {
      throw new InputError(`--find and --replace go in pairs: ${finds.length} --find but ${replaces.length} --replace`);
    }
    let count: number | undefined;
    if (o.count !== undefined) {
      const n = parseNumber(o.count, 'count');
      if (n < 1n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError(`--count ${o.count} must be ${n < 1n ? 'at least 1' : 'at most 2^53-1'}`);
      count = Number(n);
    }
    let align: number | undefined;
    if (o.align !== undefined) {
      const n = parseNumber(o.align, 'align');
      if (n < 1n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError(`--align ${o.align} must be ${n < 1n ? 'at least 1' : 'at most 2^53-1'}`);
      align = Number(n);
    }
    const expect = { all: o.all, ...(count !== undefined && { count }), ...(align !== undefined && { align }) };
    patches.push({ hunks: finds.map((find, i) => findReplaceHunk(find, replaces[i]!, expect, i + 1)), guards: {} });
    sources.push(finds.length > 1 ? `--find/--replace x${finds.length}` : '--find/--replace');
  } else if (o.all || o.count !== undefined || o.align !== undefined) {
    throw new InputError(`${o.all ? '--all' : o.count !== undefined ? '--count' : '--align'} only goes with --find/--replace`);
  }
  if (patches.length === 0) {
    throw new InputError(
      several
        ? 'nothing to apply: give --patch PATCH (or - for stdin), --edit, or --find/--replace (every argument is a FILE here)'
        : 'nothing to apply: give a PATCH file (or - for stdin), --edit, or --find/--replace',
    );
  }
  return { patch: mergePatches(patches), sources };
}

export function parseSha256(text: string, what: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new InputError(`${what} must be 64 hex digits of SHA-256, not ${JSON.stringify(text.slice(0, 80))}`);
  return text.toLowerCase();
}

/**
 * Which arguments are FILEs and which one is the PATCH file. With --patch or --files-from every
 * argument is a FILE. Otherwise one argument is the FILE; two are FILE PATCH, unless --edit or
 * --find is given too: then the second could be either (a glob that matched two files), and that
 * is refused rather than guessed; three or more are FILEs, with --edit or --find.
 * @throws InputError (exit 2) for the ambiguous and the incomplete forms.
 */
export function patchOperands(
  args: readonly string[],
  opts: { patch?: string | undefined; filesFrom?: boolean; inline?: string | undefined },
): { files: string[]; patch: string | undefined } {
  if (opts.patch !== undefined || opts.filesFrom) return { files: [...args], patch: opts.patch };
  if (args.length === 0) throw missingArgument('file', 'patch');
  if (args.length === 1) return { files: [...args], patch: undefined };
  if (args.length === 2) {
    if (opts.inline === undefined) return { files: [args[0]!], patch: args[1] };
    throw new InputError(
      `two arguments with ${opts.inline}: is ${args[1]} a second FILE or a PATCH file? Give the patch file with --patch PATCH, or the files with --files-from LIST; nothing was changed`,
    );
  }
  if (opts.inline !== undefined) return { files: [...args], patch: undefined };
  throw new InputError(`${args.length} arguments and no --patch: give the patch file with --patch PATCH (every argument is then a FILE); nothing was changed`);
}
