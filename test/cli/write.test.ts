import { chmodSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, expectSuccess, fingerprint, mmapx, PINNED_ENV, runCommand } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
beforeAll(() => requireBuild());
let n = 0;
function file(content: Uint8Array | string = Buffer.from('Hello, world!\n')): string {
  const p = join(dir, `w${n++}.bin`);
  writeFileSync(p, content);
  return p;
}

describe('mmapx write: data forms', () => {
  it('writes_hex_in_every_spelling', () => {
    for (const args of [['eb05'], ['eb', '05'], ['0xeb05'], ['eb:05'], ['EB 05']]) {
      const p = file(Buffer.alloc(16));
      const r = mmapx(['write', p, '0x4', ...args]);
      expectSuccess(r);
      expect(r.stdout).toBe('');
      expect(r.stderr, r.dump).toMatch(/^wrote 2 bytes at 0x4 \(00 00 -> eb 05\) in [\d.]+ ms: .*msync [\d.]+\n$/);
      expect([...readFileSync(p).subarray(3, 7)]).toEqual([0, 0xeb, 5, 0]);
    }
  });

  it('writes_text_with_escapes', () => {
    const p = file(Buffer.alloc(8));
    expectSuccess(mmapx(['write', p, '1', '--text', 'a\\x00b\\n']));
    expect([...readFileSync(p)]).toEqual([0, 0x61, 0, 0x62, 0x0a, 0, 0, 0]);
  });

  it('writes_from_a_file_and_from_stdin', () => {
    const src = file('XYZ');
    const p = file(Buffer.alloc(6));
    expectSuccess(mmapx(['write', p, '0', '--file', src]));
    expectSuccess(mmapx(['write', p, '3', '--stdin'], { input: 'abc' }));
    expect(readFileSync(p, 'latin1')).toBe('XYZabc');
  });

  it('fills_a_range', () => {
    const p = file(Buffer.alloc(10_000, 1));
    const r = mmapx(['write', p, '-4K', '--fill', '0xff', '--length', '4K']);
    expectSuccess(r);
    const back = readFileSync(p);
    expect(back.subarray(0, 10_000 - 4096).every((b) => b === 1)).toBe(true);
    expect(back.subarray(10_000 - 4096).every((b) => b === 0xff)).toBe(true);
    expect(r.stderr).toMatch(/^wrote 4096 bytes at 0x1710 \(01 01 01 01 01 01 01 01 … -> ff ff ff ff ff ff ff ff …\)/);
  });

  it('writes_typed_values', () => {
    const p = file(Buffer.alloc(16));
    expectSuccess(mmapx(['write', p, '0', '--u32le', '0xdeadbeef']));
    expectSuccess(mmapx(['write', p, '4', '--u16be', '258']));
    expectSuccess(mmapx(['write', p, '6', '--i8', '-1']));
    expectSuccess(mmapx(['write', p, '8', '--f64le', '1.5']));
    const b = readFileSync(p);
    expect(b.readUInt32LE(0)).toBe(0xdeadbeef);
    expect(b.readUInt16BE(4)).toBe(258);
    expect(b[6]).toBe(0xff);
    expect(b.readDoubleLE(8)).toBe(1.5);
  });

  it('negative_offsets_count_from_the_end', () => {
    const p = file('abcdef');
    expectSuccess(mmapx(['write', p, '-2', '5a5a']));
    expect(readFileSync(p, 'latin1')).toBe('abcdZZ');
    // Data from stdin or a file at a negative offset: the room left is counted back from the end
    // (it was taken as 0, refusing every such write).
    expectSuccess(mmapx(['write', p, '-3', '--stdin'], { input: 'xyz' }));
    expect(readFileSync(p, 'latin1')).toBe('abcxyz');
    expectSuccess(mmapx(['write', p, '-6', '--file', file('QR')]));
    expect(readFileSync(p, 'latin1')).toBe('QRcxyz');
    expectFailure(mmapx(['write', p, '-2', '--stdin'], { input: 'xyz' }), 2, /longer than the 2 bytes the file holds from offset -2 on/);
    expect(readFileSync(p, 'latin1')).toBe('QRcxyz');
  });

  it('through_a_symlink', () => {
    const p = file('abc');
    const link = join(dir, `link${n++}`);
    symlinkSync(p, link);
    expectSuccess(mmapx(['write', link, '0', '41']));
    expect(readFileSync(p, 'latin1')).toBe('Abc');
  });
});

