// Another process truncates a large file while mmapx works on it, many times: no run may end by a
// signal; each ends with exit 0 and the right output (the cut came after, or before it looked) or
// exit 1 and one error line naming the offset. A few trials per case here (CI runs the suite twice);
// `node bench/truncation.mjs TRIALS` runs as many as you like with the same cases.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import type { Run } from '../helpers/cli.js';
import { createDumper } from '../../src/format/dump/index.js';
import { MiB, SCANNER, type Sizes, type TruncationCase, marker, markersIn, truncationTrials } from '../helpers/truncation.js';

const TRIALS = Number(process.env.MMAPX_TRUNCATION_TRIALS ?? 8);
const SIZE = Number(process.env.MMAPX_TRUNCATION_SIZE ?? 256 * MiB);
const guarded = process.platform === 'linux' && process.arch === 'x64';

// tmpfs when there is one: the subjects are big, and msync there costs nothing.
const base = statSync('/dev/shm', { throwIfNoEntry: false })?.isDirectory() ? '/dev/shm' : tmpdir();
const dir = mkdtempSync(join(base, 'mmapx-truncation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => requireBuild());

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const hex = (n: number) => `0x${n.toString(16)}`;

/** The error line of a command whose file shrank under it. */
const shrank = (prefix: string) => (p: string) =>
  new RegExp(
    `^${esc(prefix)}: ${esc(p)}: the file shrank to \\d+ bytes while being (read|written) \\(((fault at offset|next offset|the scan ended at|the write ends at) 0x[0-9a-f]+|it had \\d+ when opened)\\)$`,
  );

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
      forEither(s, r, (n) => new RegExp(`^wrote ${s.whole} bytes at 0x0 \\(.*\\)${n < s.whole ? `, file grown from ${n} to ${s.whole} bytes` : ''} in `).test(r.stderr)),
    error: shrank('mmapx: write'),
    mustFail: true,
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
];

describe.skipIf(!guarded)('truncation under a running command', () => {
  for (const c of CASES) {
    it(`${c.name}_ends_with_exit_0_and_right_output_or_exit_1_and_one_line`, { timeout: 30_000 + TRIALS * 5_000 }, async () => {
      const tally = await truncationTrials(c, { dir, trials: TRIALS, size: SIZE });
      console.log(`truncation ${JSON.stringify(tally)}`);
      expect(tally.ok + tally.failed).toBe(tally.trials);
    });
  }
});
