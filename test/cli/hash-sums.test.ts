// mmapx hash like the sum tools, through the built CLI: several files (lines byte-identical to
// sha256sum, sha512sum, sha224sum, sha384sum, b2sum, md5sum and sha1sum, names with spaces,
// backslashes, newlines), standard input (`-`, no FILE, a slow or non-blocking pipe, flat memory),
// `-c SUMFILE` against `sha256sum -c` (stdout, stderr and status, in each of its modes), and
// `--check` on a prefix. Each run of the CLI covers many files.
import { spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, expectSuccess, mmapx, PINNED_ENV, type Run } from '../helpers/cli.js';
import { fed } from '../helpers/stdin.js';
import { hasScript, inTerminal } from '../helpers/terminal.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-hashsums-');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const MiB = 1024 * 1024;

/** The files hashed, by name relative to `dir`: small ones with awkward names, one over a 16 MiB window. */
const FILES: Record<string, Uint8Array> = {
  'plain.bin': Buffer.from('plain'),
  'with space.bin': Buffer.from('spaced'),
  'back\\slash.bin': Buffer.from('backslash'),
  'new\nline.bin': Buffer.from('newline'),
  'cr\rhere.bin': Buffer.from('carriage return'),
  'tab\there.bin': Buffer.from('tab'),
  'empty.bin': Buffer.alloc(0),
  'copy.bin': Buffer.from('plain'),
  'big.bin': randomFillSync(Buffer.alloc(17 * MiB + 5)),
};
const NAMES = Object.keys(FILES);
/** The names of a several-file run: a missing file and a directory among the others. */
const LISTED = [...NAMES.slice(0, 3), 'missing.bin', ...NAMES.slice(3, 6), 'adir', ...NAMES.slice(6)];

const TOOLS = [
  ['sha256', 'sha256sum'],
  ['sha1', 'sha1sum'],
  ['md5', 'md5sum'],
  ['sha512', 'sha512sum'],
  ['sha224', 'sha224sum'],
  ['sha384', 'sha384sum'],
  ['blake2b512', 'b2sum'],
] as const;

const run = (args: string[], input?: string | Uint8Array) => mmapx(args, { cwd: dir, ...(input !== undefined && { input }) });
const peer = (tool: string, args: string[], input?: string | Uint8Array) => spawnSync(tool, args, { cwd: dir, input, env: PINNED_ENV, maxBuffer: 1 << 30 });
const hex = (algo: string, bytes: Uint8Array) => createHash(algo).update(bytes).digest('hex');

/** sha256sum's stderr in mmapx's words: its prefix, and a system error's text as mmapx writes it. */
function asMmapx(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.replace(/^sha256sum: /, 'mmapx: hash: ').replace(/: (No such file or directory|Is a directory)$/, (_, m: string) => `: ${m.toLowerCase()}`))
    .join('\n');
}
/** mmapx's stderr without the errno names sha256sum does not print. */
const withoutErrno = (stderr: string) => stderr.replace(/ \(E[A-Z]+\)$/gm, '');

beforeAll(() => {
  requireBuild();
  for (const [name, bytes] of Object.entries(FILES)) writeFileSync(join(dir, name), bytes);
  mkdirSync(join(dir, 'adir'));
});

describe('several files, as the sum tools print them', () => {
  for (const [algo, tool] of TOOLS) {
    it.skipIf(!has(tool))(`--algo ${algo} prints what ${tool} prints, a missing file and a directory do not stop the others`, () => {
      const ours = run(['hash', '--algo', algo, ...LISTED]);
      const theirs = peer(tool, LISTED);
      expect(theirs.status).toBe(1);
      expect(ours.status, ours.dump).toBe(1);
      expect(ours.stdoutBytes.equals(theirs.stdout), ours.dump).toBe(true);
      expect(ours.stderr).toBe('mmapx: hash: missing.bin: no such file or directory (ENOENT)\nmmapx: hash: adir: is a directory (EISDIR)\n');
    });
  }

  it.skipIf(!has('openssl'))('--algo sha3-256 digests are those of openssl dgst -sha3-256', () => {
    const plain = NAMES.filter((n) => !/[\\\n\r\t ]/.test(n));
    const ours = run(['hash', '--algo', 'sha3-256', ...plain]);
    expectSuccess(ours);
    const theirs = peer('openssl', ['dgst', '-sha3-256', ...plain]).stdout.toString();
    expect(ours.stdout).toBe(theirs.replace(/^SHA3-256\((.*)\)= ([0-9a-f]{64})$/gm, '$2  $1'));
    expect(ours.stdout.split('\n')).toHaveLength(plain.length + 1);
  });

  it('--json prints one array, a failed file with its error; --files-from adds paths', () => {
    writeFileSync(join(dir, 'list.txt'), 'plain.bin\nmissing.bin\n');
    const r = run(['--json', 'hash', 'empty.bin', '--files-from', 'list.txt', '--algo', 'sha384']);
    expect(r.status, r.dump).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.map((e: { path: string }) => e.path)).toEqual(['empty.bin', 'plain.bin', 'missing.bin']);
    expect(j[0]).toMatchObject({ ok: true, exitCode: 0, algo: 'sha384', digest: hex('sha384', Buffer.alloc(0)), length: 0 });
    expect(j[1]).toMatchObject({ ok: true, digest: hex('sha384', FILES['plain.bin']!) });
    expect(j[2]).toMatchObject({ ok: false, exitCode: 1, error: { code: 'ENOENT', path: 'missing.bin' } });
  });
});

