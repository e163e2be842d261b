// The dump engine driven as the CLI drives it: bytes pushed in windows, output collected.
import { createDumper, type DumpOptions } from '../../src/format/dump/index.js';

export type Opts = Omit<DumpOptions, 'start'> & { start?: bigint };

/** The engine's output for `bytes` pushed in windows cut at `cuts` (positions in 0..length). */
export function dumpBytes(opts: Opts, bytes: Uint8Array, cuts: readonly number[] = []): Buffer {
  const parts: Buffer[] = [];
  const d = createDumper({ start: 0n, ...opts }, (chunk) => parts.push(Buffer.from(chunk)));
  let prev = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    d.push(bytes.subarray(prev, c));
    prev = c;
  }
  d.push(bytes.subarray(prev));
  d.end();
  return Buffer.concat(parts);
}
