// File names that a line or UTF-8 cannot carry as they are. A name with a newline or an escape
// sequence is escaped (`\n`, `\u001b`) wherever a line names it: an error or a summary stays one
// line on stderr, and diff's comment line stays a comment. A name that is not valid UTF-8 (Node
// reads each bad byte as U+FFFD, which names another file) is refused before anything is opened or
// created: as an argument (Linux, where the bytes can be read back), in a --files-from list and in
// a checksum file.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, expectSuccess, fingerprint, mmapx, PINNED_ENV, runCommand } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-path-names-');
const f = (name: string) => join(dir, name);
const POSIX = process.platform !== 'win32';

beforeAll(() => {
  requireBuild();
  writeFileSync(f('a'), 'Hello, world!\n');
});

describe.runIf(POSIX)('a name with a newline or an escape sequence', () => {
  it('is escaped in an error line and a summary, each one line', () => {
    writeFileSync(f('new\nline'), 'Hello, world!\n');
    writeFileSync(f('esc\u001b[2Jred'), 'Hello, world!\n');
    expectFailure(mmapx(['write', f('new\nline'), '99', '41']), 2, `mmapx: write: ${f('new\\nline')}: offset 99 is past the end of the file (size 14)`);
    expectFailure(mmapx(['hash', f('esc\u001b[2Jred'), '--check', '0'.repeat(12)]), 3, new RegExp(`^mmapx: hash: ${dir}/esc\\\\u001b\\[2Jred: `));
    const r = mmapx(['patch', f('new\nline'), '--edit', '0=68']);
    expectSuccess(r);
    expect(r.stderr).toMatch(/^patched .*new\\nline: 1 hunk applied[^\n]*\n$/);
  });

  it("diff's comment names it escaped: the patch it writes applies", () => {
    writeFileSync(f('nl\nnew'), 'Hello, World!\n');
    expectSuccess(mmapx(['diff', f('a'), f('nl\nnew'), '-o', f('nl.patch')]));
    writeFileSync(f('b'), 'Hello, world!\n');
    expectSuccess(mmapx(['-q', 'patch', f('b'), f('nl.patch')]));
    expect(fingerprint(f('b'))).toBe(fingerprint(f('nl\nnew')));
  });
});

describe.runIf(process.platform === 'linux')('a name that is not valid UTF-8 is refused, not read as another name', () => {
  /** Runs mmapx through sh, which passes the bytes of `printf` arguments as they are. */
  const sh = (script: string) => runCommand(['sh', '-c', `node=$0 bin=$1; ${script}`, process.execPath, BIN], [], { env: PINNED_ENV, cwd: dir });
  const ADVICE = /is not valid UTF-8: mmapx reads .*U\+FFFD.*symlink with one/;

  it('as an argument: nothing is created or written', () => {
    const before = readdirSync(dir).sort();
    expectFailure(sh(`exec "$node" "$bin" cat a -o "$(printf 'out\\377')"`), 2, new RegExp(`^mmapx: cat: the argument "out\uFFFD" ${ADVICE.source}`));
    expectFailure(
      sh(`exec "$node" "$bin" write a 0 --text "$(printf '\\377')"`),
      2,
      /^mmapx: write: the argument "\uFFFD" is not valid UTF-8: .*bytes as hex$/,
    );
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(existsSync(f('out\uFFFD'))).toBe(false);
  });

  it('in a --files-from list and a checksum file (also with --ignore-missing)', () => {
    writeFileSync(f('c'), 'Hello, world!\n');
    const c = fingerprint(f('c'));
    writeFileSync(f('list'), Buffer.concat([Buffer.from('c\n'), Buffer.from([0x62, 0xff, 0x0a])]));
    expectFailure(mmapx(['write', '0', '41', '--files-from', 'list'], { cwd: dir }), 2, new RegExp(`^mmapx: write: --files-from list line 2 ${ADVICE.source}`));
    expect(fingerprint(f('c'))).toBe(c);
    writeFileSync(f('sums'), Buffer.concat([Buffer.from(`${'0'.repeat(64)}  b`), Buffer.from([0xff, 0x0a])]));
    expectFailure(mmapx(['hash', '-c', 'sums', '--ignore-missing'], { cwd: dir }), 2, new RegExp(`^mmapx: hash: sums line 1 ${ADVICE.source}`));
  });
});
