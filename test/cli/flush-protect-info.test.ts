import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, expectSuccess, fingerprint, mmapx, PINNED_ENV } from '../helpers/cli.js';
import { inMountNamespace, mountNamespaces } from '../helpers/mountns.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
beforeAll(() => requireBuild());
let n = 0;
function file(content: Uint8Array | string = Buffer.alloc(3 * 4096 + 100, 7)): string {
  const p = join(dir, `f${n++}.bin`);
  writeFileSync(p, content);
  return p;
}

describe('mmapx flush', () => {
  it('flushes_the_whole_file_and_reports_the_synced_pages', () => {
    const p = file();
    const r = mmapx(['flush', p]);
    expectSuccess(r);
    expect(r.stderr).toMatch(
      /^flushed 0x0\.\.0x4000 \(4 pages\) in [\d.]+ ms: .*msync [\d.]+; (dirty \d+ -> \d+, writeback \d+ -> \d+ pages|dirty\/writeback n\/a .*)\n$/,
    );
  });

  it('an_unaligned_range_is_widened_to_pages', () => {
    const p = file();
    const j = JSON.parse(mmapx(['--json', 'flush', p, '--range', '0x1ff0:0x20']).stdout);
    expect(j).toMatchObject({ ok: true, status: 'flushed', range: { offset: 0x1ff0, length: 0x20 }, synced: { offset: 0x1000, length: 0x2000, pages: 2 } });
    expect(typeof j.timings.msync).toBe('number');
  });

  it('async_starts_write_back_and_clears_dirty_pages', async () => {
    const p = file(Buffer.alloc(64 * 4096));
    execFileSync('sync');
    // Dirty the page cache through a write without msync, then flush --async.
    expectSuccess(mmapx(['write', '--no-sync', p, '0', '--fill', '9', '--length', '256K']));
    const j = JSON.parse(mmapx(['--json', 'flush', p, '--async']).stdout);
    expect(j.status).toBe('writeback-started');
    if (j.before !== null) {
      expect(j.before.dirty).toBeGreaterThan(0);
      let dirty = j.after.dirty as number;
      for (let i = 0; i < 50 && dirty > 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        dirty = JSON.parse(mmapx(['--json', 'info', p]).stdout).dirtyPages;
      }
      expect(dirty).toBe(0);
    }
  });

  it('empty_file_and_empty_range', () => {
    const p = file('');
    expect(mmapx(['flush', p]).stderr).toMatch(/^nothing to flush: the range is empty/);
    const q = file('abc');
    expectSuccess(mmapx(['flush', q, '--range', '1:0']));
  });

  it('bad_ranges_are_usage_errors_and_change_nothing', () => {
    const p = file('0123456789');
    const fp = fingerprint(p);
    expectFailure(mmapx(['flush', p, '--range', '5:10']), 2, /^mmapx: flush: .*: range 5:10 ends past the end of the file \(size 10\)$/);
    expectFailure(mmapx(['flush', p, '--range', '5']), 2, /^mmapx: flush: .*: bad range "5": /);
    expectFailure(mmapx(['flush', p, '--range', '8..2']), 2, /^mmapx: flush: .*8\.\.2/);
    expect(fingerprint(p)).toBe(fp);
  });
});