describe('standard input', () => {
  const input = randomFillSync(Buffer.alloc(3 * MiB + 7));

  it.skipIf(!has('sha256sum'))('no FILE and - read standard input, as sha256sum does; - twice is a usage error', () => {
    const none = run(['hash'], input);
    expectSuccess(none);
    expect(none.stdout).toBe(`${hex('sha256', input)}  -\n`);
    expect(none.stdout).toBe(peer('sha256sum', [], input).stdout.toString());
    const mixed = run(['hash', 'plain.bin', '-', 'empty.bin'], input);
    expectSuccess(mixed);
    expect(mixed.stdout).toBe(peer('sha256sum', ['plain.bin', '-', 'empty.bin'], input).stdout.toString());
    // sha256sum hashes an empty rest for a second -; mmapx takes - once per run, as every command.
    const twice = run(['hash', '-', 'plain.bin', '-'], input);
    expect(twice.status, twice.dump).toBe(2);
    expect(twice.stdout).toBe('');
    expect(twice.stderr).toMatch(/given more than once/);
  });

  it.skipIf(!has('sha256sum'))('a regular file as standard input is read from where it stands', () => {
    const sh = (cmd: string) =>
      spawnSync('sh', ['-c', `{ head -c 5 >/dev/null; ${cmd} -; } < big.bin`], { cwd: dir, env: { ...PINNED_ENV, M: `${process.execPath} ${BIN}` } });
    const ours = sh('$M hash --algo blake2b512');
    expect(ours.status, ours.stderr.toString()).toBe(0);
    expect(ours.stdout.toString()).toBe(sh('b2sum').stdout.toString());
    expect(ours.stdout.toString()).toBe(`${hex('blake2b512', FILES['big.bin']!.subarray(5))}  -\n`);
  });

  it('a slow pipe and a non-blocking one give the digest of everything written', async () => {
    for (const feed of ['slow pipe', 'non-blocking pipe'] as const) {
      const r = await fed(dir, feed, input.subarray(0, 300), ['hash', '-', '--algo', 'sha1']);
      expectSuccess(r);
      expect(r.stdout, feed).toBe(`${hex('sha1', input.subarray(0, 300))}  -\n`);
    }
  });

  it('a 512 MiB pipe is hashed with flat memory', () => {
    const r = spawnSync('sh', ['-c', 'head -c 536870912 /dev/zero | /usr/bin/time -f %M $M hash --algo crc32'], {
      encoding: 'utf8',
      env: { ...PINNED_ENV, M: `${process.execPath} ${BIN}` },
    });
    expect(r.status, r.stderr).toBe(0);
    const zeros = Buffer.alloc(16 * MiB);
    let crc = 0;
    for (let i = 0; i < 32; i++) crc = crc32(zeros, crc);
    expect(r.stdout).toBe(`${crc.toString(16).padStart(8, '0')}  -\n`);
    // Node itself takes ~50 MB and its collector lets chunks of the pipe pile up a while (~90 MB
    // in all here, ~100 MB after 4 GiB): far below the 512 MiB that went through, none of it held.
    expect(Number(r.stderr.trim().split('\n').pop())).toBeLessThan(160 * 1024); // KiB
  });

  it.skipIf(!hasScript())('on a terminal, no FILE is a missing argument and - is refused, --json too', () => {
    const none = inTerminal(['hash']);
    expect(none.status, none.dump).toBe(2);
    expect(none.screen, none.dump).toEqual(["mmapx: hash: missing required argument 'file' (see 'mmapx hash --help')"]);
    const dash = inTerminal(['hash', '-']);
    expect(dash.status, dash.dump).toBe(2);
    expect(dash.screen, dash.dump).toEqual(['mmapx: hash: -: standard input is a terminal: pipe the data in (or redirect it: < FILE)']);
    const json = inTerminal(['--json', 'hash'], { redirect: '2>/dev/null' });
    expect(json.status, json.dump).toBe(2);
    expect(JSON.parse(json.screen.join(''))).toMatchObject({
      command: 'hash',
      ok: false,
      exitCode: 2,
      error: { message: expect.stringContaining('missing required argument') },
    });
  });

  it('--json says -, the length read, and --range is refused for -', () => {
    const j = JSON.parse(run(['--json', 'hash', '-', '--algo', 'md5'], input).stdout);
    expect(j).toMatchObject({ command: 'hash', ok: true, file: '-', algo: 'md5', digest: hex('md5', input), offset: 0, length: input.length });
    expectFailure(
      run(['hash', '-', '--range', '0:4'], input),
      2,
      'mmapx: hash: -: --range needs a file: standard input (-) is read once, from where it stands',
    );
    const several = run(['hash', 'plain.bin', '-', '--range', '0:4'], input);
    expectFailure(several, 2, 'mmapx: hash: --range needs a file: standard input (-) is read once, from where it stands');
    expect(several.stdout).toBe('');
  });
});

