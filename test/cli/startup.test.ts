// Start-up (issue 13 §2): what `mmapx COMMAND ...` builds and loads (the whole bundle or the
// command's own), and the code caches that the npm package keeps between runs. The time itself is
// measured by `node bench/run.mjs startup`, not here (timed assertions fail on a busy machine).
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context } from '../../src/cli/context.js';
import { cliBundle, OWN_BUNDLE } from '../../src/cli/argv.js';
import { buildProgram, COMMANDS, commandOf } from '../../src/cli/program.js';
import { ROOT, requireBuild } from '../helpers/child.js';
import { BIN, mmapx, PINNED_ENV, type Run, runCommand } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mmapx-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => requireBuild());

const program = (only?: string): Command =>
  buildProgram(new Context({ json: false, quiet: false, color: 'never', debug: false }, { stdoutFd: 1, stderrFd: 2 }, {}), () => {}, only);
const whole = program();

describe('one command is built for `mmapx COMMAND ...`', () => {
  it('COMMANDS lists every command of the program with its aliases, in order', () => {
    expect(Object.entries(COMMANDS)).toEqual(whole.commands.map((c) => [c.name(), c.aliases()]));
  });

  it.each(Object.keys(COMMANDS))('%s alone is the same command as in the whole program', (name) => {
    const one = program(name);
    expect(one.commands.map((c) => c.name())).toEqual([name]);
    const mine = one.commands[0] as Command;
    const theirs = whole.commands.find((c) => c.name() === name) as Command;
    expect(mine.helpInformation()).toBe(theirs.helpInformation());
    expect(one.options.map((o) => o.flags)).toEqual(whole.options.map((o) => o.flags));
  });

  const argv = (s: string) => ['node', 'mmapx', ...s.split(' ').filter((a) => a !== '')];
  it.each([
    ['write f 0 00', 'write'],
    ['hd f', 'hexdump'],
    ['--json -q write f 0 00', 'write'],
    ['--color always patch f p', 'patch'],
    ['--color=never --wait 3 find f 00', 'find'],
    ['--wait=0 --debug --no-progress --quiet info f', 'info'],
    // Anything else builds the whole program, and commander answers as it always did:
    ['', undefined],
    ['--help', undefined],
    ['-h write', undefined],
    ['help write', undefined],
    ['--version write', undefined],
    ['--bogus write', undefined],
    ['-- write', undefined],
    ['wrte f 0 00', undefined],
    ['completion bash', undefined], // the script describes every command
    ['--color write', undefined], // "write" is the colour here, and no command follows
    ['--wait', undefined],
  ])('commandOf(mmapx %s) = %s', (args, want) => {
    expect(commandOf(argv(args))).toBe(want);
  });

  it('what the whole program answers is unchanged: a misspelt command, help, completion', () => {
    const r = mmapx(['wrte', 'f', '0', '00']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'wrte'.*\(Did you mean write\?\)/s);
    expect(mmapx(['help', 'write']).stdout).toBe(mmapx(['write', '--help']).stdout);
    expect(mmapx(['completion', 'bash']).stdout).toMatch(/\bunhex\b/);
  });
});

