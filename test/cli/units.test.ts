// In-process tests of the CLI's small pure pieces: colour policy, timing text, error lines.
import { describe, expect, it } from 'vitest';
import { colorLevel } from '../../src/cli/color.js';
import { classify, errorLine } from '../../src/cli/errors.js';
import { ms, Timer } from '../../src/edit/timing.js';
import { GuardError, InputError, OperationError } from '../../src/errors.js';
import { MmapError } from '../../src/mmap/errors.js';

describe('colour policy', () => {
  const tty = true;
  it.each([
    ['never wins over everything', 'never', tty, { FORCE_COLOR: '3' }, 0],
    ['auto on a terminal', 'auto', tty, { TERM: 'xterm' }, 1],
    ['auto on a 256-colour terminal', 'auto', tty, { TERM: 'xterm-256color' }, 2],
    ['auto with truecolor', 'auto', tty, { TERM: 'xterm', COLORTERM: 'truecolor' }, 3],
    ['auto off a terminal', 'auto', !tty, { TERM: 'xterm' }, 0],
    ['auto on a dumb terminal', 'auto', tty, { TERM: 'dumb' }, 0],
    ['NO_COLOR turns auto off', 'auto', tty, { TERM: 'xterm', NO_COLOR: '1' }, 0],
    ['empty NO_COLOR is ignored', 'auto', tty, { TERM: 'xterm', NO_COLOR: '' }, 1],
    ['FORCE_COLOR colours a pipe', 'auto', !tty, { FORCE_COLOR: '1' }, 1],
    ['FORCE_COLOR=0 turns a terminal off', 'auto', tty, { TERM: 'xterm', FORCE_COLOR: '0' }, 0],
    ['always colours a pipe', 'always', !tty, {}, 1],
    ['always beats NO_COLOR (the flag is explicit)', 'always', !tty, { NO_COLOR: '1' }, 1],
  ] as const)('%s', (_name, mode, isTTY, env, level) => {
    expect(colorLevel(mode, isTTY, env)).toBe(level);
  });
});

describe('timing text', () => {
  it('formats milliseconds readably', () => {
    expect(ms(0.21)).toBe('0.21');
    expect(ms(12.345)).toBe('12.35');
    expect(ms(0.0042)).toBe('0.0042');
    expect(ms(0)).toBe('0.00');
  });
  it('describes phases in order and as JSON numbers', () => {
    const t = new Timer();
    t.lap('map');
    t.lap('write');
    expect(t.describe()).toMatch(/^in [\d.]+ ms: map [\d.]+, write [\d.]+$/);
    const j = t.json();
    expect(Object.keys(j)).toEqual(['map', 'write', 'total']);
    expect(Object.values(j).every((v) => typeof v === 'number')).toBe(true);
  });
});

describe('error lines and exit codes', () => {
  it.each([
    [new InputError('bad hex data "zz"'), 2, 'mmapx: write: f: bad hex data "zz"'],
    [new GuardError('bytes differ'), 3, 'mmapx: write: f: bytes differ'],
    [new OperationError('permission denied', 'EACCES'), 1, 'mmapx: write: f: permission denied (EACCES)'],
    [new MmapError('EACCES', 'mmap: permission denied', { path: 'x' }), 1, 'mmapx: write: f: mmap: permission denied (EACCES)'],
    [new MmapError('ERR_OUT_OF_RANGE', 'offset 9 is past the end'), 2, 'mmapx: write: f: offset 9 is past the end'],
    [Object.assign(new Error("ENOENT: no such file or directory, open 'f'"), { code: 'ENOENT' }), 1, 'mmapx: write: f: no such file or directory (ENOENT)'],
    [new Error('something\nmultiline'), 1, 'mmapx: write: f: something multiline'],
  ])('%s', (err, exitCode, line) => {
    const r = classify(err);
    expect(r.exitCode).toBe(exitCode);
    expect(errorLine(r, 'write', 'f')).toBe(line);
  });
});
