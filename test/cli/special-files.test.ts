// Special files on both sides of a command, through the built CLI.
// Outputs (-o of cat and diff): a device, a FIFO, a symlink, `-` and an existing file are written
// to, never replaced: a device stays the same device, a symlink stays a symlink (its target gets
// the bytes), a FIFO's reader gets them, `-` is standard output, a replaced file keeps its mode
// and owner. Device nodes are made here with mknod (as root); no system device is ever an output.
// Inputs with --force: procfs and sysfs files (fstat size 0 or 4096) are read by read(2) by every
// read command, and devices and pseudo files follow one rule for ranges in every read command.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenFile } from '../../src/edit/files.js';
import { readSpan } from '../../src/edit/files.js';
import { parseRange } from '../../src/format/range.js';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, expectSuccess, fingerprint, mmapx, PINNED_ENV, runCommand } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const ROOT_USER = process.getuid?.() === 0;
const canDrop = ROOT_USER && spawnSync('setpriv', ['--version']).status === 0;
const dir = tmpDir('mmapx-special-');
chmodSync(dir, 0o755); // reachable by `nobody`
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const SRC = join(dir, 'src.bin');
const OLD = join(dir, 'old.bin');
const NEW = join(dir, 'new.bin');
const src = randomBytes(4096);

let server: ReturnType<typeof createServer> | undefined;
beforeAll(async () => {
  requireBuild();
  writeFileSync(SRC, src);
  const old = randomBytes(300);
  const neu = Buffer.from(old);
  neu[7] ^= 0xff;
  neu[200] ^= 0x55;
  writeFileSync(OLD, old);
  writeFileSync(NEW, neu);
  server = createServer().listen(join(dir, 'sock'));
  await new Promise((r) => server?.once('listening', r));
});
afterAll(() => server?.close());

let n = 0;
/** A fresh directory for one case: what is left in it afterwards is checked. */
function caseDir(): string {
  const d = join(dir, `case${n++}`);
  mkdirSync(d);
  return d;
}

/** Whether a block driver has `major` here (60-63 are for local use: normally none). */
function blockMajorInUse(major: number): boolean {
  const devices = readFileSync('/proc/devices', 'utf8');
  const block = devices.slice(devices.indexOf('Block devices:'));
  return new RegExp(`^\\s*${major} `, 'm').test(block);
}

function mknod(path: string, major: number, minor: number): void {
  const r = spawnSync('mknod', [path, 'c', String(major), String(minor)]);
  if (r.status !== 0) throw new Error(`mknod ${path}: ${r.stderr}`);
}

/** The two commands with -o, the bytes each writes there (what it prints without -o). */
const WRITERS = [
  { name: 'cat', args: (out: string) => ['cat', SRC, '0x10:64', '-o', out], expected: () => src.subarray(16, 80) },
  {
    name: 'diff',
    args: (out: string) => ['diff', OLD, NEW, '-o', out],
    expected: () => {
      const r = mmapx(['diff', OLD, NEW]);
      expectSuccess(r);
      return r.stdoutBytes;
    },
  },
] as const;

