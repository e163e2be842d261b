// What a patch file may be, through the built CLI: an empty patch of any format is refused
// (exit 2, one line, files byte-identical) unless --allow-empty, and a plain dump (xxd -p) is
// applied with --format plain at --seek, or refused by --format xxd with the way to apply it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, expectSuccess, fingerprint, mmapx } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-patch-input-');
beforeAll(() => requireBuild());
let n = 0;
const HELLO = 'Hello, world!\n';
function file(content: string | Uint8Array = HELLO, name = `f${n++}.bin`): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
const REFUSE = 'refusing a patch that changes nothing \\(a truncated download looks like this\\); --allow-empty accepts it';

/** Every format the patch command reads, with the ways its file can hold no change. */
const EMPTY: [string, string, string | Uint8Array, string][] = [
  ['native', 'an empty file', '', 'is empty'],
  ['native', 'comments and blank lines only', '# mmapx diff: turns a into b\n\n   \n# nothing else\n', 'has no hunk'],
  ['native', 'guards only', `size before 14\nsha256 before ${'0'.repeat(64)}\n`, 'has no hunk'],
  ['xxd', 'an empty file', '', 'is empty'],
  ['xxd', 'blank lines only', '\n\n \n', 'has no hunk'],
  ['plain', 'an empty file', '', 'is empty'],
  ['plain', 'blanks only', ' \n\t\r\n', 'has no hunk'],
  ['ips', 'a header and EOF, no record', 'PATCHEOF', 'has no record'],
  ['ips', 'an empty file (not even the header)', '', 'is empty'],
];

describe('an empty patch is an error unless --allow-empty', () => {
  for (const [format, what, content, says] of EMPTY) {
    it(`${format}: ${what}`, () => {
      const a = file();
      const b = file();
      const p = file(content, `empty${n++}.${format}`);
      const before = [fingerprint(a), fingerprint(b)];
      const fmt = ['--format', format];
      expectFailure(mmapx(['patch', a, p, ...fmt]), 2, new RegExp(`^mmapx: patch: .*: the patch .*${p.split('/').pop()} ${says}: ${REFUSE}$`));
      expectFailure(mmapx(['patch', a, '-', ...fmt], { input: content }), 2, new RegExp(`^mmapx: patch: .*: the patch on standard input ${says}: ${REFUSE}$`));
      expectFailure(mmapx(['patch', '--patch', p, a, b, ...fmt]), 2, new RegExp(`^mmapx: patch: the patch .* ${says}: ${REFUSE}$`));
      const json = mmapx(['--json', 'patch', a, p, ...fmt]);
      expect(json.status, json.dump).toBe(2);
      expect(JSON.parse(json.stdout)).toMatchObject({ command: 'patch', ok: false, exitCode: 2 });
      expect([fingerprint(a), fingerprint(b)]).toEqual(before);
      // Accepted on request: nothing to do, already applied.
      const ok = mmapx(['patch', a, p, ...fmt, '--allow-empty']);
      expectSuccess(ok);
      expect(ok.stderr).toMatch(/^already applied: .* 0 hunks, nothing written/);
      expect([fingerprint(a), fingerprint(b)]).toEqual(before);
    });
  }

  it('a device that reads as nothing (mmapx patch FILE /dev/null), in any format', () => {
    const a = file();
    const before = fingerprint(a);
    expectFailure(
      mmapx(['patch', a, '/dev/null']),
      2,
      `mmapx: patch: ${a}: the patch /dev/null is empty: refusing a patch that changes nothing (a truncated download looks like this); --allow-empty accepts it`,
    );
    for (const format of ['xxd', 'plain', 'ips']) expectFailure(mmapx(['patch', a, '/dev/null', '--format', format]), 2, /the patch \/dev\/null is empty: /);
    expect(fingerprint(a)).toBe(before);
  });

  it('is refused even when --edit brings hunks of its own', () => {
    const a = file();
    const before = fingerprint(a);
    expectFailure(mmapx(['patch', '--patch', file(''), a, '--edit', '0=68']), 2, /the patch .* is empty: /);
    expect(fingerprint(a)).toBe(before);
  });

  it('--allow-empty still checks the guards, and goes only with a PATCH file', () => {
    const a = file();
    const before = fingerprint(a);
    const wrong = file('# guards only\nsize before 99\n');
    const r = mmapx(['patch', a, wrong, '--allow-empty']);
    expect(r.status, r.dump).toBe(3);
    expectFailure(mmapx(['patch', a, '--edit', '0=68', '--allow-empty']), 2, `mmapx: patch: ${a}: --allow-empty describes a PATCH file, and none was given`);
    expect(fingerprint(a)).toBe(before);
  });

  it('a resize alone is a change, not an empty patch', () => {
    const a = file();
    expectSuccess(mmapx(['patch', a, file('size after 4\n'), '--truncate']));
    expect(readFileSync(a, 'utf8')).toBe('Hell');
    const b = file();
    const ips = Buffer.concat([Buffer.from('PATCHEOF'), Buffer.from([0, 0, 5])]);
    expectSuccess(mmapx(['patch', b, file(ips), '--format', 'ips', '--truncate']));
    expect(readFileSync(b, 'utf8')).toBe('Hello');
  });

  it('the diff of identical files applies with --allow-empty', () => {
    const a = file();
    const d = mmapx(['diff', a, a]);
    expectSuccess(d);
    const p = file(d.stdout);
    expectFailure(mmapx(['patch', a, p]), 2, /has no hunk: /);
    expectSuccess(mmapx(['patch', a, p, '--allow-empty']));
    expect(readFileSync(a, 'utf8')).toBe(HELLO);
  });
});

