// mmapx stamp through the built CLI (values too long and bad hex: the battery rows): exactly
// once, count mismatches (0, 2), already stamped, another value refused, --terminate/--pad, a dry run that leaves the file
// identical, several files, --json locations, and the CI use: a compiled program built with a
// placeholder prints the stamped version.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, expectSuccess, fingerprint, mmapx } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-cli-stamp-');
beforeAll(() => requireBuild());
let n = 0;
function file(content: Uint8Array | string): string {
  const p = join(dir, `s${n++}.bin`);
  writeFileSync(p, content);
  return p;
}

const PH = '@@VERSION@@@@@@@';
const T = ['--text', '--placeholder', PH];

describe('mmapx stamp', () => {
  it('stamps_exactly_once_then_says_already_and_refuses_another_value', () => {
    const p = file(`head${PH}tail`);
    const r = mmapx(['stamp', p, ...T, '--value', '1.4.2', '--terminate']);
    expectSuccess(r);
    expect(r.stderr).toMatch(/^stamped .*: "1\.4\.2" at 0x4 \(16 bytes each\) in /);
    expect(readFileSync(p)).toEqual(Buffer.from(`head1.4.2${'\0'.repeat(11)}tail`));
    const again = mmapx(['stamp', p, ...T, '--value', '1.4.2', '--terminate']);
    expectSuccess(again);
    expect(again.stderr).toMatch(/^already stamped: .* holds "1\.4\.2" at 0x4, nothing written/);
    const stamped = fingerprint(p);
    const other = mmapx(['stamp', p, ...T, '--value', '1.4.3']);
    expectFailure(other, 3, /nothing written: already stamped with "1\.4\.2" at 0x4 \(stamp record .*\): refusing to stamp "1\.4\.3"/);
    expect(fingerprint(p)).toBe(stamped);
  });

  it('refuses_a_placeholder_found_0_or_2_times_leaving_the_file_identical_then_count_2_stamps_both', () => {
    const p = file(`a${PH}b${PH}c`);
    const before = fingerprint(p);
    expectFailure(mmapx(['stamp', p, ...T, '--value', '1']), 3, /the placeholder "@@VERSION@@@@@@@" \(16 bytes\) matched 2 times at 0x1, 0x12; expected once/);
    expectFailure(mmapx(['stamp', p, '--text', '--placeholder', '@@NOPE@@', '--value', '1']), 3, /matched nothing; expected once/);
    expect(fingerprint(p)).toBe(before);
    // 15 bytes and a NUL fit exactly; --count 2 stamps both, all or nothing.
    expectSuccess(mmapx(['stamp', p, ...T, '--value', '123456789012345', '--terminate', '--count', '2']));
    expect(readFileSync(p, 'latin1')).toBe('a123456789012345\0b123456789012345\0c');
  });

  it('pads_with_spaces_or_a_hex_byte_and_takes_hex_placeholders', () => {
    const p = file(Buffer.from('0011deadbeefdeadbeef22', 'hex'));
    const r = mmapx(['--json', 'stamp', p, '--placeholder', 'deadbeefdeadbeef', '--value', '0102', '--pad', 'ff']);
    expectSuccess(r);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      status: 'stamped',
      length: 8,
      count: 1,
      locations: [{ offset: 2, old: 'deadbeefdeadbeef', new: '0102ffffffffffff', state: 'apply' }],
    });
    expect(readFileSync(p).toString('hex')).toBe('00110102ffffffffffff22');
    const q = file(`x${PH}`);
    expectSuccess(mmapx(['stamp', q, ...T, '--value', 'v2', '--pad', 'space', '--terminate']));
    expect(readFileSync(q, 'latin1')).toBe(`xv2\0${' '.repeat(13)}`);
  });

  it('a_dry_run_lists_every_location_and_leaves_the_file_identical', () => {
    const p = file(`${PH}-${PH}`);
    const before = fingerprint(p);
    const r = mmapx(['--json', 'stamp', p, ...T, '--value', '9.9', '--count', '2', '--dry-run']);
    expectSuccess(r);
    const j = JSON.parse(r.stdout);
    expect(j.status).toBe('dry-run');
    expect(j.locations.map((l: { offset: number; state: string }) => [l.offset, l.state])).toEqual([
      [0, 'apply'],
      [17, 'apply'],
    ]);
    expect(j.locations[0].new).toBe(Buffer.from(`9.9${'\0'.repeat(13)}`).toString('hex'));
    expect(fingerprint(p)).toBe(before);
    expect(existsSync(`${p}.mmapx-stamp`)).toBe(false);
  });

  it('stamps_several_files_each_on_its_own', () => {
    const a = file(`A${PH}`);
    const b = file(`B${PH}`);
    const c = file('no placeholder');
    const list = join(dir, 'list.txt');
    writeFileSync(list, `${b}\n${c}\n`);
    expectSuccess(mmapx(['stamp', b, ...T, '--value', '7']));
    const r = mmapx(['--json', 'stamp', a, '--files-from', list, ...T, '--value', '7']);
    expect(r.status, r.dump).toBe(3);
    const j = JSON.parse(r.stdout) as { file: string; status: string }[];
    expect(j.map((x) => [x.file, x.status])).toEqual([
      [a, 'stamped'],
      [b, 'already'],
      [c, 'failed'],
    ]);
    expect(readFileSync(a, 'latin1')).toBe(`A7${'\0'.repeat(15)}`);
    expect(readFileSync(c, 'latin1')).toBe('no placeholder');
  });
});

