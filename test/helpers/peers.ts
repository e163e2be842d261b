// Helpers of the differential tests against peer tools (xxd, hexdump, od, ...): deterministic
// inputs, byte-exact comparison with a readable diff, and peer runs in batches (many invocations
// per spawn of sh: a process per peer run costs tens of milliseconds on a loaded machine).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

/** xorshift32: deterministic 32-bit numbers, so that a failure names the seed that reproduces it. */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Deterministic bytes (xorshift32), so that failures reproduce. */
export function randomBytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  const next = xorshift32(seed);
  for (let i = 0; i < n; i++) b[i] = next() & 0xff;
  return b;
}

/**
 * Byte-exact equality; on a mismatch, the lines around the first difference side by side (as a
 * string comparison, for a readable diff), and a failure in any case: an excerpt that happens to
 * read the same never passes buffers that differ.
 */
export function same(actual: Buffer, expected: Buffer, what: string): void {
  if (actual.equals(expected)) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  // From the start of the line before the one that differs, to 200 bytes past the difference.
  const around = (b: Buffer) => {
    const lineStart = i === 0 ? 0 : b.lastIndexOf(0x0a, i - 1) + 1;
    const before = lineStart === 0 ? 0 : b.lastIndexOf(0x0a, lineStart - 2) + 1;
    return b.subarray(before, Math.min(b.length, i + 200)).toString('latin1');
  };
  const head = `${what}: first difference at byte ${i} (lengths ${actual.length} vs ${expected.length})\n`;
  expect(head + around(actual)).toBe(head + around(expected));
  expect.fail(`${head}(the excerpts read the same; the outputs differ)`);
}

export interface PeerRun {
  stdout: Buffer;
  status: number;
}

/**
 * Run `CMD ARGS...` for every case in one spawn of sh, in `cwd`; the results in order. Each
 * output is framed by NUL markers, so the peer's output must not contain NUL (text dumps don't).
 */
export function peerBatch(cmd: string, cases: readonly (readonly string[])[], cwd: string): PeerRun[] {
  return shellBatch(
    cases.map((args) => ({ argv: [cmd, ...args] })),
    cwd,
  );
}

/**
 * Run every case's ARGV in one spawn of sh, each in its own directory (`in`, relative to `cwd`;
 * `cwd` itself when not given), so that cases can read files of the same name (a name the peer
 * prints, as `xxd -i` does); the results in order, framed as peerBatch frames them.
 */
export function shellBatch(cases: readonly { argv: readonly string[]; in?: string }[], cwd: string): PeerRun[] {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = cases
    .map(({ argv, in: sub }, i) => {
      const run = argv.map(quote).join(' ');
      // Every case goes to its directory (no subshell: a fork less per case).
      return `printf '\\000@%d\\000' ${i}; cd ${quote(sub === undefined ? cwd : join(cwd, sub))} && ${run}; printf '\\000#%d\\000' $?`;
    })
    .join('\n');
  const r = spawnSync('sh', ['-c', script], { cwd, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`sh: status ${r.status}: ${r.stderr}`);
  const out = r.stdout;
  const runs: PeerRun[] = [];
  let at = 0;
  for (let i = 0; i < cases.length; i++) {
    const open = Buffer.from(`\0@${i}\0`);
    const start = out.indexOf(open, at) + open.length;
    const close = out.indexOf(Buffer.from('\0#'), start);
    const end = out.indexOf(0, close + 2);
    runs.push({ stdout: out.subarray(start, close), status: Number(out.subarray(close + 2, end).toString()) });
    at = end + 1;
  }
  return runs;
}
