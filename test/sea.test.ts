// The standalone executable (`npm run pkg`): built once, then run the way people without Node run
// it: `env -i`, a PATH with no node on it, from an empty folder with no node_modules above it.
// Building takes a few seconds once the Node 24 binary is in .cache/ (the first build downloads
// it); MMAPX_SKIP_SEA=1 skips this file.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/child.js';
import { expectFailure, expectSuccess, fingerprint, type Run, runCommand } from './helpers/cli.js';
import { inMountNamespace, mountNamespaces } from './helpers/mountns.js';
import { tmpDir } from './helpers/tmp.js';
import { underQemu } from './helpers/emulator.js';

const SKIP = process.env.MMAPX_SKIP_SEA === '1';
if (SKIP) console.warn('\n[sea.test.ts] SKIPPED: MMAPX_SKIP_SEA=1, the standalone executable is not built or tested\n');

const EXE = join(ROOT, 'dist', `mmapx-linux-${process.arch}`);
const BUILT = process.env.MMAPX_SEA_BUILT === '1';
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const work = tmpDir('mmapx-sea-');
const cwd = join(work, 'empty');
const home = join(work, 'home');
const noNode = join(work, 'bin'); // the only PATH entry: an empty directory
const FILE = 'f.bin';
const CONTENT = 'hello world!';

/** Runs the executable under `env -i` with only PATH (no node on it), HOME and `env`. */
function exe(args: string[], env: Record<string, string> = {}): Run {
  const vars = Object.entries({ PATH: noNode, HOME: home, ...env }).map(([k, v]) => `${k}=${v}`);
  return runCommand(['env', '-i', ...vars, EXE], args, { cwd });
}

const json = (r: Run) => JSON.parse(r.stdout) as Record<string, unknown>;
const file = () => readFileSync(join(cwd, FILE), 'utf8');

/**
 * One run each, on a fresh `f.bin` holding CONTENT in the empty folder: a name, the arguments and
 * what must hold afterwards. A new command is one more line.
 */
