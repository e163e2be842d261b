// The per-user cache directory, for what mmapx keeps between runs to start faster: V8's compiled
// code of the CLI's bundle (src/cli/codecache.ts) and, in the standalone executable, koffi's native
// module (src/mmap/sys/sea-addon.ts). Both are code this process runs, so a directory qualifies only
// when no other user can write to it. Node built-ins only: the CLI's entry loads this before its bundle.
import { mkdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** $MMAPX_CACHE_DIR, else $XDG_CACHE_HOME/mmapx, else (Windows) %LOCALAPPDATA%\mmapx, else ~/.cache/mmapx. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MMAPX_CACHE_DIR) return resolve(env.MMAPX_CACHE_DIR);
  if (process.platform === 'win32' && !env.XDG_CACHE_HOME && env.LOCALAPPDATA && isAbsolute(env.LOCALAPPDATA)) return join(env.LOCALAPPDATA, 'mmapx');
  const xdg = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(xdg, 'mmapx');
}

/**
 * Creates `dir` (mode 0700, parents too) when missing and checks that it may hold code this process
 * runs: owned by the current user and writable by no one else.
 * @returns undefined when it may, else why not (in words).
 */
export function unsafeCacheDir(dir: string): string | undefined {
  makeDir(dir);
  const st = statSync(dir);
  // INVARIANT: only a directory no other user can write to may hold code this process executes.
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return 'not owned by the current user';
  // Windows has no Unix modes (Node.js reports every directory as 0o777): its access lists decide,
  // and a user's own profile directory is the user's.
  if (process.platform !== 'win32' && (st.mode & 0o022) !== 0) return 'writable by other users';
  return undefined;
}

/**
 * Writes `file` so that no reader ever sees it half written: parallel first runs each write their
 * own temporary file and rename it over the final name (rename is atomic, and a process that has
 * already loaded a replaced file keeps what it loaded).
 */
export function writeAtomically(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(tmp, bytes, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
  } catch (err) {
    // A write cut short (a full disk, EFBIG under `ulimit -f`) leaves no half file behind.
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw err;
  }
}

/** mkdir -p with mode 0700, one level at a time (a recursive mkdirSync can spin forever under /proc). */
function makeDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || dirname(dir) === dir) throw err;
    makeDir(dirname(dir));
    mkdirSync(dir, { mode: 0o700 });
  }
}
