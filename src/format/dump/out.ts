import type { DumpSink } from './types.js';

/** Output is handed to the sink once this many bytes are buffered (the brief: 256 KiB – 1 MiB chunks). */
export const CHUNK_BYTES = 1 << 20;

/**
 * The output chunk: a region of the kernel's memory (so the kernels write straight into it and the
 * sink gets a zero-copy view), at least {@link CHUNK_BYTES} plus room for one more line. Writers
 * call {@link reserve} for the most they may write, write at `pos`, and set `pos`.
 */
export class OutBuffer {
  pos = 0;

  constructor(
    private readonly sink: DumpSink,
    readonly bytes: Uint8Array,
  ) {}

  /**
   * Make room for `n` more bytes (n <= CHUNK_BYTES), handing the chunk to the sink first when it
   * would grow past {@link CHUNK_BYTES}. Returns the position to write at.
   */
  reserve(n: number): number {
    if (this.pos + n > CHUNK_BYTES) this.flush();
    return this.pos;
  }

  /** Append an ASCII string (headers, trailers, `*` lines; not for the hot path). */
  ascii(s: string): void {
    for (let i = 0; i < s.length; i += CHUNK_BYTES) {
      const part = Math.min(CHUNK_BYTES, s.length - i);
      let p = this.reserve(part);
      const b = this.bytes;
      for (let k = i; k < i + part; k++) b[p++] = s.charCodeAt(k);
      this.pos = p;
    }
  }

  /** Hand everything buffered to the sink. */
  flush(): void {
    if (this.pos > 0) {
      const n = this.pos;
      this.pos = 0;
      // INVARIANT: the sink sees a view of the kernel's memory; it may use it only during this call.
      this.sink(this.bytes.subarray(0, n));
    }
  }
}
