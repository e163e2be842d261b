// mmapx diff A B --format side through the built CLI: the view is formatSide's text (exit 0
// whether the files differ or not, as for every diff format; identical files print nothing),
// --json lists the runs, bad options are one usage line (exit 2) with the files untouched, the
// width follows the terminal or $COLUMNS, colour on a terminal and none on a pipe, and a sparse
// 16 GiB pair is compared with flat memory (the holes both files have are stepped over: SEEK_DATA).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatSide } from '../../src/format/patch/index.js';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, fingerprint, mmapx, PINNED_ENV } from '../helpers/cli.js';
import { hasScript, inTerminal } from '../helpers/terminal.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-diff-side-');
beforeAll(() => requireBuild());
const a = join(dir, 'a.bin');
const b = join(dir, 'b.bin');
const A = Buffer.from('The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs.\n'.repeat(4), 'latin1');
const B = Buffer.from(A);
B.write('QU', 4, 'latin1');
B[200] = 0x00;
const Bx = Buffer.concat([B, Buffer.from('more')]);
writeFileSync(a, A);
writeFileSync(b, Bx);
const names = { old: a, new: b };

describe('mmapx diff --format side', () => {
  it('prints formatSide of the two files (16 bytes per side on a pipe), exit 0; identical files: nothing, exit 0', () => {
    const r = mmapx(['diff', a, b, '--format', 'side']);
    expect(r.status, r.dump).toBe(0);
    expect(r.stdout).toBe(formatSide(A, Bx, { names }));
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stderr).toBe('');
    const same = mmapx(['diff', a, a, '--format', 'side']);
    expect(same.status, same.dump).toBe(0);
    expect(same.stdout).toBe('');
  });

  it('-U and -c (and their long names), $COLUMNS picks the bytes per side on a pipe', () => {
    const r = mmapx(['diff', a, b, '--format', 'side', '-U', '0', '-c', '8']);
    expect(r.stdout, r.dump).toBe(formatSide(A, Bx, { names, context: 0, cols: 8 }));
    const long = mmapx(['diff', a, b, '--format=side', '--context', '2', '--cols', '4']);
    expect(long.stdout, long.dump).toBe(formatSide(A, Bx, { names, context: 2, cols: 4 }));
    const narrow = mmapx(['diff', a, b, '--format', 'side'], { env: { COLUMNS: '80' } });
    expect(narrow.stdout, narrow.dump).toBe(formatSide(A, Bx, { names, cols: 8 }));
    const lines = narrow.stdout.split('\n').filter((l) => /^[0-9a-f ]/.test(l)); // the hex lines and the ^^ lines
    expect(Math.max(...lines.map((l) => l.length))).toBe(80);
  });

  it('--json: the runs of differing bytes (the tail last), no view; -o writes the view and --json still lists the runs', () => {
    const r = mmapx(['--json', 'diff', a, b, '--format', 'side']);
    expect(r.status, r.dump).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j).toMatchObject({
      command: 'diff',
      ok: true,
      format: 'side',
      sizeOld: A.length,
      sizeNew: Bx.length,
      identical: false,
      bytesChanged: 7,
      runCount: 3,
      runsTruncated: false,
      runs: [
        { offset: 4, length: 2, old: '7175', new: '5155' },
        { offset: 200, length: 1, old: A.subarray(200, 201).toString('hex'), new: '00' },
        { offset: A.length, length: 4, old: '', new: Buffer.from('more').toString('hex') },
      ],
      output: null,
    });
    expect(j).not.toHaveProperty('patch');
    const out = join(dir, 'view.txt');
    const o = mmapx(['--json', 'diff', a, b, '--format', 'side', '-U', '1', '-o', out]);
    expect(JSON.parse(o.stdout)).toMatchObject({ runCount: 3, hunks: 3, output: out });
    expect(readFileSync(out, 'utf8')).toBe(formatSide(A, Bx, { names, context: 1 }));
  });

  it('bad options: one usage line, exit 2, both files unchanged', () => {
    const before = [fingerprint(a), fingerprint(b)];
    expectFailure(mmapx(['diff', a, b, '-U', '1']), 2, `mmapx: diff: ${a}: -U/--context only applies to --format side, not native`);
    expectFailure(mmapx(['diff', a, b, '--format', 'cmp', '-c', '8']), 2, `mmapx: diff: ${a}: -c/--cols only applies to --format side, not cmp`);
    expectFailure(mmapx(['diff', a, b, '--format', 'side', '-c', '0']), 2, `mmapx: diff: ${a}: -c/--cols 0 must be 1..64`);
    expectFailure(mmapx(['diff', a, b, '--format', 'side', '-c', '65']), 2, `mmapx: diff: ${a}: -c/--cols 65 must be 1..64`);
    expectFailure(mmapx(['diff', a, b, '--format', 'side', '-U', '-1']), 2, `mmapx: diff: ${a}: -U/--context -1 must be 0..1000000`);
    expectFailure(mmapx(['diff', a, b, '--format', 'side', '--coalesce', '2']), 2, `mmapx: diff: ${a}: --coalesce does not apply to --format side`);
    expect([fingerprint(a), fingerprint(b)]).toEqual(before);
  });
});