const hasXxd = spawnSync('xxd', ['-v']).status === 0;

describe('plain dumps (xxd -p): --format plain at --seek', () => {
  it('applies a dump made by mmapx hexdump -f plain, and says already applied the second time', () => {
    const a = file();
    const edited = file('Hello, WORLD!\n');
    const d = mmapx(['hexdump', edited, '-f', 'plain', '-s', '7', '-n', '5']);
    expectSuccess(d);
    expect(d.stdout).toBe('574f524c44\n');
    const p = file(d.stdout);
    expectSuccess(mmapx(['patch', a, p, '--format', 'plain', '--seek', '7']));
    expect(readFileSync(a, 'utf8')).toBe('Hello, WORLD!\n');
    const again = mmapx(['patch', a, p, '--format', 'plain', '--seek', '7']);
    expectSuccess(again);
    expect(again.stderr).toMatch(/^already applied: /);
  });

  it('starts at 0 without --seek, counts back from the end with a negative one, grows only with --grow', () => {
    const a = file();
    expectSuccess(mmapx(['patch', a, '-', '--format', 'plain'], { input: '68 65\n' }));
    expect(readFileSync(a, 'utf8')).toBe('hello, world!\n');
    expectSuccess(mmapx(['patch', a, '-', '--format', 'plain', '--seek', '-2'], { input: '3f0a' }));
    expect(readFileSync(a, 'utf8')).toBe('hello, world?\n');
    const before = fingerprint(a);
    expectFailure(mmapx(['patch', a, '-', '--format', 'plain', '--seek', '14'], { input: '21' }), 2, /ends past the end of the file .*needs --grow$/);
    expect(fingerprint(a)).toBe(before);
    expectSuccess(mmapx(['patch', a, '-', '--format', 'plain', '--seek', '14', '--grow'], { input: '21' }));
    expect(readFileSync(a, 'utf8')).toBe('hello, world?\n!');
  });

  it('refuses a bad dump or a misplaced --seek with one line, file untouched', () => {
    const a = file();
    const before = fingerprint(a);
    expectFailure(
      mmapx(['patch', a, '-', '--format', 'plain'], { input: '4865\n6c6x\n' }),
      2,
      `mmapx: patch: ${a}: stdin line 2, col 4: 'x' is not a hex digit (a plain dump holds only hex digits and blanks)`,
    );
    expectFailure(
      mmapx(['patch', a, '-', '--format', 'plain'], { input: '486' }),
      2,
      `mmapx: patch: ${a}: stdin line 1, col 3: odd number of hex digits (3): the last one has no pair`,
    );
    expectFailure(
      mmapx(['patch', a, '-', '--seek', '4'], { input: '0x0: 48\n' }),
      2,
      `mmapx: patch: ${a}: --seek 4 only goes with --format plain: a native patch says where its bytes go`,
    );
    expectFailure(
      mmapx(['patch', a, '-', '--format', 'xxd', '--seek', '4'], { input: '00000000: 48\n' }),
      2,
      /--seek 4 only goes with --format plain: an xxd patch says where its bytes go$/,
    );
    expectFailure(mmapx(['patch', a, '-', '--format', 'plain', '--seek', '-0'], { input: '48' }), 2, /--seek -0: -0 is the end of the file/);
    expectFailure(mmapx(['patch', a, '-', '--format', 'plain', '--seek', 'x'], { input: '48' }), 2, /bad offset "x"/);
    expect(fingerprint(a)).toBe(before);
  });

  it('--format xxd refuses a plain dump of one line or several, saying how to apply it', () => {
    const a = file();
    const before = fingerprint(a);
    const hint = 'hex digits with no offset: a plain dump (xxd -p) is applied with --format plain, and --seek OFFSET where its bytes go';
    expectFailure(mmapx(['patch', a, '-', '--format', 'xxd'], { input: '68656c6c6f\n' }), 2, `mmapx: patch: ${a}: stdin line 1, col 1: ${hint}`);
    expectFailure(
      mmapx(['patch', a, '-', '--format', 'xxd'], { input: `${'00'.repeat(30)}\n${'11'.repeat(30)}\n2233\n` }),
      2,
      `mmapx: patch: ${a}: stdin line 1, col 1: ${hint}`,
    );
    expectFailure(mmapx(['patch', a, '-'], { input: '68656c6c6f\n' }), 2, /\(this looks like a plain hex dump, xxd -p: use --format plain --seek OFFSET\)$/);
    expect(fingerprint(a)).toBe(before);
  });

  it.skipIf(!hasXxd)('writes what xxd -r -p -s writes, growing the file as it does', () => {
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff));
    const dump = file(spawnSync('xxd', ['-p'], { input: data }).stdout);
    for (const seek of ['0', '5', '290', '0x200']) {
      const ours = file('0123456789abcdef'.repeat(20));
      const theirs = join(dir, `xxd${n++}.bin`);
      copyFileSync(ours, theirs);
      expect(spawnSync('xxd', ['-r', '-p', '-s', String(Number(seek)), dump, theirs]).status).toBe(0);
      expectSuccess(mmapx(['patch', ours, dump, '--format', 'plain', '--seek', seek, '--grow']));
      expect(fingerprint(ours), `--seek ${seek}`).toBe(fingerprint(theirs));
    }
  });
});
