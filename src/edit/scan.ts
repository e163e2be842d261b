// Searching a whole file for byte patterns on every core: the file is cut into 256 MiB chunks
// that the main thread and a few worker threads take one at a time (a shared counter), each
// through its own read-only map of the chunk, so a busy core simply takes fewer chunks. The call
// is synchronous (the main thread blocks on Atomics.wait for the workers' last chunks), so the
// pure planner can use it as its PatternScan.
//
// A chunk covers the match *starts* in [k*C, (k+1)*C) and reads L-1 bytes past its end, so a
// match straddling two chunks is found once, by the chunk where it starts. Results are merged in
// chunk order: counts add up, positions come out sorted.
//
// Workers run the small bundle of scan-worker.ts: a file beside the bundle that runs this code
// (dist/scan-worker.cjs, see scripts/build.mjs), or in the standalone executable the same bundle
// embedded as an asset and run as code. Where no worker can start (single core, MMAPX_THREADS=1,
// a small file, no worker bundle) the main thread scans everything itself, with the same results.
// A file truncated under a thread's map is reported like one under the main thread's: the SIGBUS
// guard is one per process, installed before the threads start (see src/mmap/sys/sigbus.ts), and a
// thread's error makes the main thread scan its chunks again, where the size check or the fault
// gives the error line.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { getAsset, isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, type Transferable, Worker, workerData } from 'node:worker_threads';
import type { PatternMatches } from '../format/patch/index.js';
import { byteFrequencies, compilePattern, WindowScanner, type BytePattern } from '../format/search.js';
import { armSigbusGuard, windows } from '../mmap/index.js';
import { OperationError } from '../errors.js';
import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { shrankError } from '../mmap/truncation.js';
import { type FileRef, type Hashes, hashPass, ResultHasher, type ResultImage, sizeNow } from './mapped.js';
import { threadsFromEnv } from './threads.js';

/**
 * Bytes a scan maps at a time: large, because each view of a mapping costs V8 a garbage
 * collection for "external memory pressure" and each window an unmap (see {@link CHUNK}).
 */
export const SCAN_WINDOW = 256 * 1024 * 1024;

/** Bytes of match starts per chunk (one map each) when threads share the scan. */
export const CHUNK = 256 * 1024 * 1024;
/**
 * Bytes per chunk when one thread scans alone: larger maps scan faster (1 GiB of random bytes, one
 * thread, warm cache: median 153 ms in 256 MiB maps, 129 ms in 512 MiB maps; bench/scenarios/find.mjs).
 */
const SOLO_CHUNK = 512 * 1024 * 1024;
/**
 * Below this many bytes a second thread costs more than it saves: its start (the worker bundle
 * loaded again) takes what it would save on 1 GiB.
 */
const PARALLEL_MIN = 5 * CHUNK;
const MAX_THREADS = 4;
/** A worker that shows no progress for this long is taken for hung. */
const STALL_MS = 120_000;

interface ChunkResult {
  chunk: number;
  counts: number[];
  at: bigint[][];
}

/** The part of the file searched: matches lie entirely inside [start, end). */
interface Span {
  readonly start: bigint;
  readonly end: bigint;
}

/**
 * How often each byte value occurs in a sample of [offset, offset + length) of the file: `slices`
 * pieces of `bytes` each, evenly spread (pread; what a short read gives). The search starts its
 * indexOf needle at the pattern's byte that is rarest here (see compilePattern). Undefined when
 * nothing could be read.
 */
export function sampleFrequencies(file: FileRef, offset: bigint, length: bigint, slices: number, bytes: number): Uint32Array | undefined {
  if (length <= 0n) return undefined;
  const want = BigInt(slices * bytes) >= length ? 1 : slices;
  const piece = BigInt(bytes) < length ? bytes : Number(length);
  const buf = new Uint8Array(want * piece);
  let got = 0;
  try {
    for (let i = 0; i < want; i++) {
      const at = offset + ((length - BigInt(piece)) * BigInt(i)) / BigInt(Math.max(1, want - 1));
      got += readSync(file.fd, buf, got, piece, at);
    }
  } catch {
    // No sample (a descriptor that cannot pread): the fixed table decides.
  }
  return got > 0 ? byteFrequencies(buf.subarray(0, got)) : undefined;
}

