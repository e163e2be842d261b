// Read-only commands beside a pending journal (a patch was interrupted: the file may be half
// patched). They still do their work, but say so: one warning line on stderr naming the journal and
// `mmapx recover FILE`, and a `warnings` entry in --json. Without a journal they say nothing.
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { expectSuccess, fingerprint, mmapx, type Run } from '../helpers/cli.js';
import { identity, journalBytes, putJournal } from '../helpers/journal.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = realpathSync(tmpDir('mmapx-jwarn-'));
beforeAll(() => requireBuild());
let n = 0;

/** A file that an interrupted patch left half patched: `HELLO` was `hello`, and its journal says so. */
function halfPatched(): { path: string; journal: string; other: string } {
  const path = join(dir, `h${n++}.bin`);
  writeFileSync(path, 'HELLO, world\n');
  const journal = join(dir, `.h${n - 1}.bin.mmapx-journal`);
  putJournal(journal, journalBytes({ ...identity(path), sizeBefore: 13, sizeAfter: 13, records: [{ offset: 0, bytes: Buffer.from('hello') }] }));
  const other = join(dir, `o${n++}.bin`);
  writeFileSync(other, 'hello, world\n');
  return { path, journal, other };
}

/** Every read-only command, on FILE (and OTHER where it takes two files). */
const READERS: Record<string, (file: string, other: string) => string[]> = {
  hexdump: (f) => ['hexdump', f],
  'hexdump -f xxd': (f) => ['hexdump', '-f', 'xxd', f],
  hash: (f) => ['hash', f],
  'hash --algo crc32': (f) => ['hash', f, '--algo', 'crc32'],
  info: (f) => ['info', f],
  cat: (f) => ['cat', f, '0:5'],
  find: (f) => ['find', f, '48'],
  'diff FILE OTHER': (f, o) => ['diff', f, o],
  'diff OTHER FILE': (f, o) => ['diff', o, f],
};

const warningLine = (cmd: string, file: string, journal: string) =>
  `mmapx: ${cmd}: ${file}: warning: a journal of an interrupted patch exists (${journal}): the file may be half patched; 'mmapx recover ${file}' restores it`;

/** The command's name as error lines print it (`hd` is `hexdump`). */
const commandOf = (args: string[]) => args.find((a) => !a.startsWith('-'))!;

describe('read-only commands warn about a pending journal', () => {
  for (const [name, args] of Object.entries(READERS)) {
    it(`${name}: one warning line, the same output, exit 0, nothing changed`, () => {
      const { path, journal, other } = halfPatched();
      const before = fingerprint(path);
      const r = mmapx(args(path, other));
      expectSuccess(r);
      expect(r.stderr, r.dump).toBe(`${warningLine(commandOf(args(path, other)), path, journal)}\n`);
      // The output is the same as the command gives once the journal is gone (only stderr differs).
      const clean = join(dir, `c${n++}.bin`);
      writeFileSync(clean, readFileSync(path));
      const plain = mmapx(args(clean, other));
      expectSuccess(plain);
      expect(plain.stderr, plain.dump).toBe('');
      // info's page-cache lines describe the moment (the clean copy was just written, so its page
      // may still be dirty while the other's is written back): they are left out of the comparison.
      const same = (out: string, file: string) => out.replaceAll(file, '<f>').replace(/^(resident|dirty) .*$/gm, '$1 <now>');
      expect(same(r.stdout, path), r.dump).toBe(same(plain.stdout, clean));
      expect(fingerprint(path)).toBe(before);
      expect(readFileSync(journal).subarray(0, 8).toString('latin1')).toBe('MMAPXJNL');
    });
  }

  it('--json: a warnings entry with the code and the journal, and the line on stderr', () => {
    const { path, journal, other } = halfPatched();
    for (const args of [
      ['hash', path],
      ['info', path],
      ['find', path, '48'],
      ['hexdump', path],
      ['diff', other, path],
    ]) {
      const r = mmapx(['--json', ...args]);
      expectSuccess(r);
      const j = JSON.parse(r.stdout) as { warnings?: unknown[] };
      expect(j.warnings, r.dump).toEqual([{ code: 'PENDING_JOURNAL', file: path, journal, message: expect.stringContaining(`'mmapx recover ${path}'`) }]);
      expect(r.stderr.split('\n'), r.dump).toHaveLength(2);
    }
  });

  it('-q does not silence it', () => {
    const { path, journal } = halfPatched();
    const r = mmapx(['-q', 'hash', path]);
    expect(r.stderr).toBe(`${warningLine('hash', path, journal)}\n`);
  });

  it('several files: the warning names the file that has a journal, and only its JSON element has it', () => {
    const a = halfPatched();
    const b = halfPatched().other; // no journal
    const r: Run = mmapx(['--json', 'hexdump', a.path, b, a.path]);
    expectSuccess(r);
    expect(r.stderr, r.dump).toBe(`${warningLine('hexdump', a.path, a.journal)}\n`);
    const list = JSON.parse(r.stdout) as { path: string; warnings?: { file: string }[] }[];
    expect(list.map((e) => e.warnings?.map((w) => w.file) ?? [])).toEqual([[a.path], [], [a.path]]);
    const found = mmapx(['--json', 'find', a.path, b, '0a']);
    const elements = JSON.parse(found.stdout) as { warnings?: unknown[] }[];
    expect(elements.map((e) => e.warnings !== undefined)).toEqual([true, false]);
  });

  it('a command that fails after the warning still lists it in its --json error object', () => {
    const { path } = halfPatched();
    const r = mmapx(['--json', 'hash', path, '--algo', 'crc32', '--check', '00000000']);
    expect(r.status, r.dump).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, warnings: [{ code: 'PENDING_JOURNAL' }] });
  });

  it('without a journal: no warning and no warnings key', () => {
    const { other } = halfPatched();
    for (const args of [
      ['hash', other],
      ['info', other],
      ['hexdump', other],
      ['find', other, '68'],
    ]) {
      const r = mmapx(['--json', ...args]);
      expectSuccess(r);
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).not.toHaveProperty('warnings');
    }
  });

  it('after recover, the warning is gone and the file is whole', () => {
    const { path } = halfPatched();
    expectSuccess(mmapx(['recover', path]));
    expect(readFileSync(path, 'latin1')).toBe('hello, world\n');
    const r = mmapx(['hash', path]);
    expectSuccess(r);
    expect(r.stderr).toBe('');
  });
});
