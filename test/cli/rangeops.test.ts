// The built CLI's fill, copy, move and transform on real files: copy against `dd conv=notrunc`
// (also overlapping copies of 9 MiB, which span windows; upwards they go backwards), fill, move and
// transform against Python's bytes on a file larger than a window (phases carried across windows),
// the --json report, dry run, already and --files-from, and SIGKILL at random instants followed
// by `recover`: the file is the original or the result, never anything else.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { journalPath } from '../../src/edit/journal.js';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, fingerprint, mmapx, PINNED_ENV } from '../helpers/cli.js';
import { randomBytes } from '../helpers/peers.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-cli-rangeops-');
const f = (name: string) => join(dir, name);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const MiB = 1 << 20;
/** Larger than a window (8 MiB): ranges below cross window boundaries. */
const BIG = randomBytes(10 * MiB + 123, 7);

const has = (cmd: string, arg = '--version') => spawnSync(cmd, [arg]).status === 0;

beforeAll(() => {
  requireBuild();
  writeFileSync(f('big.bin'), BIG);
  writeFileSync(f('other.bin'), randomBytes(64 * 1024, 8));
  writeFileSync(f('small.bin'), randomBytes(256 * 1024, 10));
});

describe('copy against dd conv=notrunc', () => {
  const dd = has('dd');
  // [source range start, length, destination, --from other?]: one dd block (bs = length) reads the
  // whole source before writing, which is memmove for overlapping ranges too.
  const cases: [number, number, number, boolean][] = [
    [0, 4096, 100_000, false], // one window, no overlap
    [1000, 9 * MiB, MiB + 5, false], // overlapping, destination above: windows go backwards
    [MiB + 5, 9 * MiB, 1000, false], // overlapping, destination below
    [17, 60_000, 100_003, true], // from another file
  ];
  it.skipIf(!dd).each(cases)('copy %i:%i -> %i (from another file: %s) equals dd', (src, len, dst, other) => {
    const ours = f(`copy-ours-${src}-${dst}`);
    const theirs = f(`copy-dd-${src}-${dst}`);
    // Big enough to span windows only where the case needs it.
    const base = len < MiB ? f('small.bin') : f('big.bin');
    copyFileSync(base, ours);
    copyFileSync(base, theirs);
    const from = other ? f('other.bin') : theirs;
    const d = spawnSync('dd', [
      `if=${from}`,
      `of=${theirs}`,
      `bs=${len}`,
      'count=1',
      `skip=${src}`,
      `seek=${dst}`,
      'iflag=skip_bytes,fullblock',
      'oflag=seek_bytes',
      'conv=notrunc',
      'status=none',
    ]);
    expect(d.status, String(d.stderr)).toBe(0);
    const r = mmapx(['copy', ours, `${src}:${len}`, String(dst), ...(other ? ['--from', f('other.bin')] : [])]);
    expect(r.status, r.dump).toBe(0);
    expect(r.stderr).toMatch(/^copied /);
    expect(sha(readFileSync(ours))).toBe(sha(readFileSync(theirs)));
    expect(existsSync(journalPath(ours))).toBe(false);
  });
  if (!dd) it.skip('dd is not installed: the copy differential is skipped', () => {});
});

describe.runIf(process.platform === 'linux')('copy --from a file without a size, with --force', () => {
  it('a device and a procfs file are refused naming --from, not FILE, and FILE is unchanged', () => {
    writeFileSync(f('from-target.bin'), 'Hello, world!\n');
    const before = fingerprint(f('from-target.bin'));
    const line = (from: string, what: string) => `mmapx: copy: ${f('from-target.bin')}: --from ${from}: ${what}`;
    expectFailure(
      mmapx(['copy', f('from-target.bin'), '0:4', '0', '--from', '/dev/zero', '--force']),
      1,
      line('/dev/zero', 'is a device, whose size is unknown: copy from a file (mmapx cat --force DEVICE RANGE -o FILE)'),
    );
    expectFailure(
      mmapx(['copy', f('from-target.bin'), '0:4', '0', '--from', '/proc/self/status', '--force']),
      1,
      new RegExp(`^${line('/proc/self/status', 'is on procfs: ')}`),
    );
    expect(fingerprint(f('from-target.bin'))).toBe(before);
  });
});

