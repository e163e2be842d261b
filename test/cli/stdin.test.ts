// Standard input, for every command that reads it: the patch (`patch FILE -`, `--patch -`), the
// file lists (`--files-from -` of patch, write, fill, copy, move, transform, stamp, insert, delete, find, info, hexdump, recover) and write's data
// (`--stdin`, `-`, `--file -`). A producer that is slow, writes one byte at a time, feeds a socket
// or a non-blocking pipe must be waited for; a terminal is refused; a regular file is read from
// where the shell left it; a closed stdin is empty; a huge one is refused before anything is done.
// Bad input that arrives slowly is still bad input: one stderr line, exit 2, files byte-identical.
// Through the built CLI, plus the reader in-process.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readInput } from '../../src/cli/input.js';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, fingerprint, mmapx, PINNED_ENV, type Run, runCommand } from '../helpers/cli.js';
import { FEEDS, fed } from '../helpers/stdin.js';
import { hasScript, inTerminal } from '../helpers/terminal.js';
import { tmpDir } from '../helpers/tmp.js';
import { dumpBytes } from '../helpers/dump.js';

const dir = tmpDir('mmapx-stdin-');
beforeAll(() => requireBuild());
let n = 0;
const HELLO = 'Hello, world!\n';

function file(content: string | Uint8Array = HELLO): string {
  const p = join(dir, `s${n++}.bin`);
  writeFileSync(p, content);
  return p;
}
const text = (p: string) => readFileSync(p, 'utf8');

/** One reader of standard input: what it is given, and what must hold afterwards. */
interface Consumer {
  args: (a: string, b: string) => string[];
  input: (a: string, b: string) => Uint8Array;
  check: (r: Run, a: string, b: string) => void;
}

const list = (a: string, b: string) => Buffer.from(`${a}\n${b}\n`);
const lowercased = (_r: Run, a: string, b: string) => {
  expect(text(a)).toBe('hello, world!\n');
  expect(text(b)).toBe('hello, world!\n');
};
const firstOnly = (_r: Run, a: string, b: string) => {
  expect(text(a)).toBe('hello, world!\n');
  expect(text(b)).toBe(HELLO);
};
const untouched = (_r: Run, a: string, b: string) => {
  expect(text(a)).toBe(HELLO);
  expect(text(b)).toBe(HELLO);
};
const IPS = Buffer.concat([Buffer.from('PATCH'), Buffer.from([0, 0, 0, 0, 1]), Buffer.from('h'), Buffer.from('EOF')]);

