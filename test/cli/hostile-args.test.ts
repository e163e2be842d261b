// A hostile user's arguments, numbers, environment and standard input, through the built CLI: each
// case once did something other than one line, a documented status and untouched files.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_HUNKS } from '../../src/format/patch/model.js';
import { UnhexParser } from '../../src/format/unhex/index.js';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, expectSuccess, fingerprint, mmapx, PINNED_ENV } from '../helpers/cli.js';
import { inMountNamespace, mountNamespaces } from '../helpers/mountns.js';
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

describe('a text input that starts with a UTF-8 byte order mark reads as without it (as CRLF does)', () => {
  // Notepad and PowerShell 5 save UTF-8 so; each reader failed at line 1, col 1 without naming it.
  const BOM = '\ufeff';

  it('patch files of every text format, --files-from lists, checksum files, unhex dumps', () => {
    const f = file('ABCD');
    const sum = createHash('sha256').update('ABCD').digest('hex');
    expectSuccess(mmapx(['patch', f, '-'], { input: `${BOM}0x0: 41 -> 61\n` }));
    expectSuccess(mmapx(['patch', f, '-', '--format', 'xxd'], { input: `${BOM}00000001: 62\n` }));
    expectSuccess(mmapx(['patch', f, '-', '--format', 'plain', '--seek', '2'], { input: `${BOM}63\n` }));
    expectSuccess(mmapx(['patch', f, '-', '--format', 'ihex'], { input: `${BOM}:010003006498\n:00000001FF\n` }));
    expect(readFileSync(f, 'latin1')).toBe('abcd');
    writeFileSync(f, 'ABCD');
    const listed = mmapx(['hash', '--files-from', '-'], { input: `${BOM}${f}\n` });
    expectSuccess(listed);
    expect(listed.stdout).toBe(`${sum}  ${f}\n`);
    const checked = mmapx(['hash', '-c', '-'], { input: `${BOM}${sum}  ${f}\n` });
    expectSuccess(checked);
    expect(checked.stdout).toBe(`${f}: OK\n`);
    for (const dump of ['00000000: 4142 4344  ABCD\n', '41424344\n', '00000000  41 42 43 44                                       |ABCD|\n']) {
      const r = mmapx(['unhex'], { input: `${BOM}${dump}` });
      expectSuccess(r);
      expect(r.stdout).toBe('ABCD');
    }
  });

  it('unhex: also when the mark comes a byte at a time; a partial mark is no mark', () => {
    const out: number[] = [];
    const parser = new UnhexParser({}, (r) => out.push(...r.bytes));
    for (const b of Buffer.from(`${BOM}41424344\n`)) parser.push(Uint8Array.of(b));
    parser.end();
    expect(Buffer.from(out).toString('latin1')).toBe('ABCD');
    const partial = new UnhexParser({ format: 'plain', name: 'd' }, () => {});
    expect(() => partial.push(Uint8Array.of(0xef, 0xbb, 0x34, 0x31, 0x0a))).toThrow(/^d line 1, col 1: '.' is not a hex digit/);
  });
});

describe('help asked for is no error', () => {
  it('mmapx help COMMAND [extra]: the help on stdout, status 0, nothing else (it was status 2, and --json added a failure)', () => {
    const own = mmapx(['write', '--help']);
    for (const args of [
      ['help', 'write'],
      ['help', 'write', 'extra'],
      ['--json', 'help', 'write'],
    ]) {
      const r = mmapx(args);
      expect(r.status, r.dump).toBe(0);
      expect(r.stdout, r.dump).toBe(own.stdout);
      expect(r.stderr, r.dump).toBe('');
    }
    // Help instead of an answer stays a usage error.
    expect(mmapx([]).status).toBe(2);
    const bogus = mmapx(['help', 'bogus']);
    expect(bogus.status, bogus.dump).toBe(2);
    // After the help, the line that names what was wrong, as `mmapx bogus` gives it.
    expect(bogus.stderr, bogus.dump).toMatch(/\nmmapx: unknown command 'bogus' \(see 'mmapx --help'\)\n$/);
    expect(mmapx(['bogus']).stderr).toBe("mmapx: unknown command 'bogus' (see 'mmapx --help')\n");
  });
});

describe('write on a full filesystem', () => {
  // write --fill 01 --length 2M --grow with 1 MiB free wrote over the file's bytes, then stopped at
  // the first page the filesystem could not give (SIGBUS, ENOSPC): the size went back, the bytes it
  // had written over did not. Its blocks are now reserved before the first byte changes.
  it.skipIf(!mountNamespaces())('past the free space: one line, ENOSPC, the file as it was; a sparse grow still works', () => {
    const r = inMountNamespace(
      `mount -t tmpfs -o size=1m tmpfs "$d"; head -c 100000 /dev/urandom > "$d/f"; s=$(sha256sum < "$d/f")
       $MMAPX write "$d/f" 0 --fill 01 --length 2M --grow; echo "status $?"
       [ "$(sha256sum < "$d/f")" = "$s" ] && echo same; ls -a "$d" | tr '\\n' ' '; echo
       $MMAPX write "$d/f" 5M 01 --grow -q; echo "status $?"`,
    );
    expect(r.stderr).toMatch(
      /^mmapx: write: \S+\/f: no space left on the filesystem for the 2097152 bytes to write at 0x0 \(up to past the end of the file\): nothing changed; .*\(ENOSPC\)\n$/,
    );
    expect(r.stdout).toBe('status 1\nsame\n. .. f \nstatus 0\n');
  });
});
