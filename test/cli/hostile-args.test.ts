// A hostile user's arguments, numbers, environment and standard input, through the built CLI: each
// case once did something other than one line, a documented status and untouched files.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_HUNKS } from '../../src/format/patch/model.js';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, fingerprint, mmapx, PINNED_ENV } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-hostile-args-');
beforeAll(() => requireBuild());
let n = 0;
function file(content: string | Uint8Array = 'Hello, world!\n'): string {
  const p = join(dir, `f${n++}.bin`);
  writeFileSync(p, content);
  return p;
}

describe('patch: a list of more hunks than a patch may hold', () => {
  it('is one line, status 2, the file untouched (it exhausted the heap and aborted)', () => {
    const f = file(new Uint8Array(16));
    const before = fingerprint(f);
    const r = mmapx(['patch', f, '-'], { input: '0x1: 00 -> 01\n'.repeat(MAX_HUNKS + 1) });
    expectFailure(r, 2, new RegExp(`^mmapx: patch: .*: stdin line ${MAX_HUNKS + 1}: the patch has more than ${MAX_HUNKS} hunks .*: split it`));
    expect(fingerprint(f)).toBe(before);
  });
});

describe('seconds (--wait, protect --hold): digits and a fraction, and any length of hold', () => {
  it('a hold past the longest timer (24.8 days) holds, with no warning (it ended at once)', async () => {
    const child = spawn(process.execPath, [BIN, 'protect', file(), 'ro', '--hold', '3000000'], { env: PINNED_ENV });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    for (let i = 0; i < 500 && !out.includes('holding:'); i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 200));
    expect(child.exitCode, out + err).toBeNull();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/holding: pid \d+ keeps .* for 3000000 s or until SIGINT\/SIGTERM\n$/);
    expect(err).toBe('released after SIGTERM\n');
  });

  it('other spellings are refused by --hold as by --wait, not read as numbers', () => {
    const f = file();
    for (const v of ['1e3', '0x10', ' 5', 'Infinity', '1_0']) {
      expectFailure(mmapx(['protect', f, 'ro', '--hold', v]), 2, `mmapx: protect: ${f}: --hold ${v}: give a number of seconds above 0`);
    }
    expectFailure(mmapx(['--wait', '1e3', 'info', f]), 2, /^mmapx: info: option '--wait <seconds>' argument '1e3' is invalid/);
  });
});
