// Windows x64 under Wine: the CLI on a Windows console. Wine gives a Windows program a console
// when it runs on a Unix terminal: here a pseudo-terminal from util-linux `script`, so that
// GetConsoleMode of the standard handles succeeds and GetConsoleScreenBufferInfo says the
// terminal's width (`stty cols`). Run by .ci/win-x64 on Linux Node (with MMAPX_WINE_NODE, the
// Windows node.exe, and its Wine prefix in the environment), like npm-shims.test.ts; the Linux
// CLI gives the expected output.
//
// Wine's console writes its own escapes to the terminal (cursor hide and show, clear to end of
// line, CRLF line ends): they are dropped before comparing; the colour escapes (SGR, `ESC[...m`)
// are the CLI's.
import { spawnSync } from 'node:child_process';
import { existsSync, ftruncateSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, requireBuild } from '../helpers/child.js';
import { expectSuccess, mmapx } from '../helpers/cli.js';
import { hasScript, sh } from '../helpers/terminal.js';
import { tmpDir } from '../helpers/tmp.js';

const NODE = process.env.MMAPX_WINE_NODE ?? '';
const work = tmpDir('mmapx-wine-console-');
const file = join(work, 'text.bin');
const SGR = /\x1b\[[0-9;]*m/;

interface ConsoleRun {
  status: number | null;
  /** What the terminal received. */
  raw: string;
  /** The same without Wine's own escapes and CRs (the CLI's colours kept). */
  text: string;
  dump: string;
}

/** `mmapx ARGS REDIRECT` (or `node SCRIPT ARGS`) on Windows Node under Wine, on a pseudo-terminal `cols` wide. */
function onConsole(args: string[], opts: { redirect?: string; cols?: number; env?: Record<string, string>; script?: string } = {}): ConsoleRun {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['NO_COLOR', 'FORCE_COLOR', 'COLUMNS', 'COLORTERM', 'NODE_OPTIONS']) delete env[k];
  Object.assign(env, { TERM: 'xterm', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', SHELL: '/bin/sh' }, opts.env);
  const cmd = `stty cols ${opts.cols ?? 200}; exec wine ${[NODE, opts.script ?? 'bin/mmapx.js', ...args].map(sh).join(' ')} ${opts.redirect ?? ''}`;
  // No retry: Windows Node used to die here now and then (every time after this round's merges)
  // with libuv's "Assertion failed: process_title" (util.c: uv_get_process_title asserts when
  // GetConsoleTitleW gives an empty title, as Wine's console often does). What read the title was
  // the colour path: esbuild's __toESM over node:process in chalk's supports-color reads every
  // property's descriptor, and `title` is a native data property. node:process is a stand-in there
  // now (scripts/esbuild-options.mjs, LAZY_BUILTINS), so a run that dies so again is a failure.
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  const raw = r.stdout ?? '';
  const text = raw.replace(/\x1b\[[?0-9;]*[A-Za-ln-z]/g, '').replaceAll('\r', '');
  return { status: r.status, raw, text, dump: `$ ${cmd}\n-> status ${r.status}\n--- terminal\n${JSON.stringify(raw.slice(-3000))}\n--- stderr\n${r.stderr}` };
}

beforeAll(() => {
  requireBuild();
  expect(existsSync(NODE), 'MMAPX_WINE_NODE: Windows node.exe (.ci/win-x64 sets it)').toBe(true);
  // Not skipped without it: this file runs only where the platform is tested (.ci/win-x64).
  expect(hasScript(), "util-linux's script (Debian's bsdutils): the pseudo-terminal Wine makes a console of").toBe(true);
  writeFileSync(file, Buffer.from('a Windows console, wide enough for two hexyl panels\n\x01\x02\xff', 'latin1'));
});

describe('the Windows console under Wine', () => {
  it('colours_a_dump_on_the_console_in_auto_mode_and_the_text_is_the_same', () => {
    const r = onConsole(['hexdump', file]);
    expect(r.status, r.dump).toBe(0);
    expect(r.raw, r.dump).toMatch(SGR);
    const plain = mmapx(['hexdump', file]);
    expectSuccess(plain);
    // Wine's console breaks a coloured line where its escapes would reach the edge: lines compared unbroken.
    const unbroken = (t: string) => t.replace(new RegExp(SGR.source, 'g'), '').replaceAll('\n', '');
    expect(unbroken(r.text), r.dump).toBe(unbroken(plain.stdout));
  });

  it('does_not_colour_a_dump_redirected_to_a_file_nor_with_color_never', () => {
    const out = join(work, 'out.txt');
    const r = onConsole(['hexdump', file], { redirect: `> ${sh(out)}` });
    expect(r.status, r.dump).toBe(0);
    const plain = mmapx(['hexdump', file]);
    expect(readFileSync(out, 'utf8')).toBe(plain.stdout);
    const never = onConsole(['--color', 'never', 'hexdump', file]);
    expect(never.status, never.dump).toBe(0);
    expect(never.raw, never.dump).not.toMatch(SGR);
    expect(never.text, never.dump).toBe(plain.stdout);
  });

  it('fits_hexyl_panels_to_the_console_width_and_its_utf8_frame_shows_as_on_linux', () => {
    // hexyl's frame and symbols are UTF-8: the console shows them as such (its code page set to 65001).
    for (const cols of [60, 120]) {
      const args = ['--color', 'never', 'hexdump', '--format', 'hexyl', '--panels', 'auto', file];
      const r = onConsole(args, { cols });
      expect(r.status, r.dump).toBe(0);
      const linux = mmapx(args, { env: { COLUMNS: String(cols) } });
      expectSuccess(linux);
      expect(r.text, `${cols} columns\n${r.dump}`).toBe(linux.stdout);
    }
  });

  it('says_standard_input_is_a_terminal_when_it_is_the_console', () => {
    const r = onConsole(['hexdump', '-']);
    expect(r.status, r.dump).toBe(2);
    expect(r.text, r.dump).toMatch(/standard input is a terminal/);
    // Without FILE, a console on stdin is not read (the usage error, as on Linux).
    const none = onConsole(['hexdump']);
    expect(none.status, none.dump).toBe(2);
    expect(none.text, none.dump).toMatch(/missing required argument 'file'/);
  });

  it('shows_the_progress_line_on_a_console_whose_escape_processing_was_off_and_leaves_the_mode_as_it_was', () => {
    const big = join(work, 'big.bin'); // sparse, four 16 MiB windows read
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 64 * 1024 * 1024);
    closeSync(fd);
    // Run by test/helpers/wine-console-mode.cjs: escape processing off first (Wine's console
    // starts with it on), the console mode watched while mmapx runs and read after it exited.
    const modes = join(work, 'modes.txt');
    const r = onConsole([`Z:${modes.replaceAll('/', '\\')}`, 'hexdump', big], {
      redirect: `> ${sh(join(work, 'big.txt'))}`,
      cols: 100,
      env: { MMAPX_PROGRESS_DELAY_MS: '0' },
      script: 'test/helpers/wine-console-mode.cjs',
    });
    expect(r.status, r.dump).toBe(0);
    expect(r.text, r.dump).toMatch(/MiB of 64\.0 MiB \(\d+%\)/);
    const [before, on, after] = readFileSync(modes, 'utf8').split(' ');
    expect(Number(before) & 0x4, r.dump).toBe(0);
    expect(on, r.dump).toBe('true');
    expect(after, r.dump).toBe(before);
  });
});
