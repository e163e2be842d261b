// koffi's native module inside the standalone executable. Node can only dlopen a file, so
// scripts/build-sea.mjs embeds koffi.node as a SEA asset; on first use it is written once to a
// per-user cache file named by koffi's version and the module's hash, and loaded from there.
// Where that is impossible it goes through a private temporary directory, removed after loading.
// Only the executable's bundle calls this (see koffi.ts); the npm package never does.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir, unsafeCacheDir, writeAtomically } from '../../cachedir.js';
import { MmapError } from '../errors.js';

/** Why a directory did not work: mounted noexec, unusable (fs error, unsafe), or the module itself did not load. */
type Kind = 'noexec' | 'dir' | 'load';

interface Failure {
  dir: string;
  reason: string;
  kind: Kind;
}

class Unusable extends Error {
  readonly kind: Kind;
  constructor(reason: string, kind: Kind = 'dir') {
    super(reason);
    this.kind = kind;
  }
}

let addon: unknown;

/**
 * Loads the embedded koffi.node once and returns its exports.
 * @throws MmapError `ERR_FFI_UNAVAILABLE` (one line saying which directories failed and what to do).
 */
export function loadEmbeddedAddon(): unknown {
  if (addon !== undefined) return addon;
  const sea = require('node:sea') as typeof import('node:sea');
  const bytes = new Uint8Array(sea.getRawAsset(__MMAPX_SEA_ADDON__.key) as ArrayBuffer);
  const failures: Failure[] = [];

  let dir = '~/.cache/mmapx';
  try {
    dir = cacheDir();
    addon = loadCached(dir, bytes);
    return addon;
  } catch (err) {
    failures.push(failure(dir, err));
  }

  const tmp = tmpdir();
  let scratch: string | undefined;
  try {
    scratch = mkdtempSync(join(tmp, 'mmapx-'));
    const file = join(scratch, __MMAPX_SEA_ADDON__.file);
    writeFileSync(file, bytes, { mode: 0o600, flag: 'wx' });
    addon = dlopen(file);
    return addon;
  } catch (err) {
    failures.push(failure(tmp, err));
  } finally {
    // The loaded module stays mapped; its file and directory are no longer needed. (Windows
    // refuses to delete a loaded module's file: it is left to the system's temp cleaning there.)
    if (scratch !== undefined) {
      try {
        rmSync(scratch, { recursive: true, force: true });
      } catch {
        // left behind
      }
    }
  }
  throw new MmapError('ERR_FFI_UNAVAILABLE', message(failures));
}

/** Loads from the cache, writing the file first when it is missing or not the right one. */
function loadCached(dir: string, bytes: Uint8Array): unknown {
  const unsafe = unsafeCacheDir(dir);
  if (unsafe !== undefined) throw new Unusable(unsafe);
  const file = join(dir, __MMAPX_SEA_ADDON__.file);
  const existing = statSync(file, { throwIfNoEntry: false });
  if (existing?.isFile() && existing.size === __MMAPX_SEA_ADDON__.size) {
    try {
      return dlopen(file);
    } catch (err) {
      if (err instanceof Unusable && err.kind === 'noexec') throw err;
      // A damaged cache file: write it again below.
    }
  }
  writeAtomically(file, bytes);
  return dlopen(file);
}

function dlopen(file: string): unknown {
  const module = { exports: {} as unknown };
  try {
    process.dlopen(module, file);
  } catch (err) {
    const text = (err as Error).message;
    // glibc's words when mmap(PROT_EXEC) is refused, which is what a noexec mount does.
    if (/failed to map segment|operation not permitted/i.test(text)) throw new Unusable('not executable (noexec)', 'noexec');
    throw new Unusable(text.replace(/^.*?: /, ''), 'load');
  }
  return module.exports;
}

function failure(dir: string, err: unknown): Failure {
  if (err instanceof Unusable) return { dir, reason: err.message, kind: err.kind };
  const e = err as NodeJS.ErrnoException;
  const text = typeof e?.message === 'string' ? e.message.replace(/^[A-Z0-9]+: /, '').replace(/,.*$/, '') : String(err);
  return { dir, reason: e?.code ? `${text} (${e.code})` : text, kind: 'dir' };
}

function message(failures: Failure[]): string {
  const head = 'cannot load the native FFI module: ';
  // The module was written but the system cannot load it (no libstdc++, glibc too old): no
  // directory would help.
  const load = failures.find((f) => f.kind === 'load');
  if (load) return `${head}${load.reason.replace(/\s+/g, ' ')}`;
  if (failures.every((f) => f.kind === 'noexec')) {
    return `${head}${failures.map((f) => f.dir).join(' and ')} are not executable (noexec); set MMAPX_CACHE_DIR to a directory on an exec filesystem`;
  }
  const each = failures.map((f) => `${f.dir}: ${f.reason.replace(/\s+/g, ' ')}`).join('; ');
  return `${head}${each}; set MMAPX_CACHE_DIR to a writable directory on an exec filesystem`;
}
