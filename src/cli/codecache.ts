// Runs a CLI bundle (dist/main.cjs, or a small command's own: argv.ts cliBundle) with V8's compiled
// code kept between runs, in the per-user cache directory (src/cachedir.ts), one cache per command:
// parsing and compiling the bundle's code is most of what a small command costs past Node's own
// start (`node bench/run.mjs startup`).
//
// The cache is made at the exit of a run that found none (or a stale one), so it holds the code of
// every function that run compiled, not only the top level (which is all Node's own compile cache
// keeps, on Node >= 22.1; it has none on Node 20). It is tied to this bundle file (its size, mtime
// and inode, checked here) and to this Node (its version in the file name; V8 also refuses code
// cached by another V8 or with other flags, and a rejected cache is simply made again).
// MMAPX_NO_CODE_CACHE=1, or a cache that is unsafe (another user may write to it or its directory)
// or unusable (read-only, no home), runs the bundle without it, as a plain require would.
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { cacheDir, unsafeCacheDir, writeAtomically } from '../cachedir.js';

/** What identifies the bundle a cache was made from: it is the cache file's first line. */
function stamp(file: string): string {
  const st = statSync(file);
  return `mmapx code cache ${__MMAPX_VERSION__} ${st.size} ${st.mtimeMs} ${st.ino}\n`;
}

/** The cache file `name` under this Node (it may not exist), or undefined when caching is off. */
function cacheFile(name: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env.MMAPX_NO_CODE_CACHE === '1') return undefined;
  try {
    return join(cacheDir(env), `${name}-${process.version}-${process.arch}.v8cache`);
  } catch {
    return undefined; // no home directory
  }
}

/**
 * The cached code for `stampLine`, or undefined (none, stale, unreadable or unsafe). Checked on the
 * descriptor it is read from: a regular file of this user that no one else may write (V8 runs what
 * it holds); the directory is checked when a cache is written into it.
 */
function readCache(path: string, stampLine: string): Buffer | undefined {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO in its place must not hang the command (it is then refused as not a file).
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || (typeof process.getuid === 'function' && st.uid !== process.getuid()) || (st.mode & 0o022) !== 0) return undefined;
    const bytes = readFileSync(fd);
    if (bytes.length <= stampLine.length || bytes.toString('latin1', 0, stampLine.length) !== stampLine) return undefined;
    return bytes.subarray(stampLine.length);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Writes the cache at exit, into a directory that may hold it. Failures only cost the next run a compile. */
function writeCacheAtExit(path: string, stampLine: string, script: Script): void {
  process.once('exit', () => {
    try {
      if (unsafeCacheDir(dirname(path)) !== undefined) return;
      writeAtomically(path, Buffer.concat([Buffer.from(stampLine, 'latin1'), script.createCachedData()]));
    } catch {
      // A read-only or full filesystem: the next run compiles again.
    }
  });
}

/**
 * Runs the CommonJS file `file` (a bundle of this build) as `require(file)` would, with its
 * compiled code from the cache `name` (argv.ts cliBundle: one per command), and leaves a new cache
 * at exit when there was none to use (or one of another bundle: the stamp tells).
 */
export function runCached(file: string, name: string, env: NodeJS.ProcessEnv = process.env): void {
  let path = cacheFile(name, env);
  let stampLine = '';
  try {
    stampLine = stamp(file);
  } catch {
    path = undefined; // the bundle cannot be stat'ed: reading it below says why
  }
  const cached = path === undefined ? undefined : readCache(path, stampLine);
  // One-byte text: the build keeps bundles ASCII (scripts/esbuild-options.mjs assertAscii), and a
  // Buffer's utf8 decoding is quicker than readFileSync(file, 'utf8') on Node 20.
  const source = readFileSync(file).toString();
  // The wrapper ends its line, so that line numbers in stack traces are the file's own.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {\n${source}\n})`, {
    filename: file,
    lineOffset: -1,
    cachedData: cached,
  });
  if (path !== undefined && (cached === undefined || script.cachedDataRejected === true)) writeCacheAtExit(path, stampLine, script);
  const module = { exports: {}, filename: file, id: file, loaded: false };
  const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
}
