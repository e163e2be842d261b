// fileSizeLimit: how large a file may become, asked without changing it (lseek(2) for the
// filesystem's limit, getrlimit(2) for `ulimit -f`). Checked against what ftruncate(2) then does.
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSizeLimit, MmapError } from '../../src/index.js';
import { LIB, requireBuild } from '../helpers/child.js';
import { tmpDir } from '../helpers/tmp.js';
import { posixIt } from '../helpers/platform.js';

const dir = tmpDir('mmapx-limits-');
let n = 0;

function withFile<T>(fn: (fd: number, path: string) => T, flags = 'r'): T {
  const path = join(dir, `l${n++}.bin`);
  writeFileSync(path, 'ABCDEFGH');
  const fd = openSync(path, flags);
  try {
    return fn(fd, path);
  } finally {
    closeSync(fd);
  }
}

const OFF_MAX = (1n << 63n) - 1n;

describe('fileSizeLimit', () => {
  it('is undefined for sizes every filesystem holds', () => {
    withFile((fd) => {
      for (const size of [0n, 8n, 1n << 20n, 1n << 32n]) expect(fileSizeLimit(fd, size)).toBeUndefined();
    });
  });

  it('refuses what is no file size at all', () => {
    withFile((fd) => {
      for (const size of [-1n, OFF_MAX + 1n]) expect(() => fileSizeLimit(fd, size)).toThrow(MmapError);
    });
  });

  it("agrees with ftruncate at the filesystem's own limit (where there is one below 2^63-1)", () => {
    withFile((fd, path) => {
      const limit = fileSizeLimit(fd, OFF_MAX);
      if (limit === undefined) return; // tmpfs, XFS, Btrfs: 8 EiB files, nothing to find here
      expect(limit.by).toBe('filesystem');
      expect(fileSizeLimit(fd, limit.bytes)).toBeUndefined();
      expect(fileSizeLimit(fd, limit.bytes + 1n)).toEqual(limit);
      // The probe changed nothing: the size is the same, and reads start where they did.
      expect(statSync(path).size).toBe(8);
      const b = Buffer.alloc(3);
      expect(readSync(fd, b, 0, 3, null)).toBe(3);
      expect(b.toString()).toBe('ABC');
      // ftruncate agrees: the limit is a size the file can have, one more is EFBIG.
      ftruncateSync(fd, Number(limit.bytes));
      expect(() => ftruncateSync(fd, Number(limit.bytes) + 1)).toThrow(/EFBIG/);
      ftruncateSync(fd, 8);
    }, 'r+');
  });

  it('keeps the position of the descriptor', () => {
    withFile((fd) => {
      const b = Buffer.alloc(2);
      readSync(fd, b, 0, 2, null); // position 2
      fileSizeLimit(fd, OFF_MAX);
      fileSizeLimit(fd, 1n << 40n);
      expect(readSync(fd, b, 0, 2, null)).toBe(2);
      expect(b.toString()).toBe('CD');
    });
  });

  posixIt('no ulimit -f, nor a shell to set it')('reports the process limit (ulimit -f), the smaller of the two', () => {
    requireBuild();
    const path = join(dir, 'rl.bin');
    writeFileSync(path, 'AB');
    const code = `import { fileSizeLimit } from ${JSON.stringify(LIB)}; import { openSync } from 'node:fs';
      const fd = openSync(process.argv[1], 'r');
      console.log(JSON.stringify([1024n, 1n << 20n, (1n << 63n) - 1n].map((s) => fileSizeLimit(fd, s)), (k, v) => typeof v === 'bigint' ? String(v) : v));`;
    // 64 blocks of the shell's ulimit -f: 512 bytes each (dash) or 1024 (bash).
    const r = spawnSync('sh', ['-c', 'ulimit -f 64 && exec "$0" "$@"', process.execPath, '--input-type=module', '-e', code, path], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const [small, mid, max] = JSON.parse(r.stdout) as ({ bytes: string; by: string } | null)[];
    expect(small).toBeNull();
    expect(mid?.by).toBe('process');
    expect([32768, 65536]).toContain(Number(mid?.bytes));
    expect(max).toEqual(mid);
  });
});
