import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * A fresh temporary directory for this test file, removed after all its tests. On Windows a file
 * cannot be deleted while a view of it exists, and a map a test dropped without unmap() keeps its
 * view until garbage collection: what cannot be removed there is left to the system's temp cleaning.
 */
export function tmpDir(prefix = 'mmapx-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      if (process.platform !== 'win32') throw err;
    }
  });
  return dir;
}