describe('fill, move and transform against Python bytes', () => {
  const python = has('python3');
  // Python computes the expected file for each case from the original; every case crosses windows.
  const PY = `
import sys, struct, json
data = open(sys.argv[1], 'rb').read()
out = {}
for name, c in json.loads(sys.argv[2]).items():
    b = bytearray(data)
    o, n = c['off'], c['len']
    if c['op'] == 'fill':
        p = bytes.fromhex(c['pattern'])
        b[o:o+n] = (p * (n // len(p) + 1))[:n]
    elif c['op'] == 'move':
        src = bytes(b[o:o+n]); b[o:o+n] = bytes([c['fill']]) * n; b[c['dst']:c['dst']+n] = src
    elif c['op'] == 'xor':
        k = bytes.fromhex(c['key'])
        r = (k * (n // len(k) + 1))[:n]
        b[o:o+n] = (int.from_bytes(b[o:o+n], 'little') ^ int.from_bytes(r, 'little')).to_bytes(n, 'little')
    elif c['op'] == 'add32le':
        xs = struct.unpack('<%dI' % (n // 4), bytes(b[o:o+n]))
        b[o:o+n] = struct.pack('<%dI' % (n // 4), *[(x + c['v']) & 0xffffffff for x in xs])
    out[name] = __import__('hashlib').sha256(bytes(b)).hexdigest()
print(json.dumps(out))
`;
  const cases: Record<string, { args: string[]; py: Record<string, unknown> }> = {
    'fill a 3-byte pattern over 9 MiB from an odd offset': {
      args: ['fill', 'F', `7:${9 * MiB}`, '--pattern', 'a1b2c3'],
      py: { op: 'fill', off: 7, len: 9 * MiB, pattern: 'a1b2c3' },
    },
    'move 9 MiB up by 1 MiB, vacated bytes ff': {
      args: ['move', 'F', `5:${9 * MiB}`, String(MiB + 5), '--fill', 'ff'],
      py: { op: 'move', off: 5, len: 9 * MiB, dst: MiB + 5, fill: 255 },
    },
    'transform xor with a 3-byte key over 9 MiB': {
      args: ['transform', 'F', `1:${9 * MiB}`, 'xor', '5a0f33'],
      py: { op: 'xor', off: 1, len: 9 * MiB, key: '5a0f33' },
    },
    'transform add u32le over 10 MiB': {
      args: ['transform', 'F', `4:${10 * MiB}`, 'add', '0x01020304', '--unit', 'u32le'],
      py: { op: 'add32le', off: 4, len: 10 * MiB, v: 0x01020304 },
    },
  };
  let expected: Record<string, string> = {};
  beforeAll(() => {
    if (!python) return;
    const spec = Object.fromEntries(Object.entries(cases).map(([k, c]) => [k, c.py]));
    const r = spawnSync('python3', ['-c', PY, f('big.bin'), JSON.stringify(spec)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    expect(r.status, r.stderr).toBe(0);
    expected = JSON.parse(r.stdout);
  });
  it.skipIf(!python).each(Object.keys(cases))('%s', (name) => {
    const p = f(`py-${Object.keys(cases).indexOf(name)}`);
    copyFileSync(f('big.bin'), p);
    const r = mmapx(cases[name]!.args.map((a) => (a === 'F' ? p : a)));
    expect(r.status, r.dump).toBe(0);
    expect(sha(readFileSync(p))).toBe(expected[name]);
  });
  if (!python) it.skip('python3 is not installed: the differential of fill, move and transform is skipped', () => {});
});

describe('reports', () => {
  it('--json over --files-from: applied, then already; a dry run quotes old and new and leaves the files', () => {
    const a = f('rep-a');
    const b = f('rep-b');
    writeFileSync(a, 'abcdefgh');
    writeFileSync(b, 'abcdXXgh');
    writeFileSync(f('rep.list'), `${a}\n${b}\n`);
    const dry = mmapx(['--json', 'transform', '--files-from', f('rep.list'), '4:2', 'xor', '20', '--dry-run', '--hash']);
    expect(dry.status, dry.dump).toBe(0);
    const d = JSON.parse(dry.stdout);
    expect(d).toHaveLength(2);
    expect(d[0]).toMatchObject({
      command: 'transform',
      status: 'dry-run',
      op: 'xor 20',
      offset: 4,
      length: 2,
      bytesChanged: 2,
      change: { offset: 4, old: '6566', new: '4546' },
    });
    expect(d[0].sha256.after).toBe(sha(Buffer.from('abcdEFgh')));
    expect(readFileSync(a, 'utf8')).toBe('abcdefgh');
    const run = mmapx(['--json', 'transform', '--files-from', f('rep.list'), '4:2', 'xor', '20']);
    const j = JSON.parse(run.stdout);
    expect(j.map((x: { status: string }) => x.status)).toEqual(['applied', 'applied']);
    expect(j[0].journal).toMatchObject({ records: 1 });
    expect(readFileSync(a, 'utf8')).toBe('abcdEFgh');
    expect(readFileSync(b, 'utf8')).toBe('abcdxxgh');
    const again = mmapx(['fill', a, '4:2', '--pattern', '4546']);
    expect(again.status, again.dump).toBe(0);
    expect(again.stderr).toMatch(/^already: 0x4:2 of .* holds the result of fill 4546, nothing written/);
  });

  it('a guard that fails: exit 3, FAILED on stdout, the file byte-identical', () => {
    const p = f('guard');
    writeFileSync(p, 'abcdefgh');
    const r = mmapx(['move', p, '0:2', '4', '--expect-sha256', '0'.repeat(64)]);
    expect(r.status, r.dump).toBe(3);
    expect(r.stdout).toMatch(/^FAILED --expect-sha256: the range 0x0:6 has sha256 [0-9a-f]{64}, expected 0{64}\n$/);
    expect(readFileSync(p, 'utf8')).toBe('abcdefgh');
  });

  it('--no-sync: the result is in place, nothing waited for the disk, the journal still goes', () => {
    const p = f('nosync');
    for (const journal of [[], ['--no-journal']]) {
      writeFileSync(p, 'abcdefgh');
      const r = mmapx(['--json', 'transform', p, '2:4', 'xor', '20', '--no-sync', ...journal]);
      expect(r.status, r.dump).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j).toMatchObject({ status: 'applied', bytesChanged: 4, synced: 0 });
      expect(j.timings.writeback).toBe(0);
      expect(j.journal === null).toBe(journal.length > 0);
      expect(readFileSync(p, 'utf8')).toBe('abCDEFgh');
      expect(existsSync(journalPath(p))).toBe(false);
    }
  });
});

describe('crash safety', () => {
  /**
   * Runs the command and kills it with SIGKILL `ms` after its journal appears (polled), or after
   * `ms` from the start when `fromStart`; resolves when it is gone.
   */
  const killAfter = (args: string[], ms: number, journal: string, fromStart = false): Promise<void> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: PINNED_ENV, stdio: 'ignore' });
      let timer: NodeJS.Timeout | undefined;
      const arm = () => (timer = setTimeout(() => child.kill('SIGKILL'), ms));
      const poll = setInterval(() => {
        if (!existsSync(journal)) return;
        clearInterval(poll);
        arm();
      }, 1);
      if (fromStart) {
        clearInterval(poll);
        arm();
      }
      child.on('exit', () => {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      });
    });

  it('transform killed at random instants: after recover, the original or the result, no journal', async () => {
    const orig = randomBytes(9 * MiB, 9);
    const p = f('crash.bin');
    const jp = journalPath(p);
    const args = ['transform', p, `0:${orig.length}`, 'xor', 'a5'];
    const result = Buffer.from(orig);
    for (let i = 0; i < result.length; i += 4) result.writeUInt32LE((result.readUInt32LE(i) ^ 0xa5a5a5a5) >>> 0, i);
    const want = new Set([sha(orig), sha(result)]);
    const seen: string[] = [];
    // Kills after the journal appeared (while it is written, synced, while the file is written),
    // and one early kill from the start.
    for (const [ms, fromStart] of [
      [0, false],
      [20, false],
      [80, false],
      [50, true],
    ] as const) {
      writeFileSync(p, orig);
      await killAfter(args, ms, jp, fromStart);
      const journaled = existsSync(jp);
      if (journaled) {
        const r = mmapx(['recover', p]);
        expect(r.status, r.dump).toBe(0);
      }
      const h = sha(readFileSync(p));
      expect(want.has(h), `kill ${ms} ms after ${fromStart ? 'the start' : 'the journal appeared'}: the file is neither the original nor the result`).toBe(
        true,
      );
      expect(existsSync(jp)).toBe(false);
      seen.push(`${journaled ? 'journal' : 'none'}:${h === sha(orig) ? 'original' : 'result'}`);
    }
    // Kills must have found a journal to roll back, or the test proved little.
    expect(
      seen.some((s) => s.startsWith('journal')),
      seen.join(' '),
    ).toBe(true);
  }, 60_000);
});