describe('a bundle of its own for a small command, and a code cache per command', () => {
  const argv = (s: string) => ['node', 'mmapx', ...s.split(' ').filter((a) => a !== '')];
  it.each([
    ['write f 0 00', 'main-write.cjs', 'write'],
    ['--json flush f', 'main-flush.cjs', 'flush'],
    ['-q protect f ro', 'main-protect.cjs', 'protect'],
    ['info f', 'main-info.cjs', 'info'],
    ['hd f', 'main.cjs', 'hexdump'],
    ['patch f p', 'main.cjs', 'patch'],
    ['fill f 0:1 --pattern 00', 'main.cjs', 'fill'],
    ['--help', 'main.cjs', 'main'],
    ['help write', 'main.cjs', 'main'],
    ['completion bash', 'main.cjs', 'main'],
    ['wrte f 0 00', 'main.cjs', 'main'],
    ['--version write', 'main.cjs', 'main'],
  ])('mmapx %s runs %s with the cache %s', (args, bundle, cache) => {
    expect(cliBundle(argv(args))).toEqual({ bundle, cache });
  });

  it.each(OWN_BUNDLE)("dist/main-%s.cjs holds its command's code and a stub for every other command", (name) => {
    expect(Object.keys(COMMANDS)).toContain(name);
    const text = readFileSync(join(ROOT, 'dist', `main-${name}.cjs`), 'latin1');
    for (const other of Object.keys(COMMANDS)) {
      expect(text.includes(`the command ${other} is not in the bundle of ${name}`), other).toBe(other !== name);
    }
    expect(statSync(join(ROOT, 'dist', `main-${name}.cjs`)).size).toBeLessThan(statSync(join(ROOT, 'dist/main.cjs')).size / 2);
  });

  it('each command leaves its own cache, stamped with the bundle it ran', () => {
    const cache = join(dir, 'per-command');
    const f = join(dir, 'per-command.bin');
    writeFileSync(f, Buffer.alloc(64));
    const runs: Record<string, string[]> = {
      write: ['write', f, '0', '00'],
      flush: ['flush', f],
      protect: ['protect', f, 'ro'],
      info: ['info', f],
      hash: ['hash', f],
      main: ['--help'],
    };
    expect(OWN_BUNDLE.filter((c) => runs[c] === undefined)).toEqual([]); // a new own bundle is run here too
    for (const args of Object.values(runs)) expect(mmapx(args, { env: { MMAPX_CACHE_DIR: cache } }).status).toBe(0);
    const name = (n: string) => `${n}-${process.version}-${process.arch}.v8cache`;
    expect(readdirSync(cache).sort()).toEqual(Object.keys(runs).map(name).sort());
    const stampedSize = (n: string) => {
      const bytes = readFileSync(join(cache, name(n)));
      return Number(bytes.toString('latin1', 0, bytes.indexOf(10)).split(' ')[4]);
    };
    for (const n of Object.keys(runs)) {
      expect(stampedSize(n), n).toBe(statSync(join(ROOT, 'dist', OWN_BUNDLE.includes(n) ? `main-${n}.cjs` : 'main.cjs')).size);
    }
  });
});