describe('mmapx stamp in CI: a program built with a placeholder', () => {
  const cc = spawnSync('cc', ['--version']).status === 0;
  it.skipIf(!cc)('a_compiled_program_prints_the_stamped_version_and_a_rerun_is_already', () => {
    const src = join(dir, 'app.c');
    const app = join(dir, 'app');
    // 32 bytes of placeholder in the binary's data: the value and its NUL go there.
    writeFileSync(
      src,
      '#include <stdio.h>\nvolatile const char version[33] = "@@MMAPX_VERSION_PLACEHOLDER@@@@@";\nint main(void){puts((const char*)version);return 0;}\n',
    );
    const built = spawnSync('cc', ['-O0', '-o', app, src]);
    expect(built.status, built.stderr.toString()).toBe(0);
    expect(spawnSync(app).stdout.toString()).toBe('@@MMAPX_VERSION_PLACEHOLDER@@@@@\n');
    const args = ['stamp', app, '--text', '--placeholder', '@@MMAPX_VERSION_PLACEHOLDER@@@@@', '--value', '1.4.2', '--terminate'];
    expectSuccess(mmapx(args));
    expect(spawnSync(app).stdout.toString()).toBe('1.4.2\n');
    const copy = join(dir, 'app-copy');
    copyFileSync(app, copy);
    const again = mmapx([...args.slice(0, 1), copy, ...args.slice(2)]);
    expectSuccess(again);
    expect(again.stderr).toMatch(/already stamped/);
  });
  it.skipIf(cc)('skipped: no C compiler (cc) here', () => {
    expect(cc).toBe(false);
  });
});

describe('mmapx patch: range statements', () => {
  it('a_patch_of_fill_copy_stamp_and_xor_statements_applied_twice_says_already', () => {
    const original = Buffer.from(`Hello, world! @@V@@@@@ 0123456789abcdef`);
    const p = file(original);
    const x = Buffer.from(original.subarray(0, 5).map((b) => b ^ 0x5a));
    const hash = createHash('sha256').update(x).digest('hex');
    const patch = join(dir, 'ops.patch');
    writeFileSync(patch, `fill 0x17:4 ee\ncopy -4.. to 0x1b\nstamp "@@V@@@@@" -> "1.2" pad space\nxor 0:5 5a -> sha256 ${hash}\n`);
    const dry = mmapx(['patch', p, patch, '--dry-run']);
    expectSuccess(dry);
    expect(fingerprint(p)).toBe(`${original.length}:${createHash('sha256').update(original).digest('hex')}`);
    const first = mmapx(['--json', 'patch', p, patch]);
    expectSuccess(first);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'applied', hunks: { total: 4, applied: 4 } });
    expect(readFileSync(p).toString('latin1')).toBe(`${x.toString('latin1')}, world! 1.2      \xee\xee\xee\xeecdef89abcdef`);
    const again = mmapx(['patch', p, patch]);
    expectSuccess(again);
    expect(again.stderr).toMatch(/^already applied: .* holds the new bytes of 4 hunks, nothing written/);
  });
});
