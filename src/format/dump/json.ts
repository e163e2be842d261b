import type { Buffer } from 'node:buffer';
import { IN_CAP, type Kernel } from './kernel.js';
import type { LineFormatter } from './lines.js';
import { Offset } from './offset.js';
import type { ResolvedOptions } from './options.js';
import type { OutBuffer } from './out.js';

/** Input bytes per kernel call: the output (2 bytes per byte) stays below half a chunk. */
const SLICE = Math.min(IN_CAP, 256 * 1024);

/**
 * Newline-delimited JSON, one object per line of up to `cols` bytes:
 * `{"offset":N,"length":N,"hex":"..."}` (with `path` first when given). See `DumpOptions.format` for the contract.
 */
export class JsonFormatter implements LineFormatter {
  private readonly off: Offset;
  private readonly cols: number;
  private readonly open: string;

  constructor(
    opts: ResolvedOptions,
    private readonly out: OutBuffer,
    private readonly kernel: Kernel,
  ) {
    this.off = new Offset(opts.startHi, opts.startLo);
    this.cols = opts.cols;
    this.open = opts.jsonOpen;
  }

  full(src: Buffer, from: number, to: number): void {
    const cols = this.cols;
    for (let j = from; j < to; j += cols) this.line(src, j, cols);
  }

  partial(src: Buffer, n: number): void {
    this.line(src, 0, n);
  }

  finish(): void {}

  private line(src: Buffer, j: number, n: number): void {
    const out = this.out;
    out.ascii(`${this.open}"offset":${this.off.decimal()},"length":${n},"hex":"`);
    // A line may be longer than a chunk (cols up to 1 MiB): write its hex in slices.
    for (let i = j; i < j + n; i += SLICE) {
      const m = Math.min(SLICE, j + n - i);
      const pos = out.reserve(2 * m);
      this.kernel.load(src, i, i + m);
      out.pos = this.kernel.hexPairs(0, m, pos);
    }
    out.ascii('"}\n');
    this.off.add(n);
  }
}
