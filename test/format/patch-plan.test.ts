import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GuardError, InputError } from '../../src/errors.js';
import {
  applyPatchToBytes,
  applyPlan,
  assertPlan,
  bytesAccess,
  checkHashes,
  findReplaceHunk,
  hashesNeeded,
  MAX_ALL_MATCHES,
  mergePatches,
  parseEditSpec,
  parseNativePatch,
  patchedChunks,
  planPatch,
  sequentialScan,
  type FileAccess,
  type PatternScan,
  type Patch,
} from '../../src/format/patch/index.js';

const sha256 = (d: Uint8Array) => createHash('sha256').update(d).digest('hex');
const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const P = (text: string, name = 'fix.patch') => parseNativePatch(text, name);

function thrown<T extends Error>(cls: new (...a: never[]) => T, fn: () => unknown): T {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(cls);
    expect((e as Error).message).not.toContain('\n');
    return e as T;
  }
  throw new Error(`expected a ${cls.name}`);
}

// A tiny "binary": call, test al,al, je +5 at 0x10; a second call site elsewhere.
const BIN = hex(
  '90909090 90909090 90909090 90909090' + // 0x00
    'e8 11223344 84c0 7405 90 90909090 9090' + // 0x10: licence check, je at 0x17
    '00000000 00000000 00000000 00000000' + // 0x20
    'e8 55667788 85c0 7405 90 90909090 9090', // 0x30: different test (85 c0)
);

describe('plan: offset hunks', () => {
  it('applies a guarded hunk, then reports it already applied', () => {
    const p = P('0x17: 74 05 -> eb 05  # skip the licence check\n');
    const once = applyPatchToBytes(BIN, p);
    expect(once.plan.state).toBe('apply');
    expect([...once.bytes.subarray(0x17, 0x19)]).toEqual([0xeb, 0x05]);
    expect(once.plan.hunks[0]).toMatchObject({ offset: 0x17n, state: 'apply', current: hex('7405') });
    const twice = planPatch(p, bytesAccess(once.bytes));
    expect(twice.state).toBe('already');
    expect(twice.hunks[0]!.state).toBe('already');
  });

  it('classifies a guard mismatch as fail with offset, expected and actual', () => {
    const plan = planPatch(P('0x17: 75 05 -> eb 05\n0x0: 90 -> cc\n0x1: 90 -> cc\n'), bytesAccess(BIN));
    expect(plan.state).toBe('fail');
    expect(plan.hunks.map((h) => h.state)).toEqual(['apply', 'apply', 'fail']);
    expect(plan.failures).toEqual(['fix.patch line 1: at 0x17 expected 75 05, found 74 05']);
    const e = thrown(GuardError, () => assertPlan(plan));
    expect(e.message).toBe('fix.patch line 1: at 0x17 expected 75 05, found 74 05');
    expect(e.exitCode).toBe(3);
  });

  it('lists every failure and summarises them in one line', () => {
    const plan = planPatch(P('0x0: 00 -> 01\n0x1: 00 -> 01\n0x2: 00 -> 01\n'), bytesAccess(BIN));
    expect(plan.failures).toHaveLength(3);
    expect(thrown(GuardError, () => assertPlan(plan)).message).toBe('fix.patch line 1: at 0x0 expected 00, found 90 (and 2 more)');
  });

  it('resolves negative offsets from the end', () => {
    const out = applyPatchToBytes(BIN, P('-1: 90 -> 00\n')).bytes;
    expect(out[BIN.length - 1]).toBe(0);
    expect(thrown(InputError, () => planPatch(P('\n-0x41: 00\n'), bytesAccess(BIN))).message).toBe(
      'fix.patch line 2: offset -0x41 is before the start of the file (size 0x40)',
    );
  });

  it('refuses offsets from the end when the patch changes the size (they would move)', () => {
    expect(thrown(InputError, () => planPatch(P('size after 0x50\n-1: 90 -> ff\n'), bytesAccess(BIN), { grow: true })).message).toBe(
      'fix.patch line 2: an offset from the end cannot be combined with a change of the file size (0x40 -> 0x50)',
    );
    expect(thrown(InputError, () => planPatch(P('-1: 90 -> ff\n0x40: 00\n'), bytesAccess(BIN), { grow: true })).message).toContain(
      'fix.patch line 1: an offset from the end',
    );
  });

  it('refuses hunks past the end unless the file may grow, and beyond size after', () => {
    const e = thrown(InputError, () => planPatch(P('0x3f: 90 90\n'), bytesAccess(BIN)));
    expect(e.message).toBe('fix.patch line 1: the change at 0x3f..0x41 ends past the end of the file (size 0x40); growing the file needs --grow');
    expect(e.location.line).toBe(1);
    const grown = applyPatchToBytes(BIN, P('0x44: 01 02\n'), { grow: true }).bytes;
    expect(grown).toHaveLength(0x46);
    expect([...grown.subarray(0x40)]).toEqual([0, 0, 0, 0, 1, 2]);
    expect(thrown(InputError, () => planPatch(P('size after 0x42\n0x41: 00 00\n'), bytesAccess(BIN), { grow: true })).message).toBe(
      'fix.patch line 2: the change at 0x41..0x43 ends past size after 0x42 (fix.patch line 1)',
    );
  });

  it('refuses overlapping hunks, naming both lines', () => {
    const e = thrown(InputError, () => planPatch(P('0x10: 00 00 00\n# gap\n0x12: 00\n'), bytesAccess(BIN)));
    expect(e.message).toBe('fix.patch line 1 and fix.patch line 3 overlap at 0x12..0x13');
    expect(e.location.line).toBe(3);
    const mixed = mergePatches([P('0x17: 74 -> eb\n'), { hunks: [parseEditSpec('0x16:c0=c1')], guards: {} }]);
    expect(thrown(InputError, () => planPatch(mergePatches([mixed, P('find 84 c0 (once): 00 00\n', 'b.patch')]), bytesAccess(BIN))).message).toBe(
      'b.patch line 1 and --edit #1 overlap at 0x16..0x17',
    );
  });

  it('checks size before, and accepts the after-size once applied', () => {
    const p = P('size before 0x40\nsize after 0x42\n0x40: 00 00 -> 01 01\n');
    const once = applyPatchToBytes(BIN, p, { grow: true });
    expect(once.bytes).toHaveLength(0x42);
    expect(planPatch(p, bytesAccess(once.bytes), { grow: true }).state).toBe('already');
    const wrong = planPatch(p, bytesAccess(BIN.subarray(0, 0x30)), { grow: true });
    expect(wrong.failures).toContain('fix.patch line 1: expected the file to be 0x40 bytes, it is 0x30');
  });
});