describe('-o writes to what the path names, never replaces it', () => {
  for (const w of WRITERS) {
    describe(w.name, () => {
      it.skipIf(!ROOT_USER)('a character device stays the same device (mknod c 1 3, a null device)', () => {
        const d = caseDir();
        const dev = join(d, 'null');
        mknod(dev, 1, 3);
        const before = lstatSync(dev);
        const r = mmapx([...w.args(dev)]);
        expectSuccess(r);
        const after = lstatSync(dev);
        expect(after.isCharacterDevice()).toBe(true);
        expect([after.rdev, after.ino, after.mode]).toEqual([before.rdev, before.ino, before.mode]);
        expect(readdirSync(d)).toEqual(['null']); // no temporary file left
      });

      it.skipIf(!ROOT_USER)('a symlink to a device stays a symlink, the device a device', () => {
        const d = caseDir();
        const dev = join(d, 'null');
        mknod(dev, 1, 3);
        symlinkSync('null', join(d, 'link'));
        const r = mmapx([...w.args(join(d, 'link'))]);
        expectSuccess(r);
        expect(lstatSync(join(d, 'link')).isSymbolicLink()).toBe(true);
        expect(readlinkSync(join(d, 'link'))).toBe('null');
        expect(lstatSync(dev).isCharacterDevice()).toBe(true);
        expect(readdirSync(d).sort()).toEqual(['link', 'null']);
      });

      it.skipIf(!ROOT_USER || blockMajorInUse(60))('a block device is opened as it is, never replaced (b 60 0: no driver, so ENXIO)', () => {
        const d = caseDir();
        const dev = join(d, 'blk');
        expect(spawnSync('mknod', [dev, 'b', '60', '0']).status).toBe(0);
        const before = lstatSync(dev);
        expectFailure(mmapx([...w.args(dev)]), 1, /: cannot write .*blk: no such device or address \(ENXIO\)$/);
        const after = lstatSync(dev);
        expect(after.isBlockDevice()).toBe(true);
        expect([after.rdev, after.ino]).toEqual([before.rdev, before.ino]);
        expect(readdirSync(d)).toEqual(['blk']);
      });

      it('a symlink to a regular file stays a symlink; the file gets the bytes and keeps its mode and owner', () => {
        const d = caseDir();
        mkdirSync(join(d, 'sub'));
        const target = join(d, 'sub', 'target.bin');
        writeFileSync(target, 'old contents');
        chmodSync(target, 0o640);
        if (ROOT_USER) chownSync(target, 65534, 65534);
        symlinkSync('sub/target.bin', join(d, 'link'));
        const r = mmapx([...w.args(join(d, 'link'))]);
        expectSuccess(r);
        expect(lstatSync(join(d, 'link')).isSymbolicLink()).toBe(true);
        expect(readlinkSync(join(d, 'link'))).toBe('sub/target.bin');
        expect(readFileSync(target)).toEqual(Buffer.from(w.expected()));
        const st = statSync(target);
        expect(st.mode & 0o7777).toBe(0o640);
        if (ROOT_USER) expect([st.uid, st.gid]).toEqual([65534, 65534]);
        expect(readdirSync(join(d, 'sub'))).toEqual(['target.bin']);
      });

      it('a dangling symlink stays a symlink; its target is created', () => {
        const d = caseDir();
        symlinkSync('made.bin', join(d, 'link'));
        const r = mmapx([...w.args(join(d, 'link'))]);
        expectSuccess(r);
        expect(lstatSync(join(d, 'link')).isSymbolicLink()).toBe(true);
        expect(readFileSync(join(d, 'made.bin'))).toEqual(Buffer.from(w.expected()));
      });

      it('an existing regular file keeps its mode and owner', () => {
        const d = caseDir();
        const out = join(d, 'out.bin');
        writeFileSync(out, 'old contents');
        chmodSync(out, 0o604);
        if (ROOT_USER) chownSync(out, 65534, 65534);
        const r = mmapx([...w.args(out)]);
        expectSuccess(r);
        expect(readFileSync(out)).toEqual(Buffer.from(w.expected()));
        const st = statSync(out);
        expect(st.mode & 0o7777).toBe(0o604);
        if (ROOT_USER) expect([st.uid, st.gid]).toEqual([65534, 65534]);
        expect(readdirSync(d)).toEqual(['out.bin']);
      });

      it('a FIFO stays a FIFO and its reader gets the bytes', async () => {
        const d = caseDir();
        const fifo = join(d, 'fifo');
        expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
        const reader = spawn('cat', [fifo]);
        const got: Buffer[] = [];
        reader.stdout.on('data', (b: Buffer) => got.push(b));
        const closed = new Promise<number | null>((resolve) => reader.on('close', resolve));
        const r = mmapx([...w.args(fifo)], { timeout: 10_000 });
        if (r.status !== 0) reader.kill(); // a reader left waiting on a FIFO nobody opened
        expectSuccess(r);
        expect(await closed).toBe(0);
        expect(Buffer.concat(got)).toEqual(Buffer.from(w.expected()));
        expect(lstatSync(fifo).isFIFO()).toBe(true);
        expect(readdirSync(d)).toEqual(['fifo']);
      });

      it('- is standard output (no file named -)', () => {
        const d = caseDir();
        const r = mmapx([...w.args('-')], { cwd: d });
        expectSuccess(r);
        expect(r.stdoutBytes).toEqual(Buffer.from(w.expected()));
        expect(readdirSync(d)).toEqual([]);
      });

      it('a symlink to /proc/self/fd/1 (what /dev/stdout is) writes to standard output and stays a link', () => {
        const d = caseDir();
        const link = join(d, 'stdout');
        symlinkSync('/proc/self/fd/1', link);
        const r = mmapx([...w.args(link)]);
        expectSuccess(r);
        expect(r.stdoutBytes).toEqual(Buffer.from(w.expected()));
        expect(lstatSync(link).isSymbolicLink()).toBe(true);
        // And when standard output is a pipe, as in `mmapx cat f -o /dev/stdout | xxd`.
        const args = w
          .args(link)
          .map((a) => `'${a}'`)
          .join(' ');
        const piped = spawnSync('sh', ['-c', `'${process.execPath}' '${BIN}' ${args} | cat`], { env: PINNED_ENV });
        expect(piped.status, piped.stderr.toString()).toBe(0);
        expect(piped.stdout).toEqual(Buffer.from(w.expected()));
        expect(lstatSync(link).isSymbolicLink()).toBe(true);
        expect(readdirSync(d)).toEqual(['stdout']);
      });

      it('a directory and a socket are refused, one line, exit 1', () => {
        const d = caseDir();
        expectFailure(mmapx([...w.args(d)]), 1, new RegExp(`^mmapx: ${w.name}: .*: cannot write .*: is a directory \\(EISDIR\\)$`));
        expectFailure(mmapx([...w.args(join(dir, 'sock'))]), 1, new RegExp(`^mmapx: ${w.name}: .*: cannot write .*sock: is a socket \\(ENXIO\\)$`));
        expect(readdirSync(d)).toEqual([]);
      });
    });
  }

  it.skipIf(!ROOT_USER)('a failed cat leaves a symlinked output file byte-identical and a device a device', () => {
    const d = caseDir();
    const target = join(d, 'target.bin');
    writeFileSync(target, 'keep me');
    symlinkSync('target.bin', join(d, 'link'));
    mknod(join(d, 'null'), 1, 3);
    const before = fingerprint(target);
    for (const out of [join(d, 'link'), join(d, 'null')]) {
      expectFailure(mmapx(['cat', SRC, '0:1M', '-o', out]), 2, /^mmapx: cat: .*: range 0:1M ends past the end of the file \(size 4096\)$/);
    }
    expect(fingerprint(target)).toBe(before);
    expect(lstatSync(join(d, 'link')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(d, 'null')).isCharacterDevice()).toBe(true);
    expect(readdirSync(d).sort()).toEqual(['link', 'null', 'target.bin']);
  });

  it('a reader that goes away from -o /dev/stdout (a link to it) ends the command quietly with status 0', () => {
    const d = caseDir();
    const big = join(d, 'big.bin');
    writeFileSync(big, randomBytes(4 * 1024 * 1024));
    symlinkSync('/proc/self/fd/1', join(d, 'stdout'));
    const r = spawnSync('bash', ['-c', `set -o pipefail; '${process.execPath}' '${BIN}' cat '${big}' -o '${join(d, 'stdout')}' | head -c 10 | wc -c`], {
      env: PINNED_ENV,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('10');
    expect(r.status).toBe(0);
  });

  it.skipIf(!canDrop)('a file whose owner the user cannot keep is refused, not taken over (as nobody)', () => {
    const d = caseDir();
    chmodSync(d, 0o777);
    const out = join(d, 'out.bin');
    writeFileSync(out, "root's file");
    chmodSync(out, 0o666);
    const before = fingerprint(out);
    const r = runCommand(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, BIN], ['cat', SRC, '0:16', '-o', out], {
      env: PINNED_ENV,
    });
    expectFailure(r, 1, /^mmapx: cat: .*: cannot write .*out\.bin: cannot give the new contents its owner 0:0 and mode: operation not permitted \(EPERM\)$/);
    expect(fingerprint(out)).toBe(before);
    expect(statSync(out).uid).toBe(0);
    expect(readdirSync(d)).toEqual(['out.bin']);
  });

  it('cat --json with -o - is refused (standard output carries the bytes)', () => {
    expectFailure(mmapx(['--json', 'cat', SRC, '-o', '-']), 2, /^mmapx: cat: .*: --json needs -o FILE/);
  });
});

/** Pseudo-filesystem files whose contents do not change between two reads here. */
function stablePseudoFiles(): string[] {
  const candidates = [
    '/proc/version',
    '/proc/filesystems',
    '/proc/cpuinfo',
    '/proc/kallsyms',
    '/sys/devices/system/cpu/online',
    '/sys/kernel/mm/transparent_hugepage/enabled',
  ];
  return candidates.filter((p) => {
    try {
      const a = readFileSync(p);
      return a.length > 0 && a.equals(readFileSync(p));
    } catch {
      return false;
    }
  });
}

describe('procfs and sysfs files with --force are read, never an empty success', () => {
  const files = stablePseudoFiles();

  it('has procfs files here (and, where readable, /proc/kallsyms: several 1 MiB read windows)', () => {
    expect(files).toContain('/proc/version');
    if (files.includes('/proc/kallsyms')) expect(readFileSync('/proc/kallsyms').length).toBeGreaterThan(2 * 1024 * 1024);
  });

  for (const p of stablePseudoFiles()) {
    it(`hash, cat, hexdump and find --force ${p} see what Node reads`, () => {
      const content = readFileSync(p);
      expect(statSync(p).size === content.length).toBe(false); // what fstat says is not the contents
      const h = mmapx(['hash', '--force', p]);
      expectSuccess(h);
      expect(h.stdout).toBe(`${sha256(content)}  ${p}\n`);
      const j = mmapx(['--json', 'hash', '--force', p, '--algo', 'md5']);
      expectSuccess(j);
      expect(JSON.parse(j.stdout)).toMatchObject({ length: content.length, digest: createHash('md5').update(content).digest('hex') });
      const c = mmapx(['cat', '--force', p]);
      expectSuccess(c);
      expect(c.stdoutBytes.equals(content)).toBe(true);
      // hexdump: the dump of a regular copy of the same bytes.
      const copy = join(dir, `copy${n++}`);
      writeFileSync(copy, content);
      const d = mmapx(['hexdump', '--force', p, '-n', '4096']);
      expectSuccess(d);
      const dc = mmapx(['hexdump', copy, '-n', '4096']);
      expect(d.stdout).toBe(dc.stdout);
      expect(d.stdout.length).toBeGreaterThan(0);
      // find: the same count as in the copy (the first two bytes as the pattern).
      const pattern = content.subarray(0, 2).toString('hex');
      const f = mmapx(['find', '--force', p, pattern, '--count']);
      const fc = mmapx(['find', copy, pattern, '--count']);
      expectSuccess(f);
      expect(f.stdout).toBe(fc.stdout);
    });
  }

  it('cat --force /proc/self/status prints the status of the process that read it', () => {
    const r = mmapx(['cat', '--force', '/proc/self/status']);
    expectSuccess(r);
    expect(r.stdout).toMatch(/^Name:\t/);
    expect(r.stdout).toMatch(/\nPid:\t\d+\n/);
  });

  it('hexdump --force /proc/self/status, and --json with the length after the hex', () => {
    const r = mmapx(['hexdump', '--force', '/proc/self/status', '-n', '5']);
    expectSuccess(r);
    expect(r.stdout).toBe('00000000  4e 61 6d 65 3a                                    |Name:|\n00000005\n');
    const j = mmapx(['--json', 'hexdump', '--force', '/proc/version']);
    expectSuccess(j);
    const content = readFileSync('/proc/version');
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, offset: 0, length: content.length, hex: content.toString('hex') });
  });

  it('ranges from the start read what is there; -n past the end stops at the end', () => {
    const p = '/proc/version';
    const content = readFileSync(p);
    const c = mmapx(['cat', '--force', p, '3:5']);
    expectSuccess(c);
    expect(c.stdoutBytes).toEqual(content.subarray(3, 8));
    const h = mmapx(['hash', '--force', p, '--range', '10..']);
    expectSuccess(h);
    expect(h.stdout).toBe(`${sha256(content.subarray(10))}  ${p}\n`);
    const f = mmapx(['--json', 'find', '--force', p, content.subarray(20, 23).toString('hex'), '--range', '20..']);
    expectSuccess(f);
    expect(JSON.parse(f.stdout).matches[0]).toBe(20);
    const d = mmapx(['--json', 'hexdump', '--force', p, '-s', '2', '-n', '1M']);
    expectSuccess(d);
    expect(JSON.parse(d.stdout)).toMatchObject({ offset: 2, length: content.length - 2, hex: content.subarray(2).toString('hex') });
  });

  it('a range past the end, or one that needs the end, is one line and no output', () => {
    const p = '/proc/version';
    for (const args of [
      ['hash', p, '--range', '0:1M'],
      ['cat', p, '0:1M'],
    ]) {
      const r = mmapx([...args, '--force']);
      expectFailure(r, 2, /: the range 0x0\.\.0x100000 ends past the end of the file \(the file ended at 0x[0-9a-f]+ when read\)$/);
      expect(r.stdout).toBe('');
    }
    expectFailure(
      mmapx(['hexdump', p, '-s', '1M', '--force']),
      2,
      /: offset 0x100000 is past the end of the file \(the file ended at 0x[0-9a-f]+ when read\)$/,
    );
    for (const args of [
      ['hash', p, '--range', '-4..'],
      ['cat', p, '-4..'],
      ['find', p, '00', '--range', '..-1'],
      ['hexdump', p, '-s', '-4'],
    ]) {
      const r = mmapx([...args, '--force']);
      expectFailure(r, 1, /: range .* counts from the end, but the size of a procfs file is only known by reading it: give a range from the start/);
      expect(r.stdout).toBe('');
    }
  });

  it('hexdump --json over several files stays one valid array when a pseudo file ends before -s', () => {
    const r = mmapx(['--json', 'hexdump', SRC, '/proc/version', SRC, '--force', '-s', '4000', '-n', '4']);
    expect(r.status, r.dump).toBe(2);
    const arr = JSON.parse(r.stdout);
    expect(arr).toHaveLength(3);
    expect(arr[1]).toMatchObject({ path: '/proc/version', ok: false, exitCode: 2 });
    expect(arr[2]).toMatchObject({ path: SRC, ok: true, hex: src.subarray(4000, 4004).toString('hex') });
    expect(r.stderr).toMatch(/^mmapx: hexdump: \/proc\/version: offset 0xfa0 is past the end of the file \(the file ended at 0x[0-9a-f]+ when read\)\n$/);
  });

  it('info --force does not pass the fstat size off as the contents', () => {
    const r = mmapx(['info', '--force', '/proc/version']);
    expectSuccess(r);
    expect(r.stdout).toMatch(/^size +0 bytes as fstat says \(a procfs file: its contents exist when read\)$/m);
  });

  it('diff and patch, which need the size first, refuse them in one line', () => {
    for (const args of [
      ['diff', '/proc/version', SRC],
      ['diff', SRC, '/proc/version'],
      ['patch', '/proc/version', '--edit', '0=00'],
    ]) {
      expectFailure(
        mmapx([...args, '--force']),
        1,
        /: is on procfs: its size is only known by reading it to the end, which this command cannot do; copy it first/,
      );
    }
  });
});