describe('-c SUMFILE, against sha256sum -c', () => {
  /** A checksum file with every outcome: OK (awkward names too), FAILED, unreadable, malformed, tagged. */
  function sums(): string {
    const good = peer('sha256sum', NAMES).stdout.toString();
    const tagged = peer('sha256sum', ['--tag', 'plain.bin', 'new\nline.bin']).stdout.toString();
    return [
      good,
      `${hex('sha256', Buffer.from('other'))}  copy.bin\n`, // FAILED
      `${hex('sha256', Buffer.alloc(0))}  missing.bin\n`, // FAILED open or read (or skipped)
      `${hex('sha256', Buffer.alloc(0))}  adir\n`, // FAILED open or read
      'not a checksum line\n',
      `${hex('md5', Buffer.alloc(0))}  empty.bin\n`, // another algorithm's: malformed
      '# a comment\n',
      tagged,
    ].join('');
  }

  const MODES: [string, string[], string[]][] = [
    ['default', [], []],
    ['--quiet', ['--quiet'], ['--quiet']], // the global -q, --quiet, also after the command
    ['--status', ['--status'], ['--status']],
    ['--warn', ['--warn'], ['--warn']],
    ['--strict', ['--strict'], ['--strict']],
    ['--ignore-missing', ['--ignore-missing'], ['--ignore-missing']],
  ];

  it.skipIf(!has('sha256sum'))('each mode prints what sha256sum -c prints and exits as it does', () => {
    writeFileSync(join(dir, 'SUMS'), sums());
    for (const [mode, theirFlags, ourFlags] of MODES) {
      const theirs = peer('sha256sum', ['-c', ...theirFlags, 'SUMS']);
      const ours = run(['hash', '--algo', 'sha256', '-c', 'SUMS', ...ourFlags]);
      expect(ours.status, `${mode}\n${ours.dump}`).toBe(theirs.status);
      expect(ours.stdout, mode).toBe(theirs.stdout.toString());
      expect(withoutErrno(ours.stderr), mode).toBe(asMmapx(theirs.stderr.toString()));
    }
    // All of them failed for something: the default mode's lines show every outcome.
    const out = run(['hash', '-c', 'SUMS']).stdout;
    for (const s of ['plain.bin: OK', '\\new\\nline.bin: OK', 'back\\slash.bin: OK', 'copy.bin: FAILED\n', 'adir: FAILED open or read'])
      expect(out).toContain(s);
  });

  it.skipIf(!has('sha256sum'))('all good: status 0 and only OK lines; no good line at all: status 1; SUMFILE on standard input', () => {
    const good = peer('sha256sum', NAMES).stdout;
    writeFileSync(join(dir, 'GOOD'), good);
    writeFileSync(join(dir, 'JUNK'), 'junk\n\n');
    for (const args of [['GOOD'], ['GOOD', 'JUNK'], ['JUNK'], ['-']]) {
      const theirs = peer('sha256sum', ['-c', ...args], good);
      const ours = run(['hash', '-c', ...args], good);
      expect(ours.status, ours.dump).toBe(theirs.status);
      expect(ours.stdout).toBe(theirs.stdout.toString());
      expect(withoutErrno(ours.stderr)).toBe(asMmapx(theirs.stderr.toString()).replace("'standard input'", 'standard input'));
    }
  });

  it.skipIf(!TOOLS.every(([, t]) => has(t)))('without --algo each line says its algorithm: plain lines by length, 128-digit ones by tag', () => {
    let mixed = '';
    let expected = '';
    for (const [, tool] of TOOLS) {
      const plain = tool !== 'sha512sum' && tool !== 'b2sum';
      const lines = peer(tool, [...(plain ? [] : ['--tag']), ...NAMES]).stdout.toString();
      writeFileSync(join(dir, `${tool}.sums`), lines);
      mixed += lines;
      expected += peer(tool, ['-c', `${tool}.sums`]).stdout.toString();
    }
    writeFileSync(join(dir, 'MIXED'), mixed);
    const ours = run(['hash', '-c', 'MIXED']);
    expectSuccess(ours);
    expect(ours.stdout).toBe(expected);
    expect(ours.stderr).toBe('');
    // A plain 128-digit line could be either: --algo says which, and then it is b2sum -c.
    writeFileSync(join(dir, 'B2'), peer('b2sum', NAMES).stdout);
    expectFailure(run(['hash', '-c', 'B2']), 2, 'mmapx: hash: B2 line 1: a 128-digit digest is sha512 or blake2b512: say which with --algo');
    const b2 = run(['hash', '-c', 'B2', '--algo', 'blake2b512']);
    expectSuccess(b2);
    expect(b2.stdout).toBe(peer('b2sum', ['-c', 'B2']).stdout.toString());
    // With --algo sha512 the same lines are digests of another algorithm: FAILED, as sha512sum says.
    const wrong = run(['hash', '-c', 'B2', '--algo', 'sha512', '-q']);
    expect(wrong.status).toBe(1);
    expect(wrong.stdout).toBe(peer('sha512sum', ['-c', '--quiet', 'B2']).stdout.toString());
  });

  it('--json is one object with each line and the counts; status 1', () => {
    writeFileSync(
      join(dir, 'J'),
      `${hex('sha1', FILES['plain.bin']!)}  plain.bin\n${hex('sha1', Buffer.alloc(0))}  copy.bin\n${'0'.repeat(40)}  missing.bin\nbad\n`,
    );
    const r = run(['--json', 'hash', '-c', 'J']);
    expect(r.status, r.dump).toBe(1);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      command: 'hash',
      ok: false,
      exitCode: 1,
      sumFiles: ['J'],
      algo: null,
      counts: { ok: 1, failed: 1, unreadable: 1, missing: 0, malformed: 1 },
      malformed: [{ sumFile: 'J', line: 4 }],
    });
    expect(j.results.map((e: { file: string; status: string }) => `${e.file} ${e.status}`)).toEqual([
      'plain.bin ok',
      'copy.bin failed',
      'missing.bin unreadable',
    ]);
    expect(j.results[2].error).toMatchObject({ code: 'ENOENT' });
  });

  it('options that do not go together are usage errors, before anything is read', () => {
    const cases: [string[], string][] = [
      [['hash', 'plain.bin', '--status'], '--status only applies with -c/--check-file SUMFILE'],
      [['hash', 'plain.bin', '--ignore-missing'], '--ignore-missing only applies with -c/--check-file SUMFILE'],
      [['hash', '-c', 'SUMS', '--range', '0:1'], '--range does not apply to -c/--check-file'],
      [['hash', '-c', 'SUMS', '--check', '0'.repeat(64)], '--check does not apply to -c/--check-file'],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect(r.status, r.dump).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr, r.dump).toMatch(new RegExp(`^mmapx: hash: (plain\\.bin: )?${message.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\n$`));
    }
  });
});

