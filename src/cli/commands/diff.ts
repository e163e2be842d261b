// mmapx diff OLD NEW [-o PATCH] [--format native|cmp|ips]: the guarded native patch that turns
// OLD into NEW (old and new bytes per hunk, nearby changes coalesced, the size change as
// `size before` / `size after`), GNU `cmp -l` lines, or an IPS patch. Both files are compared
// window by window through read-only maps, so memory stays flat; the patch is streamed out.
//
// Exit status 0 whether or not the files differ (unlike cmp and diff: 1 means "failed" here);
// the output and --json's `identical` tell.
//
// If another process truncates either file meanwhile, nothing computed from a window that faulted
// or that the file no longer covers is written out: one ERR_TRUNCATED line naming that file, exit 1,
// and no -o file is left behind.
import { createHash, type Hash } from 'node:crypto';
import { readSync } from 'node:fs';
import { InputError } from '../../errors.js';
import { parseNumber } from '../../format/number.js';
import {
  cmpEofNote,
  cmpOffsetWidth,
  DiffScanner,
  cmpWindowBytes,
  HunkLineBuffer,
  IpsEncoder,
  type OffsetHunk,
} from '../../format/patch/index.js';
import { hex } from '../../format/patch/lex.js';
import { type Mmap, MmapOptions, pageSize } from '../../mmap/index.js';
import type { Context, Result } from '../context.js';
import { knownSize, type OpenFile, openFile, shrankSinceOpen } from '../files.js';
import { warnIfJournal } from '../journal.js';
import { OutputFile, outputTarget, sameFile } from '../outfile.js';
import { assertCovers } from '../mapped.js';
import { Timer } from '../timing.js';

type Format = 'native' | 'cmp' | 'ips';

/**
 * Bytes of each file mapped at a time. Mapped pages count in the process's resident set, so the
 * window is what bounds the peak RSS (two windows), whatever the file sizes.
 */
const DIFF_WINDOW = 8 * 1024 * 1024;
/** Bytes compared and formatted before the output is written: bounds the hunks and text held. */
const DIFF_STEP = 64 * 1024;
/** IPS offsets and the truncation size are 24-bit. */
const IPS_LIMIT = 0xffffffn;

/** A size change IPS cannot carry is refused before the files are read. */
function ipsSizeCheck(sizeA: bigint, sizeB: bigint): void {
  if (sizeB < sizeA && sizeB > IPS_LIMIT) {
    throw new InputError(`--format ips cannot truncate to ${sizeB} bytes: its truncation size ends at ${hex(IPS_LIMIT)} (16 MiB); use the native format`);
  }
  if (sizeB > sizeA && sizeB - 1n > IPS_LIMIT) {
    throw new InputError(`--format ips cannot grow a file to ${sizeB} bytes: its offsets end at ${hex(IPS_LIMIT)} (16 MiB); use the native format`);
  }
}

/** `length` bytes of `file` at `offset` (fewer at its end), by pread: a few bytes, no map. */
function readAt(file: OpenFile, offset: bigint, length: number): Uint8Array {
  const buf = Buffer.alloc(length);
  const n = readSync(file.fd, buf, 0, length, offset);
  return buf.subarray(0, n);
}

/** Where the patch goes: stdout, an {@link OutputFile} (-o: see outfile.ts for each kind of path), or memory (--json). */
class Output {
  readonly #file: OutputFile | undefined;
  readonly #ctx: Context;
  readonly #keep: boolean;
  #parts: (string | Uint8Array)[] = [];
  #pending = 0;
  readonly kept: (string | Uint8Array)[] = [];
  bytes = 0;

  constructor(ctx: Context, target: string | undefined, keep: boolean) {
    this.#ctx = ctx;
    this.#keep = keep;
    this.#file = target !== undefined ? new OutputFile(target) : undefined;
  }