const CONSUMERS: Record<string, Consumer> = {
  'patch FILE -': { args: (a) => ['patch', a, '-'], input: () => Buffer.from('# lower-case H\n0x0: 48 -> 68\n'), check: firstOnly },
  'patch FILE - --format ips': { args: (a) => ['patch', a, '-', '--format', 'ips'], input: () => IPS, check: firstOnly },
  'patch --patch - FILE FILE': { args: (a, b) => ['patch', '--patch', '-', a, b], input: () => Buffer.from('0x0: 48 -> 68\n'), check: lowercased },
  'patch --files-from -': { args: () => ['patch', '--files-from', '-', '--edit', '0:48=68'], input: list, check: lowercased },
  'write --files-from -': { args: () => ['write', '--files-from', '-', '0', '68'], input: list, check: lowercased },
  'fill --files-from -': { args: () => ['fill', '--files-from', '-', '0:1', '--pattern', '68'], input: list, check: lowercased },
  'transform --files-from -': { args: () => ['transform', '--files-from', '-', '0:1', 'xor', '20'], input: list, check: lowercased },
  'stamp --files-from -': {
    args: () => ['stamp', '--files-from', '-', '--text', '--placeholder', 'Hello', '--value', 'hello', '--no-record'],
    input: list,
    check: lowercased,
  },
  'copy --files-from -': {
    args: () => ['copy', '--files-from', '-', '7:1', '0'],
    input: list,
    check: (_r, a, b) => {
      expect(text(a)).toBe('wello, world!\n');
      expect(text(b)).toBe('wello, world!\n');
    },
  },
  'move --files-from -': {
    args: () => ['move', '--files-from', '-', '1:1', '0', '--fill', '65'],
    input: list,
    check: (_r, a, b) => {
      expect(text(a)).toBe('eello, world!\n');
      expect(text(b)).toBe('eello, world!\n');
    },
  },
  'insert --files-from -': {
    args: () => ['insert', '--files-from', '-', '0', '3e'],
    input: list,
    check: (_r, a, b) => {
      expect(text(a)).toBe(`>${HELLO}`);
      expect(text(b)).toBe(`>${HELLO}`);
    },
  },
  'delete --files-from -': {
    args: () => ['delete', '--files-from', '-', '0:1'],
    input: list,
    check: (_r, a, b) => {
      expect(text(a)).toBe(HELLO.slice(1));
      expect(text(b)).toBe(HELLO.slice(1));
    },
  },
  'find --files-from -': {
    args: () => ['find', '--files-from', '-', '6c 6c'],
    input: list,
    check: (r, a, b) => {
      expect(r.stdout).toBe(`${a}:0x2\n${b}:0x2\n`);
      untouched(r, a, b);
    },
  },
  'info --files-from -': {
    args: () => ['--json', 'info', '--files-from', '-'],
    input: list,
    check: (r, a, b) => {
      const out = JSON.parse(r.stdout) as { file: string; size: number }[];
      expect(out.map((o) => [o.file, o.size])).toEqual([
        [a, 14],
        [b, 14],
      ]);
    },
  },
  'hexdump --files-from -': {
    args: () => ['hexdump', '--files-from', '-', '-n', '5'],
    input: list,
    check: (r, a, b) => {
      const dump = '00000000  48 65 6c 6c 6f                                    |Hello|\n00000005\n';
      expect(r.stdout).toBe(`==> ${a} <==\n${dump}\n==> ${b} <==\n${dump}`);
    },
  },
  'hash --files-from -': {
    args: () => ['hash', '--files-from', '-'],
    input: list,
    check: (r, a, b) => {
      const digest = createHash('sha256').update(HELLO).digest('hex');
      expect(r.stdout).toBe(`${digest}  ${a}\n${digest}  ${b}\n`);
      untouched(r, a, b);
    },
  },
  'recover --files-from -': {
    args: () => ['--json', 'recover', '--files-from', '-'],
    input: list,
    check: (r, a, b) => {
      expect((JSON.parse(r.stdout) as { file: string }[]).map((o) => o.file)).toEqual([a, b]);
      untouched(r, a, b);
    },
  },
  // `-` as the FILE of the commands that only read it, and no FILE at all for hexdump.
  'hexdump -': {
    args: () => ['hexdump', '-', '-f', 'xxd', '-g', '1'],
    input: () => Buffer.from(HELLO),
    check: (r) => expect(r.stdoutBytes).toEqual(dumpBytes({ format: 'xxd', group: 1 }, Buffer.from(HELLO))),
  },
  'hexdump with no FILE': {
    args: () => ['hexdump'],
    input: () => Buffer.from(HELLO),
    check: (r) => expect(r.stdoutBytes).toEqual(dumpBytes({ format: 'canonical' }, Buffer.from(HELLO))),
  },
  'cat -': { args: () => ['cat', '-', '7..'], input: () => Buffer.from(HELLO), check: (r) => expect(r.stdout).toBe(HELLO.slice(7)) },
  'find -': { args: () => ['find', '-', '6c 6c'], input: () => Buffer.from(HELLO), check: (r) => expect(r.stdout).toBe('0x2\n') },
  'diff FILE -': {
    args: (a) => ['diff', a, '-'],
    input: () => Buffer.from(HELLO.toLowerCase()),
    check: (r, a) => {
      expect(r.stdout).toBe(`# mmapx diff: turns ${a} into -\n0x0: 48 -> 68\n`);
      expect(text(a)).toBe(HELLO);
    },
  },
  'info -': {
    args: () => ['--json', 'info', '-'],
    input: () => Buffer.from(HELLO),
    check: (r) => expect(JSON.parse(r.stdout)).toMatchObject({ file: '-', size: null, modes: { r: { ok: false } } }),
  },
  'write --stdin': { args: (a) => ['write', a, '0', '--stdin'], input: () => Buffer.from('h'), check: firstOnly },
  'write FILE OFFSET -': { args: (a) => ['write', a, '0', '-'], input: () => Buffer.from('h'), check: firstOnly },
  'write --file -': { args: (a) => ['write', a, '0', '--file', '-'], input: () => Buffer.from('h'), check: firstOnly },
};