describe('mmapx protect', () => {
  for (const [mode, perms] of [
    ['ro', 'r--s'],
    ['rw', 'rw-s'],
    ['exec', 'r-xs'],
    ['none', '---s'],
  ] as const) {
    it(`maps_${mode}_and_the_kernel_agrees`, () => {
      const p = file();
      const fp = fingerprint(p);
      const r = mmapx(['protect', p, mode]);
      expectSuccess(r);
      expect(r.stdout).toMatch(
        new RegExp(
          `^${p.replace(/[.]/g, '\\.')} 0x0\\.\\.0x3064 mapped ${perms} at [0-9a-f]+-[0-9a-f]+ \\(checked in /proc/self/maps${mode === 'none' ? '' : ', read ok'}\\) in `,
        ),
      );
      expect(fingerprint(p)).toBe(fp);
    });
  }

  it('json_and_a_range', () => {
    const p = file();
    const j = JSON.parse(mmapx(['--json', 'protect', p, 'exec', '--range', '4096:100']).stdout);
    expect(j).toMatchObject({ ok: true, mode: 'exec', perms: 'r-xs', range: { offset: 4096, length: 100 }, read: true });
    expect(BigInt(j.address.end) - BigInt(j.address.start)).toBe(4096n);
  });

  it('hold_keeps_the_mapping_visible_to_another_process_until_sigterm', async () => {
    const p = file();
    const child = spawn(process.execPath, [BIN, 'protect', p, 'exec', '--hold'], { env: PINNED_ENV });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    for (let i = 0; i < 200 && !out.includes('holding:'); i++) await new Promise((r) => setTimeout(r, 10));
    const m = /holding: pid (\d+) keeps ([0-9a-f]+-[0-9a-f]+) r-xs/.exec(out);
    expect(m, out + err).not.toBeNull();
    const maps = readFileSync(`/proc/${m![1]}/maps`, 'latin1');
    expect(maps).toContain(`${m![2]} r-xs`);
    child.kill('SIGTERM');
    const status = await new Promise((r) => child.on('exit', (code) => r(code)));
    expect(status).toBe(0);
    expect(err).toBe('released after SIGTERM\n');
  });

  it('rw_on_a_file_opened_by_someone_without_write_permission', () => {
    if (process.getuid?.() === 0) return; // root may write anything; covered by the read-only mount test
    const p = file();
    execFileSync('chmod', ['444', p]);
    expectFailure(mmapx(['protect', p, 'rw']), 1, `mmapx: protect: ${p}: permission denied: mode rw needs read and write permission (EACCES)`);
  });

  it.skipIf(!mountNamespaces())('exec_on_a_noexec_mount_says_so', () => {
    const r = inMountNamespace(`mount -t tmpfs -o noexec tmpfs "$d"; printf abc > "$d/f"; $MMAPX protect "$d/f" exec; echo "status $?"`);
    expect(r.stderr).toMatch(/^mmapx: protect: \/tmp\/[^:]+\/f: cannot map it executable: \/tmp\/\S+ is mounted noexec \((EACCES|EPERM)\)\n$/);
    expect(r.stdout).toBe('status 1\n');
  });

  it.skipIf(!mountNamespaces())('rw_and_write_on_a_read_only_filesystem', () => {
    const r = inMountNamespace(
      `mount -t tmpfs tmpfs "$d"; printf abc > "$d/f"; mount -o remount,ro "$d"
       $MMAPX protect "$d/f" rw; echo "status $?"; $MMAPX write "$d/f" 0 00; echo "status $?"; cat "$d/f"; echo
       $MMAPX info "$d/f" | grep 'map modes'`,
    );
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(
      /^mmapx: protect: .*\/f: read-only file system \(the file is on a read-only filesystem\): mode rw needs read and write permission \(EROFS\)$|^mmapx: protect: .*\/f: read-only file system \(the file is on a read-only filesystem\) \(EROFS\)$/,
    );
    expect(lines[1]).toMatch(/^mmapx: write: .*\/f: read-only file system \(the file is on a read-only filesystem\) \(EROFS\)$/);
    expect(r.stdout).toMatch(/^status 1\nstatus 1\nabc\nmap modes +r yes, w no \(\/tmp\/\S+ is mounted read-only\), x yes\n$/);
  });

  it('a_missing_file_and_a_bad_mode', () => {
    expectFailure(mmapx(['protect', join(dir, 'nope'), 'ro']), 1, `mmapx: protect: ${join(dir, 'nope')}: no such file or directory (ENOENT)`);
    expectFailure(mmapx(['protect', file(), 'rwx']), 2, /^mmapx: protect: .*'rwx' is invalid .* ro, rw, exec, none/);
    expectFailure(mmapx(['protect', file(), 'ro', '--hold', 'x']), 2, /^mmapx: protect: .*--hold x: give a number of seconds above 0$/);
  });
});

