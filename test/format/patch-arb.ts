// Shared fast-check arbitraries and helpers for the patch tests (not a test file itself).
import fc from 'fast-check';
import type { AnchorHunk, FileGuards, Hunk, OffsetHunk, Patch } from '../../src/format/patch/index.js';

const src = { name: 'arb', line: 1 };
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

const arbOffsetHunk: fc.Arbitrary<OffsetHunk> = fc
  .record({
    offset: fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: -(1n << 40n), max: -1n })),
    data: bytes(1, 12),
    guarded: fc.boolean(),
    oldSeed: bytes(12, 12),
    note: fc.option(fc.string({ maxLength: 20 }).filter((s) => !/[#\r\n]/.test(s) && s.trim() === s && s !== ''), {
      nil: undefined,
    }),
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

export const arbPatch: fc.Arbitrary<Patch> = fc.record({
  hunks: fc.array(fc.oneof(arbOffsetHunk, arbAnchor) as fc.Arbitrary<Hunk>, { maxLength: 8 }),
  guards: arbGuards,
});

/** A patch without its sources, for comparing a parse with its origin. */
export function semantic(p: Patch): unknown {
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
