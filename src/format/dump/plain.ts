import { Buffer } from 'node:buffer';
import type { Kernel } from './kernel.js';
import type { ResolvedOptions } from './options.js';
import type { OutBuffer } from './out.js';
import type { Dumper } from './types.js';

/** Input bytes per kernel call: the output (at most 3 bytes per byte) stays below a chunk. */
const SLICE = 128 * 1024;

/**
 * `xxd -p`: two hex digits per byte, a newline after every `cols` bytes and after a short last
 * line; `cols` 0 puts everything on one line followed by one newline (also for empty input).
 * Needs no line buffering: the position in the current line is all the state.
 */
export class PlainDumper implements Dumper {
  private readonly cols: number;
  private col = 0;
  private ended = false;

  constructor(
    opts: ResolvedOptions,
    private readonly out: OutBuffer,
    private readonly kernel: Kernel,
  ) {
    this.cols = opts.cols;
  }

  push(bytes: Uint8Array): void {
    if (this.ended) throw new Error('dumper: push() after end()');
    const src = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const out = this.out;
    const cols = this.cols;
    for (let i = 0; i < src.length; i += SLICE) {
      const n = Math.min(SLICE, src.length - i);
      const pos = out.reserve(3 * n + 1);
      this.kernel.load(src, i, i + n);
      out.pos = this.kernel.plain(0, n, pos, this.col, cols);
      if (cols > 0) this.col = (this.col + n) % cols;
    }
  }

  end(): void {
    if (this.ended) throw new Error('dumper: end() called twice');
    this.ended = true;
    if (this.cols === 0 || this.col > 0) this.out.ascii('\n');
    this.out.flush();
  }
}
