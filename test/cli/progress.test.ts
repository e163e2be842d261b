// The progress line: its text and timing rules in-process (a fake clock), then the built CLI on a
// pseudo-terminal: the line shows on stderr for long operations, never wider than the terminal,
// is erased before errors, summaries and stdout output on the same terminal, and at the end;
// stdout is byte-identical to a run without a terminal; and it never shows with stderr not a
// terminal, --json, -q, --no-progress, MMAPX_NO_PROGRESS or TERM=dumb.
import { closeSync, openSync, readFileSync, writeFileSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, Progress, progressLine, progressWanted } from '../../src/cli/progress.js';
import { requireBuild } from '../helpers/child.js';
import { expectSuccess, fingerprint, mmapx } from '../helpers/cli.js';
import { drawnLines, hasScript, inTerminal, render, sh } from '../helpers/terminal.js';
import { tmpDir } from '../helpers/tmp.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

describe('progress text', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [1024 * 1024 - 1, '1.0 MiB'],
    [2 * GiB, '2.0 GiB'],
    [3 * 1024 * GiB, '3.0 TiB'],
  ])('formatBytes(%d) is %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  it.each([
    [0, '0:00'],
    [0.2, '0:01'],
    [61, '1:01'],
    [3600 + 62, '1:01:02'],
  ])('formatDuration(%d) is %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });

  it('says_done_total_percentage_rate_and_time_left', () => {
    expect(progressLine('hash fw.bin', GiB, 2 * GiB, 1000, 80)).toBe('hash fw.bin: 1.0 GiB of 2.0 GiB (50%), 1.0 GiB/s, 0:01 left');
    // No rate before any time has passed or any byte is done.
    expect(progressLine('find a', 0, 2 * GiB, 0, 80)).toBe('find a: 0 B of 2.0 GiB (0%)');
    expect(progressLine('flush a', 0, 0, 10, 80)).toBe('flush a: 0 B of 0 B');
  });

  it('never_reaches_the_last_column_and_drops_the_least_useful_parts_first', () => {
    const full = progressLine('hexdump some/long/path/fw.bin', 512 * MiB, 2 * GiB, 2000, 200);
    expect(full).toBe('hexdump some/long/path/fw.bin: 512.0 MiB of 2.0 GiB (25%), 256.0 MiB/s, 0:06 left');
    for (let width = 1; width <= full.length + 2; width++) {
      const line = progressLine('hexdump some/long/path/fw.bin', 512 * MiB, 2 * GiB, 2000, width);
      expect(line.length, `width ${width}: ${line}`).toBeLessThanOrEqual(Math.max(1, width - 1));
      expect(line.length, `width ${width}`).toBeGreaterThan(0);
    }
    expect(progressLine('hexdump some/long/path/fw.bin', 512 * MiB, 2 * GiB, 2000, 80)).toBe(
      'hexdump some/long/path/fw.bin: 512.0 MiB of 2.0 GiB (25%), 256.0 MiB/s',
    );
    expect(progressLine('hexdump some/long/path/fw.bin', 512 * MiB, 2 * GiB, 2000, 40)).toBe('...h/fw.bin: 512.0 MiB of 2.0 GiB (25%)');
    expect(progressLine('hexdump some/long/path/fw.bin', 512 * MiB, 2 * GiB, 2000, 29)).toBe('...bin: 512.0 MiB of 2.0 GiB');
    expect(progressLine('hexdump some/long/path/fw.bin', 512 * MiB, 2 * GiB, 2000, 10)).toBe('512.0 MiB');
  });

  it('shows_control_characters_of_a_file_name_as_question_marks_and_counts_wide_ones_twice', () => {
    expect(progressLine('find a\x1b[2J\nb', 0, 10, 0, 80)).toBe('find a?[2J?b: 0 B of 10 B (0%)');
    const wide = progressLine('find 文件文件文件文件', 0, 10, 0, 30);
    expect([...wide].reduce((n, c) => n + (c.charCodeAt(0) < 0x80 ? 1 : 2), 0)).toBeLessThanOrEqual(29);
  });
});

describe('progress policy', () => {
  const on = { progress: true, json: false, quiet: false };
  it.each([
    ['a terminal', on, { TERM: 'xterm' }, true],
    ['no TERM at all', on, {}, true],
    ['no --progress option given (the default is on)', { json: false, quiet: false }, { TERM: 'xterm' }, true],
    ['--no-progress', { ...on, progress: false }, { TERM: 'xterm' }, false],
    ['--json', { ...on, json: true }, { TERM: 'xterm' }, false],
    ['-q', { ...on, quiet: true }, { TERM: 'xterm' }, false],
    ['MMAPX_NO_PROGRESS', on, { TERM: 'xterm', MMAPX_NO_PROGRESS: '1' }, false],
    ['empty MMAPX_NO_PROGRESS is ignored', on, { TERM: 'xterm', MMAPX_NO_PROGRESS: '' }, true],
    ['a dumb terminal', on, { TERM: 'dumb' }, false],
    ['NO_COLOR does not matter (the line is plain text)', on, { TERM: 'xterm', NO_COLOR: '1' }, true],
  ] as const)('%s', (_name, opts, env, want) => {
    expect(progressWanted(opts, env)).toBe(want);
  });
});