  write(data: string | Uint8Array): void {
    this.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (this.#keep) {
      this.kept.push(data);
      return;
    }
    this.#parts.push(data);
    this.#pending += data.length;
    if (this.#pending >= 1024 * 1024) this.flush();
  }

  flush(): void {
    if (this.#parts.length === 0) return;
    const all = this.#parts.every((p) => typeof p === 'string') ? this.#parts.join('') : Buffer.concat(this.#parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    this.#parts = [];
    this.#pending = 0;
    if (this.#file === undefined) this.#ctx.stdout(all);
    else this.#file.write(all);
  }

  /** Writes `data` at once (after what is pending), so the caller may reuse its buffer. */
  writeNow(data: Uint8Array): void {
    if (this.#keep) {
      this.write(data.slice());
      return;
    }
    this.flush();
    this.bytes += data.length;
    if (this.#file === undefined) this.#ctx.stdout(data);
    else this.#file.write(data);
  }

  /** Flushes, and puts a file output in place. */
  finish(): void {
    this.flush();
    this.#file?.finish();
  }

  /** On failure: no half-written output file is left behind. */
  abandon(): void {
    this.#file?.abandon();
  }
}

export default async function diff(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const [oldPath, newPath] = args as [string, string];
  ctx.path = oldPath;
  const timer = new Timer();
  const format = (opts.format ?? 'native') as Format;
  const target = outputTarget(opts.output); // `-o -` is standard output
  let coalesce = 8;
  if (opts.coalesce !== undefined) {
    const n = parseNumber(String(opts.coalesce), 'coalesce');
    if (n < 0n || n > 1_000_000n) throw new InputError(`--coalesce ${String(opts.coalesce)} must be 0..1000000`);
    coalesce = Number(n);
  }
  const json = ctx.globals.json;
  if (format === 'ips' && json && target === undefined) throw new InputError('--format ips with --json needs -o PATCH (the patch is binary)');
  if (format !== 'native' && opts.sha256) throw new InputError(`--sha256 guards only exist in the native format, not --format ${format}`);
  timer.lap('parse');

  const a = openFile(oldPath, { write: false, force: !!opts.force });
  let b: OpenFile;
  try {
    ctx.path = newPath;
    b = openFile(newPath, { write: false, force: !!opts.force });
  } catch (err) {
    a.close();
    throw err;
  }
  ctx.path = oldPath;
  warnIfJournal(ctx, oldPath);
  warnIfJournal(ctx, newPath);
  timer.lap('open');
  pageSize(); // loads the FFI on first use, timed on its own
  timer.lap('ffi');
  let out: Output | undefined;
  try {
    const sizeA = knownSize(a);
    ctx.path = newPath;
    const sizeB = knownSize(b);
    ctx.path = oldPath;
    if (target !== undefined && (sameFile(target, a) || sameFile(target, b))) {
      throw new InputError(`-o ${target} is one of the files being compared`);
    }
    if (format === 'ips') ipsSizeCheck(sizeA, sizeB);
    out = new Output(ctx, target, json && target === undefined);
    const hashA: Hash | undefined = opts.sha256 ? createHash('sha256') : undefined;
    const hashB: Hash | undefined = opts.sha256 ? createHash('sha256') : undefined;
    // IPS records run up to 65535 bytes; the native format's lines 32 bytes. Either way a region
    // that differs everywhere goes out piece by piece: memory stays flat.
    const scanner = new DiffScanner({ coalesce, name: oldPath, reuse: true, ...(format === 'ips' && { maxHunk: 0xffff }) });
    // IPS is held until the end (its offsets stop at 16 MiB, so it is bounded): a change it cannot
    // express is refused before anything is written.
    const ipsChunks: Uint8Array[] = [];
    const ips = format === 'ips' ? new IpsEncoder((c) => ipsChunks.push(c), (o, n) => readAt(b, BigInt(o), n)) : undefined;
    let hunks = 0;
    const width = cmpOffsetWidth(sizeA, sizeB);
    // cmp: every line of a step is formatted into this one buffer (allocated once, reused).
    const cmpBuf = format === 'cmp' ? Buffer.allocUnsafe(DIFF_STEP * (width + 9)) : undefined;
    // Each hunk is formatted as soon as the scanner completes it: native lines go into one buffer
    // (reused), written after each step; IPS records into the encoder's chunks.
    const lines = new HunkLineBuffer();
    const onHunk = (h: OffsetHunk): void => {
      hunks++;
      if (ips) ips.hunk(h.offset, h.new);
      else lines.add(h);
    };
    if (format === 'native') {
      out.write(`# mmapx diff: turns ${oldPath} into ${newPath}\n`);
      if (sizeA !== sizeB) out.write(`size before ${hex(sizeA)}\nsize after ${hex(sizeB)}\n`);
    }
    // Walk NEW (cmp: the common part) in windows; OLD is mapped at the same offsets as far as it goes.
    const limit = format === 'cmp' ? (sizeA < sizeB ? sizeA : sizeB) : sizeB;
    const win = BigInt(DIFF_WINDOW);
    // Progress counts the bytes of NEW walked, then what is left to hash of either file.
    const rest = (h: Hash | undefined, size: bigint): bigint => (h && size > limit ? size - limit : 0n);
    ctx.progress.phase(`diff ${oldPath}`, limit + rest(hashA, sizeA) + rest(hashB, sizeB));
    let done = 0n;
    for (let off = 0n; off < limit; off += win) {
      const len = limit - off < win ? limit - off : win;
      const lenA = off < sizeA ? (sizeA - off < len ? sizeA - off : len) : 0n;
      const mapB = new MmapOptions().offset(off).len(len).populate().map(b);
      let mapA: Mmap | undefined;
      try {
        mapA = lenA > 0n ? new MmapOptions().offset(off).len(lenA).populate().map(a) : undefined;
        const va = mapA ? (mapA.bytes as Uint8Array) : new Uint8Array(0);
        const vb = mapB.bytes as Uint8Array;
        hashA?.update(va);
        hashB?.update(vb);
        // Step by step through the window, each step's output written before the next is made.
        for (let s = 0; s < vb.length; s += DIFF_STEP) {
          const e = Math.min(vb.length, s + DIFF_STEP);
          const sa = va.subarray(Math.min(s, va.length), Math.min(e, va.length));
          const sb = vb.subarray(s, e);
          const text = format === 'cmp' ? cmpWindowBytes(sa, sb, off + BigInt(s), width, cmpBuf) : undefined;
          if (format !== 'cmp') scanner.push(sa, sb, onHunk);
          // Pages past a new end read as zeros: nothing made of them goes out.
          mapA?.assertIntact('read');
          mapB.assertIntact('read');
          if (lenA > 0n) assertCovers(a, off + (BigInt(e) < lenA ? BigInt(e) : lenA));
          assertCovers(b, off + BigInt(e));
          const bytes = text ?? lines.take();
          if (bytes.length > 0) out.writeNow(bytes);
        }
      } finally {
        mapA?.unmap();
        mapB.unmap();
      }
      done += len;
      ctx.progress.update(done); // once per window
    }
    if (format !== 'cmp') {
      scanner.finish(onHunk);
      const last = lines.take();
      if (last.length > 0) out.writeNow(last);
    }
    const changed = scanner.bytesChanged;
    // The rest of either file for the hashes (OLD past NEW's end, or cmp's longer file).
    for (const [h, f, size] of [[hashA, a, sizeA], [hashB, b, sizeB]] as const) {
      if (!h) continue;
      for (let off = limit; off < size; off += win) {
        const len = size - off < win ? size - off : win;
        const m = new MmapOptions().offset(off).len(len).populate().map(f);
        try {
          h.update(m.bytes as Uint8Array);
          m.assertIntact('read');
          assertCovers(f, off + len);
        } finally {
          m.unmap();
        }
        done += len;
        ctx.progress.update(done);
      }
    }
    timer.lap('compare');
    const sha256 = hashA && hashB ? { before: hashA.digest('hex'), after: hashB.digest('hex') } : null;
    if (sha256) out.write(`sha256 before ${sha256.before}\nsha256 after ${sha256.after}\n`);
    if (ips) {
      ips.finish(sizeA, sizeB);
      for (const c of ipsChunks) out.write(c);
    }
    out.finish();
    timer.lap('output');
    const identical = sizeA === sizeB && (format === 'cmp' ? out.bytes === 0 : hunks === 0);
    const eof = format === 'cmp' ? cmpEofNote(sizeA, sizeB, { a: oldPath, b: newPath }) : undefined;
    const what = format === 'cmp' ? `${out.bytes === 0 ? 'no' : 'some'} differing bytes` : `${hunks} hunk${hunks === 1 ? '' : 's'}, ${changed} byte${changed === 1 ? '' : 's'} changed`;
    const summary = `${identical ? 'identical' : what}${sizeA !== sizeB ? `, size ${sizeA} -> ${sizeB}` : ''}${target ? `, written to ${target}` : ''} ${timer.describe()}`;
    const keptText = json && format !== 'ips' ? out.kept.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString())).join('') : undefined;
    if (eof && !json && !ctx.globals.quiet) ctx.stderr(`mmapx: diff: ${eof}\n`);
    return {
      summary,
      showSummary: !!opts.stats,
      json: {
        old: oldPath,
        new: newPath,
        format,
        sizeOld: sizeA,
        sizeNew: sizeB,
        identical,
        ...(format !== 'cmp' && { hunks, bytesChanged: changed }),
        ...(eof !== undefined && { eof }),
        sha256,
        output: target ?? null,
        ...(keptText !== undefined && target === undefined && { patch: keptText }),
        timings: timer.json(),
      },
    };
  } catch (err) {
    out?.abandon();
    // A window the file no longer reaches because it shrank since it was opened: exit 1, not 2.
    throw shrankSinceOpen(b, shrankSinceOpen(a, err, 'read'), 'read');
  } finally {
    a.close();
    b.close();
  }
}

