// mmapx hexdump through the built CLI, against the real xxd and hexdump -C where installed.
// (The engine's full option matrix is tested in-process in test/format/dump*.test.ts.)
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, expectSuccess, mmapx, PINNED_ENV } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { posixIt } from '../helpers/platform.js';

const dir = tmpDir();
beforeAll(() => requireBuild());
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const HAS_XXD = has('xxd');
const HAS_HEXDUMP = has('hexdump');
if (!HAS_XXD) console.warn('NOTICE: xxd is not installed: differential tests against xxd are skipped');
if (!HAS_HEXDUMP) console.warn('NOTICE: hexdump is not installed: differential tests against hexdump -C are skipped');

let n = 0;
function file(content: Uint8Array): string {
  const p = join(dir, `h${n++}.bin`);
  writeFileSync(p, content);
  return p;
}
function peer(cmd: string, args: string[]): Buffer {
  const r = spawnSync(cmd, args, { env: PINNED_ENV, maxBuffer: 1 << 30 });
  return r.stdout;
}
const ANSI = /\x1b\[[0-9;]*m/g;

const sample = (() => {
  const b = Buffer.alloc(3000);
  for (let i = 0; i < b.length; i++) b[i] = i < 1000 ? (i * 7919) & 0xff : i < 2000 ? 0 : i % 16 < 8 ? 0x41 + (i % 5) : i % 32;
  return b;
})();

describe.skipIf(!HAS_HEXDUMP)('canonical = hexdump -C', () => {
  it.each([
    [[], []],
    [
      ['-s', '100'],
      ['-s', '100'],
    ],
    [
      ['-n', '33'],
      ['-n', '33'],
    ],
    [
      ['-s', '1990', '-n', '100'],
      ['-s', '1990', '-n', '100'],
    ],
    [
      ['-s', '-40'],
      ['-s', String(sample.length - 40)],
    ],
    [
      ['-n', '99999'],
      ['-n', '99999'],
    ], // past the end: stops at the end, as the peer does
    [
      ['-s', '5000'],
      ['-s', '5000'],
    ], // a start past the end: the offset line of the end, status 0, as the peer
    [
      ['-v', '-s', '1000', '-n', '200'],
      ['-v', '-s', '1000', '-n', '200'],
    ],
  ])('mmapx hexdump %j = hexdump -C %j', (ours, theirs) => {
    const p = file(sample);
    const r = mmapx(['hexdump', p, ...ours]);
    expectSuccess(r);
    expect(r.stdoutBytes.equals(peer('hexdump', ['-C', ...theirs, p])), r.dump).toBe(true);
  });

  it('every length from 0 to 70, zeros and random', () => {
    for (let len = 0; len <= 70; len += 7) {
      for (const fill of [0, -1]) {
        const b = Buffer.alloc(len, fill === 0 ? 0 : 0x5a);
        if (fill < 0) for (let i = 0; i < len; i++) b[i] = (i * 37 + len) & 0xff;
        const p = file(b);
        expect(mmapx(['hd', p]).stdoutBytes.equals(peer('hexdump', ['-C', p]))).toBe(true);
      }
    }
  });

  it('a_5_gib_sparse_file_at_4_5_gib', () => {
    const p = join(dir, 'sparse5g.bin');
    const fd = openSync(p, 'w');
    ftruncateSync(fd, 5 * 1024 ** 3);
    writeSync(fd, Buffer.from('beyond 2^32: mmapx'), 0, 18, 4.5 * 1024 ** 3 + 100);
    closeSync(fd);
    const r = mmapx(['hexdump', p, '-s', '4.5G', '-n', '256']);
    expectSuccess(r);
    expect(r.stdout).toContain('120000060  00 00 00 00 62 65 79 6f  6e 64 20 32 5e 33 32 3a  |....beyond 2^32:|');
    expect(r.stdoutBytes.equals(peer('hexdump', ['-C', '-s', String(4.5 * 1024 ** 3), '-n', '256', p]))).toBe(true);
  });
});

describe.skipIf(!HAS_XXD)('xxd formats = xxd', () => {
  it.each([
    [['-f', 'xxd'], []],
    [
      ['-f', 'xxd', '-g', '1', '-c', '8'],
      ['-g', '1', '-c', '8'],
    ],
    [
      ['-f', 'xxd', '-u', '-c', '20', '-g', '4'],
      ['-u', '-c', '20', '-g', '4'],
    ],
    [
      ['-f', 'xxd', '-s', '-100', '-n', '50'],
      ['-s', '-100', '-l', '50'],
    ],
    [['-f', 'xxd', '-a'], ['-a']],
    [['-f', 'plain'], ['-p']],
    [
      ['-f', 'plain', '-c', '7'],
      ['-p', '-c', '7'],
    ],
    [
      ['-f', 'xxd', '-s', '5000'],
      ['-s', '5000'],
    ], // a start past the end prints nothing, status 0
    [
      ['-f', 'plain', '-s', '5000'],
      ['-p', '-s', '5000'],
    ],
  ])('mmapx hexdump %j = xxd %j', (ours, theirs) => {
    const p = file(sample);
    const r = mmapx(['hexdump', p, ...ours]);
    expectSuccess(r);
    expect(r.stdoutBytes.equals(peer('xxd', [...theirs, p])), r.dump).toBe(true);
  });

  it('c_format_names_the_array_from_the_path_as_typed', () => {
    const p = file(Buffer.from('Hello'));
    const rel = `./${p.split('/').pop()}`;
    const r = mmapx(['hexdump', rel, '-f', 'c'], { cwd: dir });
    expect(r.stdoutBytes.equals(spawnSync('xxd', ['-i', rel], { cwd: dir }).stdout)).toBe(true);
    const named = mmapx(['hexdump', p, '-f', 'c', '--name', 'greeting']);
    expect(named.stdout).toMatch(/^unsigned char greeting\[\] = \{\n {2}0x48, 0x65, 0x6c, 0x6c, 0x6f\n\};\nunsigned int greeting_len = 5;\n$/);
  });

  it('random_files_and_options_match_xxd', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 9 }),
        fc.boolean(),
        (bytes, cols, group, upper) => {
          const p = file(bytes);
          const ours = ['hexdump', p, '-f', 'xxd', '-c', String(cols), '-g', String(group), ...(upper ? ['-u'] : [])];
          const theirs = ['-c', String(cols), '-g', String(group), ...(upper ? ['-u'] : []), p];
          expect(mmapx(ours).stdoutBytes.equals(peer('xxd', theirs))).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('colour', () => {
  it('always_colours_and_stripping_the_codes_gives_the_plain_dump', () => {
    const p = file(sample.subarray(0, 200));
    const plain = mmapx(['hexdump', p]).stdout;
    const coloured = mmapx(['--color', 'always', 'hexdump', p]).stdout;
    expect(coloured).not.toBe(plain);
    expect(coloured.replace(ANSI, '')).toBe(plain);
    const xxdColoured = mmapx(['hexdump', p, '-f', 'xxd', '--color', 'always']).stdout;
    expect(xxdColoured.replace(ANSI, '')).toBe(mmapx(['hexdump', p, '-f', 'xxd']).stdout);
  });

  it('categories_get_distinct_colours_in_hex_and_text_columns', () => {
    // 00 (null), 41 'A' (printable), 0a (whitespace), 01 (other), ff (non-ASCII)
    const p = file(Buffer.from([0x00, 0x41, 0x0a, 0x01, 0xff]));
    const out = mmapx(['--color', 'always', 'hexdump', p]).stdout;
    const names: Record<string, string> = { '90': 'gray', '36': 'cyan', '32': 'green', '35': 'magenta', '33': 'yellow' };
    const readable = out.replace(/\x1b\[(\d+)m/g, (_m, code: string) => (code === '39' ? '</>' : `<${names[code] ?? code}>`));
    const plainLine = mmapx(['hexdump', p]).stdout.split('\n')[0] as string;
    const pad = ' '.repeat(plainLine.indexOf('|') - '00000000  00 41 0a 01 ff'.length);
    expect(readable.split('\n')[0]).toBe(
      `00000000  <gray>00</> <cyan>41</> <green>0a</> <magenta>01</> <yellow>ff</>${pad}|<gray>.</><cyan>A</><green>.</><magenta>.</><yellow>.</>|`,
    );
  });

  it('never_no_color_and_pipes_give_the_exact_uncoloured_bytes', () => {
    const p = file(sample.subarray(0, 64));
    const plain = mmapx(['hexdump', p]).stdout;
    expect(plain).not.toMatch(ANSI);
    expect(mmapx(['--color', 'never', 'hexdump', p], { env: { FORCE_COLOR: '1' } }).stdout).toBe(plain);
    expect(mmapx(['hexdump', p], { env: { FORCE_COLOR: '1' } }).stdout).toMatch(ANSI);
    expect(mmapx(['hexdump', p], { env: { NO_COLOR: '1', TERM: 'xterm' } }).stdout).toBe(plain);
  });

  it.skipIf(!has('script'))('auto_colours_a_terminal', () => {
    const p = file(Buffer.from('A'));
    const r = spawnSync('script', ['-qec', `${process.execPath} ${BIN} hexdump ${p}`, '/dev/null'], {
      encoding: 'utf8',
      env: { ...PINNED_ENV, TERM: 'xterm' },
    });
    expect(r.stdout).toMatch(ANSI);
    const off = spawnSync('script', ['-qec', `${process.execPath} ${BIN} hexdump ${p}`, '/dev/null'], {
      encoding: 'utf8',
      env: { ...PINNED_ENV, TERM: 'xterm', NO_COLOR: '1' },
    });
    expect(off.stdout).not.toMatch(ANSI);
  });
});

describe('behaviour', () => {
  it('json_is_one_object_with_the_hex', () => {
    const p = file(Buffer.from('Hello, world!'));
    const r = mmapx(['--json', 'hexdump', p, '-s', '7', '-n', '5']);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ command: 'hexdump', ok: true, offset: 7, length: 5, hex: '776f726c64' });
    expect(typeof j.timings.total).toBe('number');
    expect(mmapx(['hexdump', p, '-f', 'json', '-c', '8']).stdout).toBe(
      '{"offset":0,"length":8,"hex":"48656c6c6f2c2077"}\n{"offset":8,"length":5,"hex":"6f726c6421"}\n',
    );
  });

  posixIt('needs bash and head')('a_closed_pipe_ends_quietly_with_status_0', () => {
    const p = file(Buffer.alloc(8 << 20, 7));
    const r = spawnSync('bash', ['-c', `${process.execPath} ${BIN} hexdump -v ${p} | head -2 >/dev/null; echo "status \${PIPESTATUS[0]}"`], {
      encoding: 'utf8',
      env: PINNED_ENV,
    });
    expect(r.stdout).toBe('status 0\n');
    expect(r.stderr).toBe('');
  });

  it('empty_files_and_zero_lengths_print_nothing', () => {
    const p = file(Buffer.alloc(0));
    expect(mmapx(['hexdump', p]).stdout).toBe('');
    expect(mmapx(['hexdump', p, '-f', 'xxd']).stdout).toBe('');
    expect(mmapx(['hexdump', file(Buffer.from('abc')), '-n', '0']).stdout).toBe('');
  });

  it('stats_reports_bytes_and_speed', () => {
    const r = mmapx(['hd', file(Buffer.alloc(1000)), '--stats']);
    expect(r.stderr).toMatch(/^dumped 1000 bytes \(\d+ MiB\/s\) in [\d.]+ ms: open/);
  });

  it.skipIf(!has('/usr/bin/time'))('memory_stays_flat_on_a_big_sparse_file', () => {
    const p = join(dir, 'sparse2g.bin');
    const fd = openSync(p, 'w');
    ftruncateSync(fd, 2 * 1024 ** 3);
    closeSync(fd);
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, BIN, 'hexdump', p], { encoding: 'utf8', env: PINNED_ENV, maxBuffer: 1 << 20 });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n80000000\n');
    const maxRssKiB = Number(r.stderr.trim().split('\n').pop());
    expect(maxRssKiB).toBeLessThan(100 * 1024);
  });

  it.each([
    [['-f', 'bogus'], /^mmapx: hexdump: .*'bogus' is invalid/],
    [['-s', '-9999'], /^mmapx: hexdump: .*offset -9999 is before the start of the file \(size 3000\)$/],
    [['-n', '-1'], /^mmapx: hexdump: .*bad length "-1": a length cannot be negative/],
    [['-v', '-f', 'xxd'], /^mmapx: hexdump: .*-v\/--no-squeeze only applies to --format canonical, hexyl, od or hexdump-\*, not xxd$/],
    [['-c', '8'], /^mmapx: hexdump: .*the canonical format \(hexdump -C\) has a fixed 16 bytes per line/],
    [['-f', 'xxd', '-c', '300'], /^mmapx: hexdump: .*invalid number of columns 300 \(max\. 256\)$/],
  ])('bad options %j are usage errors', (args, line) => {
    expectFailure(mmapx(['hexdump', file(sample), ...(args as string[])]), 2, line as RegExp);
  });

  posixIt('no procfs')('files_that_cannot_be_dumped', () => {
    expectFailure(mmapx(['hexdump', dir]), 1, `mmapx: hexdump: ${dir}: is a directory (EISDIR)`);
    expectFailure(mmapx(['hexdump', '/proc/self/maps']), 1, /is on procfs/);
    expectFailure(mmapx(['hexdump', join(dir, 'nope')]), 1, /no such file or directory \(ENOENT\)$/);
  });
});