describe('plan: anchors', () => {
  it('resolves an anchor that matches once, then finds it already applied', () => {
    const p = P('find e8 ?? ?? ?? ?? 84 c0 74 (once) +7: 74 -> eb\n');
    const once = applyPatchToBytes(BIN, p);
    expect(once.plan.hunks[0]).toMatchObject({ offset: 0x17n, match: 0x10n, state: 'apply' });
    expect(once.bytes[0x17]).toBe(0xeb);
    // The pattern no longer matches (74 became eb): it resolves through the patched form.
    const again = planPatch(p, bytesAccess(once.bytes));
    expect(again.state).toBe('already');
    expect(again.hunks[0]).toMatchObject({ offset: 0x17n, match: 0x10n });
  });

  it('fails an anchor that matches nothing or twice, with the line and the matches', () => {
    const none = planPatch(P('# x\nfind de ad be ef (once): 00\n'), bytesAccess(BIN));
    expect(none.failures).toEqual(['fix.patch line 2: find de ad be ef matched nothing; expected once']);
    const two = planPatch(P('find e8 ?? ?? ?? ?? 8? c0 (once) +7: 74 -> eb\n'), bytesAccess(BIN));
    expect(two.failures).toEqual(['fix.patch line 1: find e8 ?? ?? ?? ?? 8? c0 matched 2 times at 0x10, 0x30; expected once']);
    expect(thrown(GuardError, () => assertPlan(two)).message).toContain('line 1');
    const all = applyPatchToBytes(BIN, P('find e8 ?? ?? ?? ?? 8? c0 74 (2 times) +7: 74 -> eb\n'));
    expect([all.bytes[0x17], all.bytes[0x37]]).toEqual([0xeb, 0xeb]);
  });

  it("patches every match with 'all' and refuses 'all' without any match", () => {
    const out = applyPatchToBytes(BIN, P('find c0 74 (all) +1: 74 -> eb\n'));
    expect(out.plan.hunks.map((h) => h.offset)).toEqual([0x17n, 0x37n]);
    expect(planPatch(P('find c0 74 (all) +1: 74 -> eb\n'), bytesAccess(out.bytes)).state).toBe('already');
    expect(planPatch(P('find de ad (all): ab cd\n'), bytesAccess(BIN)).failures).toEqual([
      'fix.patch line 1: find de ad matched nothing; expected at least once',
    ]);
    // 00 00 overlaps itself all over the zeros: not taken for an applied change.
    expect(planPatch(P('find de ad (all): 00 00\n'), bytesAccess(BIN)).failures).toEqual([
      'fix.patch line 1: find de ad matched nothing (15 times with the change applied); expected at least once',
    ]);
  });

  it("caps 'all' at MAX_ALL_MATCHES matches", () => {
    const zeros = new Uint8Array(MAX_ALL_MATCHES + 1);
    expect(planPatch(P('find 00 (all): 01\n'), bytesAccess(zeros)).failures).toEqual([
      `fix.patch line 1: find 00 matched ${MAX_ALL_MATCHES + 1} times; (all) patches at most ${MAX_ALL_MATCHES}`,
    ]);
  });

  it('refuses overlapping matches of one pattern', () => {
    const e = thrown(InputError, () => planPatch(P('find 90 90 (all): 00 00\n'), bytesAccess(BIN)));
    expect(e.message).toBe('fix.patch line 1 and fix.patch line 1 overlap at 0x1..0x2 (two matches of the same pattern)');
  });

  it('finds anchors across read windows', () => {
    let reads = 0;
    const file: FileAccess = {
      size: BigInt(BIN.length),
      read: (o, n) => {
        reads++;
        return BIN.slice(Number(o), Number(o) + n);
      },
    };
    const plan = planPatch(P('find 84 c0 74 05 (once) +2: 74 -> eb\n'), file, { window: 7 });
    expect(plan.hunks[0]).toMatchObject({ offset: 0x17n, state: 'apply' });
    expect(reads).toBeGreaterThan(9);
  });

  it('refuses a change that lands before the start of the file', () => {
    expect(thrown(InputError, () => planPatch(P('find 90 90 90 90 90 90 90 90 90 90 90 90 90 90 90 90 e8 (once) -1: 00\n'), bytesAccess(BIN))).message).toBe(
      'fix.patch line 1: the match at 0x0 puts the change at -0x1, before the start of the file',
    );
  });
});

