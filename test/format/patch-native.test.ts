import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  bytesAccess,
  formatNativePatch,
  parseNativePatch,
  planPatch,
  type AnchorHunk,
  type FileGuards,
  type Hunk,
  type OffsetHunk,
  type Patch,
} from '../../src/format/patch/index.js';

// Arbitrary patches: every kind of hunk and guard, offsets across the whole 64-bit range.
const src = { name: 'arb', line: 1 };
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

const arbOffsetHunk: fc.Arbitrary<OffsetHunk> = fc
  .record({
    offset: fc.oneof(fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }), fc.bigInt({ min: -(1n << 40n), max: -1n })),
    data: bytes(1, 12),
    guarded: fc.boolean(),
    oldSeed: bytes(12, 12),
    note: fc.option(
      fc.string({ maxLength: 20 }).filter((s) => !/[#\r\n]/.test(s) && s.trim() === s && s !== ''),
      {
        nil: undefined,
      },
    ),
  })
  .map(({ offset, data, guarded, oldSeed, note }) => ({
    kind: 'offset' as const,
    offset,
    ...(guarded && { old: oldSeed.slice(0, data.length) }),
    new: data,
    source: src,
    ...(note !== undefined && { note }),
  }));

const arbAnchor: fc.Arbitrary<AnchorHunk> = fc
  .record({
    pat: fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0xff, 0xff, 0xf0, 0x0f, 0x00)), {
      minLength: 1,
      maxLength: 10,
    }),
    expect: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constant('all' as const)),
    rel: fc.bigInt({ min: -100n, max: 100n }),
    data: bytes(1, 6),
    guarded: fc.boolean(),
  })
  .filter(({ pat }) => pat.some(([, m]) => m !== 0))
  .map(({ pat, expect, rel, data, guarded }) => ({
    kind: 'anchor' as const,
    pattern: { bytes: Uint8Array.from(pat.map(([b, m]) => b & m)), mask: Uint8Array.from(pat.map(([, m]) => m)) },
    expect,
    relOffset: rel,
    ...(guarded && { old: data.map((b) => b ^ 0x5a) }),
    new: data,
    source: src,
  }));

const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const size = fc.bigInt({ min: 0n, max: 1n << 50n });

const arbGuards: fc.Arbitrary<FileGuards> = fc
  .record({
    sha256Before: fc.option(hex64, { nil: undefined }),
    sha256After: fc.option(hex64, { nil: undefined }),
    sizeBefore: fc.option(size, { nil: undefined }),
    sizeAfter: fc.option(size, { nil: undefined }),
  })
  .map((g) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(g)) if (v !== undefined) out[k] = { value: v, source: src };
    return out as FileGuards;
  });

const arbPatch: fc.Arbitrary<Patch> = fc.record({
  hunks: fc.array(fc.oneof(arbOffsetHunk, arbAnchor) as fc.Arbitrary<Hunk>, { maxLength: 8 }),
  guards: arbGuards,
});

/** A patch without its sources, for comparing a parse with its origin. */
function semantic(p: Patch): unknown {
  const strip = <T extends { source: unknown }>(x: T) => {
    const { source: _s, ...rest } = x;
    return rest;
  };
  return {
    hunks: p.hunks.map((hk) => {
      const r = strip(hk) as Record<string, unknown>;
      for (const k of ['old', 'new']) if (r[k] instanceof Uint8Array) r[k] = Buffer.from(r[k] as Uint8Array).toString('hex');
      if (hk.kind === 'anchor') {
        r.pattern = `${Buffer.from(hk.pattern.bytes).toString('hex')}/${Buffer.from(hk.pattern.mask).toString('hex')}`;
      }
      return r;
    }),
    guards: Object.fromEntries(Object.entries(p.guards).map(([k, v]) => [k, (v as { value: unknown }).value])),
  };
}