const HAS_CC = has('cc');
if (!HAS_CC) console.warn('NOTICE: cc is not installed: the several-file -f c headers are not compiled');

describe('-f c with several files: one header that compiles', () => {
  /** Writes `text` as a C file and compiles it; returns cc's diagnostics (empty when it compiled). */
  function compile(text: string): string {
    const src = join(dir, `arrays${n++}.c`);
    writeFileSync(src, text);
    const r = spawnSync('cc', ['-c', '-Wall', '-o', `${src}.o`, src], { encoding: 'utf8' });
    return r.status === 0 ? '' : r.stderr || `cc exited ${r.status}`;
  }

  it('name_gives_each_file_its_own_numbered_array', () => {
    const a = file(Buffer.from('ab'));
    const b = file(Buffer.from('cde'));
    const c = file(Buffer.from('f'));
    const r = mmapx(['hexdump', '-f', 'c', '--name', 'foo', a, b, c]);
    expectSuccess(r);
    expect(r.stdout).toContain('unsigned char foo_0[] = {\n  0x61, 0x62\n};\nunsigned int foo_0_len = 2;');
    expect(r.stdout).toContain('unsigned char foo_1[] = {\n  0x63, 0x64, 0x65\n};\nunsigned int foo_1_len = 3;');
    expect(r.stdout).toContain('unsigned int foo_2_len = 1;');
    if (HAS_CC) expect(compile(r.stdout), r.dump).toBe('');
  });

  it('paths_that_mangle_to_one_identifier_get_distinct_names', () => {
    // a-1, a_1, the same file twice, and a file named like another array's _len variable.
    for (const name of ['a-1', 'a_1', 'a_1_len']) writeFileSync(join(dir, name), Buffer.from(name));
    const r = mmapx(['hexdump', '-f', 'c', 'a-1', 'a_1', 'a-1', 'a_1_len'], { cwd: dir });
    expectSuccess(r);
    const arrays = [...r.stdout.matchAll(/^unsigned char (\w+)\[\]/gm)].map((m) => m[1]);
    const lens = [...r.stdout.matchAll(/^unsigned int (\w+) =/gm)].map((m) => m[1]);
    expect(arrays).toEqual(['a_1', 'a_1_2', 'a_1_3', 'a_1_len_2']);
    expect(new Set([...arrays, ...lens]).size, r.dump).toBe(8);
    if (HAS_CC) expect(compile(r.stdout), r.dump).toBe('');
  });
});
