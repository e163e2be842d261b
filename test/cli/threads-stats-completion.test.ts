// Three smaller promises of issue 16: MMAPX_THREADS is checked (a usage error for any command, never
// silently the default), --stats throughput is the bytes over the phase that moved them (not the
// whole run with start-up), and shell completion offers each option once (--help was twice).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bashScript, completionSpec, fishScript, zshScript } from '../../src/cli/completion.js';
import { Context } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/program.js';
import { threadsFromEnv } from '../../src/edit/threads.js';
import { throughput } from '../../src/edit/timing.js';
import { InputError } from '../../src/errors.js';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, expectSuccess, fingerprint, mmapx } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const program = buildProgram(new Context({ json: false, quiet: false, color: 'never', debug: false }, { stdoutFd: 1, stderrFd: 2 }, {}), () => {});
const COMMANDS = program.commands.filter((c) => c.name() !== 'help');
const dir = tmpDir('mmapx-small-');
const D = join(dir, 'data.bin');
const BIG = join(dir, 'big.bin');
beforeAll(() => {
  requireBuild();
  writeFileSync(D, 'cafe cafe cafe\n');
  const big = Buffer.alloc(4 << 20);
  for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
  writeFileSync(BIG, big);
});

describe('MMAPX_THREADS', () => {
  it.each([['abc'], ['0'], ['-1'], ['1.5'], ['65'], [' 2'], ['2x'], ['0x2']])('MMAPX_THREADS=%j is refused in-process', (v) => {
    expect(() => threadsFromEnv({ MMAPX_THREADS: v })).toThrow(InputError);
    expect(() => threadsFromEnv({ MMAPX_THREADS: v })).toThrow(`MMAPX_THREADS=${JSON.stringify(v)} is not a thread count: give a whole number from 1 to 64`);
  });

  it('accepts 1..64, and unset or empty is the default', () => {
    expect(threadsFromEnv({ MMAPX_THREADS: '1' })).toBe(1);
    expect(threadsFromEnv({ MMAPX_THREADS: '64' })).toBe(64);
    expect(threadsFromEnv({ MMAPX_THREADS: '' })).toBeUndefined();
    expect(threadsFromEnv({})).toBeUndefined();
  });

  it.each([['abc'], ['0']])('find with MMAPX_THREADS=%j: exit 2, one line', (v) => {
    const r = mmapx(['find', D, '--text', 'cafe', '--count'], { env: { MMAPX_THREADS: v } });
    expectFailure(
      r,
      2,
      `mmapx: find: MMAPX_THREADS=${JSON.stringify(v)} is not a thread count: give a whole number from 1 to 64 (1: no extra threads), or unset it`,
    );
    expect(r.stdout).toBe('');
  });

  it.each(COMMANDS.map((c) => [c.name(), c] as const))('%s with MMAPX_THREADS=abc: usage error, file unchanged', (name) => {
    const before = fingerprint(D);
    const args =
      name === 'protect'
        ? [D, 'ro']
        : name === 'completion'
          ? ['bash']
          : name === 'write'
            ? [D, '0', '41']
            : name === 'diff'
              ? [D, D]
              : name === 'patch'
                ? [D, '--edit', '0=41']
                : name === 'find'
                  ? [D, '00']
                  : [D];
    const r = mmapx(['--json', name, ...args], { env: { MMAPX_THREADS: 'abc' } });
    expect(r.status, r.dump).toBe(2);
    expect(JSON.parse(r.stdout), r.dump).toMatchObject({
      command: name,
      ok: false,
      exitCode: 2,
      error: { message: expect.stringContaining('MMAPX_THREADS="abc"') },
    });
    expect(fingerprint(D)).toBe(before);
  });

  it('valid values give the same answer as the default', () => {
    for (const v of ['1', '3', '64', '']) {
      const r = mmapx(['find', D, '--text', 'cafe', '--count'], { env: { MMAPX_THREADS: v } });
      expectSuccess(r);
      expect(r.stdout).toBe('3\n');
    }
  });
});

describe('--stats throughput', () => {
  it('divides by the phase that moved the bytes', () => {
    expect(throughput(1048576n, 1000)).toBe('1 MiB/s');
    expect(throughput(8n * 1048576n, 500)).toBe('16 MiB/s');
    expect(throughput(100, 0)).toBe('0 MiB/s');
    expect(throughput(100, undefined)).toBe('0 MiB/s');
  });

  // The summary shows both numbers: the rate must be the bytes over the named phase (within the
  // rounding of the printed milliseconds), not over the whole run.
  it.each([
    ['cat', ['cat', BIG, '--stats'], 'copy'],
    ['hash', ['hash', BIG, '--stats'], 'hash'],
    ['hexdump', ['hexdump', BIG, '--stats', '-f', 'plain'], 'dump'],
  ])('%s --stats', (_name, args, phase) => {
    const r = mmapx(args as string[]);
    expectSuccess(r);
    const line = r.stderr.trim().split('\n').pop()!;
    const bytes = Number(/(\d+) bytes/.exec(line)![1]);
    const rate = Number(/\((\d+) MiB\/s\)/.exec(line)![1]);
    const ms = Number(new RegExp(`[:,] ${phase} ([0-9.]+)`).exec(line)![1]);
    expect(bytes, line).toBe(4 << 20);
    const mib = bytes / 1048576;
    const lo = mib / ((ms + 0.005) / 1000);
    const hi = mib / (Math.max(ms - 0.005, 0.001) / 1000);
    expect(rate, line).toBeGreaterThanOrEqual(Math.floor(lo));
    expect(rate, line).toBeLessThanOrEqual(Math.ceil(hi));
  });
});

describe('shell completion offers each option once', () => {
  const spec = completionSpec(program);
  const dupes = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) !== i);

  it.each(COMMANDS.map((c) => [c.name()] as const))('bash: mmapx %s -<TAB>', (name) => {
    const script = join(dir, 'mmapx.bash');
    writeFileSync(script, bashScript(spec));
    const r = spawnSync('bash', ['-c', `source '${script}'; COMP_WORDS=(mmapx ${name} -); COMP_CWORD=2; _mmapx; printf '%s\\n' "\${COMPREPLY[@]}"`], {
      encoding: 'utf8',
      cwd: dir,
    });
    expect(r.stderr).toBe('');
    const offered = r.stdout.split('\n').filter(Boolean);
    expect(offered).toContain('--help');
    expect(offered).toContain('--json');
    expect(dupes(offered)).toEqual([]);
  });

  it('fish: the lines that apply after each command name each flag once', () => {
    const lines = fishScript(spec).split('\n');
    for (const c of spec.commands) {
      const applies = lines.filter((l) => l.includes("-n 'true'") || l.includes(`-n '__fish_seen_subcommand_from ${c.names.join(' ')}'`));
      const longs = applies.flatMap((l) => [...l.matchAll(/ -l (\S+)/g)].map((m) => m[1]!));
      expect(longs).toContain('help');
      expect(dupes(longs), c.names[0]).toEqual([]);
    }
  });

  it('zsh: each command block names each flag once', () => {
    const script = zshScript(spec);
    for (const c of spec.commands) {
      const block = script.split(`  (${c.names.join('|')})\n`)[1]!.split(';;')[0]!;
      const flags = [...block.matchAll(/\{(-[^,}]+),(--[^}]+)\}|'(--?[a-z0-9-]+)\[/g)].flatMap((m) => [m[1], m[2], m[3]].filter((x): x is string => !!x));
      expect(flags).toContain('--help');
      expect(dupes(flags), c.names[0]).toEqual([]);
    }
  });
});