describe.skipIf(!ROOT_USER)('devices with --force: one rule for ranges in every read command', () => {
  let zero = '';
  beforeAll(() => {
    zero = join(caseDir(), 'zero');
    mknod(zero, 1, 5);
  });
  const zeros = Buffer.alloc(16);

  it('an explicit range from the start is read by find, hash, cat and hexdump alike', () => {
    const f = mmapx(['find', '--force', zero, '00', '--range', '0:16']);
    expectSuccess(f);
    expect(f.stdout).toBe(Array.from({ length: 16 }, (_, i) => `0x${i.toString(16)}\n`).join(''));
    const fc = mmapx(['find', '--force', zero, '00 00', '--range', '4..12', '--count']);
    expectSuccess(fc);
    expect(fc.stdout).toBe('7\n');
    const h = mmapx(['hash', '--force', zero, '--range', '0:16']);
    expectSuccess(h);
    expect(h.stdout).toBe(`${sha256(zeros)}  ${zero}\n`);
    const c = mmapx(['cat', '--force', zero, '0:16']);
    expectSuccess(c);
    expect(c.stdoutBytes).toEqual(zeros);
    const d = mmapx(['hexdump', '--force', zero, '-n', '16']);
    expectSuccess(d);
    expect(d.stdout).toBe('00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n00000010\n');
  });

  it('a range that needs the end, or none, is refused by all of them with the same line', () => {
    const cases = [
      ['find', zero, '00', '--range', '-16..'],
      ['find', zero, '00', '--range', '0..'],
      ['find', zero, '00'],
      ['hash', zero, '--range', '-16..'],
      ['hash', zero],
      ['cat', zero, '..-1'],
      ['cat', zero],
      ['hexdump', zero, '-s', '-16', '-n', '4'],
      ['hexdump', zero],
      ['diff', zero, SRC],
    ];
    for (const args of cases) {
      const r = mmapx([...args, '--force']);
      expectFailure(r, 1, /^mmapx: \w+: .*zero: the size of a device is unknown here: give an explicit length or range$/);
      expect(r.stdout).toBe('');
    }
  });

  it('a device is still refused without --force', () => {
    expectFailure(mmapx(['find', zero, '00', '--range', '0:16']), 1, /is a character device: refusing to map it without --force$/);
  });
});

