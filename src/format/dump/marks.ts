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
 * the start of each line that holds a mark, the mark's text goes out there, then the rest.
 */
export class MarkedDumper implements Dumper {
  /** Line starts (bytes from `start`, multiples of the line length) and the text due there, in order. */
  private readonly due: { at: bigint; text: string }[] = [];
  private next = 0;
  /** Bytes pushed so far. */
  private pos = 0n;

  constructor(
    private readonly inner: LineFeeder,
    cols: number,
    start: bigint,
    marks: readonly DumpMark[],
  ) {
    const width = BigInt(cols);
    const sorted = [...marks].sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
    for (const m of sorted) {
      const rel = m.offset - start;
      const at = rel <= 0n ? 0n : rel - (rel % width);
      const last = this.due[this.due.length - 1];
      if (last !== undefined && last.at === at) last.text += `${m.text}\n`;
      else this.due.push({ at, text: `${m.text}\n` });
    }
  }

  push(bytes: Uint8Array): void {
    let from = 0;
    while (from < bytes.length) {
      const d = this.due[this.next];
      const room = d === undefined ? bytes.length - from : Number(d.at - this.pos < BigInt(bytes.length - from) ? d.at - this.pos : BigInt(bytes.length - from));
      if (room > 0) {
        this.inner.push(bytes.subarray(from, from + room));
        from += room;
        this.pos += BigInt(room);
      }
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