/** Scans the match starts of chunk `k`: bytes [start + kC, min(start + (k+1)C + L - 1, end)) per pattern. */
function scanChunk(
  file: FileRef,
  span: Span,
  k: number,
  patterns: readonly BytePattern[],
  keep: readonly number[],
  chunk: bigint,
  frequencies?: Uint32Array,
): ChunkResult {
  const from = span.start + BigInt(k) * chunk;
  const to = from + chunk < span.end ? from + chunk : span.end;
  const scanners = patterns.map((p) => new WindowScanner(compilePattern(p, frequencies)));
  const ends = patterns.map((p) => {
    const e = to + BigInt(p.bytes.length - 1);
    return e < span.end ? e : span.end;
  });
  let byteEnd = from;
  for (const e of ends) if (e > byteEnd) byteEnd = e;
  const at = patterns.map(() => [] as bigint[]);
  if (byteEnd > from) {
    for (const w of windows(file, { offset: from, length: byteEnd - from, windowSize: Number(chunk) + 4096 })) {
      for (let i = 0; i < scanners.length; i++) {
        const end = ends[i]!;
        if (w.offset >= end) continue;
        const n = end - w.offset < BigInt(w.bytes.length) ? Number(end - w.offset) : w.bytes.length;
        const list = at[i]!;
        const limit = keep[i]!;
        scanners[i]!.scan(w.bytes.subarray(0, n) as Uint8Array, w.offset, limit > 0 ? (p) => void (list.length < limit && list.push(p)) : undefined);
      }
    }
  }
  return { chunk: k, counts: scanners.map((s) => s.count), at };
}

/** How many threads to use for `size` bytes: MMAPX_THREADS, else the cores (at most 4), never more than chunks. */
function threadsFor(size: bigint, env: NodeJS.ProcessEnv = process.env): number {
  const fixed = threadsFromEnv(env);
  if (fixed !== undefined) return fixed;
  if (size < BigInt(PARALLEL_MIN)) return 1;
  let cores = 1;
  try {
    cores = availableParallelism();
  } catch {
    cores = 1;
  }
  return Math.max(1, Math.min(cores, MAX_THREADS, Number(size / BigInt(CHUNK))));
}

/** The key of the worker bundle among the standalone executable's assets (scripts/build-sea.mjs). */
export const SCAN_WORKER_ASSET = 'scan-worker.cjs';

/** What a worker thread is started from: the worker bundle's path, or its code (`eval`). */
interface WorkerSource {
  readonly code: string | URL;
  readonly eval: boolean;
}

let source: WorkerSource | null | undefined;

/**
 * Where the worker bundle is, once per process: in the standalone executable, its code from the
 * assets; otherwise the file `__MMAPX_SCAN_WORKER__` names relative to this bundle (each bundle of
 * scripts/build.mjs is given the path; the tests' sources, the built one). Null when there is none
 * (a bundle built without it, a missing file): then the calling thread does all the work.
 */
function workerSource(): WorkerSource | null {
  if (source !== undefined) return source;
  source = null;
  try {
    if (__MMAPX_SEA__ && isSea()) {
      source = { code: getAsset(SCAN_WORKER_ASSET, 'utf8'), eval: true };
    } else if (typeof __MMAPX_SCAN_WORKER__ === 'string') {
      const url = new URL(__MMAPX_SCAN_WORKER__, import.meta.url);
      if (existsSync(fileURLToPath(url))) source = { code: url, eval: false };
    }
  } catch {
    source = null;
  }
  return source;
}

/** Whether worker threads can be started here (see {@link workerSource}). */
function canStartWorkers(): boolean {
  return workerSource() !== null;
}

/**
 * Starts a worker thread on `task`; it runs {@link runScanWorker}. Unreferenced (it never keeps
 * the process alive) and silent: it reports through the task's shared state and port.
 * @throws when the thread cannot be started.
 */