describe('mmapx write: guards and idempotence', () => {
  it('expect_matches_then_writes', () => {
    const p = file(Buffer.from([0x74, 0x05]));
    expectSuccess(mmapx(['write', p, '0', 'eb05', '--expect', '7405']));
    expect([...readFileSync(p)]).toEqual([0xeb, 0x05]);
  });

  it('expect_already_applied_is_success', () => {
    const p = file(Buffer.from([0xeb, 0x05]));
    const before = statSync(p).mtimeMs;
    const r = mmapx(['write', p, '0', 'eb05', '--expect', '7405']);
    expectSuccess(r);
    expect(r.stderr).toMatch(/^already: 2 bytes at 0x0 are eb 05, nothing written/);
    expect(statSync(p).mtimeMs).toBe(before);
  });

  it('expect_mismatch_exits_3_and_changes_nothing', () => {
    const p = file(Buffer.from([0x75, 0x05, 0x00]));
    const fp = fingerprint(p);
    const r = mmapx(['write', p, '0', 'eb05', '--expect', '7405']);
    expectFailure(r, 3, `mmapx: write: ${p}: bytes at 0x0 are 75 05, expected 74 05; nothing written`);
    expect(fingerprint(p)).toBe(fp);
  });

  it('json_report_has_documented_keys_and_numeric_timings', () => {
    const p = file(Buffer.alloc(4));
    const r = mmapx(['--json', 'write', p, '1', 'aabb']);
    expectSuccess(r);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ command: 'write', ok: true, status: 'written', file: p, offset: 1, length: 2, old: '0000', new: 'aabb', grewFrom: null });
    expect(j.synced).toEqual({ offset: 0, length: 4096 });
    for (const k of ['open', 'map', 'write', 'msync', 'total']) expect(typeof j.timings[k]).toBe('number');
  });

  it('quiet_silences_the_summary', () => {
    const p = file(Buffer.alloc(4));
    const r = mmapx(['-q', 'write', p, '0', '01']);
    expectSuccess(r);
    expect(r.stderr).toBe('');
  });

  it('no_sync_skips_msync', () => {
    const p = file(Buffer.alloc(4));
    const r = mmapx(['write', '--no-sync', p, '0', '01']);
    expectSuccess(r);
    expect(r.stderr).toMatch(/\(not synced\)/);
    expect(r.stderr).not.toMatch(/msync/);
    expect(readFileSync(p)[0]).toBe(1);
  });
});

describe('mmapx write: growing and big files', () => {
  it('past_the_end_needs_grow', () => {
    const p = file('abc');
    const fp = fingerprint(p);
    expectFailure(
      mmapx(['write', p, '2', '4142']),
      2,
      `mmapx: write: ${p}: writing 2 bytes at 0x2 ends past the end of the file (size 0x3); use --grow to extend it`,
    );
    expect(fingerprint(p)).toBe(fp);
    const r = mmapx(['write', p, '5', '4142', '--grow']);
    expectSuccess(r);
    expect(r.stderr).toMatch(/file grown from 3 to 7 bytes/);
    expect([...readFileSync(p)]).toEqual([0x61, 0x62, 0x63, 0, 0, 0x41, 0x42]);
  });

  it('writes_at_10gib_into_a_16gib_sparse_file', () => {
    const p = join(dir, 'sparse16g.bin');
    writeFileSync(p, '');
    truncateSync(p, 16 * 1024 ** 3);
    const r = mmapx(['write', p, '10G', 'cafe', '--expect', '0000']);
    expectSuccess(r);
    const fd = require('node:fs').openSync(p, 'r');
    const b = Buffer.alloc(4);
    require('node:fs').readSync(fd, b, 0, 4, 10 * 1024 ** 3 - 1);
    require('node:fs').closeSync(fd);
    expect([...b]).toEqual([0, 0xca, 0xfe, 0]);
    expect(statSync(p).blocks * 512).toBeLessThan(1 << 20); // still sparse
  });
});