// Concurrent: the producers mostly wait (300 ms and more before they write), so runs overlap.
describe.concurrent('every reader of standard input waits for its producer', () => {
  it('covers every command that takes --files-from', () => {
    const help = mmapx(['--help']).stdout;
    const commands = [...help.matchAll(/^ {2}([a-z]+)[| ]/gm)].map((m) => m[1]!);
    const withList = commands.filter((c) => mmapx([c, '--help']).stdout.includes('--files-from'));
    expect(withList.length).toBeGreaterThanOrEqual(6);
    for (const c of withList) expect(Object.keys(CONSUMERS), c).toContain(`${c} --files-from -`);
  });

  for (const feed of FEEDS) {
    for (const [name, c] of Object.entries(CONSUMERS)) {
      it(`${name}: ${feed}`, async () => {
        const a = file();
        const b = file();
        const r = await fed(dir, feed, c.input(a, b), c.args(a, b));
        expect(r.status, r.dump).toBe(0);
        expect(r.signal, r.dump).toBeNull();
        expect(r.stderr, r.dump).not.toMatch(/EAGAIN|temporarily unavailable|preload/);
        c.check(r, a, b);
      });
    }
  }
});

describe.concurrent('bad input that arrives slowly is still bad input, and nothing changes', () => {
  const cases: [string, (a: string) => string[], string, RegExp][] = [
    ['a malformed patch', (a) => ['patch', a, '-'], '0x0: 48 -> 68\n0x1: 6z\n', /^mmapx: patch: .*: stdin line 2, col 7: 'z' is not a hex digit$/],
    [
      'a failing guard',
      (a) => ['patch', a, '-'],
      '0x0: 00 -> 68\n',
      /^mmapx: patch: .*: 1 guard failed, nothing written: stdin line 1: at 0x0 expected 00, found 48$/,
    ],
    ['a list with a NUL', () => ['write', '--files-from', '-', '0', '68'], 'x\0y\n', /^mmapx: write: --files-from - line 1: a path cannot contain a NUL byte$/],
  ];
  for (const feed of FEEDS) {
    for (const [name, args, input, line] of cases) {
      it(`${name}: ${feed}`, async () => {
        const a = file();
        const before = fingerprint(a);
        const r = await fed(dir, feed, Buffer.from(input), args(a));
        expectFailure(r, name === 'a failing guard' ? 3 : 2, line);
        expect(fingerprint(a)).toBe(before);
      });
    }
  }
});