describe('plan: --find/--replace and --edit', () => {
  it('replaces one match, and is idempotent', () => {
    const p: Patch = { hunks: [findReplaceHunk('84 c0 74 05', '84 c0 eb 05')], guards: {} };
    const once = applyPatchToBytes(BIN, p);
    expect(once.bytes[0x17]).toBe(0xeb);
    expect(planPatch(p, bytesAccess(once.bytes)).state).toBe('already');
  });

  it('replaces all matches or exactly --count of them', () => {
    const all = applyPatchToBytes(BIN, { hunks: [findReplaceHunk('?? c0 74 05', '31 c0 eb 05', { all: true })], guards: {} });
    expect([all.bytes[0x15], all.bytes[0x35], all.bytes[0x37]]).toEqual([0x31, 0x31, 0xeb]);
    const wrong = planPatch({ hunks: [findReplaceHunk('?? c0 74 05', '31 c0 eb 05', { count: 3 })], guards: {} }, bytesAccess(BIN));
    expect(wrong.failures).toEqual(['--find #1: find ?? c0 74 05 matched 2 times at 0x15, 0x35; expected 3 times']);
  });

  it('rejects bad --find/--replace values', () => {
    expect(thrown(InputError, () => findReplaceHunk('e8 ??', 'e8')).message).toBe('--replace has 1 byte(s) but --find has 2: a replacement keeps the length');
    expect(thrown(InputError, () => findReplaceHunk('e8 x?', 'e800')).message).toBe("--find 'e8 x?', col 4: 'x' is not a hex digit or '?'");
    expect(thrown(InputError, () => findReplaceHunk('??', '00')).message).toContain('no fixed byte');
    expect(thrown(InputError, () => findReplaceHunk('e8', '00', { all: true, count: 2 })).message).toBe('--all and --count exclude each other');
    expect(thrown(InputError, () => findReplaceHunk('e8', '00', { count: 0 })).message).toContain('--count must be');
  });

  it('parses --edit with and without a guard', () => {
    expect(parseEditSpec('0x17=eb05', 2)).toEqual({ kind: 'offset', offset: 0x17n, new: hex('eb05'), source: { name: '--edit', line: 2 } });
    expect(parseEditSpec('-2:7405=eb05')).toMatchObject({ offset: -2n, old: hex('7405'), new: hex('eb05') });
    expect(applyPatchToBytes(BIN, { hunks: [parseEditSpec('23=aa bb')], guards: {} }).bytes[23]).toBe(0xaa);
  });

  it('reads --edit offsets with size suffixes and hex with separators', () => {
    expect(parseEditSpec('4K:74:05=eb:05')).toMatchObject({ offset: 4096n, old: hex('7405'), new: hex('eb05') });
    expect(parseEditSpec('-1K=0xeb 05')).toMatchObject({ offset: -1024n, new: hex('eb05') });
  });

  it.each([
    ['0x17', 4, "no '='"],
    ['zz=00', 0, "'zz' is not an offset"],
    ['0x17=0', 5, 'odd number of hex digits'],
    ['0x17:74=eb05', 7, 'an edit keeps the length'],
    ['0x17:=eb', 5, 'no old bytes'],
    ['0x17=', 5, 'no new bytes'],
    ['0x1z=00', 3, "'0x1z' is not an offset ('z' is not a hex digit)"],
    ['--4=00', 1, "'--4' is not an offset"],
  ])('rejects --edit %j at col %i', (spec, at, message) => {
    const e = thrown(InputError, () => parseEditSpec(spec));
    expect(e.message).toBe(`--edit '${spec}', col ${at + 1}: ${e.message.split(': ').slice(1).join(': ')}`);
    expect(e.message).toContain(message);
    expect(e.location.position).toBe(at);
  });
});

