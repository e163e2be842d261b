// What the harnesses shared by the tests and bench/ need: where the CLI is, and scratch space.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'mmapx.js');
export const NODE = process.execPath;

/** A scratch directory on the same filesystem as the system's temp dir (or MMAPX_BENCH_DIR), removed at exit. */
export function scratch(prefix = 'mmapx-bench-') {
  const dir = mkdtempSync(join(process.env.MMAPX_BENCH_DIR ?? tmpdir(), prefix));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The environment every measured command gets: pinned, so that nothing in the caller's environment
 * (NODE_OPTIONS; NODE_EXTRA_CA_CERTS alone costs Node 20 tens of milliseconds) skews a ratio.
 */
export const BENCH_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C', LC_ALL: 'C' };
