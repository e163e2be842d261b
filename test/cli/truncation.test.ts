// Another process truncates a large file while mmapx works on it, many times: no run may end by a
// signal; each ends with exit 0 and the right output (the cut came after, or before it looked) or
// exit 1 and one error line naming the offset. A few trials per case here (CI runs the suite three times), on smaller subjects for the heaviest cases;
// `node bench/truncation.mjs TRIALS` runs as many as you like with the same cases.
//
// What is checked beyond the status and the line:
// - find: the offsets printed, whole (exit 0) or, before the error line, a prefix of the right ones;
//   with a scan thread (MMAPX_THREADS=2 on four 256 MiB chunks) the count.
// - patch (--find/--replace --all, and a native patch of one guarded hunk per marker, hashing on
//   two threads): exit 0 says how many hunks it applied, for the whole or the cut file, and the
//   file holds every marker patched and zeros elsewhere. After exit 1, `mmapx recover` must
//   succeed and leave no journal, and the file (cut, as the other process left it) must hold the
//   original bytes: every marker original, zeros elsewhere. A native patch that saw only the cut
//   file exits 2 naming its size.
// - diff (the cut file against a patched copy): exit 0 prints exactly the patch for the whole or
//   the cut file; exit 1 printed at most a prefix of the one for the whole file.
// - cat (piped into sha256sum, since the subject is too big to collect in this process): exit 0
//   printed exactly the whole or the cut file. cat -o: the output file is exactly the whole or the
//   cut file; after exit 1 there is no output file and no temporary one.
// - hash: exit 0 prints the sha256 of the whole or the cut file.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { BIN, mmapx, type Run } from '../helpers/cli.js';
import { createDumper } from '../../src/format/dump/index.js';
import { DiffScanner, formatHunkLine } from '../../src/format/patch/index.js';
import { MiB, SCANNER, type Sizes, type TruncationCase, makeSubject, marker, markersIn, truncationTrials } from '../helpers/truncation.js';

const TRIALS = Number(process.env.MMAPX_TRUNCATION_TRIALS ?? 8);
/** Trials of the slower cases in the suite (4: enough to require one cut mid-operation); the bench runs them all TRIALS times. */
const LIGHT = process.env.MMAPX_TRUNCATION_TRIALS === undefined ? 4 : TRIALS;
const SIZE = Number(process.env.MMAPX_TRUNCATION_SIZE ?? 256 * MiB);
/**
 * The subject of the cases whose work grows fastest with the size (a hunk per page, a write or a
 * comparison of every byte) as a multiple of SIZE: a quarter in the suite, where 64 MiB still
 * takes them a second or more past Node's start-up, so the cuts land mid-operation (the tally's
 * `failed`, which those cases require); the whole SIZE in the bench (which sets the size).
 */
const HEAVY = process.env.MMAPX_TRUNCATION_SIZE === undefined ? 0.25 : 1;
const guarded = process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64');

