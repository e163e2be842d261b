// Synchronous, complete writes to stdout/stderr. Big chunks, no process.stdout stream (which would
// buffer without bound and make fd 1 non-blocking). A closed pipe surfaces as `BrokenPipe`.
// Into a pipe, the first large write grows the pipe (64 KiB by default on Linux) to 1 MiB where the
// system allows it, so that a chunk of the dump engine goes through in one write and one wake-up
// of the reader instead of sixteen; a pipe left non-blocking (by a parent, or by a touch of
// process.stdout) is waited on with poll(2), which wakes as soon as the reader made room.

import { BrokenPipe } from '../errors.js';

export { BrokenPipe };
import { fstatSync, writeSync } from 'node:fs';
import { growPipe, waitWritable } from '../mmap/sys/pipe.js';
import { utf8Terminal } from '../mmap/sys/terminal.js';

/** What {@link waitForRoom} sleeps on without the FFI (made on first use: most runs never wait). */
let sleeper: Int32Array | undefined;

/** A write at least this large is large output: its descriptor is looked at once (a pipe is grown). */
const LARGE_WRITE = 64 * 1024;
/** What a pipe is grown to: the largest an unprivileged process may ask for by default (pipe-max-size). */
const PIPE_BYTES = 1024 * 1024;
/** Descriptors looked at already. */
const looked = new Set<number>();

/** A pipe on `fd` is grown to {@link PIPE_BYTES} where allowed; anything else, or a refusal, is left as it is. */
function prepareForLargeOutput(fd: number): void {
  looked.add(fd);
  try {
    if (fstatSync(fd).isFIFO()) growPipe(fd, PIPE_BYTES);
  } catch {
    // Not a descriptor the FFI can ask (or no FFI): written as it is.
  }
}

/** Waits until the non-blocking `fd` can take bytes again: poll(2), or 1 ms when the FFI is unavailable. */
function waitForRoom(fd: number): void {
  try {
    waitWritable(fd);
  } catch {
    sleeper ??= new Int32Array(new SharedArrayBuffer(4));
    Atomics.wait(sleeper, 0, 0, 1);
  }
}

/** Writes all of `data` to `fd`, waiting out EAGAIN on non-blocking pipes. */
export function writeAll(fd: number, data: Uint8Array | string): void {
  let buf = typeof data === 'string' ? Buffer.from(data) : data;
  // On Windows, a console is told the text is UTF-8 (once): nothing on other systems.
  utf8Terminal(fd);
  if (buf.length >= LARGE_WRITE && !looked.has(fd)) prepareForLargeOutput(fd);
  while (buf.length > 0) {
    let n: number;
    try {
      n = writeSync(fd, buf);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        waitForRoom(fd);
        continue;
      }
      if (code === 'EPIPE') throw new BrokenPipe();
      throw err;
    }
    buf = buf.subarray(n);
  }
}

/** Where a command's output goes. Tests and the CLI both use fds 1 and 2. */
export interface Streams {
  readonly stdoutFd: number;
  readonly stderrFd: number;
}

export const STDIO: Streams = { stdoutFd: 1, stderrFd: 2 };

/** One JSON value as text, bigints as numbers (offsets and sizes are bigints inside). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
}

/** {@link jsonText} and a newline: a --json report. */
export function jsonLine(value: unknown): string {
  return `${jsonText(value)}\n`;
}
