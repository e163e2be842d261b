// A patch holds at most MAX_HUNKS hunks, whatever brings them: a longer list used to be parsed and
// planned whole until the heap ran out and the process aborted (2 million lines of a 38 MB patch).
// Each source refuses as it counts, and the plan refuses the sum of several.
import { describe, expect, it } from 'vitest';
import { bytesAccess, dumpToPatch, type Hunk, ipsToPatch, MAX_HUNKS, parseIps, parseNativePatch, planPatch } from '../../src/format/patch/index.js';
import { InputError } from '../../src/errors.js';

function thrown(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('no error');
}

const TOO_MANY = `the patch has more than ${MAX_HUNKS} hunks \\(each is held in memory\\)`;

describe('a patch of more than MAX_HUNKS hunks is an input error, not an abort', () => {
  it('native: refused at the line past the limit', () => {
    // One line many times: the parser counts hunks (overlaps are the plan's business).
    const lines = '0x10: 00 -> 01\n'.repeat(MAX_HUNKS + 1);
    // Blank and comment lines are no hunks: the count passes the limit at the last line.
    const e = thrown(() => parseNativePatch(`# many\n\n${lines}`, 'p'));
    expect(e.message).toMatch(
      new RegExp(`^p line ${MAX_HUNKS + 3}: ${TOO_MANY}: split it into several patches, or make fewer, longer hunks \\(mmapx diff --coalesce N\\)$`),
    );
  });

  it('IPS: refused at the record past the limit', () => {
    const n = MAX_HUNKS + 1;
    const ips = Buffer.alloc(5 + 8 * n + 3);
    ips.write('PATCH', 0, 'latin1');
    // RLE records of one zero at even offsets: offset (3 bytes), size 0, length 1, value 0.
    for (let i = 0; i < n; i++) {
      ips.writeUIntBE(i * 2, 5 + 8 * i, 3);
      ips.writeUInt16BE(1, 5 + 8 * i + 5);
    }
    ips.write('EOF', 5 + 8 * n, 'latin1');
    expect(thrown(() => ipsToPatch(parseIps(ips, 'p.ips'), 'p.ips')).message).toMatch(new RegExp(`^p\\.ips record ${n} \\(byte 0x[0-9a-f]+\\): ${TOO_MANY}`));
  });

  it('a dump: refused at the stretch past the limit', () => {
    const one = new Uint8Array(1);
    const runs = Array.from({ length: MAX_HUNKS + 1 }, (_, i) => ({ offset: BigInt(i * 2), bytes: one, repeat: 1n, line: i + 1 }));
    expect(thrown(() => dumpToPatch({ layout: 'xxd', runs }, 'd')).message).toMatch(new RegExp(`^d line ${MAX_HUNKS + 1}: ${TOO_MANY}`));
  });

  it('the plan: two finds whose matches together pass the limit', () => {
    const half = MAX_HUNKS / 2 + 1;
    const file = new Uint8Array(2 * half).fill(2);
    file.fill(0, 0, half);
    const patch = parseNativePatch('find 00 (all): 01\nfind 02 (all): 03\n', 'p');
    expect(patch.hunks.every((h: Hunk) => h.kind === 'anchor')).toBe(true);
    expect(thrown(() => planPatch(patch, bytesAccess(file))).message).toMatch(new RegExp(`^p line 2: ${TOO_MANY}`));
  });
});
