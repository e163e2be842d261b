// Large output into a pipe (issue 13): `mmapx hexdump` into a FIFO gets the bytes it writes into a
// regular file, leaves the pipe blocking (it used to touch process.stdout, which makes fd 1
// non-blocking, and then slept 1 ms at every EAGAIN), grows it to 1 MiB where the system allows,
// and waits on a pipe a parent left non-blocking until every byte went through.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsc, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeCapacity } from '../../src/mmap/sys/pipe.js';
import { requireBuild } from '../helpers/child.js';
import { BIN, PINNED_ENV } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
beforeAll(() => requireBuild());

const O_NONBLOCK = 0o4000;
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** What the system lets a process (root or not) ask for without privileges. */
const pipeMax = (() => {
  try {
    return Number(readFileSync('/proc/sys/fs/pipe-max-size', 'utf8'));
  } catch {
    return 0;
  }
})();

// 1 MiB of random bytes: over 4 MiB of xxd or -C text, four times what the grown pipe holds, so
// the dump is still running when its first bytes arrive.
const input = join(dir, 'random.bin');
writeFileSync(input, randomBytes(MiB));

let n = 0;
/** The dump with its standard output a regular file. */
function toFile(args: string[]): Buffer {
  const out = join(dir, `out-${n++}.txt`);
  const fd = openSync(out, 'w');
  const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', fd, 'pipe'], env: PINNED_ENV });
  closeSync(fd);
  expect(r.status, r.stderr.toString()).toBe(0);
  return readFileSync(out);
}

interface PipeRun {
  bytes: Buffer;
  status: number | null;
  stderr: string;
  /** The flags of the writer's fd 1, read from /proc when its first bytes arrived. */
  writerFlags: number | undefined;
  /** The pipe's capacity then. */
  capacity: number | undefined;
}

/**
 * Runs mmapx with its standard output the write end of a FIFO that this process reads, `pauseMs`
 * between reads of 64 KiB (a slow reader); `nonBlocking` makes fd 1 non-blocking before mmapx
 * starts (a preload script touches process.stdout, as a host program embedding it or a parent
 * sharing the pipe would: libuv clears O_NONBLOCK on the stdio of the children it spawns, so the
 * flag cannot simply be handed down).
 */
async function throughFifo(args: string[], { nonBlocking = false, pauseMs = 0 } = {}): Promise<PipeRun> {
  const fifo = join(dir, `fifo-${n++}`);
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  // The read end first (O_NONBLOCK: no wait for a writer), then the write end finds a reader.
  const rd = openSync(fifo, fsc.O_RDONLY | fsc.O_NONBLOCK);
  const wr = openSync(fifo, fsc.O_WRONLY);
  const preload = join(dir, 'touch-stdout.cjs');
  writeFileSync(preload, 'void process.stdout;\n');
  const node = nonBlocking ? [process.execPath, '-r', preload] : [process.execPath];
  const child = spawn(node[0] as string, [...node.slice(1), BIN, ...args], { stdio: ['ignore', wr, 'pipe'], env: PINNED_ENV });
  closeSync(wr);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  const parts: Buffer[] = [];
  const buf = Buffer.alloc(64 * 1024);
  let writerFlags: number | undefined;
  let capacity: number | undefined;
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(rd, buf);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        await sleep(1);
        continue;
      }
      if (n === 0) break; // every writer closed: the end
      if (writerFlags === undefined) {
        const info = readFileSync(`/proc/${child.pid}/fdinfo/1`, 'utf8');
        writerFlags = Number.parseInt(/^flags:\s*([0-7]+)/m.exec(info)?.[1] ?? 'NaN', 8);
        capacity = pipeCapacity(rd);
      }
      parts.push(Buffer.from(buf.subarray(0, n)));
      if (pauseMs > 0) await sleep(pauseMs);
    }
  } finally {
    closeSync(rd);
  }
  return { bytes: Buffer.concat(parts), status: await exited, stderr, writerFlags, capacity };
}

describe('hexdump into a pipe', () => {
  it.each([[['-f', 'xxd']], [[]]])('%j_a_blocking_pipe_stays_blocking_is_grown_and_gets_the_bytes_a_file_gets', async (fmt) => {
    const args = ['hexdump', input, ...fmt];
    const expected = toFile(args);
    expect(expected.length).toBeGreaterThan(4 * MiB); // four times what the grown pipe holds
    const r = await throughFifo(args);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.bytes.equals(expected)).toBe(true);
    // Read while the dump was running: the writer's file description was never made non-blocking.
    expect(r.writerFlags).toBeDefined();
    expect((r.writerFlags as number) & O_NONBLOCK).toBe(0);
    // Grown to 1 MiB where the system allows it (root may always; others up to pipe-max-size).
    if (process.getuid?.() === 0 || pipeMax >= MiB) expect(r.capacity).toBeGreaterThanOrEqual(MiB);
  });

  it('a_non_blocking_pipe_from_the_parent_and_a_slow_reader_get_every_byte_in_order', async () => {
    const args = ['hexdump', input, '-f', 'xxd'];
    const expected = toFile(args);
    const r = await throughFifo(args, { nonBlocking: true, pauseMs: 2 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect((r.writerFlags as number) & O_NONBLOCK).toBe(O_NONBLOCK); // the case under test
    expect(r.bytes.equals(expected)).toBe(true);
  });
});
