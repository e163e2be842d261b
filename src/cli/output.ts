// Synchronous, complete writes to stdout/stderr. Big chunks, no process.stdout stream (which would
// buffer without bound and make fd 1 non-blocking). A closed pipe surfaces as `BrokenPipe`.

import { BrokenPipe } from '../errors.js';

export { BrokenPipe };
import { writeSync } from 'node:fs';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `data` to `fd`, waiting out EAGAIN on non-blocking pipes. */
export function writeAll(fd: number, data: Uint8Array | string): void {
  let buf = typeof data === 'string' ? Buffer.from(data) : data;
  while (buf.length > 0) {
    let n: number;
    try {
      n = writeSync(fd, buf);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(sleeper, 0, 0, 1);
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