const CASES: [name: string, args: string[], check: (r: Run) => void][] = [
  ['version_is_the_package_version', ['--version'], (r) => expect(r.stdout).toBe(`${VERSION}\n`)],
  ['help_lists_the_commands', ['--help'], (r) => expect(r.stdout).toMatch(/^Usage: mmapx .*\n[\s\S]*\n {2}write /)],
  [
    'write_with_json_reports_and_writes',
    ['--json', 'write', FILE, '6', '574f'],
    (r) => {
      expect(json(r)).toMatchObject({ command: 'write', ok: true, status: 'written', offset: 6, length: 2, old: '776f', new: '574f' });
      expect(file()).toBe('hello WOrld!');
    },
  ],
  ['info_shows_size_and_map_modes', ['info', FILE], (r) => expect(r.stdout).toMatch(/^size +12 bytes\n[\s\S]*^map modes +r yes, w yes/m)],
  [
    'protect_ro_is_checked_by_the_kernel',
    ['--json', 'protect', FILE, 'ro'],
    (r) => expect(json(r)).toMatchObject({ ok: true, mode: 'ro', perms: 'r--s', read: true }),
  ],
  [
    'hexdump_canonical',
    ['hexdump', FILE],
    (r) => expect(r.stdout).toBe('00000000  68 65 6c 6c 6f 20 77 6f  72 6c 64 21              |hello world!|\n0000000c\n'),
  ],
  [
    'hexdump_xxd_coloured_strips_to_plain',
    ['hexdump', FILE, '-f', 'xxd', '--color', 'always'],
    (r) => expect(r.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toBe('00000000: 6865 6c6c 6f20 776f 726c 6421            hello world!\n'),
  ],
];

describe.skipIf(SKIP)('standalone executable', () => {
  beforeAll(() => {
    mkdirSync(cwd);
    mkdirSync(home);
    mkdirSync(noNode);
    try {
      // Only this machine's executable; MMAPX_SEA_BUILT=1: built before (CI's arm64 run builds it
      // with the host's Node, and runs this file on arm64 Node under qemu).
      if (!BUILT) execFileSync('npm', ['run', 'pkg', '--', '--arch', process.arch], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`npm run pkg failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
    expect(existsSync(EXE)).toBe(true);
    // No node for the executable to fall back on, and no node_modules above its folder.
    for (let dir = cwd; dir !== '/'; dir = join(dir, '..')) expect(existsSync(join(dir, 'node_modules')), dir).toBe(false);
  }, 300_000);

  beforeEach(() => {
    writeFileSync(join(cwd, FILE), CONTENT);
  });

  it.each(CASES)('%s', (_name, args, check) => {
    const r = exe(args);
    expectSuccess(r);
    check(r);
  });

  it('a_failing_command_prints_one_line_and_exits_1_or_2', () => {
    expectFailure(exe(['write', 'missing.bin', '0', '00']), 1, 'mmapx: write: missing.bin: no such file or directory (ENOENT)');
    const before = fingerprint(join(cwd, FILE));
    expectFailure(exe(['write', FILE, '0', 'zz']), 2, /^mmapx: write: f\.bin: bad hex data "zz"/);
    expect(fingerprint(join(cwd, FILE))).toBe(before);
  });

  // An own bundle's cache (info), a command's of the whole bundle (hexdump), the one for the rest
  // (cat). x64 only: arm64 and Windows keep the SEA's own code cache (scripts/build-sea.mjs STARTUP).
  it.skipIf(process.arch !== 'x64')('the_code_caches_made_at_build_time_are_taken', () => {
    for (const args of [
      ['info', FILE],
      ['hexdump', FILE],
      ['cat', FILE],
    ]) {
      const r = exe(args, { MMAPX_SEA_CACHE_CHECK: '1' });
      expectSuccess(r);
      expect(r.stderr).toBe('sea code cache: accepted\n');
    }
  });

  it('the_native_module_is_cached_once_per_user_by_version_and_hash', () => {
    expectSuccess(exe(['write', FILE, '0', '48']));
    const cached = readdirSync(join(home, '.cache/mmapx'));
    expect(cached).toEqual([expect.stringMatching(/^koffi-\d+\.\d+\.\d+-linux-(x64|arm64)-[0-9a-f]{16}\.node$/)]);
  });

  it('parallel_first_runs_share_one_cache_file', async () => {
    const cache = join(work, 'parallel-cache');
    const names = Array.from({ length: 6 }, (_, i) => `p${i}.bin`);
    for (const n of names) writeFileSync(join(cwd, n), 'abcdefgh');
    const statuses = await Promise.all(
      names.map(
        (n) =>
          new Promise<number | null>((done) => {
            const child = spawn('env', ['-i', `PATH=${noNode}`, `HOME=${home}`, `MMAPX_CACHE_DIR=${cache}`, EXE, '-q', 'write', n, '0', '41'], {
              cwd,
              stdio: 'ignore',
            });
            child.on('close', done);
          }),
      ),
    );
    expect(statuses).toEqual(names.map(() => 0));
    for (const n of names) expect(readFileSync(join(cwd, n), 'utf8')).toBe('Abcdefgh');
    expect(readdirSync(cache)).toHaveLength(1); // no temporary files left behind
  });

  // Scan threads run the worker bundle embedded as an asset (an executable has no file to start
  // a worker from): a count over four 256 MiB chunks on three threads, one match straddling a
  // chunk boundary, is the count of one thread.
  it('find_count_on_scan_threads', () => {
    const big = join(work, 'big.bin');
    const fd = openSync(big, 'w');
    try {
      ftruncateSync(fd, 1024 * 1024 * 1024);
      for (const at of [100, 256 * 1024 * 1024 - 2, 900_000_000]) writeSync(fd, 'cafe', at);
    } finally {
      closeSync(fd);
    }
    try {
      for (const threads of ['3', '1']) {
        const r = exe(['find', big, '--text', 'cafe', '--count'], { MMAPX_THREADS: threads });
        expectSuccess(r);
        expect(r.stdout).toBe('3\n');
      }
    } finally {
      rmSync(big, { force: true });
    }
  });

  it.skipIf(
    !mountNamespaces() ||
      underQemu('sea noexec cache: qemu-user loads a shared library without PROT_EXEC (it translates the code), so a noexec mount refuses nothing'),
  )('noexec_cache_and_tmp_give_one_clear_error_and_leave_the_file_alone', () => {
    const r = inMountNamespace(
      `mount -t tmpfs -o noexec,mode=0700 tmpfs "$d" && mkdir "$d/cache" "$d/tmp" "$d/bin" || exit 98
       cd "$d" && printf abc > f.bin && echo "$d"
       run() { env -i PATH="$d/bin" HOME="$d" MMAPX_CACHE_DIR="$d/cache" TMPDIR="$d/tmp" $MMAPX "$@"; }
       run write f.bin 0 41; echo "status $?"
       run --version
       echo "file $(cat f.bin)"
       ls "$d/tmp" | wc -l`,
      EXE,
    );
    const [d] = r.stdout.split('\n');
    expect(r.stderr).toBe(
      `mmapx: cannot load the native FFI module: ${d}/cache and ${d}/tmp are not executable (noexec); set MMAPX_CACHE_DIR to a directory on an exec filesystem\n`,
    );
    expect(r.stdout).toBe(`${d}\nstatus 1\n${VERSION}\nfile abc\n0\n`);
  });

  it.skipIf(!mountNamespaces())('a_noexec_cache_falls_back_to_a_private_temporary_directory', () => {
    const r = inMountNamespace(
      `mount -t tmpfs -o noexec,mode=0700 tmpfs "$d" && mkdir "$d/cache" "$d/bin" "$d/tmp" && mount -t tmpfs -o mode=0700 tmpfs "$d/tmp" || exit 98
       cd "$d" && printf abc > f.bin
       env -i PATH="$d/bin" HOME="$d" MMAPX_CACHE_DIR="$d/cache" TMPDIR="$d/tmp" $MMAPX -q write f.bin 0 41; echo "status $?"
       echo "file $(cat f.bin)"
       ls -A "$d/tmp" | wc -l`,
      EXE,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('status 0\nfile Abc\n0\n');
  });
});

if (!SKIP && !mountNamespaces()) {
  console.warn('[sea.test.ts] noexec cases skipped: unshare -m with tmpfs mounts is not available here (needs root)');
}
