// `mmapx hexdump --view` (-f hexyl) tested by screenshots in text: the built CLI runs on a
// pseudo-terminal (util-linux `script`) at fixed widths (`stty cols`), and the screens it leaves
// are compared with the expected screens below. Colour must be on on the terminal and off with
// --color never and on a pipe; --panels auto follows the terminal, or $COLUMNS on a pipe.
import { spawnSync } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dump } from '../../src/edit/index.js';
import { dumpToString } from '../../src/format/dump/index.js';
import { ROOT, requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, expectSuccess, fingerprint, mmapx, PINNED_ENV } from '../helpers/cli.js';
import { hasScript, render, sh } from '../helpers/terminal.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
/** "Hello, world!\n" 00 01 02 ff, 96 bytes of the 16-bit word 0x1400 (hexyl issue 186), "tail". */
const BYTES = Buffer.concat([
  Buffer.from('Hello, world!\n'),
  Buffer.from([0, 1, 2, 0xff]),
  Buffer.alloc(96).map((_, i) => (i % 2 ? 0 : 0x14)),
  Buffer.from('tail'),
]);
const FILE = join(dir, 's.bin');

beforeAll(() => {
  requireBuild();
  writeFileSync(FILE, BYTES);
});

/** The expected screens, by terminal width. */
const SCREENS: Record<string, string[]> = {
  80: [
    '┌────────┬─────────────────────────┬─────────────────────────┬────────┬────────┐',
    '│00000000│ 48 65 6c 6c 6f 2c 20 77 ┊ 6f 72 6c 64 21 0a 00 01 │Hello, w┊orld!_⋄•│',
    '│00000010│ 02 ff 14 00 14 00 14 00 ┊ 14 00 14 00 14 00 14 00 │•×•⋄•⋄•⋄┊•⋄•⋄•⋄•⋄│',
    '│00000020│ 14 00 14 00 14 00 14 00 ┊ 14 00 14 00 14 00 14 00 │•⋄•⋄•⋄•⋄┊•⋄•⋄•⋄•⋄│',
    '│*       │                         ┊                         │        ┊        │',
    '│00000070│ 14 00 74 61 69 6c       ┊                         │•⋄tail  ┊        │',
    '└────────┴─────────────────────────┴─────────────────────────┴────────┴────────┘',
  ],
  120: [
    '┌────────┬─────────────────────────┬─────────────────────────┬─────────────────────────┬────────┬────────┬────────┐',
    '│00000000│ 48 65 6c 6c 6f 2c 20 77 ┊ 6f 72 6c 64 21 0a 00 01 ┊ 02 ff 14 00 14 00 14 00 │Hello, w┊orld!_⋄•┊•×•⋄•⋄•⋄│',
    '│00000018│ 14 00 14 00 14 00 14 00 ┊ 14 00 14 00 14 00 14 00 ┊ 14 00 14 00 14 00 14 00 │•⋄•⋄•⋄•⋄┊•⋄•⋄•⋄•⋄┊•⋄•⋄•⋄•⋄│',
    '│*       │                         ┊                         ┊                         │        ┊        ┊        │',
    '│00000060│ 14 00 14 00 14 00 14 00 ┊ 14 00 14 00 14 00 14 00 ┊ 14 00 74 61 69 6c       │•⋄•⋄•⋄•⋄┊•⋄•⋄•⋄•⋄┊•⋄tail  │',
    '└────────┴─────────────────────────┴─────────────────────────┴─────────────────────────┴────────┴────────┴────────┘',
  ],
  160: [
    '┌────────┬─────────────────────────┬─────────────────────────┬─────────────────────────┬─────────────────────────┬────────┬────────┬────────┬────────┐',
    '│00000000│ 48 65 6c 6c 6f 2c 20 77 ┊ 6f 72 6c 64 21 0a 00 01 ┊ 02 ff 14 00 14 00 14 00 ┊ 14 00 14 00 14 00 14 00 │Hello, w┊orld!_⋄•┊•×•⋄•⋄•⋄┊•⋄•⋄•⋄•⋄│',
    '│00000020│ 14 00 14 00 14 00 14 00 ┊ 14 00 14 00 14 00 14 00 ┊ 14 00 14 00 14 00 14 00 ┊ 14 00 14 00 14 00 14 00 │•⋄•⋄•⋄•⋄┊•⋄•⋄•⋄•⋄┊•⋄•⋄•⋄•⋄┊•⋄•⋄•⋄•⋄│',
    '│*       │                         ┊                         ┊                         ┊                         │        ┊        ┊        ┊        │',
    '│00000060│ 14 00 14 00 14 00 14 00 ┊ 14 00 14 00 14 00 14 00 ┊ 14 00 74 61 69 6c       ┊                         │•⋄•⋄•⋄•⋄┊•⋄•⋄•⋄•⋄┊•⋄tail  ┊        │',
    '└────────┴─────────────────────────┴─────────────────────────┴─────────────────────────┴─────────────────────────┴────────┴────────┴────────┴────────┘',
  ],
  /** A terminal too narrow for two panels: the default is one. */
  60: [
    '┌────────┬─────────────────────────┬────────┐',
    '│00000000│ 48 65 6c 6c 6f 2c 20 77 │Hello, w│',
    '│00000008│ 6f 72 6c 64 21 0a 00 01 │orld!_⋄•│',
    '│00000010│ 02 ff 14 00 14 00 14 00 │•×•⋄•⋄•⋄│',
    '│00000018│ 14 00 14 00 14 00 14 00 │•⋄•⋄•⋄•⋄│',
    '│*       │                         │        │',
    '│00000070│ 14 00 74 61 69 6c       │•⋄tail  │',
    '└────────┴─────────────────────────┴────────┘',
  ],
};