describe.skipIf(!hasScript())('mmapx diff --format side on a terminal', () => {
  const opts = { cols: 80, env: { TERM: 'xterm' } };
  it('colours the differing bytes (no ^^ lines) and fits 80 columns with 8 bytes per side; 160 columns: 16', () => {
    const r = inTerminal(['--no-progress', 'diff', a, b, '--format', 'side'], opts);
    expect(r.status, r.dump).toBe(0);
    expect(r.raw, r.dump).toContain('\x1b[31m');
    expect(r.raw, r.dump).toContain('\x1b[32m');
    expect(r.raw, r.dump).not.toContain('^^');
    const plain = formatSide(A, Bx, { names, cols: 8 })
      .split('\n')
      .filter((l) => !/^ +\^/.test(l));
    expect(r.screen, r.dump).toEqual(plain.slice(0, -1));
    const wide = inTerminal(['--no-progress', 'diff', a, b, '--format', 'side'], { ...opts, cols: 160 });
    expect(wide.screen[2]?.length, wide.dump).toBe(146);
  });

  it('--color never, NO_COLOR and a redirect: the ^^ lines and no escape', () => {
    for (const run of [
      inTerminal(['--no-progress', '--color', 'never', 'diff', a, b, '--format', 'side'], opts),
      inTerminal(['--no-progress', 'diff', a, b, '--format', 'side'], { ...opts, env: { TERM: 'xterm', NO_COLOR: '1' } }),
    ]) {
      expect(run.raw, run.dump).not.toContain('\x1b[3');
      expect(run.screen, run.dump).toEqual(formatSide(A, Bx, { names, cols: 8 }).split('\n').slice(0, -1));
    }
    const out = join(dir, 'redirected.txt');
    const r = inTerminal(['--no-progress', 'diff', a, b, '--format', 'side'], { ...opts, redirect: `> '${out}'` });
    expect(r.status, r.dump).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(formatSide(A, Bx, { names }));
  });
});