function startWorker(task: Task, transferList: Transferable[]): Worker {
  const from = workerSource();
  if (from === null) throw new Error('no scan worker bundle');
  const w = new Worker(from.code, { eval: from.eval, workerData: task, transferList, stdout: false, stderr: false });
  w.unref();
  w.on('error', () => {}); // reported through the shared state and the port
  return w;
}

function merge(results: readonly ChunkResult[], patterns: number, keep: readonly number[]): PatternMatches[] {
  const sorted = [...results].sort((a, b) => a.chunk - b.chunk);
  const out: { count: number; at: bigint[] }[] = [];
  for (let i = 0; i < patterns; i++) {
    let count = 0;
    const at: bigint[] = [];
    for (const r of sorted) {
      count += r.counts[i]!;
      for (const p of r.at[i]!) if (at.length < keep[i]!) at.push(p);
    }
    out.push({ count, at });
  }
  return out;
}

/**
 * Every match of each pattern inside `range` of the file, counted, with the first `keep[i]`
 * positions of pattern i in order (0 = count only). With `workers`, on up to `threads` threads
 * (see {@link workerSource}); otherwise on the calling thread. The call blocks the calling thread
 * until the scan is done.
 *
 * @throws MmapError from the maps; OperationError if a worker hangs.
 */
export function scanFile(
  file: FileRef,
  range: { offset: bigint; length: bigint },
  patterns: readonly BytePattern[],
  keep: readonly number[],
  opts: {
    workers?: boolean;
    threads?: number;
    /** Told the bytes of `range` scanned so far, once per chunk (and while waiting for the threads). */
    progress?: (done: bigint) => void;
    /** @internal tests: bytes per chunk */ chunk?: number;
    /** @internal tests: this thread waits for the workers to start before it takes chunks */ workersFirst?: boolean;
    /** @internal tests: told how many chunks the worker threads scanned */ workerChunks?: (n: number) => void;
  } = {},
): PatternMatches[] {
  const threads = opts.workers ? (opts.threads ?? threadsFor(range.length)) : 1;
  const chunk = BigInt(opts.chunk ?? (threads > 1 ? CHUNK : SOLO_CHUNK));
  const span: Span = { start: range.offset, end: range.offset + range.length };
  const chunks = Number((range.length + chunk - 1n) / chunk);
  const workers = chunks > 1 && threads > 1 && canStartWorkers() ? Math.min(threads, chunks) - 1 : 0;
  const report = opts.progress;
  // 16 pieces of 4 KiB spread over the range: which byte of each pattern is rarest in this file.
  const frequencies = sampleFrequencies(file, range.offset, range.length, 16, 4096);
  const scanned = (n: number): bigint => (BigInt(n) * chunk < range.length ? BigInt(n) * chunk : range.length);
  if (workers === 0) {
    const results: ChunkResult[] = [];
    for (let k = 0; k < Math.max(chunks, 1); k++) {
      results.push(scanChunk(file, span, k, patterns, keep, chunk, frequencies));
      report?.(scanned(k + 1));
    }
    return merge(results, patterns.length, keep);
  }
  // The SIGBUS guard is installed before the threads start, so that each finds it and shares it:
  // a fault in a thread's map is then absorbed and reported like one in this thread's.
  armSigbusGuard();
  // [0] next chunk; then per worker: state (0 idle, 1 holds chunks, 2 finished), progress.
  const shared = new Int32Array(new SharedArrayBuffer(4 * (1 + 2 * workers)));
  const ports: MessagePort[] = [];
  const started: Worker[] = [];
  for (let i = 0; i < workers; i++) {
    const { port1, port2 } = new MessageChannel();
    try {
      const task: Task = {
        task: 'scan',
        fd: file.fd,
        path: file.path,
        span,
        patterns: [...patterns],
        keep: [...keep],
        frequencies,
        chunks,
        chunk,
        shared,
        slot: i,
        port: port2,
      };
      started.push(startWorker(task, [port2]));
      ports.push(port1);
    } catch {
      port1.close();
      break; // scan with the threads we have
    }
  }
  const results: ChunkResult[] = [];
  const claim = (): number => Atomics.add(shared, 0, 1);
  // Chunks done: this thread's, and each worker's progress counter.
  const tick =
    report &&
    ((): void => {
      let n = results.length;
      for (let i = 0; i < started.length; i++) n += Atomics.load(shared, 2 + 2 * i);
      report(scanned(n));
    });
  let fromWorkers = 0;
  try {
    if (opts.workersFirst) for (let i = 0; i < started.length; i++) startedWithin(shared, 1 + 2 * i, 10_000);
    for (let k = claim(); k < chunks; k = claim()) {
      results.push(scanChunk(file, span, k, patterns, keep, chunk, frequencies));
      tick?.();
    }
    for (let i = 0; i < started.length; i++) {
      const state = 1 + 2 * i;
      // A worker that never claimed a chunk has nothing for us; one that did, finishes.
      if (!finished(shared, state, tick)) throw new OperationError(`a scan thread made no progress for ${STALL_MS / 1000} s`);
      if (Atomics.load(shared, state) !== 2) continue;
      const msg = receiveMessageOnPort(ports[i]!)?.message as { results: ChunkResult[]; claimed: number[]; error?: string } | undefined;
      if (msg === undefined) throw new OperationError('a scan thread finished without its results');
      for (const r of msg.results) results.push(r);
      fromWorkers += msg.results.length;
      if (msg.error !== undefined) {
        // Its chunks are scanned again here; a real I/O problem (a file cut under the thread's
        // map) then fails on this thread too, with the error line.
        const have = new Set(msg.results.map((r) => r.chunk));
        for (const k of msg.claimed) if (!have.has(k)) results.push(scanChunk(file, span, k, patterns, keep, chunk, frequencies));
      }
    }
  } catch (err) {
    // Leave no thread scanning: the command is about to print its error and exit, and a thread
    // inside a call into the FFI while the process exits aborts it. The threads take no more
    // chunks and end the one they hold.
    Atomics.store(shared, 0, chunks);
    for (let i = 0; i < started.length; i++) finished(shared, 1 + 2 * i);
    throw err;
  } finally {
    for (const p of ports) p.close();
  }
  opts.workerChunks?.(fromWorkers);
  return merge(results, patterns.length, keep);
}

