// xxd's output options through the built CLI: offsets past 4 GiB in a sparse file against the
// real xxd, the letters that mean something else in mmapx (-n NAME under -f c, -l), -R, and the
// combinations refused with one usage line. A few runs only: the option matrix is tested
// in-process in test/format/dump-xxd-options.test.ts.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, expectSuccess, fingerprint, mmapx, PINNED_ENV } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
beforeAll(() => requireBuild());
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const HAS_XXD = has('xxd');
const HAS_TRUNCATE = has('truncate');
if (!HAS_XXD) console.warn('NOTICE: xxd is not installed: differential tests of the xxd options are skipped');

const ANSI = /\x1b\[[0-9;]*m/g;
const sample = Buffer.from(`Hello, world!\n\x00\x01\x02\xff${'\x00'.repeat(40)}tail`, 'latin1');

function xxd(args: string[]): Buffer {
  const r = spawnSync('xxd', args, { env: PINNED_ENV, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`xxd ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe.skipIf(!HAS_XXD || !HAS_TRUNCATE)('past 4 GiB in a sparse file (truncate), against xxd', () => {
  const G4 = 2 ** 32;
  let path = '';
  beforeAll(() => {
    path = join(dir, 'sparse.bin');
    expect(spawnSync('truncate', ['-s', String(G4 + 4096), path]).status).toBe(0);
    const fd = openSync(path, 'r+');
    writeSync(fd, sample, 0, sample.length, G4 - 30);
    writeSync(fd, sample, 0, sample.length, G4 + 100);
    closeSync(fd);
  });

  it('-s with -d, -o (also negative), -b, -e, -E, -a: offsets absolute, shifted as xxd shifts them', () => {
    const s = G4 - 40;
    for (const [ours, theirs] of [
      [
        ['-d', '-o', '7'],
        ['-d', '-o', '7'],
      ],
      [
        ['-b', '-o', '-0x10', '-l', '200'],
        ['-b', '-o', '-0x10', '-l', '200'],
      ],
      [
        ['--little-endian', '-g', '8', '-a', '-n', '300'],
        ['-e', '-g', '8', '-a', '-l', '300'],
      ],
      [
        ['-E', '-u', '--display-offset', '0x1000', '--len', '300'],
        ['-E', '-u', '-o', '0x1000', '-l', '300'],
      ],
    ]) {
      const r = mmapx(['hexdump', '-f', 'xxd', path, '-s', String(s), ...ours]);
      expectSuccess(r);
      const want = xxd([...theirs, '-s', String(s), path]);
      expect(r.stdoutBytes.toString('latin1'), `${r.dump}\n--- xxd\n${want.toString('latin1')}`).toBe(want.toString('latin1'));
    }
  });
});

describe.skipIf(!HAS_XXD)('xxd letters with their mmapx meaning', () => {
  it('-f c: -n NAME is the array name (xxd -n), -n N and -l N the length; -C capitalises', () => {
    const p = join(dir, 'c.bin');
    writeFileSync(p, sample);
    const named = mmapx(['hexdump', '-f', 'c', p, '-n', 'my_arr', '-C', '-l', '20']);
    expectSuccess(named);
    expect(named.stdout).toBe(xxd(['-i', '-n', 'my_arr', '-C', '-l', '20', p]).toString());
    const len = mmapx(['hexdump', '-f', 'c', p, '-n', '0x14']);
    expectSuccess(len);
    expect(len.stdout).toBe(xxd(['-i', '-l', '20', p]).toString());
    // Several files: -C names stay unique in upper case, with _LEN (a-b.bin and a_b.bin collide).
    writeFileSync(join(dir, 'a-b.bin'), 'x');
    writeFileSync(join(dir, 'a_b.bin'), 'y');
    const two = mmapx(['hexdump', '-f', 'c', '-C', 'a-b.bin', 'a_b.bin'], { cwd: dir });
    expectSuccess(two);
    const names = [...two.stdout.matchAll(/unsigned (?:char|int) (\w+)/g)].map((m) => m[1]);
    expect(names).toEqual(['A_B_BIN', 'A_B_BIN_LEN', 'A_B_BIN_2', 'A_B_BIN_2_LEN']);
  });

  it('-R: always colours off a terminal, never wins over --color always, auto needs a terminal', () => {
    const p = join(dir, 'r.bin');
    writeFileSync(p, sample);
    const plain = xxd(['-b', p]).toString();
    const always = mmapx(['hexdump', '-f', 'xxd', '-b', '-R', 'always', p]);
    expectSuccess(always);
    expect(always.stdout).toMatch(ANSI);
    expect(always.stdout.replace(ANSI, '')).toBe(plain);
    const never = mmapx(['--color', 'always', 'hexdump', '-f', 'xxd', '-b', '--colorize', 'never', p]);
    expectSuccess(never);
    expect(never.stdout).toBe(plain);
    const auto = mmapx(['hexdump', '-f', 'xxd', '-b', '-R', 'auto', p], { env: { NO_COLOR: '1' } });
    expectSuccess(auto);
    expect(auto.stdout).toBe(plain);
  });
});

describe('refused combinations: one usage line, exit 2, the file untouched', () => {
  it.each([
    [['-f', 'xxd', '-b', '-e'], /-b\/--bits and -e\/--little-endian cannot be combined/],
    [['-f', 'xxd', '-e', '-g', '3'], /power of 2/],
    [['-f', 'plain', '-b'], /-b\/--bits only applies to --format xxd, not plain/],
    [['-d'], /-d\/--decimal only applies to --format xxd, not canonical/],
    [['-f', 'json', '-o', '5'], /-o\/--display-offset only applies to --format xxd or canonical, not json/],
    [['-f', 'xxd', '-C'], /-C\/--capitalize only applies to --format c/],
    [['-n', 'foo'], /-n foo: a length must be a number \(-n NAME names the array only with --format c\)/],
    [['-f', 'c', '-n', 'foo', '--name', 'bar'], /both name the array/],
    [['-n', '5', '-l', '5'], /-l\/--len and -n\/--length both give the length/],
    [['-f', 'xxd', '-o', '0x10000000000000000'], /display offset .* out of range/],
    [['-R', 'sometimes'], /sometimes/],
  ])('hexdump %j', (args, message) => {
    const p = join(dir, 'bad.bin');
    writeFileSync(p, sample);
    const before = fingerprint(p);
    const r = mmapx(['hexdump', p, ...args]);
    expectFailure(r, 2, message);
    expect(r.stdout).toBe('');
    expect(fingerprint(p)).toBe(before);
  });
});