describe('plan: the anchor search', () => {
  it('reads the file once for a first application, twice for a rerun, through an injected scan', () => {
    const p = P('find ?? c0 74 05 (2 times) +2: 74 -> eb\n');
    const calls: number[] = [];
    const counting = (bytes: Uint8Array): PatternScan => {
      const inner = sequentialScan(bytesAccess(bytes), 7);
      return (patterns, keep) => {
        calls.push(patterns.length);
        return inner(patterns, keep);
      };
    };
    const first = planPatch(p, bytesAccess(BIN), { scan: counting(BIN) });
    expect(first.hunks.map((h) => Number(h.offset))).toEqual([0x17, 0x37]);
    expect(calls).toEqual([1]);
    const after = applyPatchToBytes(BIN, p).bytes;
    calls.length = 0;
    expect(planPatch(p, bytesAccess(after), { scan: counting(after) }).state).toBe('already');
    expect(calls).toEqual([1, 1]);
  });
});

describe('plan: hashes, streaming result, windowed writes', () => {
  const after = Uint8Array.from(BIN);
  after[0x17] = 0xeb;
  const p = P(`sha256 before ${sha256(BIN)}\nsha256 after ${sha256(after)}\n0x17: 74 -> eb\n`);

  it('asks for the hashes it needs and judges them', () => {
    const plan = planPatch(p, bytesAccess(BIN));
    expect(hashesNeeded(plan)).toEqual({ current: true, result: true });
    const result = createHash('sha256');
    for (const c of patchedChunks(plan, bytesAccess(BIN), 5)) result.update(c);
    expect(() => checkHashes(plan, { current: sha256(BIN), result: result.digest('hex') })).not.toThrow();
    expect(thrown(GuardError, () => checkHashes(plan, { current: sha256(after), result: sha256(after) })).message).toMatch(
      /^fix\.patch line 1: sha256 of the file is [0-9a-f]{64}, expected [0-9a-f]{64}$/,
    );
    expect(() => checkHashes(plan, {})).toThrow(TypeError);
    const done = planPatch(p, bytesAccess(after));
    expect(done.state).toBe('already');
    expect(hashesNeeded(done)).toEqual({ current: true, result: false });
    expect(() => checkHashes(done, { current: sha256(after) })).not.toThrow();
    expect(applyPatchToBytes(BIN, p, { sha256 }).bytes).toEqual(after);
    const bad = P(`sha256 after ${'0'.repeat(64)}\n0x17: 74 -> eb\n`);
    expect(thrown(GuardError, () => applyPatchToBytes(BIN, bad, { sha256 })).message).toContain('sha256 of the patched file');
  });

  it('writes only the hunks inside each window', () => {
    const plan = planPatch(P('0x0e: 90 90 e8 11 -> 01 02 03 04\n0x3f: 90 -> 05\n'), bytesAccess(BIN));
    const out = Uint8Array.from(BIN);
    let written = 0;
    for (let o = 0; o < out.length; o += 16) written += applyPlan(out.subarray(o, o + 16), plan, BigInt(o));
    expect(written).toBe(5);
    expect([...out.subarray(0x0e, 0x12)]).toEqual([1, 2, 3, 4]);
    expect(out[0x3f]).toBe(5);
    const streamed = Buffer.concat([...patchedChunks(plan, bytesAccess(BIN), 3)]);
    expect(Uint8Array.from(streamed)).toEqual(out);
  });

  it('refuses contradicting guards when merging sources', () => {
    expect(thrown(InputError, () => mergePatches([P('size after 1\n', 'a'), P('\nsize after 2\n', 'b')])).message).toBe(
      'b line 2: size after 0x2 contradicts a line 1 (0x1)',
    );
    expect(mergePatches([P('size after 1\n', 'a'), P('size after 1\n', 'b')]).guards.sizeAfter?.source.name).toBe('a');
  });
});