/** Waits up to `ms` for the worker whose state is at `shared[state]` to start (leave state 0). */
function startedWithin(shared: Int32Array, state: number, ms: number): void {
  const until = Date.now() + ms;
  while (Atomics.load(shared, state) === 0 && Date.now() < until) Atomics.wait(shared, state, 0, 50);
}

/**
 * Waits until the worker whose state is at `shared[state]` (progress at `state + 1`) no longer
 * holds work (state 1); false when it made no progress for STALL_MS. With `tick`, wakes up every
 * 100 ms to call it (the progress line).
 */
function finished(shared: Int32Array, state: number, tick?: () => void): boolean {
  let progress = Atomics.load(shared, state + 1);
  let since = Date.now();
  while (Atomics.load(shared, state) === 1) {
    Atomics.wait(shared, state, 1, tick ? 100 : 1000);
    tick?.();
    const p = Atomics.load(shared, state + 1);
    if (p !== progress) {
      progress = p;
      since = Date.now();
    } else if (Date.now() - since > STALL_MS) {
      return false;
    }
  }
  return true;
}

/** What a worker thread is asked to do. */
type Task =
  | {
      task: 'scan';
      fd: number;
      path: string;
      span: Span;
      patterns: BytePattern[];
      keep: number[];
      frequencies: Uint32Array | undefined;
      chunks: number;
      chunk: bigint;
      shared: Int32Array;
      slot: number;
      port: MessagePort;
    }
  | { task: 'hash'; size: bigint; result: ResultImage; shared: Int32Array; buffer: SharedArrayBuffer; windows: number; slot: number; port: MessagePort };

