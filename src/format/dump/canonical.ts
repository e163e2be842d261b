import { Buffer } from 'node:buffer';
import { byteTables } from './bytes.js';
import { HexPrinter, type HexLayout } from './hexlines.js';
import type { Kernel } from './kernel.js';
import { repeatsLine, runEnd, type LineFormatter } from './lines.js';
import { Offset } from './offset.js';
import type { ResolvedOptions } from './options.js';
import type { OutBuffer } from './out.js';

/**
 * `hexdump -C`: 16 bytes per line,
 * `OFFSET  hh hh hh hh hh hh hh hh  hh hh hh hh hh hh hh hh  |text............|`.
 * A full line equal to the previous line becomes one `*` line (until a different line comes); a
 * short last line keeps the `|` column; a line with the offset past the last byte ends the dump
 * unless that offset is 0 (empty input at offset 0 prints nothing).
 */
function canonicalLayout(ebcdic: boolean): HexLayout {
  const pos = new Uint16Array(16);
  for (let k = 0; k < 16; k++) pos[k] = 3 * k + (k >= 8 ? 1 : 0);
  return { cols: 16, sep: 0x2020, pos, textCol: 50, bar: true, text: ebcdic ? byteTables().textEbcdic : undefined };
}

export class CanonicalFormatter implements LineFormatter {
  private readonly printer: HexPrinter;
  private readonly off: Offset;
  private readonly squeeze: boolean;
  /** The last full line of the previous `full` call (squeezing compares across calls). */
  private readonly prev = Buffer.alloc(16);
  private hasPrev = false;
  /** A `*` was printed for the current run of repeated lines. */
  private starred = false;
  /** The end offset is printed when it is not 0 (see finish). */
  private readonly startsAtZero: boolean;
  private any = false;

  constructor(opts: ResolvedOptions, out: OutBuffer, kernel: Kernel) {
    this.printer = new HexPrinter(out, kernel, canonicalLayout(opts.ebcdic), opts.colors);
    // Offsets shown: the absolute offset plus the display offset (xxd -o), modulo 2^64.
    this.off = new Offset(opts.shownHi, opts.shownLo);
    this.squeeze = opts.squeeze;
    this.startsAtZero = opts.startHi === 0 && opts.startLo === 0;
  }

  full(src: Buffer, from: number, to: number): void {
    this.any = true;
    if (!this.squeeze) {
      this.printer.lines(src, from, (to - from) / 16, this.off);
    } else {
      let j = from;
      while (j < to) {
        if (repeatsLine(src, j, from, 16, this.hasPrev ? this.prev : undefined)) {
          if (!this.starred) this.printer.star();
          this.starred = true;
          // Line j repeats its predecessor: skip the whole run in a few memcmp calls.
          const e = runEnd(src, j + 16, to, 16);
          this.off.add(e - j);
          j = e;
          continue;
        }
        this.starred = false;
        // Print up to the next line that repeats its predecessor (the kernel finds it).
        j += 16 * this.printer.lines(src, j, (to - j) / 16, this.off, true);
      }
    }
    src.copy(this.prev, 0, to - 16, to);
    this.hasPrev = true;
  }

  interrupt(): void {
    this.hasPrev = false;
    this.starred = false;
  }

  partial(src: Buffer, n: number): void {
    this.any = true;
    this.printer.line(src, 0, n, this.off);
    this.off.add(n);
  }

  finish(): void {
    // hexdump prints the end offset when it is not 0: after any data, and also when -s skipped
    // to the end of the file (`hexdump -C -s 1` of a 1-byte file prints `00000001`). Empty input
    // at offset 0 prints nothing at all.
    if (this.any || !this.startsAtZero) this.printer.offsetLine(this.off);
  }
}