describe('mmapx info', () => {
  it('reports_size_residency_filesystem_and_modes', () => {
    const p = file(Buffer.alloc(5 * 4096, 1));
    readFileSync(p); // into the page cache
    const r = mmapx(['info', p]);
    expectSuccess(r);
    expect(r.stderr).toBe('');
    const rows = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, 10).trim(), l.slice(12)]),
    );
    expect(rows.size).toBe('20480 bytes (20.0 KiB)');
    expect(rows.type).toBe('regular file');
    expect(rows.resident).toBe('5 of 5 pages (100%) in the page cache');
    expect(rows['map modes']).toBe('r yes, w yes, x yes');
    expect(rows.filesystem).toMatch(/ at \//);
  });

  it('json_keys_and_a_range', () => {
    const p = file(Buffer.alloc(5 * 4096, 1));
    const j = JSON.parse(mmapx(['--json', 'info', p, '--range', '4096:8192']).stdout);
    expect(j).toMatchObject({ ok: true, size: 20480, pageSize: 4096, range: { offset: 4096, length: 8192 }, totalPages: 2 });
    expect(j.modes.r).toEqual({ ok: true, reason: null });
    expect(typeof j.filesystem.type).toBe('string');
  });

  it('stats_prints_timings_on_stderr', () => {
    const r = mmapx(['info', file(), '--stats']);
    expect(r.stderr).toMatch(/^info in [\d.]+ ms: open [\d.]+, ffi [\d.]+, mincore/);
  });

  it('sparse_files_are_called_sparse', () => {
    const p = join(dir, 'sparse');
    writeFileSync(p, '');
    execFileSync('truncate', ['-s', '1G', p]);
    const r = mmapx(['info', p]);
    expect(r.stdout).toMatch(/allocated\s+0 bytes on disk \(sparse\)/);
    expect(r.stdout).toMatch(/resident\s+0 of 262144 pages \(0%\)/);
  });
});

describe('the global contract', () => {
  it('version_and_help', () => {
    const v = mmapx(['--version']);
    expectSuccess(v);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const h = mmapx(['--help']);
    expectSuccess(h);
    for (const c of ['write', 'flush', 'protect', 'info']) expect(h.stdout).toContain(c);
    expect(h.stdout).toMatch(/Exit status: 0 done/);
    for (const c of ['write', 'flush', 'protect', 'info']) {
      const ch = mmapx([c, '--help']);
      expectSuccess(ch);
      expect(ch.stdout).toMatch(new RegExp(`^Usage: mmapx ${c} `));
      expect(ch.stdout).toMatch(/Examples:\n( {2}\$ mmapx .*\n){3,}/);
    }
  });

  it('no_command_is_a_usage_error_with_help_on_stderr', () => {
    const r = mmapx([]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: mmapx/);
  });

  it('unknown_command_and_global_option_after_the_command', () => {
    expectFailure(mmapx(['wirte']), 2, "mmapx: unknown command 'wirte' (Did you mean write?) (see 'mmapx --help')");
    const p = file(Buffer.alloc(4));
    const r = mmapx(['write', p, '0', '01', '--json']);
    expectSuccess(r);
    expect(JSON.parse(r.stdout).status).toBe('written');
  });

  it('json_errors_are_one_object_on_stdout_and_one_line_on_stderr', () => {
    const p = file('abc');
    const r = mmapx(['--json', 'write', p, '9', '00']);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      command: 'write',
      ok: false,
      exitCode: 2,
      error: { message: 'offset 9 is past the end of the file (size 3)', code: null, path: p },
    });
    expect(r.stderr.split('\n').length).toBe(2);
  });
});