// tmpfs when there is one: the subjects are big, and msync there costs nothing.
const base = statSync('/dev/shm', { throwIfNoEntry: false })?.isDirectory() ? '/dev/shm' : tmpdir();
const dir = mkdtempSync(join(base, 'mmapx-truncation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => requireBuild());

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const hex = (n: number) => `0x${n.toString(16)}`;

/** The error line of a command whose file shrank under it (`tail`: what may follow, as a regex). */
const shrank =
  (prefix: string, tail = () => '') =>
  (p: string) =>
    new RegExp(
      `^${esc(prefix)}: ${esc(p)}: the file shrank to \\d+ bytes while being (read|written) \\(((fault at offset|next offset|the scan ended at|the write ends at) 0x[0-9a-f]+|it had \\d+ when opened)\\)${tail()}$`,
    );
/**
 * A command that wrote through its map and was cut after its writes, before or during its flush:
 * the flush says what was lost (src/mmap/truncation.ts lostWriteError), or the write's own error.
 */
const shrankOrLost = (prefix: string) => (p: string) =>
  new RegExp(
    `${shrank(prefix)(p).source}|^${esc(prefix)}: ${esc(p)}: flush: the file shrank to \\d+ bytes under the map \\((the flushed range ends at 0x[0-9a-f]+|fault at offset 0x[0-9a-f]+, \\d+ pages?)\\): bytes written past its end were lost, not flushed$`,
  );
/** A patch cut after its journal was written keeps it and says to run recover. */
const patchShrank = (p: string) => shrank('mmapx: patch', () => `(; the undo journal is kept: run 'mmapx recover ${esc(p)}')?`)(p);

// The patches' subject: "mmapx@" starts every marker; the patched form is "MMAPX@".
const FIND = Buffer.from('mmapx@').toString('hex');
const REPLACE = Buffer.from('MMAPX@').toString('hex');

/** Offsets of the markers whose first six bytes ("mmapx@", what the patches look for) lie inside `size`. */
function markerStarts(size: number, every: number): number[] {
  const out: number[] = [];
  for (let at = 0; at + 6 <= size; at += every) out.push(at);
  return out;
}

let zeros = Buffer.alloc(0);
/**
 * Asserts that the subject at `path` is `sizes.cut` bytes (the cut always lands by the time a run
 * is judged) of zeros and markers, each marker `state` ('patched': "MMAPX@..."). A marker the cut
 * went through before its sixth byte may be either when patched (a patch that saw only the cut
 * file did not match it).
 */
function expectSubject(path: string, sizes: Sizes, state: 'original' | 'patched', where: string): void {
  const b = readFileSync(path);
  expect(b.length, where).toBe(sizes.cut);
  for (let at = 0; at < b.length; at += sizes.every) {
    const end = Math.min(at + 16, b.length);
    const got = b.toString('latin1', at, end);
    const original = marker(at).slice(0, end - at);
    const patched = `MMAPX@${marker(at).slice(6)}`.slice(0, end - at);
    if (state === 'original' || at + 6 <= b.length) expect(got, `marker at ${hex(at)}: ${where}`).toBe(state === 'original' ? original : patched);
    else expect([original, patched], `marker at ${hex(at)}: ${where}`).toContain(got);
    b.fill(0, at, end);
  }
  if (zeros.length < b.length) zeros = Buffer.alloc(b.length);
  expect(b.compare(zeros, 0, b.length) === 0, `bytes besides the markers changed: ${where}`).toBe(true);
}

/** After a failed patch: recover succeeds, no journal is left, and the cut file holds the original bytes. */
function recoverAndExpectOriginal(r: Run, path: string, sizes: Sizes): void {
  const where = `after a patch that failed, cut to ${sizes.cut}\n${r.dump}`;
  const rec = mmapx(['recover', path]);
  expect(rec.status, `${where}\n${rec.dump}`).toBe(0);
  expect(rec.stderr, `${where}\n${rec.dump}`).toMatch(
    /^(nothing to recover: no journal|recovered .* as far as it reaches: another program had cut it to \d+ bytes|recovered .*: restored \d+ ranges?)/,
  );
  const dir = path.slice(0, path.lastIndexOf('/'));
  expect(
    readdirSync(dir).filter((f) => f.includes('mmapx-journal')),
    where,
  ).toEqual([]);
  expectSubject(path, sizes, 'original', `${where}\n${rec.dump}`);
}

/** `patched FILE: N hunks applied` with N the markers of the whole or the cut file, and the file patched. */
function patchedOk(r: Run, path: string, sizes: Sizes): void {
  const m = new RegExp(`^patched ${esc(path)}: (\\d+) hunks? applied \\(`).exec(r.stderr);
  expect(m, r.dump).not.toBeNull();
  forEither(sizes, r, (n) => Number(m![1]) === markerStarts(n, sizes.every).length);
  expectSubject(path, sizes, 'patched', r.dump);
}

/** A native patch of one guarded hunk per marker of a `size`-byte subject. */
function nativePatch(path: string, size: number, every: number): string {
  const file = `${path}.patch`;
  if (!existsSync(file)) {
    const hexBytes = (s: string) =>
      Buffer.from(s, 'latin1')
        .toString('hex')
        .replace(/(..)(?!$)/g, '$1 ');
    const lines = markerStarts(size, every).map((at) => `${hex(at)}: ${hexBytes('mmapx@')} -> ${hexBytes('MMAPX@')}`);
    writeFileSync(file, `# one hunk per marker\n${lines.join('\n')}\n`);
  }
  return file;
}

/** What `mmapx diff OLD NEW` prints for OLD = the subject cut to `oldSize`, NEW = the patched subject (made in-process). */
const diffs = new Map<string, string>();
function expectedDiff(oldPath: string, newPath: string, oldSize: number, newSize: number, every: number): string {
  const key = `${oldPath} ${oldSize}`;
  const cached = diffs.get(key);
  if (cached !== undefined) return cached;
  const lines = [`# mmapx diff: turns ${oldPath} into ${newPath}`];
  if (oldSize !== newSize) lines.push(`size before ${hex(oldSize)}`, `size after ${hex(newSize)}`);
  const scanner = new DiffScanner({ coalesce: 8, name: oldPath });
  for (let at = 0; at < newSize; at += every) {
    const n = Math.min(every, newSize - at);
    const neu = Buffer.alloc(n);
    const old = Buffer.alloc(Math.max(0, Math.min(n, oldSize - at)));
    if (n >= 16) neu.write(`MMAPX@${marker(at).slice(6)}`, 'latin1');
    if (old.length > 0) Buffer.from(marker(at), 'latin1').copy(old, 0, 0, Math.min(16, old.length));
    for (const h of scanner.push(old, neu)) lines.push(formatHunkLine(h));
  }
  for (const h of scanner.finish()) lines.push(formatHunkLine(h));
  const text = `${lines.join('\n')}\n`;
  if (diffs.size >= 3) diffs.delete(diffs.keys().next().value!);
  diffs.set(key, text);
  return text;
}

/** The patched copy a diff compares the subject with, made once per size. */
function diffTarget(path: string, sizes: Sizes): string {
  const target = `${path}.new`;
  if (!existsSync(target)) {
    makeSubject(target, sizes.whole, sizes.every);
    const b = readFileSync(target);
    for (const at of markerStarts(sizes.whole, sizes.every)) b.write('MMAPX@', at, 'latin1');
    writeFileSync(target, b);
  }
  return target;
}

/** Passes when `check(size)` holds for the whole size or for the cut size. */
function forEither(sizes: Sizes, r: Run, check: (size: number) => boolean): void {
  expect(check(sizes.whole) || check(sizes.cut), `output fits neither ${sizes.whole} nor ${sizes.cut} bytes\n${r.dump}`).toBe(true);
}

/** The canonical dump of the first `size` bytes of a subject (see makeSubject), made in-process. */
const dumps = new Map<number, string>();
function expectedDump(size: number, every: number): string {
  const cached = dumps.get(size);
  if (cached !== undefined) return cached;
  const parts: Buffer[] = [];
  const d = createDumper({ format: 'canonical', start: 0n }, (chunk) => parts.push(Buffer.from(chunk)));
  for (let at = 0; at < size; at += every) {
    const chunk = Buffer.alloc(Math.min(every, size - at));
    if (chunk.length >= 16) chunk.write(marker(at), 'latin1');
    d.push(chunk);
  }
  d.end();
  const text = Buffer.concat(parts).toString('latin1');
  dumps.set(size, text);
  return text;
}

/** The sha256 of the first `size` bytes of a subject (see makeSubject), made in-process. */
const subjectHashes = new Map<string, string>();
function subjectSha256(size: number, every: number): string {
  const key = `${size}/${every}`;
  const cached = subjectHashes.get(key);
  if (cached !== undefined) return cached;
  const h = createHash('sha256');
  const block = Buffer.alloc(every);
  for (let at = 0; at < size; at += every) {
    block.fill(0);
    if (every >= 16) block.write(marker(at), 'latin1');
    h.update(block.subarray(0, Math.min(every, size - at)));
  }
  const hex = h.digest('hex');
  if (subjectHashes.size >= 4) subjectHashes.delete(subjectHashes.keys().next().value!);
  subjectHashes.set(key, hex);
  return hex;
}

/** The sha256 of a file, or undefined when there is none. */
function fileSha256(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** No `-o` output of cat is left: neither the file nor its temporary one. */
function noOutputLeft(r: Run, path: string): void {
  const out = `${path}.out`;
  const name = out.slice(out.lastIndexOf('/') + 1);
  const dir = out.slice(0, out.lastIndexOf('/'));
  expect(existsSync(out), r.dump).toBe(false);
  expect(
    readdirSync(dir).filter((f) => f.startsWith(`.${name}.mmapx-tmp-`)),
    r.dump,
  ).toEqual([]);
}

const CASES: TruncationCase[] = [
  {
    name: 'scan-windows',
    argv: (p) => ({ cmd: process.execPath, args: ['--input-type=module', '-e', SCANNER, p] }),
    ok: (r, _p, s) => forEither(s, r, (n) => r.stdout === `scanned ${n} bytes, ${markersIn(n, s.every)} markers, 0 bad\n`),
    error: shrank('scan'),
    mustFail: true,
  },
  {
    name: 'write-fill',
    argv: (p, s) => ({ mmapx: ['write', p, '0', '--fill', '0x55', '--length', String(s.whole), '--grow'] }),
    ok: (r, _p, s) =>
      forEither(s, r, (n) =>
        new RegExp(`^wrote ${s.whole} bytes at 0x0 \\(.*\\)${n < s.whole ? `, file grown from ${n} to ${s.whole} bytes` : ''} in `).test(r.stderr),
      ),
    error: shrankOrLost('mmapx: write'),
    mustFail: true,
    scale: HEAVY,
  },
  {
    name: 'protect-ro',
    argv: (p) => ({ mmapx: ['protect', p, 'ro'] }),
    ok: (r, p, s) => forEither(s, r, (n) => r.stdout.startsWith(`${p} 0x0..${hex(n)} mapped r--s at `)),
    error: shrank('mmapx: protect'),
  },
  {
    name: 'hexdump',
    argv: (p) => ({ mmapx: ['hexdump', p] }),
    ok: (r, _p, s) => forEither(s, r, (n) => r.stdout === expectedDump(n, s.every)),
    error: shrank('mmapx: hexdump'),
    mustFail: true,
  },
  {
    name: 'find',
    argv: (p) => ({ mmapx: ['find', p, '--text', 'mmapx@'] }),
    ok: (r, _p, s) =>
      forEither(
        s,
        r,
        (n) =>
          r.stdout ===
          markerStarts(n, s.every)
            .map((at) => `${hex(at)}\n`)
            .join(''),
      ),
    error: shrank('mmapx: find'),
    // Offsets printed before the error came from windows checked whole: a prefix of the right list.
    failed: (r, _p, s) =>
      expect(
        markerStarts(s.whole, s.every)
          .map((at) => `${hex(at)}\n`)
          .join('')
          .startsWith(r.stdout),
        r.dump,
      ).toBe(true),
  },
  {
    name: 'find-count-threads',
    // Four 256 MiB chunks taken by the main thread and a scan thread (with two, the main thread is
    // often done with the first before the thread has started, and takes the second too): a fault
    // in either thread's map surfaces as the error line. Before the guard was shared with worker
    // threads, a cut under the scan thread's map killed the process.
    argv: (p) => ({ mmapx: ['find', p, '--text', 'mmapx@', '--count'], env: { MMAPX_THREADS: '2' } }),
    ok: (r, _p, s) => forEither(s, r, (n) => r.stdout === `${markerStarts(n, s.every).length}\n`),
    error: shrank('mmapx: find'),
    failed: (r) => expect(r.stdout, r.dump).toBe(''),
    scale: 4,
    mustFail: true,
  },
  {
    // A marker on every page: 16384 hunks in the suite (65536 in the bench), so that writing them (and their journal) takes a while
    // and cuts land there too; no hashes, which would take most of the time otherwise.
    name: 'patch-find-replace-all',
    argv: (p) => ({ mmapx: ['patch', p, '--find', FIND, '--replace', REPLACE, '--all', '--no-hash'] }),
    every: 4096,
    ok: patchedOk,
    error: patchShrank,
    failed: recoverAndExpectOriginal,
    mustFail: true,
    scale: HEAVY,
  },
  {
    // 4096 guarded hunks, one every 64 KiB, with the hashes before and after (--hash: the one
    // after on a second thread, MMAPX_THREADS=2, over the windows this thread reads).
    name: 'patch-native-hunks',
    argv: (p, s) => ({ mmapx: ['patch', p, nativePatch(p, s.whole, s.every), '--hash'], env: { MMAPX_THREADS: '2' } }),
    every: 64 * 1024,
    ok: patchedOk,
    error: patchShrank,
    failed: recoverAndExpectOriginal,
    // Cut before the patch opened the file: a hunk it no longer reaches is a usage error for that file.
    // (The planner names the hunk that ends last, on line N+1 after the comment line.)
    cutFirst: (r, p, s) => {
      const starts = markerStarts(s.whole, s.every);
      const last = starts[starts.length - 1]!;
      const line = `mmapx: patch: ${p}: ${p}.patch line ${starts.length + 1}: the change at ${hex(last)}..${hex(last + 6)} ends past the end of the file (size ${hex(s.cut)}); growing the file needs --grow\n`;
      if (r.status !== 2 || r.stderr !== line) return false;
      expectSubject(p, s, 'original', r.dump);
      return true;
    },
    mustFail: true,
  },
  {
    name: 'diff',
    argv: (p, s) => ({ mmapx: ['diff', p, diffTarget(p, s)] }),
    ok: (r, p, s) => forEither(s, r, (n) => r.stdout === expectedDiff(p, `${p}.new`, n, s.whole, s.every)),
    error: shrank('mmapx: diff'),
    failed: (r, p, s) => expect(expectedDiff(p, `${p}.new`, s.whole, s.whole, s.every).startsWith(r.stdout), r.dump).toBe(true),
    scale: HEAVY,
  },
  {
    // Piped into sha256sum (pipefail: the status is mmapx's): 256 MiB is too much to collect here.
    name: 'cat',
    argv: (p) => ({ cmd: 'bash', args: ['-c', 'set -o pipefail; "$0" "$1" cat "$2" | sha256sum', process.execPath, BIN, p] }),
    ok: (r, _p, s) => forEither(s, r, (n) => r.stdout === `${subjectSha256(n, s.every)}  -\n`),
    error: shrank('mmapx: cat'),
    mustFail: true,
  },
  {
    name: 'cat-output',
    argv: (p) => {
      // Each trial starts without the output of the one before, so a failed run can be seen to leave none.
      rmSync(`${p}.out`, { force: true });
      return { mmapx: ['cat', p, '-o', `${p}.out`] };
    },
    ok: (r, p, s) => {
      expect(r.stdout, r.dump).toBe('');
      const got = fileSha256(`${p}.out`);
      forEither(s, r, (n) => got === subjectSha256(n, s.every));
    },
    error: shrank('mmapx: cat'),
    failed: (r, p) => noOutputLeft(r, p),
    mustFail: true,
  },
  {
    name: 'hash',
    argv: (p) => ({ mmapx: ['hash', p] }),
    ok: (r, p, s) => forEither(s, r, (n) => r.stdout === `${subjectSha256(n, s.every)}  ${p}\n`),
    error: shrank('mmapx: hash'),
    failed: (r) => expect(r.stdout, r.dump).toBe(''),
    mustFail: true,
  },
];

/** The cases that cost more per trial run LIGHT times in the suite. */
const LIGHT_CASES = new Set(['find', 'find-count-threads', 'patch-find-replace-all', 'patch-native-hunks', 'diff', 'cat', 'cat-output', 'hash']);

describe.skipIf(!guarded)('truncation under a running command', () => {
  for (const c of CASES) {
    const trials = LIGHT_CASES.has(c.name) ? LIGHT : TRIALS;
    it(`${c.name}_ends_with_exit_0_and_right_output_or_exit_1_and_one_line`, { timeout: 60_000 + trials * 60_000 }, async () => {
      const tally = await truncationTrials(c, { dir, trials, size: SIZE });
      console.log(`truncation ${JSON.stringify(tally)}`);
      expect(tally.ok + tally.failed + tally.cutFirst).toBe(tally.trials);
    });
  }
});