describe('readSpan: the rule, in-process', () => {
  const stat = {} as OpenFile['stat'];
  const file = (size: bigint | undefined, pseudo?: string): OpenFile => ({ fd: -1, path: 'f', stat, size, ...(pseudo && { pseudo }), close: () => {} });
  const span = (f: OpenFile, r?: string) => {
    try {
      const s = readSpan(f, r === undefined ? undefined : parseRange(r));
      return { offset: s.offset, length: s.length };
    } catch (err) {
      return (err as Error).constructor.name;
    }
  };

  it.each([
    // range, regular file of 100 bytes, device, pseudo file (fstat size 0)
    [undefined, { offset: 0n, length: 100n }, 'OperationError', { offset: 0n, length: undefined }],
    ['0:16', { offset: 0n, length: 16n }, { offset: 0n, length: 16n }, { offset: 0n, length: 16n }],
    ['4..12', { offset: 4n, length: 8n }, { offset: 4n, length: 8n }, { offset: 4n, length: 8n }],
    ['10..', { offset: 10n, length: 90n }, 'OperationError', { offset: 10n, length: undefined }],
    ['-16..', { offset: 84n, length: 16n }, 'OperationError', 'OperationError'],
    ['..-1', { offset: 0n, length: 99n }, 'OperationError', 'OperationError'],
    ['0:1K', 'InputError', { offset: 0n, length: 1024n }, { offset: 0n, length: 1024n }],
  ])('range %s', (r, regular, device, pseudo) => {
    expect(span(file(100n), r)).toEqual(regular);
    expect(span(file(undefined), r)).toEqual(device);
    expect(span(file(0n, 'procfs'), r)).toEqual(pseudo);
  });

  it('ranges past the largest file offset are refused for every kind', () => {
    for (const f of [file(undefined), file(0n, 'sysfs')]) expect(span(f, '1:9223372036854775807')).toBe('InputError');
  });
});

it('no temporary files are left in the shared directory', () => {
  expect(readdirSync(dir).filter((name) => name.includes('mmapx-tmp'))).toEqual([]);
  expect(existsSync(join(dir, '-'))).toBe(false);
});
