// Runs the built CLI as a user would, with a pinned environment, and keeps what it printed for
// failure messages (the command, its status, stdout and stderr).
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ROOT } from './child.js';

export const BIN = join(ROOT, 'bin', 'mmapx.js');

export interface Run {
  args: string[];
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
  /** For assertion messages. */
  dump: string;
}

export interface RunOptions {
  input?: string | Uint8Array;
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeout?: number;
}

/** A stable environment: no colour forcing, C locale, no user config. */
export const PINNED_ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
  LANG: 'C',
  LC_ALL: 'C',
  TERM: 'dumb',
};

/** Runs the npm package's CLI (`node bin/mmapx.js`) with `PINNED_ENV` plus `options.env`. */
export function mmapx(args: string[], options: RunOptions = {}): Run {
  const env: Record<string, string> = { ...PINNED_ENV };
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return runCommand([process.execPath, BIN], args, { ...options, env });
}

/** Runs `command` (argv prefix, e.g. another build of mmapx) with `args`, in exactly `options.env`. */
export function runCommand(command: string[], args: string[], options: RunOptions = {}): Run {
  const r = spawnSync(command[0] as string, [...command.slice(1), ...args], {
    input: options.input,
    env: options.env as NodeJS.ProcessEnv | undefined,
    cwd: options.cwd,
    timeout: options.timeout ?? 120_000,
    maxBuffer: 1 << 30,
  });
  const stdout = r.stdout.toString('utf8');
  const stderr = r.stderr.toString('utf8');
  return {
    args,
    status: r.status,
    signal: r.signal,
    stdout,
    stderr,
    stdoutBytes: r.stdout,
    dump: `$ mmapx ${args.join(' ')}\n-> status ${r.status} signal ${r.signal}\n--- stdout\n${stdout.slice(0, 2000)}\n--- stderr\n${stderr.slice(0, 2000)}`,
  };
}

/** Asserts the exit status and that stderr is exactly one line matching `line` (string = exact). */
export function expectFailure(r: Run, status: number, line: string | RegExp): void {
  expect(r.status, r.dump).toBe(status);
  expect(r.signal, r.dump).toBeNull();
  expect(r.stderr.endsWith('\n') && r.stderr.split('\n').length === 2, `one stderr line expected\n${r.dump}`).toBe(true);
  const got = r.stderr.slice(0, -1);
  if (typeof line === 'string') expect(got, r.dump).toBe(line);
  else expect(got, r.dump).toMatch(line);
  expect(got, r.dump).not.toMatch(/\n\s+at /);
}

export function expectSuccess(r: Run): void {
  expect(r.status, r.dump).toBe(0);
  expect(r.signal, r.dump).toBeNull();
}

/** A fingerprint of a file's bytes (and size) to prove it is byte-identical afterwards. */
export function fingerprint(path: string): string {
  const size = statSync(path).size;
  return `${size}:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}