describe('the code cache of the npm package', () => {
  const target = join(dir, 'target.bin');
  const run = (cache: string, env: Record<string, string> = {}, timeout?: number): Run => {
    writeFileSync(target, Buffer.alloc(16));
    const r = mmapx(['write', target, '4', 'c0ffee'], { env: { MMAPX_CACHE_DIR: cache, ...env }, timeout });
    expect(r.status, r.dump).toBe(0);
    expect(readFileSync(target).toString('hex')).toBe('00000000c0ffee000000000000000000');
    return r;
  };
  const cacheName = `write-${process.version}-${process.arch}.v8cache`;

  it('the first run leaves a cache for this Node, private to the user; later runs use it as it is', () => {
    const cache = join(dir, 'fresh', 'cache');
    const first = run(cache);
    expect(readdirSync(cache)).toEqual([cacheName]);
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    const file = join(cache, cacheName);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(file);
    expect(bytes.toString('latin1', 0, bytes.indexOf(10))).toMatch(/^mmapx code cache \S+ \d+ [\d.]+ \d+$/);
    const second = run(cache);
    expect(second.stderr).toBe(first.stderr.replace(/ in [\d.]+ ms.*/, second.stderr.match(/ in [\d.]+ ms.*/)?.[0] ?? ''));
    expect(readFileSync(file).equals(bytes)).toBe(true); // used, not rewritten
  });

  it('a damaged or stale cache is not used, and is made again', () => {
    const cache = join(dir, 'damaged');
    run(cache);
    const file = join(cache, cacheName);
    const good = readFileSync(file);
    const stampEnd = good.indexOf(10) + 1;
    for (const bad of [
      Buffer.concat([good.subarray(0, stampEnd), Buffer.alloc(1000, 0x5a)]), // garbage code
      Buffer.concat([Buffer.from('mmapx code cache 0.0.0 1 2 3\n'), good.subarray(stampEnd)]), // another bundle's
      good.subarray(0, stampEnd - 1), // cut inside the stamp
      Buffer.alloc(0),
    ]) {
      writeFileSync(file, bad, { mode: 0o600 });
      run(cache);
      const made = readFileSync(file);
      expect(made.equals(bad), `${bad.length} bytes`).toBe(false);
      expect(made.subarray(0, stampEnd).equals(good.subarray(0, stampEnd)), `${bad.length} bytes`).toBe(true);
      // V8 takes the new one: the next run leaves it as it is.
      run(cache);
      expect(readFileSync(file).equals(made), `${bad.length} bytes`).toBe(true);
    }
  });

  it('MMAPX_NO_CODE_CACHE=1 writes none; an unsafe or unusable directory is left alone', () => {
    const off = join(dir, 'off');
    run(off, { MMAPX_NO_CODE_CACHE: '1' });
    expect(readdirSync(dir)).not.toContain('off');
    // Writable by others: another user could plant code there. Nothing is read from it or written to it.
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    run(shared);
    expect(readdirSync(shared)).toEqual([]);
    // A cache file that others may write is not used (nor replaced: the directory is fine, so it is
    // rewritten with the user's mode).
    const loose = join(dir, 'loose');
    run(loose);
    chmodSync(join(loose, cacheName), 0o666);
    run(loose);
    expect(statSync(join(loose, cacheName)).mode & 0o777).toBe(0o600);
    // A FIFO, a symlink or a directory where the cache file should be: never read as a cache (a
    // FIFO would block the open); a FIFO or symlink is replaced by a cache file (the symlink's
    // target untouched), a directory stays.
    const target0 = readFileSync(join(loose, cacheName));
    for (const [name, make] of [
      ['fifo', (p: string) => execFileSync('mkfifo', [p])],
      ['symlink', (p: string) => symlinkSync(join(loose, cacheName), p)],
      ['directory', (p: string) => mkdirSync(p)],
    ] as const) {
      const odd = join(dir, `odd-${name}`);
      mkdirSync(odd, { mode: 0o700 });
      make(join(odd, cacheName));
      run(odd, {}, 20_000);
      const after = lstatSync(join(odd, cacheName));
      expect(name === 'directory' ? after.isDirectory() : after.isFile(), name).toBe(true);
      expect(readdirSync(odd), name).toEqual([cacheName]);
    }
    expect(readFileSync(join(loose, cacheName)).equals(target0)).toBe(true);
    // A file where the directory should be.
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, 'not a directory');
    run(blocked);
    expect(readFileSync(blocked, 'utf8')).toBe('not a directory');
  });

  it('a cache that cannot be written whole (ulimit -f) leaves no file behind, and the command its status', () => {
    const cache = join(dir, 'small');
    writeFileSync(target, Buffer.alloc(16));
    const r = runCommand(['sh', '-c', 'ulimit -f 1 && exec "$0" "$@"', process.execPath, BIN], ['write', target, '4', 'c0ffee'], {
      env: { ...PINNED_ENV, MMAPX_CACHE_DIR: cache },
    });
    expect(r.status, r.dump).toBe(0);
    expect(readFileSync(target).toString('hex')).toBe('00000000c0ffee000000000000000000');
    expect(readdirSync(cache)).toEqual([]);
  });

  it('--debug stacks point into the bundle at its own lines', () => {
    const r = mmapx(['--debug', 'write', target, '0', 'zz'], { env: { MMAPX_CACHE_DIR: join(dir, 'fresh', 'cache') } });
    expect(r.status).toBe(2);
    const frame = /\(([^()]*main-write\.cjs):(\d+):(\d+)\)/.exec(r.stderr);
    expect(frame, r.dump).not.toBeNull();
    const [, file, line, column] = frame as unknown as [string, string, string, string];
    // The frame's line and column hold a call of the function the stack names next to it.
    const text = readFileSync(file, 'utf8').split('\n')[Number(line) - 1] ?? '';
    expect(text.length, r.dump).toBeGreaterThanOrEqual(Number(column));
  });
});
