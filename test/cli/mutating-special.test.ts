// Every command that changes a file, given a FILE that is not a regular file: a FIFO, a
// directory, a procfs file, `-`, a character device (a copy of /dev/null made here with mknod,
// also with --force), a symlink to a directory and a dangling symlink. Each is refused with one
// line and its documented status (1: the file cannot be mapped or opened; 2: `-`, a usage error),
// no journal or other file appears beside it, and a regular file in the same directory keeps its
// bytes. Generated: a command added to MUTATING gets every kind at once.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { BIN, fingerprint, PINNED_ENV } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-mutating-special-');
const f = (name: string) => join(dir, name);
const ROOT_USER = process.getuid?.() === 0;

/** Each mutating command with arguments that would change one byte of a regular file P. */
const MUTATING: Record<string, (p: string) => string[]> = {
  write: (p) => ['write', p, '0', '41'],
  fill: (p) => ['fill', p, '0:1', '--pattern', '41'],
  copy: (p) => ['copy', p, '0:1', '1'],
  move: (p) => ['move', p, '0:1', '1'],
  transform: (p) => ['transform', p, '0:1', 'not'],
  insert: (p) => ['insert', p, '0', '41'],
  delete: (p) => ['delete', p, '0:1'],
  patch: (p) => ['patch', p, '--edit', '0=41'],
  stamp: (p) => ['stamp', p, '--placeholder', '48', '--value', '41'],
};

/** [name, path, extra arguments, expected status]. */
const KINDS: [string, string, string[], number][] = [
  ['a FIFO', f('fifo'), [], 1],
  ['a FIFO with --force', f('fifo'), ['--force'], 1],
  ['a directory', f('dir'), [], 1],
  ['a procfs file', '/proc/self/status', [], 1],
  ['-', '-', [], 2],
  ['a symlink to a directory', f('dirlink'), [], 1],
  ['a dangling symlink', f('dangling'), [], 1],
  ...(ROOT_USER
    ? ([
        ['a character device', f('null'), [], 1],
        ['a character device with --force', f('null'), ['--force'], 1],
      ] as [string, string, string[], number][])
    : []),
];

beforeAll(() => {
  requireBuild();
  writeFileSync(f('regular'), 'Hello, world!\n');
  spawnSync('mkfifo', [f('fifo')]);
  mkdirSync(f('dir'));
  writeFileSync(join(f('dir'), 'inside'), 'Hello');
  symlinkSync(f('dir'), f('dirlink'));
  symlinkSync(f('nowhere'), f('dangling'));
  if (ROOT_USER) spawnSync('mknod', [f('null'), 'c', '1', '3']);
});

interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function run(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: PINNED_ENV, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end('ab');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stderr });
    });
  });
}

describe('mutating commands refuse a FILE that is not a regular file', () => {
  it.each(Object.keys(MUTATING))('%s: every kind of special file, one line, nothing changed', async (command) => {
    const listing = readdirSync(dir).sort();
    const inside = readdirSync(f('dir')).sort();
    const regular = fingerprint(f('regular'));
    const cases = KINDS.map(([name, path, extra, status]) => ({ name, status, args: [...MUTATING[command]!(path), ...extra] }));
    const results = await Promise.all(cases.map((c) => run(c.args)));
    for (const [i, c] of cases.entries()) {
      const r = results[i]!;
      const what = `${c.name}: mmapx ${c.args.join(' ')}\n${r.stderr}`;
      expect(r.signal, what).toBeNull();
      expect(r.status, what).toBe(c.status);
      expect(r.stderr.split('\n'), what).toHaveLength(2); // one line and its newline
      expect(r.stderr, what).toMatch(new RegExp(`^mmapx: ${command}: `));
      expect(r.stderr, what).not.toMatch(/\n\s+at /);
    }
    expect(readdirSync(dir).sort()).toEqual(listing);
    expect(readdirSync(f('dir')).sort()).toEqual(inside);
    expect(fingerprint(f('regular'))).toBe(regular);
  });

  it('the same arguments change a regular file (the cases above are refused for the path, not the arguments)', async () => {
    for (const [command, args] of Object.entries(MUTATING)) {
      const p = f(`ok-${command}`);
      writeFileSync(p, 'Hello, world!\n');
      const before = fingerprint(p);
      const r = await run(['-q', ...args(p)]);
      expect(r.status, `${command}: ${r.stderr}`).toBe(0);
      expect(fingerprint(p), command).not.toBe(before);
    }
  });
});
