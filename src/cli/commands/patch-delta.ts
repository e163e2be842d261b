// mmapx patch FILE DELTA --format ips32|ups|bps|vcdiff|bsdiff (or a DELTA recognised by its
// magic): a delta applied in place, crash-safe, at the cost of what it changes (the engine:
// src/edit/delta.ts), or to a new file with --out; --info describes a delta without applying it.
// Several files (FILE... --patch DELTA) each get the same decoded delta, one after the other.
import { applyDeltaTimed, type DeltaChecked, type DeltaOutcome, hex32, patchChecksum } from '../../edit/delta.js';
import { Timer } from '../../edit/timing.js';
import { InputError } from '../../errors.js';
import { DELTA_FORMAT_NAMES, deltaCodec, detectDelta, isDeltaFormat } from '../../format/delta/formats.js';
import type { Delta, DeltaCheck, DeltaFormat } from '../../format/delta/model.js';
import type { UpsDelta } from '../../format/delta/ups.js';
import { formatBytes, plural } from '../../format/units.js';
import type { Context, Result } from '../context.js';
import { eachFile, missingArgument, type Targets } from '../multi.js';
import { samePath } from '../outfile.js';
import { named, totalLine } from '../patched.js';
import { type PatchCliOptions, readPatchFile } from '../patch-sources.js';

/** Options of patch that describe a text patch, refused with a delta. */
function refuseTextOptions(o: PatchCliOptions, format: string): void {
  const bad: [boolean, string][] = [
    [o.inline !== undefined, o.inline ?? ''],
    [o.seek !== undefined, '--seek'],
    [o.base !== undefined, '--base'],
    [o.expectOld !== undefined, '--expect-old'],
    [o.allowEmpty, '--allow-empty'],
    [o.expectResultSha256 !== undefined, '--expect-result-sha256'],
    [o.hash, '--hash'],
  ];
  const found = bad.find(([is]) => is);
  if (found) throw new InputError(`${found[1]} does not go with a ${format} delta (it carries its own sizes and checksums)`);
}

/** The DELTA's bytes, its format (given, or found by its magic) and the decoded delta. */
async function readDelta(arg: string, format: DeltaFormat | undefined, preread?: { bytes: Buffer; name: string }) {
  const { bytes, name } = preread ?? (await readPatchFile(arg, 'binary'));
  const f = format ?? detectDelta(bytes);
  if (f === undefined) {
    throw new InputError(`${name}: not a delta this build recognises by its magic: give --format ${DELTA_FORMAT_NAMES.join('|')}`);
  }
  const delta = deltaCodec(f).decode(bytes, name);
  return { bytes, name, format: f, delta };
}

/**
 * `--reverse`: the delta that turns `delta`'s target back into its source. Only UPS has one (XOR
 * undoes itself); the other formats copy and drop source bytes, so their target does not hold the
 * source.
 */
function backwards(delta: Delta, format: DeltaFormat): Delta {
  if (delta.format === 'ups') return (delta as UpsDelta).reversed();
  throw new InputError(`--reverse: a ${format} delta goes one way only (only a UPS delta, an XOR, can be applied backwards)`);
}

/** Applies the delta `patchArg` to each file of `t`. */
export async function patchDelta(
  ctx: Context,
  t: Targets,
  patchArg: string,
  o: PatchCliOptions,
  format: DeltaFormat | undefined,
  timer: Timer,
  preread?: { bytes: Buffer; name: string },
): Promise<Result> {
  refuseTextOptions(o, format ?? 'binary');
  if (o.out !== undefined && t.several) throw new InputError(`--out ${o.out} takes one FILE: the target of one source`);
  if (o.out !== undefined && o.dryRun) throw new InputError('--out and --dry-run: a dry run writes nothing; give one of them');
  if (o.out === '-') throw new InputError('--out -: the patched file is written at offsets and read back, so it cannot be standard output: give a file name');
  if (o.out !== undefined && samePath(o.out, patchArg)) {
    throw new InputError(`--out ${o.out} is the delta being read${patchArg === '-' ? ' (standard input)' : ''}: give another file`);
  }
  const read = await readDelta(patchArg, format, preread);
  const { bytes, name, format: f } = read;
  const delta = o.reverse ? backwards(read.delta, f) : read.delta;
  timer.lap('parse');
  return eachFile(
    ctx,
    t,
    async (path) => {
      ctx.path = path;
      const fileTimer = t.several ? new Timer() : timer;
      const r = await applyDeltaTimed(
        path,
        delta,
        {
          dryRun: o.dryRun,
          journal: o.journal,
          ...(o.out !== undefined && { out: o.out }),
          patch: bytes,
          name,
          force: o.force,
          ...(ctx.lockWait !== undefined && { lockWait: ctx.lockWait }),
          blocking: true,
          progress: ctx.progress,
        },
        fileTimer,
      );
      return render(ctx, r, fileTimer, t.several, `${name} (${f}${o.reverse ? ', backwards' : ''})`);
    },
    { total: (tally) => totalLine(tally, o.dryRun) },
  );
}

