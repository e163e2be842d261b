// Data sources that may never end: a character device as `--file` (/dev/zero, /dev/urandom: only
// read here) or an endless pipe on `--stdin`. Where nothing else bounds the input (`write --grow`,
// `insert`), a device is refused unless `--length N` says how many of its first bytes to take; with
// `--length` every streamed source stops reading after N bytes, and one that ends sooner is a usage
// error. Refusals leave the file byte-identical.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, expectSuccess, fingerprint, mmapx, PINNED_ENV } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-endless-');
const ORIGINAL = Buffer.from('abcdefgh');

function fresh(name: string): string {
  const p = join(dir, name);
  writeFileSync(p, ORIGINAL);
  return p;
}

beforeAll(() => requireBuild());

describe('a character device as the data', () => {
  for (const [cmd, extra] of [
    ['insert', ['2']],
    ['write', ['2', '--grow']],
  ] as const) {
    for (const dev of ['/dev/zero', '/dev/urandom']) {
      it(`${cmd} --file ${dev} without --length is refused at once, the file unchanged`, () => {
        const p = fresh(`${cmd}-${dev.slice(5)}`);
        const before = fingerprint(p);
        const r = mmapx([cmd, p, ...extra, '--file', dev], { timeout: 20_000 });
        expectFailure(r, 2, `mmapx: ${cmd}: ${p}: --file ${dev} is a character device, which may never end: give --length N to take its first N bytes`);
        expect(fingerprint(p)).toBe(before);
      });
    }
  }

  it('insert --file /dev/zero --length 3 inserts three zeros', () => {
    const p = fresh('insert-len');
    expectSuccess(mmapx(['insert', p, '2', '--file', '/dev/zero', '--length', '3']));
    expect(readFileSync(p)).toEqual(Buffer.concat([ORIGINAL.subarray(0, 2), Buffer.alloc(3), ORIGINAL.subarray(2)]));
  });

  it('write --grow --file /dev/urandom --length 1K grows the file by what it took', () => {
    const p = fresh('write-len');
    expectSuccess(mmapx(['write', p, '4', '--grow', '--file', '/dev/urandom', '--length', '1K']));
    const after = readFileSync(p);
    expect(after.length).toBe(4 + 1024);
    expect(after.subarray(0, 4)).toEqual(ORIGINAL.subarray(0, 4));
  });

  it('without --grow the file itself bounds a device (as before)', () => {
    const p = fresh('write-bounded');
    const r = mmapx(['write', p, '0', '--file', '/dev/zero'], { timeout: 20_000 });
    expectFailure(r, 2, /--file \/dev\/zero\) is longer than the 8 bytes the file holds from offset 0 on: use --grow/);
    expect(readFileSync(p)).toEqual(ORIGINAL);
  });
});

describe('--length with a streamed source', () => {
  it('takes the first N bytes of an endless pipe and stops reading', () => {
    const p = fresh('pipe');
    // `yes` never ends: only --length ends the read (the shell's timeout would fail the test).
    const r = spawnSync('sh', ['-c', `yes | "${process.execPath}" "${BIN}" insert "${p}" 0 --stdin --length 6`], {
      env: PINNED_ENV,
      timeout: 20_000,
    });
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(readFileSync(p).toString('latin1')).toBe(`y\ny\ny\n${ORIGINAL.toString('latin1')}`);
  });

  it('a source shorter than --length is a usage error (file, pipe), the file unchanged', () => {
    const src = join(dir, 'short.bin');
    writeFileSync(src, Buffer.from('xyz'));
    const p = fresh('short');
    expectFailure(mmapx(['write', p, '0', '--file', src, '--length', '4']), 2, `mmapx: write: ${p}: ${src} ended after 3 bytes; --length asked for 4`);
    expectFailure(
      mmapx(['insert', p, '0', '--stdin', '--length', '4'], { input: 'ab' }),
      2,
      `mmapx: insert: ${p}: standard input ended after 2 bytes; --length asked for 4`,
    );
    expect(readFileSync(p)).toEqual(ORIGINAL);
  });

  it('takes a prefix of a regular file; --length with hex data is refused', () => {
    const src = join(dir, 'long.bin');
    writeFileSync(src, Buffer.from('0123456789'));
    const p = fresh('prefix');
    expectSuccess(mmapx(['write', p, '1', '--file', src, '--length', '5']));
    expect(readFileSync(p).toString('latin1')).toBe('a01234gh');
    const q = fresh('hexlen');
    expectFailure(mmapx(['write', q, '0', '41', '--length', '1']), 2, `mmapx: write: ${q}: --length only goes with --fill, --file or --stdin`);
    expectFailure(mmapx(['insert', q, '0', '--file', src, '--length', '0']), 2, `mmapx: insert: ${q}: --length 0: nothing to write`);
    expect(readFileSync(q)).toEqual(ORIGINAL);
  });
});
