// The paths of outputs: a name that is valid but too long to take the prefix and suffix of a
// temporary name beside it (NAME_MAX is 255 bytes), and patch --out, which writes the way every
// -o does: through a symlink (the link stays), keeping the mode of the file it replaces, never over
// its own inputs (the source, the delta) and never to `-`, which it cannot stream. And stamp's
// record beside the file: what is at its name and is not a regular file (a FIFO, a link to a
// device) is no record, neither waited on nor read without end, nor replaced.
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sideName } from '../../src/edit/outplace.js';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, expectSuccess, fingerprint, mmapx, PINNED_ENV, runCommand } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-output-paths-');
const f = (name: string) => join(dir, name);
const OLD = 'Hello, world!\n';
const NEW = 'Hello, World!\n';
const POSIX = process.platform !== 'win32';

beforeAll(() => {
  requireBuild();
  writeFileSync(f('old'), OLD);
  writeFileSync(f('new'), NEW);
});

describe('sideName', () => {
  it('is .NAME+SUFFIX while that fits in 255 bytes, a hash of NAME after the suffix beyond', () => {
    expect(sideName('fw.bin', '.mmapx-journal')).toBe('.fw.bin.mmapx-journal');
    const long = 'é'.repeat(125); // 250 bytes: the limit is in bytes, not characters
    const side = sideName(long, '.mmapx-tmp-7');
    expect(side).toMatch(/^\.mmapx-tmp-7\.[0-9a-f]{32}$/);
    expect(sideName(long, '.mmapx-tmp-7')).toBe(side);
    expect(sideName(`${long}x`, '.mmapx-tmp-7')).not.toBe(side);
  });
});

describe.runIf(POSIX)('an output named with 250 bytes (valid, but too long for .NAME.mmapx-tmp-PID)', () => {
  it('cat -o, unhex -o, diff -o and patch --out write it, and leave nothing else', () => {
    const name = (c: string) => f(c.repeat(250));
    expectSuccess(mmapx(['cat', f('old'), '-o', name('c')]));
    expect(readFileSync(name('c'), 'utf8')).toBe(OLD);
    writeFileSync(f('old.xxd'), '00000000: 4865 6c6c 6f2c 2077 6f72 6c64 210a       Hello, world!.\n');
    expectSuccess(mmapx(['unhex', f('old.xxd'), '-o', name('u')]));
    expect(readFileSync(name('u'), 'utf8')).toBe(OLD);
    expectSuccess(mmapx(['diff', f('old'), f('new'), '--format', 'bps', '-o', name('d')]));
    expectSuccess(mmapx(['-q', 'patch', f('old'), name('d'), '--out', name('p')]));
    expect(readFileSync(name('p'), 'utf8')).toBe(NEW);
    expect(readdirSync(dir).filter((n) => n.includes('mmapx-tmp'))).toEqual([]);
  });
});

describe.runIf(POSIX)('patch --out writes like every -o', () => {
  beforeAll(() => {
    expectSuccess(mmapx(['diff', f('old'), f('new'), '--format', 'bps', '-o', f('delta.bps')]));
    symlinkSync(f('delta.bps'), f('delta-link'));
  });

  it('a symlink stays a symlink; its target gets the patched file and keeps its mode', () => {
    writeFileSync(f('target'), 'previous contents');
    chmodSync(f('target'), 0o640);
    symlinkSync(f('target'), f('link'));
    expectSuccess(mmapx(['-q', 'patch', f('old'), f('delta.bps'), '--out', f('link')]));
    expect(lstatSync(f('link')).isSymbolicLink()).toBe(true);
    expect(readFileSync(f('target'), 'utf8')).toBe(NEW);
    expect(statSync(f('target')).mode & 0o777).toBe(0o640);
  });

  it('a symlink loop, the delta itself, a link to it and - are refused in one line; nothing changes', () => {
    symlinkSync(f('loop-b'), f('loop-a'));
    symlinkSync(f('loop-a'), f('loop-b'));
    const before = [fingerprint(f('old')), fingerprint(f('delta.bps'))];
    const listing = readdirSync(dir).sort();
    const cases: [string, number, RegExp][] = [
      [f('loop-a'), 1, /: cannot write .*loop-a: .*\(ELOOP\)$/],
      [f('delta.bps'), 2, /: --out .*delta\.bps is the delta being read: give another file$/],
      [f('delta-link'), 2, /: --out .*delta-link is the delta being read: give another file$/],
      ['-', 2, /: --out -: the patched file is written at offsets and read back, so it cannot be standard output: give a file name$/],
    ];
    for (const [out, status, line] of cases) expectFailure(mmapx(['patch', f('old'), f('delta.bps'), '--out', out]), status, line);
    expect([fingerprint(f('old')), fingerprint(f('delta.bps'))]).toEqual(before);
    expect(readdirSync(dir).sort()).toEqual(listing);
  });
});

describe.runIf(POSIX)("something else at the name of stamp's record", () => {
  it('a FIFO is neither waited on nor replaced, a link to /dev/zero is not read: the stamp is done, once', () => {
    for (const name of ['fifo-rec', 'zero-rec']) writeFileSync(f(name), 'version @@@@@@@@ here\n');
    spawnSync('mkfifo', [f('fifo-rec.mmapx-stamp')]);
    symlinkSync('/dev/zero', f('zero-rec.mmapx-stamp'));
    for (const name of ['fifo-rec', 'zero-rec']) {
      const r = mmapx(['stamp', f(name), '--text', '--placeholder', '@@@@@@@@', '--value', 'v1'], { timeout: 20_000 });
      expectSuccess(r);
      expect(readFileSync(f(name), 'utf8')).toBe('version v1\0\0\0\0\0\0 here\n');
      expect(mmapx(['stamp', f(name), '--text', '--placeholder', '@@@@@@@@', '--value', 'v2'], { timeout: 20_000 }).status).toBe(3);
    }
    expect(lstatSync(f('fifo-rec.mmapx-stamp')).isFIFO()).toBe(true);
  });
});

describe.runIf(POSIX)('an output that is the input read from standard input (< FILE)', () => {
  /** mmapx with standard input redirected from a file by sh. */
  const sh = (script: string) => runCommand(['sh', '-c', `node=$0 bin=$1; ${script}`, process.execPath, BIN], [], { env: PINNED_ENV, cwd: dir });

  it('unhex -o and patch --out refuse it, by name or through /dev/stdin; the input is kept', () => {
    writeFileSync(f('in.xxd'), '00000000: 4865 6c6c 6f2c 2077 6f72 6c64 210a       Hello, world!.\n');
    expectSuccess(mmapx(['diff', f('old'), f('new'), '--format', 'bps', '-o', f('in.bps')]));
    const before = [fingerprint(f('in.xxd')), fingerprint(f('in.bps'))];
    for (const out of ['in.xxd', '/dev/stdin']) {
      expectFailure(sh(`exec "$node" "$bin" unhex -o ${out} < in.xxd`), 2, `mmapx: unhex: -o ${out} is the dump being read (standard input)`);
    }
    expectFailure(
      sh('exec "$node" "$bin" patch old - --out in.bps < in.bps'),
      2,
      'mmapx: patch: old: --out in.bps is the delta being read (standard input): give another file',
    );
    expect([fingerprint(f('in.xxd')), fingerprint(f('in.bps'))]).toEqual(before);
    expectSuccess(sh('exec "$node" "$bin" -q patch old - --out from-stdin < in.bps'));
    expect(readFileSync(f('from-stdin'), 'utf8')).toBe(NEW);
  });
});