/** `checked: patch, source, target before writing; 3 windows before, 1 after writing, 2 unchanged` */
function checkedText(c: DeltaChecked): string {
  const before = [c.patch === 'before' && 'patch', c.source === 'before' && 'source', c.target === 'before' && 'target'].filter(Boolean);
  const w = c.windows;
  if (w.before > 0) before.push(plural(w.before, 'window'));
  const after = [c.target === 'after' && 'target', w.after > 0 && plural(w.after, 'window')].filter(Boolean);
  const parts = [
    before.length > 0 && `${before.join(', ')} before writing`,
    after.length > 0 && `${after.join(', ')} after writing (rolled back on a mismatch)`,
  ];
  if (w.unchanged > 0) parts.push(`${plural(w.unchanged, 'window')} unchanged (not read)`);
  const text = parts.filter(Boolean).join('; ');
  return text ? `checked ${text}` : 'no checksum in the delta';
}

function render(ctx: Context, r: DeltaOutcome, timer: Timer, several: boolean, source: string): Result {
  const path = r.path;
  const base = {
    file: path,
    format: r.format,
    sources: [source],
    dryRun: r.dryRun,
    sizeBefore: r.sizeBefore,
    sizeAfter: r.sizeAfter,
    ops: r.ops,
    checked: r.checked,
    read: r.read,
  };
  const resize = r.sizeAfter !== r.sizeBefore ? `, size ${r.sizeBefore} -> ${r.sizeAfter}` : '';
  switch (r.status) {
    case 'already': {
      const by = r.by === 'checksum' ? "its checksum is the target's" : r.by === 'windows' ? "every window's checksum matches" : 'no byte differs';
      return {
        summary: `already applied: ${path} holds the target of ${source} (${by}), nothing written ${timer.describe()}`,
        showSummary: true,
        json: { status: 'already', ...base, by: r.by, bytesChanged: 0, journal: null, timings: r.timings },
      };
    }
    case 'dry-run': {
      const lines = r.changes.map((c) => `0x${c.offset.toString(16)}..0x${(c.offset + BigInt(c.length)).toString(16)}: ${plural(c.length, 'byte')}`);
      if (r.ranges > r.changes.length) lines.push(`... and ${plural(r.ranges - r.changes.length, 'more range')}`);
      if (r.sizeAfter !== r.sizeBefore) lines.push(`size ${r.sizeBefore} -> ${r.sizeAfter}`);
      return {
        ...(lines.length > 0 && { stdout: named(`${lines.join('\n')}\n`, path, several) }),
        summary:
          `dry run: ${source} would change ${plural(r.bytesChanged, 'byte')} of ${path} in ${plural(r.ranges, 'range')}${resize}` +
          ` (journal ${formatBytes(r.journalBytes)}); ${checkedText(r.checked)}; the file is untouched ${timer.describe()}`,
        showSummary: true,
        json: {
          status: 'dry-run',
          ...base,
          bytesChanged: r.bytesChanged,
          ranges: r.ranges,
          changes: r.changes,
          journalBytes: r.journalBytes,
          journal: null,
          timings: r.timings,
        },
      };
    }
    case 'applied': {
      const what =
        r.out !== undefined
          ? `wrote ${r.out}: ${path} with ${source} applied (${plural(r.bytesWritten, 'byte')}, ${plural(r.bytesChanged, 'byte')} differ from ${path})`
          : `patched ${path}: ${source} applied (${plural(r.bytesChanged, 'byte')} changed in ${plural(r.ranges, 'range')}${resize}` +
            `${r.journal ? `; the journal needed ${formatBytes(r.journal.bytes)}` : ', no journal'})`;
      return {
        ...(!ctx.globals.quiet && !ctx.globals.json && { summary: `${what}; ${checkedText(r.checked)} ${timer.describe()}` }),
        showSummary: true,
        json: {
          status: 'applied',
          ...base,
          bytesChanged: r.bytesChanged,
          bytesWritten: r.bytesWritten,
          ranges: r.ranges,
          journal: r.journal,
          ...(r.out !== undefined && { out: r.out }),
          timings: r.timings,
        },
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// --info

/** `patch --info DELTA` (or FILE DELTA, or --patch DELTA): what the delta says, without applying it. */
export async function deltaInfo(ctx: Context, args: readonly string[], o: PatchCliOptions): Promise<Result> {
  const timer = new Timer();
  const arg = o.patch ?? args[args.length - 1];
  if (arg === undefined) throw missingArgument('delta', 'patch --info');
  if (o.format !== undefined && !isDeltaFormat(o.format)) {
    throw new InputError(`--info describes a delta (--format ${DELTA_FORMAT_NAMES.join('|')}), not a ${o.format} patch`);
  }
  // Messages name the delta themselves (`hack.bps byte 0x1f: ...`).
  ctx.path = undefined;
  const read = await readDelta(arg, o.format);
  const { bytes, name, format } = read;
  // With --reverse, what applying it backwards would do: sizes and checks swapped.
  const delta = o.reverse ? backwards(read.delta, format) : read.delta;
  timer.lap('parse');
  const stats = opStats(delta);
  timer.lap('ops');
  const patchOk = patchChecksum(delta, bytes);
  const lines: string[] = [`format: ${format}`];
  const size = (v: bigint | undefined) => (v === undefined ? 'not recorded' : `${v}`);
  lines.push(`source size: ${size(delta.sourceSize)}`, `target size: ${size(delta.targetSize)}`);
  for (const c of delta.checks) {
    const ok = c.of === 'patch' ? (patchOk?.ok ? ' (ok)' : ` (does not match: it is ${hex32(patchOk?.found ?? 0)}, the patch is damaged)`) : '';
    lines.push(`${c.of} ${c.algorithm}: ${hex32(c.value)}${ok}`);
  }
  if (delta.metadata !== undefined) lines.push(`metadata: ${JSON.stringify(delta.metadata)}`);
  for (const [k, v] of delta.info ?? []) lines.push(`${k}: ${v}`);
  const kinds = Object.entries(stats.kinds)
    .map(([k, s]) => `${k} ${s.ops} (${plural(Number(s.bytes), 'byte')})`)
    .join(', ');
  lines.push(`ops: ${stats.ops}${kinds ? `: ${kinds}` : ''}`);
  if (stats.windows > 0) lines.push(`windows: ${stats.windows}`);
  return {
    stdout: `${lines.join('\n')}\n`,
    summary: `${name}: ${format} delta ${timer.describe()}`,
    showSummary: false,
    json: {
      delta: name,
      format,
      sourceSize: delta.sourceSize ?? null,
      targetSize: delta.targetSize ?? null,
      checks: delta.checks.map((c) => ({ algorithm: c.algorithm, of: c.of, value: hex32(c.value) })),
      patchChecksum: patchOk === undefined ? null : patchOk.ok ? 'ok' : 'mismatch',
      metadata: delta.metadata ?? null,
      info: Object.fromEntries(delta.info ?? []),
      ops: stats.ops,
      kinds: stats.kinds,
      windows: stats.windows,
      timings: timer.json(),
    },
  };
}

/** Ops by kind (count and target bytes) and window checks, in one walk over the ops. */
function opStats(delta: Delta): { ops: number; kinds: Record<string, { ops: number; bytes: bigint }>; windows: number } {
  const kinds: Record<string, { ops: number; bytes: bigint }> = {};
  let ops = 0;
  let windows = 0;
  for (const x of delta.ops()) {
    if ('algorithm' in x) {
      if ((x as DeltaCheck).of === 'window') windows++;
      continue;
    }
    ops++;
    const n = x.kind === 'data' || x.kind === 'add' || x.kind === 'xor' ? BigInt(x.bytes.length) : x.length;
    let k = kinds[x.kind];
    if (k === undefined) {
      k = { ops: 0, bytes: 0n };
      kinds[x.kind] = k;
    }
    k.ops++;
    k.bytes += n;
  }
  return { ops, kinds, windows };
}
