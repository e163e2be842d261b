// `-0` is the end of the file, one rule for every offset and range of every command (issue 16:
// `write` took it, `patch --edit` and patch lines refused it). Generated from the program: every
// option and argument that is an offset or a range gives the same result with `-0` as with the
// file's size written out.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { Context } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/program.js';
import { InputError } from '../../src/errors.js';
import { parseOffset, resolveOffset } from '../../src/format/number.js';
import { parseEditSpec, parseNativePatch, formatNativePatch, planPatch, bytesAccess } from '../../src/format/patch/index.js';
import { parseRange, resolveRange } from '../../src/format/range.js';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, fingerprint, mmapx } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const program = buildProgram(new Context({ json: false, quiet: false, color: 'never', debug: false }, { stdoutFd: 1, stderrFd: 2 }, {}), () => {});
const dir = tmpDir('mmapx-minus-zero-');
const SRC = join(dir, 'src.bin');
const SIZE = 18;
beforeAll(() => {
  requireBuild();
  writeFileSync(SRC, Buffer.concat([Buffer.from('Hello, world!\n'), Buffer.from([0, 1, 2, 0xff])]));
});

type Kind = 'offset' | 'range';
interface Place {
  command: Command;
  kind: Kind;
  /** argv for the command with `value` in this place, working on `file`. */
  argv: (file: string, value: string) => string[];
}

/** Arguments that make each command run (the place under test is filled in separately). */
function operands(c: Command, file: string, fill: Partial<Record<string, string>>): string[] {
  return c.registeredArguments.flatMap((a) => {
    if (fill[a.name()] !== undefined) return [fill[a.name()]!];
    if (a.argChoices) return [a.argChoices[0]!];
    if (a.name() === 'offset') return ['0'];
    if (a.name() === 'hex') return ['41'];
    if (a.name() === 'range') return [];
    if (a.name() === 'op') return ['not']; // transform
    if (a.name() === 'arg') return [];
    return c.name() === 'find' ? [file, '00'] : [file];
  });
}
const EXTRA: Record<string, (file: string) => string[]> = {
  write: () => ['--grow'],
  cat: (file) => ['-o', `${file}.out`],
  fill: () => ['--pattern', '41'],
};

const PLACES: Place[] = program.commands.flatMap((c) => {
  const extra = (file: string) => EXTRA[c.name()]?.(file) ?? [];
  const fromArgs = c.registeredArguments
    .filter((a) => a.name() === 'offset' || a.name() === 'range')
    .map((a): Place => ({ command: c, kind: a.name() as Kind, argv: (file, v) => [c.name(), ...operands(c, file, { [a.name()]: v }), ...extra(file)] }));
  const fromOptions = c.options
    .filter((o) => o.long === '--range' || o.long === '--offset')
    .map(
      (o): Place => ({
        command: c,
        kind: o.long === '--range' ? 'range' : 'offset',
        argv: (file, v) => [c.name(), ...operands(c, file, {}), o.long!, v, ...extra(file)],
      }),
    );
  return [...fromArgs, ...fromOptions];
});

/** The --json object without what differs between two runs (timings, addresses, pid). */
function stable(stdout: string): unknown {
  // The journal's path (range overwrites) is named after each file.
  return JSON.parse(stdout, (k, v) => (k === 'timings' || k === 'address' || k === 'pid' || k === 'journal' ? undefined : v));
}