describe('mmapx write: bad input leaves the file byte-identical', () => {
  const cases: [string, (p: string) => string[], number, RegExp | ((p: string) => string | RegExp)][] = [
    ['odd hex', (p) => ['write', p, '0', 'abc'], 2, (p) => `mmapx: write: ${p}: bad hex data "abc": odd number of hex digits`],
    ['stray char', (p) => ['write', p, '0', 'eb0g'], 2, (p) => `mmapx: write: ${p}: bad hex data "eb0g": 'g' at position 3 is not a hex digit`],
    ['no data', (p) => ['write', p, '0'], 2, (p) => `mmapx: write: ${p}: no data: give hex bytes, or one of --text, --file, --stdin, --fill, --u8 ... --f64le`],
    [
      'two sources',
      (p) => ['write', p, '0', '00', '--text', 'x'],
      2,
      (p) => `mmapx: write: ${p}: conflicting data sources: hex arguments and --text; give exactly one`,
    ],
    ['bad offset', (p) => ['write', p, '0x1g', '00'], 2, /^mmapx: write: .*: bad offset "0x1g": .*position 3/],
    ['offset overflow', (p) => ['write', p, '99999999999999999999', '00'], 2, /^mmapx: write: .*: bad offset "99999999999999999999": /],
    ['before start', (p) => ['write', p, '-100', '00'], 2, (p) => `mmapx: write: ${p}: offset -100 is before the start of the file (size 14)`],
    [
      'past end',
      (p) => ['write', p, '14', '00'],
      2,
      (p) => `mmapx: write: ${p}: writing 1 byte at 0xe ends past the end of the file (size 0xe); use --grow to extend it`,
    ],
    ['u8 range', (p) => ['write', p, '0', '--u8', '300'], 2, /^mmapx: write: .*300.*u8/],
    ['fill without length', (p) => ['write', p, '0', '--fill', '0'], 2, (p) => `mmapx: write: ${p}: --fill needs --length N`],
    ['fill not a byte', (p) => ['write', p, '0', '--fill', '256', '--length', '1'], 2, (p) => `mmapx: write: ${p}: fill byte 256 is not a byte (0..255)`],
    [
      'expect length',
      (p) => ['write', p, '0', '0000', '--expect', '00'],
      2,
      (p) => `mmapx: write: ${p}: --expect has 1 bytes but the data has 2: they must cover the same bytes`,
    ],
    [
      'expect past end',
      (p) => ['write', p, '13', '0000', '--expect', '0a00', '--grow'],
      3,
      (p) => `mmapx: write: ${p}: --expect 0a 00 at 0xd: the file ends at 0xe`,
    ],
    ['empty text', (p) => ['write', p, '0', '--text', ''], 2, /^mmapx: write: .*empty/],
    ['bad escape', (p) => ['write', p, '0', '--text', 'a\\q'], 2, /^mmapx: write: .*position 1/],
    ['unknown option', (p) => ['write', p, '0', '00', '--bogus'], 2, () => `mmapx: write: unknown option '--bogus' (see 'mmapx write --help')`],
    [
      'missing file --file',
      (p) => ['write', p, '0', '--file', '/nonexistent/x'],
      1,
      (p) => `mmapx: write: ${p}: cannot read --file /nonexistent/x: no such file or directory (ENOENT)`,
    ],
  ];
  for (const [name, args, status, line] of cases) {
    it(name, () => {
      const p = file();
      const fp = fingerprint(p);
      expectFailure(mmapx(args(p)), status, typeof line === 'function' ? line(p) : line);
      expect(fingerprint(p)).toBe(fp);
    });
  }

  it('missing_file', () => {
    const p = join(dir, 'missing.bin');
    expectFailure(mmapx(['write', p, '0', '00']), 1, `mmapx: write: ${p}: no such file or directory (ENOENT)`);
  });

  it('a_directory', () => {
    expectFailure(mmapx(['write', dir, '0', '00']), 1, `mmapx: write: ${dir}: is a directory (EISDIR)`);
  });

  it('a_fifo_is_refused_even_with_force', () => {
    const f = join(dir, `fifo${n++}`);
    require('node:child_process').execFileSync('mkfifo', [f]);
    expectFailure(mmapx(['write', f, '0', '00', '--force']), 1, `mmapx: write: ${f}: is a FIFO: it has no bytes to map (ENODEV)`);
  });

  it('a_socket', async () => {
    const sock = join(dir, `sock${n++}`);
    const server = require('node:net').createServer().listen(sock);
    await new Promise((r) => server.once('listening', r));
    try {
      expectFailure(mmapx(['write', sock, '0', '00', '--force']), 1, `mmapx: write: ${sock}: is a socket: it has no bytes to map (ENODEV)`);
    } finally {
      server.close();
    }
  });

  it('a_character_device_needs_force', () => {
    expectFailure(mmapx(['write', '/dev/null', '0', '00']), 1, 'mmapx: write: /dev/null: is a character device: refusing to map it without --force');
  });

  it('a_procfs_file', () => {
    expectFailure(
      mmapx(['write', '/proc/self/oom_score_adj', '0', '00']),
      1,
      /^mmapx: write: \/proc\/self\/oom_score_adj: is on procfs: its files cannot be memory-mapped \(use --force to try anyway\)$/,
    );
  });

  it('no_write_permission', () => {
    const p = file();
    chmodSync(p, 0o444);
    const fp = fingerprint(p);
    const r = mmapx(['write', p, '0', '00'], { env: {} });
    if (process.getuid?.() === 0) {
      // root ignores file modes; the permission case is covered by the read-only-fs test instead.
      expectSuccess(r);
    } else {
      expectFailure(r, 1, `mmapx: write: ${p}: permission denied (EACCES)`);
      expect(fingerprint(p)).toBe(fp);
    }
  });

  it('debug_adds_a_stack', () => {
    const p = file();
    const r = mmapx(['--debug', 'write', p, '0', 'zz']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mmapx: write: .*\n.*InputError/s);
  });
});