const h = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** The InputError a parse throws (fails the test if it throws anything else or nothing). */
function parseError(text: string): InputError {
  try {
    parseNativePatch(text, 'fix.patch');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

describe('native patch format', () => {
  it('parses the example of the issue: guarded offset hunk with a note, anchor hunk', () => {
    const p = parseNativePatch('0x1f40: 74 05 -> eb 05   # skip the licence check\nfind e8 ?? ?? ?? ?? 84 c0 74 (once) +7: 74 -> eb\n', 'fix.patch');
    expect(p.hunks).toHaveLength(2);
    const [a, b] = p.hunks as [Hunk, Hunk];
    expect(a).toEqual({
      kind: 'offset',
      offset: 0x1f40n,
      old: h('7405'),
      new: h('eb05'),
      source: { name: 'fix.patch', line: 1 },
      note: 'skip the licence check',
    });
    expect(b.kind).toBe('anchor');
    if (b.kind !== 'anchor') return;
    expect(b.pattern.bytes).toEqual(h('e8 00000000 84c074'));
    expect(b.pattern.mask).toEqual(h('ff00000000ffffff'));
    expect(b.expect).toBe(1);
    expect(b.relOffset).toBe(7n);
    expect(b.old).toEqual(h('74'));
    expect(b.new).toEqual(h('eb'));
    expect(b.source.line).toBe(2);
  });

  it('parses unguarded hunks, negative offsets, number bases and separators', () => {
    const p = parseNativePatch('0x10: 90 90\n-4: deadbeef\n1_000: 00\n0b101: 01\n0o17: ff\n0: 00\n', 'p');
    expect(p.hunks.map((x) => (x.kind === 'offset' ? x.offset : null))).toEqual([16n, -4n, 1000n, 5n, 15n, 0n]);
    expect(p.hunks[0]!.old).toBeUndefined();
    expect(p.hunks[1]!.new).toEqual(h('deadbeef'));
  });

  it('parses anchor counts, nibble wildcards and negative relative offsets', () => {
    const p = parseNativePatch('find 4? 8b ?5 (2 times) -0x2: 90 90\nfind de ad (all): 00 00\nfind aa bb: cc\nfind aabb (3) +1: cc -> dd\n', 'p');
    const anchors = p.hunks.filter((x) => x.kind === 'anchor');
    expect(anchors.map((a) => a.expect)).toEqual([2, 'all', 1, 3]);
    expect(anchors.map((a) => a.relOffset)).toEqual([-2n, 0n, 0n, 1n]);
    expect(anchors[0]!.pattern.mask).toEqual(h('f0ff0f'));
    expect(anchors[0]!.pattern.bytes).toEqual(h('408b05'));
  });

  it('parses file guards, comments, blank lines and CRLF', () => {
    const sum = 'AB'.repeat(32);
    const p = parseNativePatch(
      `# header comment\r\n\r\nsize before 0x100\r\nsize after 512\r\nsha256 before ${sum}\r\n  sha256 after ${'0'.repeat(64)}  # ok\r\n`,
      'p',
    );
    expect(p.hunks).toEqual([]);
    expect(p.guards.sizeBefore).toEqual({ value: 256n, source: { name: 'p', line: 3 } });
    expect(p.guards.sizeAfter?.value).toBe(512n);
    expect(p.guards.sha256Before?.value).toBe(sum.toLowerCase());
    expect(p.guards.sha256After?.source.line).toBe(6);
  });

  it.each([
    ['0x10 74 05', 1, "expected 'OFFSET: bytes'"],
    ['0x10: 7', 7, 'odd number of hex digits'],
    ['0x10: 7z', 8, "'z' is not a hex digit"],
    ['0x10: 74 05 -> eb', 13, 'a change keeps the length'],
    ['0x10: 74 -> eb -> 90', 16, "more than one '->'"],
    ['0x10: -> eb', 7, 'no old bytes'],
    ['0x10: 74 ->', 12, 'no new bytes'],
    ['0x10:', 6, 'no bytes to write'],
    ['00001f40: 7405', 1, 'is not a number (write hex as 0x'],
    ['0x10 zz: 00', 6, "unexpected 'zz'"],
    ['find e8 ?? (twice): 00', 13, 'expected once, N times or all'],
    ['find e8 (0 times): 00', 10, 'at least 1'],
    ['find e8 (once: 00', 9, "missing ')'"],
    ['find ?? ??: 00', 6, 'no fixed byte'],
    ['find : 00', 6, 'expected a byte pattern'],
    ['find e8 +: 00', 10, 'expected a relative offset'],
    ['find e8 (once) +1 x: 00', 19, "unexpected 'x'"],
    ['find e8 (once)', 15, "expected ':'"],
    ['find e8 g0: 00', 9, "'g' is not a hex digit or '?'"],
    ['size during 10', 6, "expected 'before' or 'after'"],
    ['size after', 11, 'expected a size'],
    ['size after 10 20', 15, "unexpected '20'"],
    ['sha256 before abc', 15, 'expected 64 hex digits'],
  ])('rejects %j with its line, col %i: %s', (text, col, message) => {
    const e = parseError(`# ok\n${text}\n`);
    expect(e.message).toContain(`fix.patch line 2, col ${col}: `);
    expect(e.message).toContain(message);
    expect(e.message).not.toContain('\n');
    expect(e.location.line).toBe(2);
    expect(e.location.position).toBe(col - 1);
  });

  it('reads numbers and hex as the command line does (src/format/number.ts, data.ts)', () => {
    const p = parseNativePatch('size after 4K\n1.5K: 74:05 -> eb,05\n0x1_0: 0x7405\nfind 4? 8b ?5, 0xc3 (2 times) +1K: 90\n', 'p');
    expect(p.guards.sizeAfter?.value).toBe(4096n);
    expect(p.hunks[0]).toMatchObject({ offset: 1536n, old: Uint8Array.of(0x74, 5), new: Uint8Array.of(0xeb, 5) });
    expect(p.hunks[1]).toMatchObject({ offset: 16n, new: Uint8Array.of(0x74, 5) });
    expect(p.hunks[2]).toMatchObject({
      expect: 2,
      relOffset: 1024n,
      pattern: { bytes: Uint8Array.of(0x40, 0x8b, 0x05, 0xc3), mask: Uint8Array.of(0xf0, 0xff, 0x0f, 0xff) },
    });
  });

  it.each([
    ['0x1z: 00', 4, "'0x1z' is not a number ('z' is not a hex digit)"],
    ['1.1K: 00', 1, "'1.1K' is not a number"],
    ['size after 0x10K', 16, 'size suffixes only follow decimal numbers'],
    ['0x10: 74 -> eb:', 15, "':' must sit between two bytes"],
    ['0x10: 0x', 9, 'missing hex digits after "0x"'],
  ])('names the column of a bad number or byte in %j', (text, col, message) => {
    const e = parseError(`${text}\n`);
    expect(e.message).toBe(`fix.patch line 1, col ${col}: ${e.message.split(/, col \d+: /)[1]}`);
    expect(e.message).toContain(message);
    expect(e.location.position).toBe(col - 1);
  });

  it('rejects a guard given twice, naming the first line', () => {
    const e = parseError('size after 1\n\nsize after 2\n');
    expect(e.message).toBe("fix.patch line 3, col 1: 'size after' given twice (first on line 1)");
  });

  it('formats a patch that parses back to the same hunks and guards', () => {
    const text =
      'size before 0x10\nsha256 after ' +
      'ab'.repeat(32) +
      '\n0x1f40: 74 05 -> eb 05  # skip\nfind e8 ?? ?4 5? (2 times) -0x3: 90\n-0x4: 00 -> 01\nfind aa (all): bb\n';
    const p = parseNativePatch(text, 'p');
    const out = formatNativePatch(p);
    expect(out).toBe(
      'size before 0x10\nsha256 after ' +
        'ab'.repeat(32) +
        '\n0x1f40: 74 05 -> eb 05  # skip\nfind e8 ?? ?4 5? (2 times) -0x3: 90\n-0x4: 00 -> 01\nfind aa (all): bb\n',
    );
    expect(semantic(parseNativePatch(out, 'q'))).toEqual(semantic(p));
  });

  it('round-trips any patch through format and parse (property)', () => {
    fc.assert(
      fc.property(arbPatch, (p: Patch) => {
        const text = formatNativePatch(p, ['generated']);
        expect(semantic(parseNativePatch(text, 'rt'))).toEqual(semantic(p));
      }),
      { numRuns: 300 },
    );
  });

  it('plans any patch against any small file with a result or an InputError only (property)', () => {
    fc.assert(
      fc.property(arbPatch, fc.uint8Array({ maxLength: 64 }), fc.boolean(), (p, file, grow) => {
        try {
          planPatch(p, bytesAccess(file), { grow, truncate: grow });
        } catch (e) {
          expect(e).toBeInstanceOf(InputError);
          expect((e as Error).message).not.toMatch(/[\n\r]/);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