describe('-0 is the end of the file everywhere (CLI, generated)', () => {
  it('covers every command with an offset or a range', () => {
    expect(new Set(PLACES.map((p) => p.command.name()))).toEqual(
      new Set(['write', 'find', 'flush', 'protect', 'hexdump', 'cat', 'hash', 'info', 'fill', 'transform', 'insert', 'delete']),
    );
  });

  const forms = (kind: Kind): [string, string][] =>
    kind === 'offset'
      ? [['-0', String(SIZE)]]
      : [
          ['-0..', `${SIZE}..`],
          ['-0:0', `${SIZE}:0`],
          ['0..-0', `0..${SIZE}`],
        ];
  it.each(PLACES.flatMap((p) => forms(p.kind).map(([zero, abs]) => [`${p.argv('FILE', zero).join(' ')}`, p, zero, abs] as const)))('%s', (_t, p, zero, abs) => {
    const a = join(dir, `a-${p.command.name()}.bin`);
    const b = join(dir, `b-${p.command.name()}.bin`);
    copyFileSync(SRC, a);
    copyFileSync(SRC, b);
    const rz = mmapx(['--json', ...p.argv(a, zero)]);
    const ra = mmapx(['--json', ...p.argv(b, abs)]);
    expect(rz.status, rz.dump).toBe(ra.status);
    expect(rz.stderr, rz.dump).not.toMatch(/bad (offset|range)|not an offset/);
    expect(JSON.stringify(stable(rz.stdout)).replaceAll(a, 'F'), rz.dump).toBe(JSON.stringify(stable(ra.stdout)).replaceAll(b, 'F'));
    expect(fingerprint(a)).toBe(fingerprint(b));
  });

  it('patch --edit and patch lines take -0 as the end: a write there needs --grow, like -1 past it', () => {
    const file = join(dir, 'patch.bin');
    copyFileSync(SRC, file);
    const before = fingerprint(file);
    expectFailure(
      mmapx(['patch', file, '--edit', '-0=41']),
      2,
      /--edit #1: the change at 0x12\.\.0x13 ends past the end of the file \(size 0x12\); growing the file needs --grow$/,
    );
    const p = join(dir, 'end.patch');
    writeFileSync(p, '-0: 41\n');
    expectFailure(mmapx(['patch', file, p]), 2, /end\.patch line 1: the change at 0x12\.\.0x13 ends past the end of the file/);
    // With --grow the end would move between runs: refused as for every offset from the end.
    expectFailure(mmapx(['patch', file, '--edit', '-0=41', '--grow']), 2, /an offset from the end cannot be combined with a change of the file size/);
    expect(fingerprint(file)).toBe(before);
  });
});

describe('-0 is the end of the file everywhere (parsers)', () => {
  it('offsets and ranges', () => {
    expect(resolveOffset(parseOffset('-0'), 64n)).toBe(64n);
    expect(resolveOffset(parseOffset('-0x0'), 64n)).toBe(64n);
    expect(resolveRange(parseRange('-0..'), 64n)).toMatchObject({ offset: 64n, length: 0n });
    expect(resolveRange(parseRange('-0:0'), 64n)).toMatchObject({ offset: 64n, length: 0n });
  });

  it('--edit and native patch lines', () => {
    expect(parseEditSpec('-0=41')).toMatchObject({ offset: 0n, fromEnd: true });
    expect(parseEditSpec('-0:00=41')).toMatchObject({ offset: 0n, fromEnd: true });
    const patch = parseNativePatch('-0: 41\n-1: 42\n0x1: 43\n', 'p');
    expect(patch.hunks).toMatchObject([{ offset: 0n, fromEnd: true }, { offset: -1n }, { offset: 1n }]);
    expect(patch.hunks[2]).not.toHaveProperty('fromEnd');
    // Formatted back, -0 stays the end (0x0 would be the start).
    expect(parseNativePatch(formatNativePatch(patch), 'q').hunks).toMatchObject([{ offset: 0n, fromEnd: true }, { offset: -1n }, { offset: 1n }]);
  });

  it('a plan puts -0 at the end, where a write goes past it', () => {
    const bytes = new Uint8Array(8);
    expect(() => planPatch(parseNativePatch('-0: 41\n', 'p'), bytesAccess(bytes))).toThrow(InputError);
    expect(() => planPatch(parseNativePatch('-0: 41\n', 'p'), bytesAccess(bytes))).toThrow(/0x8\.\.0x9 ends past the end/);
  });
});
