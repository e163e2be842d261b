// Random native patches with insert and delete statements (and hunks and fills that do not
// conflict with them), and the result each must give: a model that applies them to a Buffer
// simply, in the coordinates of the file before the patch. For test/format/patch-shifts.test.ts
// and test/edit/patch-shift.test.ts.

/** The model: the patch applied to a Buffer, simply, in the coordinates before the patch. */
export function model(
  orig: Buffer,
  writes: { at: number; bytes: Buffer }[],
  inserts: { at: number; bytes: Buffer }[],
  deletes: { at: number; len: number }[],
): Buffer {
  const over = Buffer.from(orig);
  for (const w of writes) w.bytes.copy(over, w.at);
  const out: Buffer[] = [];
  for (let pos = 0; pos <= orig.length; pos++) {
    for (const i of inserts) if (i.at === pos) out.push(i.bytes);
    if (pos < orig.length && !deletes.some((d) => pos >= d.at && pos < d.at + d.len)) out.push(over.subarray(pos, pos + 1));
  }
  return Buffer.concat(out);
}

/** A random patch of offset hunks, fills, inserts and deletes that do not conflict, and its expected result. */
export function randomShiftPatch(rand: () => number, orig: Buffer): { text: string; want: Buffer } {
  const size = orig.length;
  const taken = new Uint8Array(size + 1); // 1: written, 2: deleted
  const lines: string[] = [];
  const writes: { at: number; bytes: Buffer }[] = [];
  const inserts: { at: number; bytes: Buffer }[] = [];
  const deletes: { at: number; len: number }[] = [];
  const free = (at: number, len: number) => at + len <= size && taken.subarray(at, at + len).every((t) => t === 0);
  const count = 1 + Math.floor(rand() * 8);
  for (let k = 0; k < count; k++) {
    const what = rand();
    const at = Math.floor(rand() * (size + 1));
    const len = 1 + Math.floor(rand() * Math.min(40, size));
    const bytes = Buffer.from(Array.from({ length: len }, () => Math.floor(rand() * 256)));
    if (what < 0.35) {
      // An insert: not strictly inside a deleted range.
      if (deletes.some((d) => at > d.at && at < d.at + d.len)) continue;
      const neg = rand() < 0.2;
      lines.push(`insert ${neg ? `-${size - at}` : `0x${at.toString(16)}`}: ${bytes.toString('hex')}`);
      inserts.push({ at, bytes });
    } else if (what < 0.65) {
      if (!free(at, len) || inserts.some((i) => i.at > at && i.at < at + len)) continue;
      taken.fill(2, at, at + len);
      const guard = rand() < 0.5 ? `: ${orig.subarray(at, at + len).toString('hex')}` : '';
      lines.push(rand() < 0.5 ? `delete ${at}:${len}${guard}` : `delete ${at}..${at + len}${guard}`);
      deletes.push({ at, len });
    } else if (what < 0.9) {
      if (!free(at, len)) continue;
      taken.fill(1, at, at + len);
      lines.push(`0x${at.toString(16)}: ${orig.subarray(at, at + len).toString('hex')} -> ${bytes.toString('hex')}`);
      writes.push({ at, bytes });
    } else {
      if (!free(at, len)) continue;
      taken.fill(1, at, at + len);
      lines.push(`fill ${at}:${len} ${bytes.subarray(0, 1).toString('hex')}`);
      writes.push({ at, bytes: Buffer.alloc(len, bytes[0]!) });
    }
  }
  if (inserts.length + deletes.length === 0) {
    lines.push(`insert ${size}: 5a`);
    inserts.push({ at: size, bytes: Buffer.of(0x5a) });
  }
  return { text: `${lines.join('\n')}\n`, want: model(orig, writes, inserts, deletes) };
}