describe('progress timing', () => {
  function fake(opts: { delayMs?: number; stdoutIsTTY?: boolean; columns?: number | undefined } = {}) {
    let t = 1000;
    const out: string[] = [];
    const p = Progress.on({
      write: (s) => out.push(s),
      columns: () => ('columns' in opts ? opts.columns : 80),
      stdoutIsTTY: () => opts.stdoutIsTTY ?? false,
      delayMs: opts.delayMs ?? 300,
      now: () => t,
    });
    return { p, out, advance: (ms: number) => (t += ms) };
  }

  it('shows_nothing_before_the_delay_then_redraws_at_most_every_100_ms', () => {
    const { p, out, advance } = fake();
    p.phase('hash f', 1000);
    for (let i = 1; i <= 29; i++) {
      advance(10);
      p.update(i);
    }
    expect(out).toEqual([]);
    advance(10);
    p.update(300);
    expect(out).toEqual(['\rhash f: 300 B of 1000 B (30%), 1000 B/s, 0:01 left\x1b[K']);
    advance(99);
    p.update(400);
    expect(out).toHaveLength(1);
    advance(1);
    p.update(500);
    expect(out).toHaveLength(2);
    expect(p.shown).toBe(true);
  });

  it('erases_only_a_shown_line_and_draws_again_when_due', () => {
    const { p, out, advance } = fake({ delayMs: 0 });
    p.clear();
    expect(out).toEqual([]);
    p.phase('find f', 10);
    p.update(1);
    p.clear();
    expect(out.at(-1)).toBe('\r\x1b[K');
    expect(p.shown).toBe(false);
    p.clear();
    expect(out).toHaveLength(2);
    advance(100);
    p.update(2);
    expect(out).toHaveLength(3);
    expect(p.shown).toBe(true);
  });

  it('a_new_phase_replaces_a_shown_line_at_once', () => {
    const { p, out } = fake({ delayMs: 0 });
    p.phase('search f', 10);
    p.update(10);
    p.phase('hash f', 20);
    expect(out.at(-1)).toBe('\rhash f: 0 B of 20 B (0%)\x1b[K');
  });

  it('erases_before_stdout_only_when_stdout_is_the_terminal', () => {
    for (const stdoutIsTTY of [false, true]) {
      const { p, out } = fake({ delayMs: 0, stdoutIsTTY });
      p.phase('find f', 10);
      p.update(1);
      p.clearForStdout();
      expect(p.shown).toBe(!stdoutIsTTY);
      expect(out.at(-1) === '\r\x1b[K').toBe(stdoutIsTTY);
    }
  });

  it('ends_erased_and_silent', () => {
    const { p, out, advance } = fake({ delayMs: 0 });
    p.phase('diff a', 10);
    p.update(1);
    p.end();
    expect(out.at(-1)).toBe('\r\x1b[K');
    advance(1000);
    p.update(5);
    p.phase('x', 1);
    expect(out.at(-1)).toBe('\r\x1b[K');
    expect(p.shown).toBe(false);
  });

  it('a_stderr_that_fails_turns_it_off_instead_of_failing_the_command', () => {
    let calls = 0;
    const p = Progress.on({
      write: () => {
        calls++;
        throw Object.assign(new Error('EPIPE'), { code: 'EPIPE' });
      },
      columns: () => 80,
      stdoutIsTTY: () => false,
      delayMs: 0,
      now: () => 0,
    });
    p.phase('hash f', 10);
    expect(() => p.update(1)).not.toThrow();
    p.update(2);
    p.clear();
    expect(calls).toBe(1);
  });

  it('never_shows_when_stderr_is_not_a_terminal', () => {
    const { p, out, advance } = fake({ delayMs: 0, columns: undefined });
    p.phase('hash f', 10);
    advance(1000);
    p.update(5);
    p.clear();
    p.end();
    expect(out).toEqual([]);
  });

  it('uses_80_columns_when_the_terminal_does_not_say', () => {
    const { p, out } = fake({ delayMs: 0, columns: 0 });
    p.phase('x'.repeat(200), 10);
    p.update(5);
    expect(out[0]!.length).toBe('\r'.length + 79 + '\x1b[K'.length);
  });

  it('off_never_writes', () => {
    const p = Progress.off();
    p.phase('x', 10);
    p.update(5);
    p.clear();
    p.end();
    expect(p.shown).toBe(false);
  });

  it('the_screen_model_of_the_terminal_tests_knows_cr_and_clear_to_end', () => {
    expect(render('\rabc def\x1b[K\r\x1b[Kxy\r\n')).toEqual(['xy']);
    expect(render('\rabc def\x1b[K\rab\x1b[K')).toEqual(['ab']);
    expect(render('\rabcdef\x1b[K\rXY\r\nnext')).toEqual(['XYcdef', 'next']);
  });
});