describe('plan: the bytes an anchor match holds', () => {
  /** BIN as a FileAccess that counts the reads outside the scan (the scan is given separately). */
  function counted(bytes: Uint8Array): { file: FileAccess; reads: () => number; scan: PatternScan } {
    const inner = bytesAccess(bytes);
    let reads = 0;
    const file: FileAccess = {
      size: inner.size,
      read: (offset, length) => {
        reads++;
        return inner.read(offset, length);
      },
    };
    return { file, reads: () => reads, scan: sequentialScan(inner) };
  }

  it('takes_them_from_the_pattern_where_it_fixes_them_and_reads_the_file_otherwise', () => {
    // [patch, reads of the hunks' bytes expected]: fixed bytes at the change; a wildcard there; a
    // change before the match; a change past it; a change partly past it.
    const cases: [string, number][] = [
      ['find c0 74 (all) +1: 75\n', 0],
      ['find c0 74 (all): c1 75\n', 0],
      ['find ?? c0 74 (all): 00\n', 2],
      ['find c0 74 (all) -1: 00\n', 2],
      ['find c0 74 (all) +2: 00\n', 2],
      ['find c0 74 (all) +1: 00 00\n', 2],
    ];
    for (const [text, expected] of cases) {
      const c = counted(BIN);
      const plan = planPatch(P(text), c.file, { scan: c.scan });
      expect(c.reads(), text).toBe(expected);
      expect(plan.hunks.length, text).toBe(2);
      // Whichever way, `current` is what the file holds there.
      for (const h of plan.hunks) {
        const at = Number(h.offset);
        expect([...h.current], text).toEqual([...BIN.subarray(at, at + h.new.length)]);
        expect(h.state, text).toBe('apply');
      }
    }
  });

  it('reads_the_file_for_matches_of_the_patched_form', () => {
    // Applied already: the pattern no longer matches, its patched form does; current is read there.
    const p = P('find c0 74 (all): c1 75\n');
    const once = applyPatchToBytes(BIN, p).bytes;
    const c = counted(once);
    const plan = planPatch(p, c.file, { scan: c.scan });
    expect(plan.state).toBe('already');
    expect(c.reads()).toBe(2);
    expect(plan.hunks.length).toBe(2);
    for (const h of plan.hunks) expect([...h.current]).toEqual([0xc1, 0x75]);
  });
});