/** The SGR codes (colours) in `raw`. */
const sgr = (raw: string) => new Set([...raw.matchAll(/\x1b\[(\d+)m/g)].map((m) => m[1]));

describe('screens on a terminal (script)', () => {
  it.skipIf(!hasScript())('panels fit 80, 120 and 160 columns; a 60-column terminal gets one; colour on, and off with --color never', () => {
    // One pseudo-terminal session for every screen: `stty cols` before each command, a marker line between.
    const node = sh(process.execPath);
    const bin = sh(BIN);
    const file = sh(FILE);
    const runs: [string, number, string][] = [
      ['80', 80, `hd --view --panels auto ${file}`],
      ['120', 120, `hd --view --panels auto ${file}`],
      ['160', 160, `hd --view --panels auto ${file}`],
      ['60', 60, `hd --view ${file}`],
      ['never', 80, `--color never hd -f hexyl ${file}`],
    ];
    const cmd = runs.map(([name, cols, args]) => `stty cols ${cols}; echo '=== ${name}'; ${node} ${bin} ${args}`).join('; ');
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { env: { ...PINNED_ENV, TERM: 'xterm', SHELL: '/bin/sh' }, encoding: 'utf8', timeout: 60_000 });
    const raw = r.stdout;
    const context = `$ ${cmd}\n-> ${r.status}\n${raw.slice(-4000)}\n${r.stderr}`;
    expect(r.status, context).toBe(0);
    const rawOf = (name: string) => raw.split(`=== ${name}`)[1]?.split('=== ')[0] ?? '';
    const screen = render(raw);
    const screenOf = (name: string) => {
      const at = screen.indexOf(`=== ${name}`);
      const end = screen.findIndex((l, i) => i > at && l.startsWith('=== '));
      return screen.slice(at + 1, end < 0 ? undefined : end);
    };
    for (const [name, cols] of runs) {
      const shown = screenOf(name);
      expect(shown, `${name}\n${context}`).toEqual(SCREENS[name] ?? SCREENS[80]);
      // A screenshot is only right if nothing wrapped: no line is wider than the terminal.
      for (const line of shown) expect([...line].length).toBeLessThanOrEqual(cols);
    }
    // hexyl's palette on the terminal: gray NUL, cyan printable, green whitespace, magenta other, yellow non-ASCII.
    for (const name of ['80', '120', '160', '60']) expect([...sgr(rawOf(name))].sort(), name).toEqual(['32', '33', '35', '36', '39', '90']);
    expect(sgr(rawOf('never')).size, context).toBe(0);
  });
});

describe('on a pipe', () => {
  it('--panels auto follows $COLUMNS, else 2 panels; no colour; the library gives the same bytes', async () => {
    const wide = mmapx(['hd', '--view', '--panels', 'auto', FILE], { env: { COLUMNS: '120' } });
    expectSuccess(wide);
    expect(wide.stdout).toBe(`${SCREENS[120]!.join('\n')}\n`);
    const plain = mmapx(['hd', '--view', '--panels', 'auto', FILE]);
    expectSuccess(plain);
    expect(plain.stdout).toBe(`${SCREENS[80]!.join('\n')}\n`);
    let fromLibrary = '';
    for await (const chunk of dump(FILE, 'hexyl')) fromLibrary += chunk;
    expect(fromLibrary).toBe(plain.stdout);
    // The README shows this screen.
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`$ mmapx hd s.bin --view\n${plain.stdout}`);
  });

  it('every view option reaches the engine: -s -n -u -v -g --endianness --base --border --character-table --panels', () => {
    const args = [
      '-s',
      '3',
      '-n',
      '100',
      '-u',
      '-v',
      '-g',
      '4',
      '--endianness',
      'little',
      '--base',
      '16',
      '--border',
      'ascii',
      '--character-table',
      'cp437',
      '--panels',
      '3',
    ];
    const r = mmapx(['hexdump', FILE, '--view', ...args]);
    expectSuccess(r);
    const expected = dumpToString(
      {
        format: 'hexyl',
        start: 3n,
        end: 103n,
        upper: true,
        squeeze: false,
        group: 4,
        endianness: 'little',
        base: 16,
        border: 'ascii',
        characterTable: 'cp437',
        panels: 3,
      },
      BYTES.subarray(3, 103),
    );
    expect(r.stdout).toBe(expected);
    expect(r.stdout.split('\n')[1]).toBe('|00000003| 202C6F6C 6C726F77 | 000A2164 14FF0201 | 14001400 14001400 |lo, worl|d!◙⋄☺☻\u00a0¶|⋄¶⋄¶⋄¶⋄¶|');
  });
});

describe('bad options', () => {
  it('one line, status 2, the file untouched', () => {
    const before = fingerprint(FILE);
    expectFailure(mmapx(['hd', '--view', '--panels', '0', FILE]), 2, `mmapx: hexdump: ${FILE}: invalid --panels '0' (a number from 1 to 256, or auto)`);
    expectFailure(
      mmapx(['hd', '-f', 'xxd', '--border', 'ascii', '--view', FILE]),
      2,
      `mmapx: hexdump: ${FILE}: --view is -f hexyl: it cannot be combined with -f xxd`,
    );
    expect(fingerprint(FILE)).toBe(before);
  });
});
