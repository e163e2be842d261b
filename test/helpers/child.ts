import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { QEMU_USER } from './emulator.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The built library (ESM). `npm test` builds before running vitest. */
export const LIB = join(ROOT, 'dist', 'lib', 'index.mjs');
/** `LIB` as a file: URL, which import() takes on every platform (a Windows path's drive letter reads as a URL scheme). */
export const LIB_URL = pathToFileURL(LIB).href;

export function requireBuild(): void {
  if (!existsSync(LIB)) throw new Error(`${LIB} is missing: run "npm run build" first (npm test does)`);
}

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs an ES module snippet in a fresh Node process with `LIB` importable as `$LIB`. */
export function runModule(code: string, opts: { args?: string[]; nodeArgs?: string[]; prefix?: string[] } = {}): ChildResult {
  requireBuild();
  const src = code.replaceAll('$LIB', JSON.stringify(LIB_URL));
  const cmd = [...(opts.prefix ?? []), process.execPath, ...(opts.nodeArgs ?? []), '--input-type=module', '-e', src, ...(opts.args ?? [])];
  // Under qemu-user a child runs several times slower: more time before it counts as hung.
  const r = spawnSync(cmd[0] as string, cmd.slice(1), { encoding: 'utf8', timeout: QEMU_USER ? 120_000 : 30_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}
