// Running several processes at once: the built CLI without waiting for it, a process that holds a
// file locked, and a look at /proc/locks. The results have the shape of helpers/cli.ts's `Run`.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { BIN, PINNED_ENV, type Run } from './cli.js';

export interface Started {
  child: ChildProcess;
  /** Resolves when the process has ended, with all it printed. */
  done: Promise<Run>;
  /** Resolves when stdout contains `text` (or rejects when the process ends first). */
  printed(text: string): Promise<void>;
  /** SIGTERM to the process (and, when started as a group, to its children), then its end. */
  stop(): Promise<Run>;
}

/**
 * Starts any program with the pinned environment (plus `env`); `label` names it in dumps. `group`
 * puts it in a process group of its own, so that `stop()` also ends the children it started
 * (flock's command).
 */
export function start(cmd: string, args: string[], label = cmd, group = false, env: Record<string, string> = {}): Started {
  const child = spawn(cmd, args, { env: { ...PINNED_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: group });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const waiters: { text: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  const stdoutText = () => Buffer.concat(out).toString('utf8');
  child.stdout?.on('data', (d: Buffer) => {
    out.push(d);
    const text = stdoutText();
    for (const w of waiters.filter((x) => text.includes(x.text))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  child.stderr?.on('data', (d: Buffer) => err.push(d));
  const done = new Promise<Run>((resolve) => {
    child.on('close', (status, signal) => {
      const stdout = stdoutText();
      const stderr = Buffer.concat(err).toString('utf8');
      for (const w of waiters.splice(0)) w.reject(new Error(`${label} ended before printing ${JSON.stringify(w.text)}: ${stderr}`));
      resolve({
        args,
        status,
        signal,
        stdout,
        stderr,
        stdoutBytes: Buffer.concat(out),
        dump: `$ ${label} ${args.join(' ')}\n-> status ${status} signal ${signal}\n--- stdout\n${stdout.slice(0, 2000)}\n--- stderr\n${stderr.slice(0, 2000)}`,
      });
    });
  });
  const printed = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (stdoutText().includes(text)) resolve();
      else waiters.push({ text, resolve, reject });
    });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(group ? -child.pid : child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    return done;
  };
  return { child, done, printed, stop };
}

/** Starts the built CLI. */
export function startMmapx(args: string[]): Started {
  return start(process.execPath, [BIN, ...args], 'mmapx');
}

/**
 * Processes holding a flock lock of `access` (READ/WRITE) on `path` now, from /proc/locks, each
 * once: a process can show more than one line for a file (seen on a loaded machine).
 */
export function flockHolders(path: string, access: 'READ' | 'WRITE'): number[] {
  const ino = statSync(path).ino;
  const pids = readFileSync('/proc/locks', 'latin1')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1] === 'FLOCK' && f[3] === access && f[5]?.endsWith(`:${ino}`))
    .map((f) => Number(f[4]));
  return [...new Set(pids)];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
