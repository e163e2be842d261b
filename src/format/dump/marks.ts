import { Buffer } from 'node:buffer';
import { InputError } from '../../errors.js';
import type { LineFeeder } from './lines.js';
import type { DumpFormat, DumpMark, Dumper } from './types.js';

/** The dialects that take marks: those whose output is lines of text without a frame or an enclosing syntax. */
export const MARKED_FORMATS: readonly DumpFormat[] = ['canonical', 'xxd', 'od', 'hexdump-x', 'hexdump-d', 'hexdump-o', 'hexdump-c', 'hexdump-b'];

/** @throws InputError when `format` takes no marks, or a mark is malformed. */
export function checkMarks(format: DumpFormat, marks: readonly DumpMark[]): void {
  if (!MARKED_FORMATS.includes(format)) {
    throw new InputError(`annotations apply to --format ${MARKED_FORMATS.join(', ')}; not to ${format}`, { token: format });
  }
  for (const m of marks) {
    if (typeof m !== 'object' || m === null || typeof m.offset !== 'bigint' || typeof m.text !== 'string') {
      throw new InputError('a mark must be { offset: bigint, text: string }');
    }
    if (/[\n\r]/.test(m.text)) throw new InputError(`a mark's text is one line: ${JSON.stringify(m.text)}`);
  }
}

/**
 * A line dialect's feeder with marks (see {@link DumpOptions.marks}): the pushed bytes are cut at
 * each mark's offset, and the mark's text goes out there, when the byte at that offset arrives.
 * The feeder formats a line only once its last byte came, so the text lands before the line that
 * holds the byte, whichever of its bytes it is.
 */
export class MarkedDumper implements Dumper {
  /** Offsets from `start` (0 for a mark before it) and the text due there, in order. */
  private readonly due: { at: bigint; text: string }[] = [];
  private next = 0;
  /** Bytes pushed so far. */
  private pos = 0n;

  constructor(
    private readonly inner: LineFeeder,
    start: bigint,
    marks: readonly DumpMark[],
  ) {
    const sorted = [...marks].sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
    for (const m of sorted) {
      const at = m.offset > start ? m.offset - start : 0n;
      // The output is bytes: the text's UTF-8, one char per byte.
      const line = `${Buffer.from(m.text, 'utf8').toString('latin1')}\n`;
      const last = this.due[this.due.length - 1];
      if (last !== undefined && last.at === at) last.text += line;
      else this.due.push({ at, text: line });
    }
  }

  push(bytes: Uint8Array): void {
    let from = 0;
    while (from < bytes.length) {
      const d = this.due[this.next];
      const left = BigInt(bytes.length - from);
      const room = d === undefined || d.at - this.pos >= left ? bytes.length - from : Number(d.at - this.pos);
      if (room > 0) {
        this.inner.push(bytes.subarray(from, from + room));
        from += room;
        this.pos += BigInt(room);
      }
      // The byte at the mark's offset is next in this push: the mark goes out before its line.
      if (d !== undefined && d.at === this.pos && from < bytes.length) {
        this.inner.mark(d.text);
        this.next++;
      }
    }
  }

  end(): void {
    this.inner.end();
  }
}
