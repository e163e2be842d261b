// Intel HEX and S-records through the library (mmapx/edit): readHexRecords streams a range as the
// records `cat --format` writes, patchFile applies an image at address minus base with an old
// image as its guard, and what cannot be expressed is an InputError before anything happens.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIntelHex, formatSrec, InputError, parseSrec, patchFile, readHexRecords } from '../../src/edit/index.js';
import { collect, lockFree } from '../helpers/edit.js';
import { randomBytes } from '../helpers/peers.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-edit-hexrec-');

describe('readHexRecords', () => {
  const path = join(dir, 'fw.bin');
  // More than one slice of the reader (1 MiB), so that records span its pieces.
  const data = randomBytes(2 * 1024 * 1024 + 77, 5);
  writeFileSync(path, data);

  it('streams a range as the writers format it, at base (default: the range offset)', async () => {
    const range = data.subarray(0x123, 0x123 + 1_100_000);
    const ihex = await collect(readHexRecords(path, { range: `0x123:1100000`, format: 'ihex', base: 0x8000000, start: 0x8000000 }));
    expect(ihex.toString('latin1')).toBe(formatIntelHex(range, { address: 0x8000000, start: 0x8000000 }));
    const srec = await collect(readHexRecords(path, { range: '0x123:1100000', format: 'srec' }));
    expect(srec.toString('latin1')).toBe(formatSrec(range, { address: 0x123, header: Buffer.from('fw.bin') }));
    expect(parseSrec(srec).runs.map((r) => r.address)).toEqual([0x123]);
    expect(lockFree(path)).toBe(true);
  });

  it('addresses past 32 bits are an InputError on the stream', async () => {
    const err = await collect(readHexRecords(path, { format: 'ihex', base: 0xffffff00 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(/past the 32-bit addresses of Intel HEX and S-records/);
    expect(lockFree(path)).toBe(true);
  });
});

describe('patchFile with an image', () => {
  it('writes each run at address minus base, guarded by expectOld; a wrong old image writes nothing', async () => {
    const p = join(dir, 'target.bin');
    const original = randomBytes(4096, 6);
    writeFileSync(p, original);
    const next = randomBytes(100, 7);
    const image = formatSrec(next, { address: 0x20000100 });
    const failed = await patchFile(p, image, {
      format: 'srec',
      base: 0x20000000n,
      expectOld: formatSrec(next, { address: 0x20000100 }),
      expectOldName: 'old.s37',
    });
    expect(failed.status).toBe('failed');
    expect(readFileSync(p).equals(original)).toBe(true);
    const ok = await patchFile(p, image, {
      format: 'srec',
      base: 0x20000000n,
      expectOld: formatSrec(original.subarray(0x100, 0x164), { address: 0x20000100 }),
    });
    expect(ok.status).toBe('applied');
    const want = Buffer.from(original);
    next.copy(want, 0x100);
    expect(readFileSync(p).equals(want)).toBe(true);
  });
});