describe('standard input of every kind', () => {
  it('a regular file is read from where the shell left it', () => {
    const a = file();
    const data = file('skip this line\nh');
    // `read` consumes the first line and leaves the file offset after it.
    const fd = openSync(data, 'r');
    const r = spawnSync('sh', ['-c', 'read -r line; exec "$0" "$1" write "$2" 0 --stdin', process.execPath, BIN, a], {
      env: PINNED_ENV,
      stdio: [fd, 'pipe', 'pipe'],
    });
    closeSync(fd);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(text(a)).toBe('hello, world!\n');
  });

  it('a closed standard input is empty: each reader says what it missed', () => {
    const a = file();
    const before = fingerprint(a);
    const run = (args: string) => spawnSync('sh', ['-c', `exec "$0" "$1" ${args} <&-`, process.execPath, BIN, a], { env: PINNED_ENV, encoding: 'utf8' });
    const write = run('write "$2" 0 --stdin');
    expect([write.status, write.stderr]).toEqual([2, `mmapx: write: ${a}: standard input was empty: nothing to write\n`]);
    const list = run('info --files-from -');
    expect([list.status, list.stderr]).toEqual([2, 'mmapx: info: no files: --files-from - lists no path, and no FILE was given\n']);
    expect(fingerprint(a)).toBe(before);
  });

  it('a directory is an error of reading, one line, file untouched', () => {
    const a = file();
    const before = fingerprint(a);
    const run = (args: string) =>
      spawnSync('sh', ['-c', `exec "$0" "$1" ${args} < "$3"`, process.execPath, BIN, a, dir], { env: PINNED_ENV, encoding: 'utf8' });
    const write = run('write "$2" 0 --stdin');
    expect([write.status, write.stderr]).toEqual([1, `mmapx: write: ${a}: cannot read standard input: is a directory (EISDIR)\n`]);
    const patch = run('patch "$2" -');
    expect([patch.status, patch.stderr]).toEqual([1, `mmapx: patch: ${a}: cannot read the patch from standard input: is a directory (EISDIR)\n`]);
    expect(fingerprint(a)).toBe(before);
  });

  it.skipIf(!hasScript())('a terminal is refused: the data is meant to be piped in', () => {
    const a = file();
    const before = fingerprint(a);
    for (const [args, message] of [
      [['write', a, '0', '--stdin'], `mmapx: write: ${a}: --stdin is a terminal: pipe the data in`],
      [['write', a, '0', '-'], `mmapx: write: ${a}: - but standard input is a terminal: pipe the data in`],
      [['patch', a, '-'], `mmapx: patch: ${a}: PATCH is - but standard input is a terminal: pipe the patch in`],
      [['hexdump', '--files-from', '-'], 'mmapx: hexdump: --files-from - but standard input is a terminal: pipe the list in'],
    ] as const) {
      const r = inTerminal([...args]);
      expect(r.status, r.dump).toBe(2);
      expect(r.screen, r.dump).toEqual([message]);
    }
    expect(fingerprint(a)).toBe(before);
  });

  it('an endless pipe is refused once it is longer than the file can take without --grow, before anything is written', () => {
    const a = file();
    const before = fingerprint(a);
    // `yes` never ends: the data is refused at byte 15 of a 14-byte file, not read on.
    const r = spawnSync('sh', ['-c', 'yes | exec "$0" "$1" write "$2" 0 --stdin', process.execPath, BIN, a], {
      env: PINNED_ENV,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe(
      `mmapx: write: ${a}: the data (standard input) is longer than the 14 bytes the file holds from offset 0 on: use --grow to extend it; nothing was written\n`,
    );
    expect(fingerprint(a)).toBe(before);
  });

  it('a regular file past the limit is refused by its size, without reading it', () => {
    const a = file();
    const before = fingerprint(a);
    const big = file('');
    truncateSync(big, 3 * 1024 ** 3); // sparse
    const r = runCommand(['sh', '-c', 'exec "$0" "$1" patch "$2" - --format ips < "$3"', process.execPath, BIN, a, big], [], { env: PINNED_ENV });
    expectFailure(r, 2, `mmapx: patch: ${a}: the patch (standard input) is larger than 2 GiB: it is read into memory whole`);
    // A text patch or a list becomes one string: they stop at the longest string Node.js makes.
    const named = mmapx(['patch', a, big, '--format', 'ips']);
    expectFailure(named, 2, `mmapx: patch: ${a}: the patch (${big}) is larger than 2 GiB: it is read into memory whole`);
    // Without --format a regular file's first 16 bytes tell whether it is a delta; a text patch is
    // then refused by its size, at the longest string, unread.
    expectFailure(mmapx(['patch', a, big]), 2, /^mmapx: patch: .*: the patch \(.*\) is larger than \d+ bytes: it is read into memory whole$/);
    expectFailure(
      mmapx(['info', '--files-from', big]),
      2,
      /^mmapx: info: the --files-from list \(.*\) is larger than \d+ bytes: it is read into memory whole$/,
    );
    expect(fingerprint(a)).toBe(before);
  });
});

describe('readInput in-process', () => {
  it('reads a path whole, and a device up to the limit', async () => {
    const p = file('abc');
    expect((await readInput(p, { what: 'the data' })).toString()).toBe('abc');
    expect((await readInput(file(''), { what: 'the data' })).length).toBe(0);
    await expect(readInput('/dev/zero', { what: 'the data', streamLimit: 100_000 })).rejects.toThrow('the data (/dev/zero) is larger than 100000 bytes');
    await expect(readInput(p, { what: 'the data', fileLimit: 2 })).rejects.toThrow(`the data (${p}) is larger than 2 bytes: it is read into memory whole`);
    await expect(readInput(join(dir, 'missing'), { what: 'the data' })).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reads a file that says it is empty but is not (procfs) to its end', async () => {
    const status = await readInput('/proc/self/status', { what: 'the list' });
    expect(status.toString()).toMatch(/^Name:/);
    // Its size is unknown, as a pipe's: the limit for those applies.
    await expect(readInput('/proc/self/status', { what: 'the list', streamLimit: 10 })).rejects.toThrow('the list (/proc/self/status) is larger than 10 bytes');
  });
});

describe('- reads standard input: the same bytes out as from the file itself', () => {
  // 4999 bytes: repeated lines (squeezed by canonical), a run of zeros (xxd -a), then noise.
  const line = Buffer.from('0123456789abcdef');
  const corpus = Buffer.concat([
    Buffer.concat(Array.from({ length: 6 }, () => line)),
    Buffer.alloc(512),
    Buffer.from(Array.from({ length: 4999 - 96 - 512 }, (_, i) => (i * 131 + 7) & 0xff)),
  ]);
  // Each case: the arguments with the FILE (or -) in place.
  // (One spawn costs a Node start-up: the cases are few, each with several options.)
  const CASES: ((file: string) => string[])[] = [
    (f) => ['hexdump', f, '-s', '17'],
    (f) => ['hexdump', f, '-v', '-n', '700'],
    (f) => ['hexdump', f, '-f', 'xxd', '-a', '-g', '1', '-c', '8', '-u'],
    (f) => ['hexdump', f, '-f', 'plain', '-s', '4000'],
    (f) => ['hexdump', f, '-f', 'c', '--name', 'arr', '-n', '100'],
    (f) => ['hexdump', f, '-f', 'json', '-c', '1000'],
    (f) => ['hexdump', f, '-s', '9999'], // past the end: the offset line of the end
    (f) => ['cat', f, '100..2100', '-o', '-'],
    (f) => ['find', f, '30 31 ?? 33', '--range', '10..'],
  ];

  it('for every hexdump format, cat and find: file, pipe, socket, and < FILE', { timeout: 120_000 }, () => {
    const p = file(corpus);
    for (const [i, c] of CASES.entries()) {
      const want = mmapx(c(p));
      expect(want.stderr, want.dump).toBe('');
      const pipe = runCommand(['sh', '-c', 'f="$1"; shift; cat "$f" | exec "$@"', 'sh', p, process.execPath, BIN], c('-'), { env: PINNED_ENV });
      // Node's own stdio (a socket) for every other case: the same reader as a pipe.
      const socket = i % 2 === 0 ? [mmapx(c('-'), { input: corpus })] : [];
      for (const got of [pipe, ...socket]) {
        expect(got.status, got.dump).toBe(want.status);
        expect(got.stderr, got.dump).toBe('');
        expect(got.stdoutBytes.equals(want.stdoutBytes), `${got.dump}\n--- from the file\n${want.stdout.slice(0, 2000)}`).toBe(true);
      }
    }
    // A regular file on standard input is the file itself (mapped): once per command.
    for (const c of [CASES[1]!, CASES[7]!]) {
      const want = mmapx(c(p));
      const redirected = runCommand(['sh', '-c', 'f="$1"; shift; exec "$@" < "$f"', 'sh', p, process.execPath, BIN], c('-'), { env: PINNED_ENV });
      expect(redirected.stdoutBytes.equals(want.stdoutBytes), redirected.dump).toBe(true);
    }
  });

  it('--json hexdump of a pipe: the same object, its length told after the hex', () => {
    const p = file(corpus);
    const strip = (r: Run) => {
      const { timings: _t, file: _f, ...rest } = JSON.parse(r.stdout) as Record<string, unknown>;
      return rest;
    };
    for (const args of [['-s', '100', '-n', '50'], ['-s', '9999'], []]) {
      const want = mmapx(['--json', 'hexdump', p, ...args]);
      const got = mmapx(['--json', 'hexdump', '-', ...args], { input: corpus });
      expect(strip(got), got.dump).toEqual(strip(want));
      expect(JSON.parse(got.stdout).file).toBe('-');
    }
  });

  it('standard input read from where the shell left it is what follows (read, not mapped)', () => {
    const p = file(`skip this line\n${HELLO}`);
    const fd = openSync(p, 'r');
    const r = spawnSync('sh', ['-c', 'read -r line; exec "$0" "$1" hexdump -', process.execPath, BIN], { env: PINNED_ENV, stdio: [fd, 'pipe', 'pipe'] });
    closeSync(fd);
    expect(r.stderr.toString()).toBe('');
    expect(r.stdout).toEqual(dumpBytes({ format: 'canonical' }, Buffer.from(HELLO)));
  });

  it('no FILE: a terminal on standard input is still the usage error; an empty one dumps nothing', () => {
    expect(mmapx(['hexdump'], { input: '' }).stdout).toBe('');
    if (!hasScript()) return;
    const r = inTerminal(['hexdump']);
    expect(r.status, r.dump).toBe(2);
    expect(r.screen, r.dump).toEqual(["mmapx: hexdump: missing required argument 'file' (see 'mmapx hexdump --help')"]);
  });
});

describe('memory stays flat whatever comes through the pipe', () => {
  // The peak resident set of the CLI (getrusage, KiB), written by a preload when it exits.
  const peak = (script: string, args: string[]): number => {
    const out = join(dir, `rss-${n++}`);
    const preload = join(dir, 'rss-preload.cjs');
    writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(process.env.RSS_OUT, String(process.resourceUsage().maxRSS)));\n`);
    const r = spawnSync('sh', ['-c', `${script} | exec "$@" > /dev/null`, 'sh', process.execPath, '-r', preload, BIN, ...args], {
      env: { ...PINNED_ENV, RSS_OUT: out },
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    expect(r.stderr).toBe('');
    return Number(readFileSync(out, 'utf8'));
  };
  const MiB = 1024;

  it('cat - (256 MiB), hexdump - and find - (64 MiB) cost no more than 1 MiB, give or take 32 MiB', { timeout: 120_000 }, () => {
    for (const [size, args] of [
      ['256M', ['cat', '-']],
      ['64M', ['hexdump', '-', '-f', 'xxd', '-a']],
      ['64M', ['find', '-', '00 00', '--count']],
    ] as const) {
      const small = peak('head -c 1M /dev/zero', [...args]);
      const big = peak(`head -c ${size} /dev/zero`, [...args]);
      expect(big - small, `${args.join(' ')}: ${small} KiB for 1 MiB, ${big} KiB for ${size}`).toBeLessThan(32 * MiB);
    }
  });

  it('write --stdin: 64 MiB cost no more than 2 MiB, give or take 40 MiB (the data is never held whole)', { timeout: 60_000 }, () => {
    const a = file('');
    truncateSync(a, 64 * 1024 * 1024);
    const small = peak('head -c 2M /dev/zero | tr "\\\\0" x', ['write', a, '0', '--stdin', '-q']);
    const big = peak('head -c 64M /dev/zero | tr "\\\\0" y', ['write', a, '0', '--stdin', '-q']);
    expect(big - small, `${small} KiB for 2 MiB, ${big} KiB for 64 MiB`).toBeLessThan(40 * MiB);
    const bytes = readFileSync(a);
    expect(bytes.length).toBe(64 * 1024 * 1024);
    expect(bytes.indexOf(0x78)).toBe(-1); // every byte is the second write's
    expect(bytes.indexOf(0)).toBe(-1);
  });
});