describe('mmapx write: start-up', () => {
  // The small commands of issue 13 §2 load no builtin module that only other commands or other
  // runs need (hashing, scan threads, terminals, child processes).
  const UNNEEDED = ['crypto', 'zlib', 'worker_threads', 'sea', 'tty', 'child_process'];
  it.each([
    ['write', (p: string) => ['write', p, '0', '48'], UNNEEDED],
    ['flush', (p: string) => ['flush', p], UNNEEDED],
    ['protect', (p: string) => ['protect', p, 'ro'], UNNEEDED],
    ['info', (p: string) => ['info', p], UNNEEDED],
    ['hexdump', (p: string) => ['hexdump', p, '-n', '64'], UNNEEDED],
    // (The undo journal's records are checksummed with sha256.)
    ['patch of one hunk', (p: string) => ['patch', p, '--edit', '0:00=01'], UNNEEDED.filter((m) => m !== 'crypto')],
    ['hash of 4 KiB', (p: string) => ['hash', p], UNNEEDED.filter((m) => m !== 'crypto')],
  ])('%s loads none of the builtin modules it does not need', (_name, argv, unneeded) => {
    // A preload script that prints, at exit, the builtin modules the program loaded (through
    // fs.writeSync: process.stderr would load stream modules of its own).
    const hook = join(dir, 'modules.cjs');
    writeFileSync(
      hook,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the template is in the script the child runs
      "process.on('exit', () => require('node:fs').writeSync(2, `modules: ${process.moduleLoadList.join(',')}\\n`));\n",
    );
    const p = file();
    writeFileSync(p, Buffer.alloc(4096));
    const r = runCommand([process.execPath, '-r', hook, BIN], argv(p), { env: PINNED_ENV });
    expect(r.status, r.dump).toBe(0);
    const loaded = (/modules: (.*)/.exec(r.stderr)?.[1] ?? '').split(',');
    expect(loaded, r.dump).toContain('NativeModule fs'); // the list is real
    // (Not os: Node 22 and 24 load it themselves for their compile cache, and so does mmapx's.)
    for (const m of unneeded) expect(loaded, m).not.toContain(`NativeModule ${m}`);
  });
});
