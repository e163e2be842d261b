import { Buffer } from 'node:buffer';
import type { Kernel } from './kernel.js';
import type { ResolvedOptions } from './options.js';
import type { OutBuffer } from './out.js';
import type { Dumper } from './types.js';

/** Input bytes per kernel call: the output (at most 8 bytes per byte) stays below a chunk. */
const SLICE = 64 * 1024;

/** Four ASCII characters as a little-endian 32-bit value. */
const word = (s: string): number => s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24);

/**
 * `xxd -i`: `unsigned char NAME[] = {`, entries `0xhh` (`0XHH` with `upper`) twelve per line
 * (`cols`), the first of each line indented by two spaces, `, ` between entries and `,\n  ` at a
 * line break, a newline after the last entry if there was any, then `};` and
 * `unsigned int NAME_len = N;`. Without a name only the entries are written (xxd on stdin).
 * N is the exact byte count, also beyond 2^31 where xxd's `int` would wrap.
 */
export class CIncludeDumper implements Dumper {
  private readonly cols: number;
  private readonly sep: number;
  private readonly indent: number;
  private readonly name: string | undefined;
  private readonly capitalize: boolean;
  private count = 0;
  private col = 0;
  private ended = false;

  constructor(
    opts: ResolvedOptions,
    private readonly out: OutBuffer,
    private readonly kernel: Kernel,
  ) {
    this.cols = opts.cols;
    this.sep = word(opts.upper ? ', 0X' : ', 0x');
    this.indent = word(opts.upper ? '  0X' : '  0x');
    this.name = opts.cName;
    this.capitalize = opts.capitalize;
    if (this.name !== undefined) out.ascii(`unsigned char ${this.name}[] = {\n`);
  }

  push(bytes: Uint8Array): void {
    if (this.ended) throw new Error('dumper: push() after end()');
    const src = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const out = this.out;
    const cols = this.cols;
    for (let i = 0; i < src.length; i += SLICE) {
      const n = Math.min(SLICE, src.length - i);
      const pos = out.reserve(8 * n);
      this.kernel.load(src, i, i + n);
      out.pos = this.kernel.cEntries(0, n, pos, this.col, cols, this.count === 0, this.sep, this.indent);
      this.col = (this.col + n) % cols;
      this.count += n;
    }
  }

  end(): void {
    if (this.ended) throw new Error('dumper: end() called twice');
    this.ended = true;
    const out = this.out;
    if (this.count > 0) out.ascii('\n');
    if (this.name !== undefined) {
      out.ascii(`};\nunsigned int ${this.name}${this.capitalize ? '_LEN' : '_len'} = ${this.count};\n`);
    }
    out.flush();
  }
}