/** The body of a worker thread (scan-worker.ts): a scan (take chunks until none are left) or a hash. */
export function runScanWorker(): void {
  const d = workerData as Task;
  const state = 1 + 2 * d.slot;
  Atomics.store(d.shared, state, 1);
  let message: unknown;
  if (d.task === 'hash') {
    try {
      message = { after: hashResultWindows(d) };
    } catch (err) {
      message = { error: err instanceof Error ? err.message : String(err) };
    }
  } else {
    const results: ChunkResult[] = [];
    const claimed: number[] = [];
    let error: string | undefined;
    try {
      for (let k = Atomics.add(d.shared, 0, 1); k < d.chunks; k = Atomics.add(d.shared, 0, 1)) {
        claimed.push(k);
        results.push(scanChunk({ fd: d.fd, path: d.path }, d.span, k, d.patterns, d.keep, d.chunk, d.frequencies));
        Atomics.add(d.shared, state + 1, 1);
      }
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    message = { results, claimed, ...(error !== undefined && { error }) };
  }
  d.port.postMessage(message);
  d.port.close();
  Atomics.store(d.shared, state, 2);
  Atomics.notify(d.shared, state);
}

/** Bytes of one window of the two-stream hash, and windows in flight (read, not yet hashed by both). */
const HASH_WINDOW = 8 * 1024 * 1024;
const HASH_SLOTS = 4;
// The two-stream hash's shared Int32Array: [0] stop (the main thread gave up), [1] the worker's
// state and [2] the windows it has hashed (as {@link finished} expects of slot 0), [3] the windows
// read so far, [4 + i] the length of the window in slot i.
const HASH_STOP = 0;
const HASH_STATE = 1;
const HASH_DONE = 2;
const HASH_READ = 3;
const HASH_LENGTHS = 4;

/** The worker's side of {@link hashFileAndResult}: the result's hash over the windows the main thread reads. */
function hashResultWindows(d: Extract<Task, { task: 'hash' }>): string {
  const view = new Uint8Array(d.buffer);
  const hasher = new ResultHasher(d.result, d.size);
  for (let k = 0; k < d.windows; k++) {
    // The count of windows read only grows, and is k while this one is not there yet.
    while (Atomics.load(d.shared, HASH_READ) <= k) {
      if (Atomics.load(d.shared, HASH_STOP) !== 0) throw new Error('the hash was stopped');
      Atomics.wait(d.shared, HASH_READ, k, 1000);
    }
    if (Atomics.load(d.shared, HASH_STOP) !== 0) throw new Error('the hash was stopped');
    const slot = k % HASH_SLOTS;
    const n = Atomics.load(d.shared, HASH_LENGTHS + slot);
    hasher.update(view.subarray(slot * HASH_WINDOW, slot * HASH_WINDOW + n), BigInt(k) * BigInt(HASH_WINDOW));
    Atomics.store(d.shared, HASH_DONE, k + 1);
    Atomics.notify(d.shared, HASH_DONE);
  }
  return hasher.digest();
}

/** Reads [at, at + n) of the file into `buf` at `into`; a read that ends early means the file shrank. */
function readFully(file: FileRef, buf: Uint8Array, into: number, n: number, at: bigint): void {
  let done = 0;
  while (done < n) {
    const k = readSync(file.fd, buf, into + done, n - done, at + BigInt(done));
    if (k === 0) throw shrankError(file.path, sizeNow(file), at + BigInt(done));
    done += k;
  }
}

/**
 * SHA-256 of the file (`before`) and of the `result` image (`after`, see {@link ResultHasher}),
 * each read of the file serving both: in one pass on this thread ({@link hashPass}); or, with
 * `workers`, both wanted and a file big enough for a second thread, as two streams at once: this
 * thread reads each window once (pread into a shared buffer of {@link HASH_SLOTS} windows) and
 * hashes it as the file, while a worker thread hashes the same bytes as the result. Only if that
 * worker fails, hangs or never starts is the file read a second time, here. `opts.progress` is
 * told the bytes of the file read so far, per window.
 */
export function hashFileAndResult(
  file: FileRef,
  size: bigint,
  result: ResultImage,
  want: { before: boolean; after: boolean },
  opts: { workers?: boolean; progress?: (done: bigint) => void } = {},
): Hashes {
  const hooks = { progress: opts.progress };
  if (!(want.before && want.after && opts.workers && size >= BigInt(CHUNK) && threadsFor(size) > 1 && canStartWorkers())) {
    return hashPass(file, size, result, want, hooks);
  }
  const shared = new Int32Array(new SharedArrayBuffer(4 * (HASH_LENGTHS + HASH_SLOTS)));
  const buffer = new SharedArrayBuffer(HASH_SLOTS * HASH_WINDOW);
  const view = new Uint8Array(buffer);
  const windowCount = Number((size + BigInt(HASH_WINDOW) - 1n) / BigInt(HASH_WINDOW));
  const { port1, port2 } = new MessageChannel();
  let worker: Worker;
  try {
    const task: Task = {
      task: 'hash',
      size,
      result: { sizeAfter: result.sizeAfter, hunks: result.hunks.map((h) => ({ offset: h.offset, new: h.new })) },
      shared,
      buffer,
      windows: windowCount,
      slot: 0,
      port: port2,
    };
    worker = startWorker(task, [port2]);
  } catch {
    port1.close();
    return hashPass(file, size, result, want, hooks);
  }
  const stop = (): void => {
    Atomics.store(shared, HASH_STOP, 1);
    Atomics.notify(shared, HASH_READ);
  };
  /** Waits until the worker has hashed `k` windows; false when it failed, hung, or never started. */
  const caughtUp = (k: number): boolean => {
    let seen = Atomics.load(shared, HASH_DONE);
    let since = Date.now();
    while (seen < k) {
      const state = Atomics.load(shared, HASH_STATE);
      if (state === 2) return false; // finished before hashing every window: it failed
      Atomics.wait(shared, HASH_DONE, seen, 1000);
      const now = Atomics.load(shared, HASH_DONE);
      if (now !== seen) {
        seen = now;
        since = Date.now();
      } else if (Date.now() - since > (state === 0 ? 10_000 : STALL_MS)) {
        return false;
      }
    }
    return true;
  };
  const before = createHash('sha256');
  let alone = false;
  try {
    for (let k = 0; k < windowCount; k++) {
      const slot = k % HASH_SLOTS;
      // The slot last held window k - SLOTS: the worker must be done with it.
      if (k >= HASH_SLOTS && !caughtUp(k - HASH_SLOTS + 1)) {
        alone = true;
        break;
      }
      const at = BigInt(k) * BigInt(HASH_WINDOW);
      const n = size - at < BigInt(HASH_WINDOW) ? Number(size - at) : HASH_WINDOW;
      readFully(file, view, slot * HASH_WINDOW, n, at);
      Atomics.store(shared, HASH_LENGTHS + slot, n);
      Atomics.store(shared, HASH_READ, k + 1);
      Atomics.notify(shared, HASH_READ);
      before.update(view.subarray(slot * HASH_WINDOW, slot * HASH_WINDOW + n));
      opts.progress?.(at + BigInt(n));
    }
    if (!alone && caughtUp(windowCount)) {
      // Its digest follows the last window: wait for the message (the state turns 2 after it).
      if (finished(shared, HASH_STATE) && Atomics.load(shared, HASH_STATE) === 2) {
        const msg = receiveMessageOnPort(port1)?.message as { after?: string; error?: string } | undefined;
        if (msg?.after !== undefined) return { before: before.digest('hex'), after: msg.after };
      }
    }
  } catch (err) {
    // As in scanFile: no thread left hashing while the process exits with the error.
    stop();
    finished(shared, HASH_STATE);
    throw err;
  } finally {
    port1.close();
  }
  // The worker failed or hung: stopped first, so that a thread slow to start never begins; then
  // the file is hashed here, in one more pass.
  stop();
  void worker.terminate();
  return hashPass(file, size, result, want, hooks);
}