describe.skipIf(!existsSync('/usr/bin/time'))('mmapx diff --format side on big sparse files', () => {
  it('16 GiB sparse pair, three differences (one a run across a line boundary), equal data and zeros against a hole: the view, peak RSS under 100 MiB', {
    timeout: 240_000,
  }, () => {
    const GiB = 1024 ** 3;
    const x = join(dir, 'sparse-a');
    const y = join(dir, 'sparse-b');
    for (const p of [x, y]) {
      writeFileSync(p, '');
      truncateSync(p, 16 * GiB);
    }
    const put = (p: string, at: number, bytes: number[] | Buffer) => {
      const r = spawnSync('dd', [`of=${p}`, 'bs=4096', `seek=${at}`, 'oflag=seek_bytes', 'conv=notrunc', 'status=none'], { input: Buffer.from(bytes) });
      expect(r.status, String(r.stderr)).toBe(0);
    };
    for (const [at, bytes] of [
      [1, [0xaa]],
      [8 * GiB + 14, [1, 2, 3, 4]],
      [16 * GiB - 1, [0xff]],
    ] as const) {
      put(y, at, [...bytes]);
    }
    // The same data in both at 4 GiB, and zeros written into OLD (data) where NEW has a hole.
    put(x, 4 * GiB, Buffer.from('same bytes'));
    put(y, 4 * GiB, Buffer.from('same bytes'));
    put(x, 12 * GiB, Buffer.alloc(65_536));
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, BIN, 'diff', '--format', 'side', '-U', '1', x, y], {
      env: PINNED_ENV,
      encoding: 'utf8',
      timeout: 220_000,
      maxBuffer: 1024 * 1024,
    });
    expect(r.status, r.stderr).toBe(0);
    const z = '00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00 |................|';
    const line = (off: number, right: string) => `${off.toString(16).padStart(9, '0')}  ${z}  ${right}`;
    const marks = (cols: number[]) => {
      // ^^ under each differing byte on both sides, ^ under its character.
      const row = Array.from(' '.repeat(147));
      for (const j of cols) {
        for (const base of [11, 80]) {
          const h = base + 3 * j + (j >= 8 ? 1 : 0);
          row[h] = '^';
          row[h + 1] = '^';
          row[base + 48 + 2 + j] = '^';
        }
      }
      return row.join('').trimEnd();
    };
    const right = (bytes: Record<number, number>) => {
      const all = Array.from({ length: 16 }, (_, j) => bytes[j] ?? 0);
      const hex = all.map((v) => v.toString(16).padStart(2, '0'));
      const text = all.map((v) => (v >= 0x20 && v < 0x7f ? String.fromCharCode(v) : '.')).join('');
      return `${hex.slice(0, 8).join(' ')}  ${hex.slice(8).join(' ')} |${text}|`;
    };
    expect(r.stdout).toBe(
      [
        `--- ${x}`,
        `+++ ${y}`,
        line(0, right({ 1: 0xaa })),
        marks([1]),
        line(0x10, z),
        '*',
        line(8 * GiB - 16, z),
        line(8 * GiB, right({ 14: 1, 15: 2 })),
        marks([14, 15]),
        line(8 * GiB + 16, right({ 0: 3, 1: 4 })),
        marks([0, 1]),
        line(8 * GiB + 32, z),
        '*',
        line(16 * GiB - 32, z),
        line(16 * GiB - 16, right({ 15: 0xff })),
        marks([15]),
        '',
      ].join('\n'),
    );
    const kib = Number(r.stderr.trim().split('\n').pop());
    expect(kib, r.stderr).toBeGreaterThan(0);
    expect(kib / 1024, `peak RSS ${(kib / 1024).toFixed(0)} MiB`).toBeLessThan(100);
  });

  it('two 9 MiB files of random bytes (every line differs, across the 8 MiB window): peak RSS under 100 MiB, text and --json', { timeout: 240_000 }, () => {
    const size = 9 * 1024 * 1024;
    const x = join(dir, 'random-a');
    const y = join(dir, 'random-b');
    writeFileSync(x, randomBytes(size));
    writeFileSync(y, randomBytes(size));
    for (const json of [[], ['--json']]) {
      // stdout is the spawn's own /dev/null descriptor: nothing is kept by the test.
      const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, BIN, ...json, 'diff', '--format', 'side', x, y], {
        env: PINNED_ENV,
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
        timeout: 220_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const kib = Number(r.stderr.trim().split('\n').pop());
      expect(kib, r.stderr).toBeGreaterThan(0);
      expect(kib / 1024, `${json.join('')}: peak RSS ${(kib / 1024).toFixed(0)} MiB`).toBeLessThan(100);
    }
  });
});