describe.skipIf(!hasScript())('on a terminal', () => {
  const dir = tmpDir('mmapx-progress-');
  const f = (name: string) => join(dir, name);
  const BIG = f('big.bin'); // 1 GiB, sparse: quick to read, four 256 MiB scan windows
  const FAST = { MMAPX_PROGRESS_DELAY_MS: '0' };
  const sparse = (path: string, size: number) => {
    const fd = openSync(path, 'w');
    ftruncateSync(fd, size);
    closeSync(fd);
  };
  beforeAll(() => {
    requireBuild();
    sparse(BIG, GiB);
    sparse(f('patch.bin'), 256 * MiB); // hashed at a few hundred MiB/s
    sparse(f('tail.bin'), GiB);
    expectSuccess(mmapx(['write', f('tail.bin'), '-4', 'deadbeef']));
  });
  const hexdump = ['hexdump', BIG, '-n', '64M']; // four 16 MiB windows

  it('hexdump_shows_bytes_of_total_then_erases_it_and_stdout_is_unchanged', () => {
    const plain = mmapx(hexdump);
    expectSuccess(plain);
    const r = inTerminal(hexdump, { redirect: `> ${sh(f('out.txt'))}`, env: FAST });
    expect(r.status, r.dump).toBe(0);
    const drawn = drawnLines(r.raw);
    expect(drawn.length, r.dump).toBeGreaterThan(0);
    expect(drawn[0], r.dump).toMatch(new RegExp(`^hexdump ${BIG}: \\d+\\.\\d MiB of 64\\.0 MiB \\(\\d+%\\)`));
    expect(r.raw.endsWith('\r\x1b[K'), r.dump).toBe(true);
    expect(r.screen, r.dump).toEqual([]);
    expect(readFileSync(f('out.txt')).equals(plain.stdoutBytes)).toBe(true);
  });

  it('is_never_wider_than_the_terminal', () => {
    const r = inTerminal(hexdump, { redirect: '> /dev/null', env: FAST, cols: 30 });
    expect(r.status, r.dump).toBe(0);
    const drawn = drawnLines(r.raw);
    expect(drawn.length, r.dump).toBeGreaterThan(0);
    for (const line of drawn) expect(line.length, r.dump).toBeLessThanOrEqual(29);
    expect(
      drawn.some((l) => l.includes('of 64.0 MiB')),
      r.dump,
    ).toBe(true);
  });

  it.each([
    ['stderr to a file', [], '2> ERR', {}],
    ['--no-progress', ['--no-progress'], '', {}],
    ['--json', ['--json'], '', {}],
    ['-q', ['-q'], '', {}],
    ['MMAPX_NO_PROGRESS=1', [], '', { MMAPX_NO_PROGRESS: '1' }],
    ['TERM=dumb', [], '', { TERM: 'dumb' }],
  ] as const)('never_shows_with_%s', (_name, flags, redirect, env) => {
    const err = f(`err-${flags.join('') || redirect.length}.txt`);
    const r = inTerminal([...flags, ...hexdump], { redirect: `> /dev/null ${redirect.replace('ERR', sh(err))}`, env: { ...FAST, ...env } });
    expect(r.status, r.dump).toBe(0);
    expect(r.raw, r.dump).toBe('');
    if (redirect) expect(readFileSync(err, 'utf8')).toBe('');
  });

  it('find_erases_it_before_the_error_line_of_no_match', () => {
    for (const args of [
      ['find', BIG, '01'],
      ['find', BIG, '01', '--count'],
    ]) {
      const r = inTerminal(args, { redirect: '> /dev/null', env: FAST });
      expect(r.status, r.dump).toBe(3);
      expect(
        drawnLines(r.raw).some((l) => l.startsWith(`find ${BIG}: `) && l.includes('of 1.0 GiB')),
        r.dump,
      ).toBe(true);
      expect(r.screen, r.dump).toEqual([`mmapx: find: ${BIG}: no match for 01`]);
    }
  });

  it('find_erases_it_before_offsets_on_the_same_terminal', () => {
    const r = inTerminal(['find', f('tail.bin'), 'deadbeef'], { env: FAST });
    expect(r.status, r.dump).toBe(0);
    expect(drawnLines(r.raw).length, r.dump).toBeGreaterThan(0);
    expect(r.screen, r.dump).toEqual(['0x3ffffffc']);
  });

  it('patch_shows_its_phases_and_leaves_only_the_summary', () => {
    const before = fingerprint(f('patch.bin'));
    const r = inTerminal(['patch', f('patch.bin'), '--find', 'de ad be ef', '--replace', '01 02 03 04'], { env: FAST });
    expect(r.status, r.dump).toBe(3);
    expect(
      drawnLines(r.raw).some((l) => l.startsWith(`search ${f('patch.bin')}: `) && l.includes('of 256.0 MiB')),
      r.dump,
    ).toBe(true);
    const why = '--find #1: find de ad be ef matched nothing; expected once';
    expect(r.screen, r.dump).toEqual([`FAILED ${why}`, `mmapx: patch: ${f('patch.bin')}: 1 guard failed, nothing written: ${why}`]);
    expect(fingerprint(f('patch.bin'))).toBe(before);
    // --hash: the whole-file hash phase (no longer done by default) shows its progress too.
    const ok = inTerminal(['patch', f('patch.bin'), '--edit', '0x10=01', '--hash'], { env: FAST });
    expect(ok.status, ok.dump).toBe(0);
    expect(
      drawnLines(ok.raw).some((l) => l.startsWith(`hash ${f('patch.bin')}: `) && l.includes('of 256.0 MiB')),
      ok.dump,
    ).toBe(true);
    expect(ok.screen.length, ok.dump).toBe(1);
    expect(ok.screen[0], ok.dump).toMatch(/^patched .*: 1 hunk applied/);
  });

  it('flush_and_diff_show_it_too', () => {
    const flush = inTerminal(['flush', BIG], { env: FAST });
    expect(flush.status, flush.dump).toBe(0);
    expect(
      drawnLines(flush.raw).some((l) => l.startsWith(`flush ${BIG}: `) && l.includes('of 1.0 GiB')),
      flush.dump,
    ).toBe(true);
    expect(flush.screen, flush.dump).toEqual([expect.stringMatching(/^flushed 0x0\.\.0x40000000 \(262144 pages\)/)]);
    const plain = mmapx(['diff', BIG, f('tail.bin')]);
    expectSuccess(plain);
    const diff = inTerminal(['diff', BIG, f('tail.bin')], { redirect: `> ${sh(f('diff.txt'))}`, env: FAST });
    expect(diff.status, diff.dump).toBe(0);
    expect(
      drawnLines(diff.raw).some((l) => l.startsWith(`diff ${BIG}: `)),
      diff.dump,
    ).toBe(true);
    expect(diff.screen, diff.dump).toEqual([]);
    expect(readFileSync(f('diff.txt')).equals(plain.stdoutBytes)).toBe(true);
  });

  it('hash_and_cat_show_it_too_and_their_output_is_unchanged', () => {
    for (const args of [
      ['hash', BIG],
      ['cat', BIG, '0:64M'],
    ]) {
      const plain = mmapx(args);
      expectSuccess(plain);
      const out = f(`${args[0]}.out`);
      const r = inTerminal(args, { redirect: `> ${sh(out)}`, env: FAST });
      expect(r.status, r.dump).toBe(0);
      expect(
        drawnLines(r.raw).some((l) => l.startsWith(`${args[0]} ${BIG}: `)),
        r.dump,
      ).toBe(true);
      expect(r.screen, r.dump).toEqual([]);
      expect(readFileSync(out).equals(plain.stdoutBytes)).toBe(true);
    }
  });

  it('flush_syncs_a_big_range_in_pieces_that_add_up_to_the_pages_of_the_range', () => {
    const p = f('pieces.bin');
    sparse(p, 600 * MiB);
    // Dirty a page in each 256 MiB piece, without msync.
    for (const at of ['0x1001', String(300 * MiB), String(599 * MiB)]) expectSuccess(mmapx(['write', '--no-sync', p, at, '--fill', '9', '--length', '16']));
    const r = mmapx(['--json', 'flush', p, '--range', `0x1001..${600 * MiB - 3}`]);
    expectSuccess(r);
    const j = JSON.parse(r.stdout);
    expect(j.synced).toEqual({ offset: 0x1000, length: 600 * MiB - 0x1000, pages: (600 * MiB - 0x1000) / 4096 });
    if (j.after !== null) expect(j.after.dirty).toBe(0);
    writeFileSync(p, '');
  });
});