describe('--check on a prefix', () => {
  const full = hex('sha256', FILES['plain.bin']!);

  it('12 digits or more match as a prefix and say so; fewer are refused; a prefix that differs fails with 3', () => {
    const ok: Run = run(['hash', 'plain.bin', 'copy.bin', '--check', full.slice(0, 12)]);
    expectSuccess(ok);
    expect(ok.stdout).toBe(`${full}  plain.bin\n${full}  copy.bin\n`);
    const note = (p: string) => `mmapx: hash: ${p}: warning: matched on a 12-digit prefix of the sha256 (${full.slice(0, 12)}), not on the whole digest\n`;
    expect(ok.stderr).toBe(note('plain.bin') + note('copy.bin'));
    // The whole digest: no warning.
    expect(run(['hash', 'plain.bin', '--check', full.toUpperCase()]).stderr).toBe('');
    expectFailure(run(['hash', 'plain.bin', '--check', full.slice(0, 11)]), 2, /: 11 hex digits, but sha256 digests have 64 \(or a prefix of at least 12\)$/);
    const other = `${full.slice(0, 11)}${full[11] === '0' ? '1' : '0'}`;
    const bad = run(['hash', 'plain.bin', 'empty.bin', '--check', other]);
    expect(bad.status).toBe(3);
    expect(bad.stderr).toContain(`mmapx: hash: plain.bin: sha256 of 0x0..0x5 is ${full}, expected ${other}... (a 12-digit prefix)\n`);
    const j = JSON.parse(run(['--json', 'hash', 'plain.bin', '--check', full.slice(0, 20)]).stdout);
    expect(j).toMatchObject({ ok: true, expected: full.slice(0, 20), prefix: true, matched: true, warnings: [{ code: 'PREFIX_MATCH', file: 'plain.bin' }] });
  });
});
