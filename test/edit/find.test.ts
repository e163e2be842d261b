// find as a library user calls it (mmapx/edit): an async iterator of offsets, patterns as hex text
// with wildcards, bytes or byte+mask, ranges, max, an early break that releases the file, the event
// loop running between windows, cancellation. And the parallel count's worker threads, which run
// their own bundle (dist/scan-worker.cjs: `npm run build` first).
import { closeSync, ftruncateSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { find, type FindOptions, type FindPattern, InputError, OperationError, writeAt } from '../../src/edit/index.js';
import { scanFile } from '../../src/edit/scan.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-edit-find-');
let n = 0;

/** A fresh file holding `bytes`. */
function file(bytes: Uint8Array | string): string {
  const p = join(dir, `f${n++}.bin`);
  writeFileSync(p, bytes);
  return p;
}

/** A sparse file of `size` bytes holding `text` at each offset of `at`. */
function sparse(size: number, text: string, at: number[]): string {
  const p = join(dir, `s${n++}.bin`);
  const fd = openSync(p, 'w');
  try {
    ftruncateSync(fd, size);
    for (const a of at) writeSync(fd, text, a);
  } finally {
    closeSync(fd);
  }
  return p;
}

async function all(path: string, pattern: FindPattern, options?: FindOptions): Promise<bigint[]> {
  const out: bigint[] = [];
  for await (const at of find(path, pattern, options)) out.push(at);
  return out;
}

describe('find', () => {
  const p = file('xx cafe yy cafe zz caf\u00e9 cacafe');

  it('gives every offset, in order, for bytes, hex text and a byte+mask pattern', async () => {
    expect(await all(p, Buffer.from('cafe'))).toEqual([3n, 11n, 27n]);
    expect(await all(p, '63 61 66 65')).toEqual([3n, 11n, 27n]);
    // `??` is any byte; `6?` fixes the high nibble.
    expect(await all(p, '63 61 66 ??')).toEqual([3n, 11n, 19n, 27n]);
    expect(await all(p, '63 61 6? 65')).toEqual([3n, 11n, 27n]);
    expect(await all(p, { bytes: Buffer.from('ca'), mask: Uint8Array.of(0xff, 0xff) })).toEqual([3n, 11n, 19n, 25n, 27n]);
  });

  it('finds overlapping matches', async () => {
    expect(await all(file('aaaa'), Buffer.from('aa'))).toEqual([0n, 1n, 2n]);
  });

  it('looks only inside a range (CLI syntax or offset and length; negative from the end)', async () => {
    expect(await all(p, Buffer.from('cafe'), { range: '4..' })).toEqual([11n, 27n]);
    expect(await all(p, Buffer.from('cafe'), { range: { offset: 0, length: 15 } })).toEqual([3n, 11n]);
    expect(await all(p, Buffer.from('cafe'), { range: { offset: 0, length: 14 } })).toEqual([3n]); // a match lies inside
    expect(await all(p, Buffer.from('cafe'), { range: { offset: -4 } })).toEqual([27n]);
    expect(await all(p, Buffer.from('cafe'), { range: '-4..' })).toEqual([27n]);
  });

  it('stops at max', async () => {
    expect(await all(p, Buffer.from('cafe'), { max: 2 })).toEqual([3n, 11n]);
    expect(await all(p, Buffer.from('cafe'), { max: 3 })).toEqual([3n, 11n, 27n]);
  });

  it('nothing found is an empty iteration, not an error', async () => {
    expect(await all(p, 'de ad be ef')).toEqual([]);
  });

  it('bad patterns, max and ranges are InputErrors; a missing file an OperationError', async () => {
    await expect(all(p, 'zz')).rejects.toBeInstanceOf(InputError);
    await expect(all(p, '?? ??')).rejects.toBeInstanceOf(InputError);
    await expect(all(p, new Uint8Array(0))).rejects.toBeInstanceOf(InputError);
    await expect(all(p, { bytes: Uint8Array.of(1, 2), mask: Uint8Array.of(0xff) })).rejects.toBeInstanceOf(InputError);
    await expect(all(p, 'ca', { max: 0 })).rejects.toBeInstanceOf(InputError);
    await expect(all(p, 'ca', { range: '0:1000' })).rejects.toBeInstanceOf(InputError);
    await expect(all(p, 'ca', { range: { offset: 0, length: -1 } })).rejects.toBeInstanceOf(InputError);
    await expect(all(join(dir, 'missing.bin'), 'ca')).rejects.toBeInstanceOf(OperationError);
  });

  it('an early break closes the file: its shared lock no longer holds a writer off', async () => {
    const q = file('cafe cafe cafe');
    for await (const at of find(q, Buffer.from('cafe'))) {
      expect(at).toBe(0n);
      break;
    }
    expect((await writeAt(q, 0, Buffer.from('CAFE'), { lockWait: 0 })).status).toBe('written');
  });

  // Two matches in two 256 MiB windows of a sparse file: between the windows the event loop runs
  // (a callback queued after the first match has run before the second arrives), and an abort
  // given then ends the iteration.
  describe('between windows', () => {
    const W = 256 * 1024 * 1024;
    const big = sparse(W + 4096, 'cafe', [10, W + 10]);

    it('the event loop runs', async () => {
      let ran = false;
      const seen: bigint[] = [];
      for await (const at of find(big, Buffer.from('cafe'))) {
        seen.push(at);
        if (seen.length === 1) setImmediate(() => (ran = true));
        else expect(ran).toBe(true);
      }
      expect(seen).toEqual([10n, BigInt(W + 10)]);
    });

    it('an abort stops the scan with the signal reason', async () => {
      const ac = new AbortController();
      const seen: bigint[] = [];
      const run = async () => {
        for await (const at of find(big, Buffer.from('cafe'), { signal: ac.signal })) {
          seen.push(at);
          ac.abort(new Error('enough'));
        }
      };
      await expect(run()).rejects.toThrow('enough');
      expect(seen).toEqual([10n]);
    });

    it('progress hears of each window', async () => {
      const updates: number[] = [];
      let phase = '';
      await all(big, Buffer.from('cafe'), { progress: { phase: (label) => (phase = label), update: (done) => updates.push(done) } });
      expect(phase).toBe(`find ${big}`);
      expect(updates).toEqual([W, W + 4096]);
    });
  });
});

describe('the parallel count', () => {
  it('runs chunks on worker threads started from the worker bundle, with the same counts', () => {
    // 40 chunks of 4 KiB; matches across chunk edges and at the very end.
    const size = 40 * 4096;
    const at = [0, 4094, 3 * 4096 - 1, 20 * 4096 - 3, size - 4];
    const q = sparse(size, 'cafe', at);
    const fd = openSync(q, 'r');
    try {
      const pattern = { bytes: Buffer.from('cafe'), mask: new Uint8Array(4).fill(0xff) };
      let workerChunks = -1;
      const [m] = scanFile({ fd, path: q }, { offset: 0n, length: BigInt(size) }, [pattern], [10], {
        workers: true,
        threads: 2,
        chunk: 4096,
        workersFirst: true,
        workerChunks: (k) => (workerChunks = k),
      });
      expect(m!.count).toBe(at.length);
      expect(m!.at).toEqual(at.map(BigInt));
      expect(workerChunks).toBeGreaterThan(0);
    } finally {
      closeSync(fd);
    }
  });
});
