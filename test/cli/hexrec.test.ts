// cat --format ihex|srec and patch --format ihex|srec through the built CLI: records out of a range
// (addresses from --base, or the range's offset), an image applied in place at address minus
// --base, --dry-run and --expect-old, every refusal one line with its exit status and the file
// byte-identical, and recover after a patch killed while its journal was in place.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatIntelHex, formatSrec, parseIntelHex, parseSrec } from '../../src/format/hexrec/index.js';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, expectSuccess, fingerprint, mmapx } from '../helpers/cli.js';
import { randomBytes } from '../helpers/peers.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-hexrec-cli-');
beforeAll(() => requireBuild());
let n = 0;
function file(content: Uint8Array | string, name = `f${n++}.bin`): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const ORIGINAL = randomBytes(300_000, 41);
const OTHER = randomBytes(300_000, 42);

describe('cat --format ihex|srec', () => {
  it('writes the range as records at --base (default: the range offset), as the in-process writers do', () => {
    const f = file(ORIGINAL, 'fw.bin');
    const range = ORIGINAL.subarray(0x1000, 0x1000 + 70_000);
    const ihex = mmapx(['cat', f, '0x1000:70000', '--format', 'ihex', '--base', '0x8000000', '--start', '0x8000101']);
    expectSuccess(ihex);
    expect(ihex.stdout).toBe(formatIntelHex(range, { address: 0x8000000, start: 0x8000101 }));
    const srec = mmapx(['cat', f, '0x1000:70000', '--format', 'srec']);
    expectSuccess(srec);
    // The S0 header holds the file's name; the first byte's address is its offset.
    expect(srec.stdout).toBe(formatSrec(range, { address: 0x1000, header: Buffer.from('fw.bin') }));
    expect(parseSrec(srec.stdout).runs.map((r) => [r.address, r.data.length])).toEqual([[0x1000, 70_000]]);
    // The whole file to -o, with --json.
    const out = join(dir, 'fw.hex');
    const json = mmapx(['--json', 'cat', f, '--format', 'ihex', '--base', '0x10000', '-o', out]);
    expectSuccess(json);
    expect(JSON.parse(json.stdout)).toMatchObject({ command: 'cat', ok: true, offset: 0, length: ORIGINAL.length, format: 'ihex', base: 0x10000 });
    expect(Buffer.from(parseIntelHex(readFileSync(out)).runs[0]!.data)).toEqual(ORIGINAL);
    // Standard input of unknown length: S3 records, whatever the data's addresses.
    const piped = mmapx(['cat', '-', '--format', 'srec'], { input: ORIGINAL.subarray(0, 40) });
    expectSuccess(piped);
    expect(piped.stdout.split('\n')[1]).toMatch(/^S31500000000/);
    expect(Buffer.from(parseSrec(piped.stdout).runs[0]!.data)).toEqual(ORIGINAL.subarray(0, 40));
  });

  it('refuses addresses past 32 bits and --base without a record format, before any output', () => {
    const f = file(ORIGINAL.subarray(0, 100));
    expectFailure(
      mmapx(['cat', f, '--format', 'ihex', '--base', '0xffffffff']),
      2,
      `mmapx: cat: ${f}: 100 bytes from address 0xffffffff end at 0x100000063, past the 32-bit addresses of Intel HEX and S-records: give a shorter range or a lower --base`,
    );
    expectFailure(mmapx(['cat', f, '--base', '5']), 2, `mmapx: cat: ${f}: --base 5 only goes with --format ihex or --format srec`);
    const r = mmapx(['cat', f, '--format', 'ihex', '--base', '0xffffffff']);
    expect(r.stdout).toBe('');
  });
});

describe('patch --format ihex|srec', () => {
  it('applies an image at address minus --base, gaps untouched; --dry-run first; twice is already applied', () => {
    const source = file(OTHER, 'new.bin');
    const img = join(dir, 'new.hex');
    // Two pieces of the new file as records at 0x8000000 + offset, with a gap between them.
    const a = mmapx(['cat', source, '0x100:5000', '--format', 'ihex', '--base', `${0x8000100}`, '-o', img]);
    expectSuccess(a);
    const second = formatIntelHex(OTHER.subarray(0x20000, 0x20000 + 70_000), { address: 0x8020000 }).replace(/^:020000040800F2\n/, '');
    writeFileSync(img, readFileSync(img, 'latin1').replace(':00000001FF\n', '') + second);
    const f = file(ORIGINAL);
    const before = fingerprint(f);
    const dry = mmapx(['patch', f, img, '--format', 'ihex', '--base', '0x8000000', '--dry-run']);
    expectSuccess(dry);
    expect(dry.stderr).toMatch(/^dry run: 2 hunks would change \d+ bytes of .*; the file is untouched/);
    expect(dry.stdout).toMatch(/new\.hex line 2: 0x100\.\.0x1488, 5000 bytes/);
    expect(fingerprint(f)).toBe(before);
    const applied = mmapx(['--json', 'patch', f, img, '--format', 'ihex', '--base', '0x8000000']);
    expectSuccess(applied);
    const report = JSON.parse(applied.stdout);
    expect(report).toMatchObject({ status: 'applied', hunks: { total: 2, applied: 2 } });
    expect(report.sources).toEqual([`${img} (ihex)`]);
    const want = Buffer.from(ORIGINAL);
    OTHER.copy(want, 0x100, 0x100, 0x100 + 5000);
    OTHER.copy(want, 0x20000, 0x20000, 0x20000 + 70_000);
    expect(readFileSync(f)).toEqual(want);
    const again = mmapx(['patch', f, img, '--format', 'ihex', '--base', '0x8000000']);
    expectSuccess(again);
    expect(again.stderr).toMatch(/^already applied: .* 2 hunks, nothing written/);
  });

  it('--expect-old guards every record: a mismatch exits 3 with the file byte-identical; S-records alike', () => {
    const f = file(ORIGINAL);
    const newImg = file(formatSrec(OTHER.subarray(0x40, 0x60), { address: 0x40 }), 'n.s19');
    const oldImg = file(formatSrec(ORIGINAL.subarray(0x40, 0x60), { address: 0x40 }), 'o.s19');
    const wrongOld = file(formatSrec(OTHER.subarray(0x40, 0x60), { address: 0x40 }), 'w.s19');
    const before = fingerprint(f);
    const failed = mmapx(['patch', f, newImg, '--format', 'srec', '--expect-old', wrongOld]);
    expect(failed.status, failed.dump).toBe(3);
    expect(failed.stderr).toMatch(/^mmapx: patch: .*: 1 guard failed, nothing written: .*n\.s19 line 2: at 0x40 expected /);
    expect(fingerprint(f)).toBe(before);
    // The old image must cover the same addresses: a usage error, nothing written.
    const short = file(formatSrec(ORIGINAL.subarray(0x40, 0x50), { address: 0x40 }), 's.s19');
    expectFailure(
      mmapx(['patch', f, newImg, '--format', 'srec', '--expect-old', short]),
      2,
      /^mmapx: patch: .*s\.s19 line 2: the old bytes cover 0x40\.\.0x50 where .*n\.s19 has 0x40\.\.0x60 \(line 2\): the old image must cover the same addresses$/,
    );
    expect(fingerprint(f)).toBe(before);
    const ok = mmapx(['patch', f, newImg, '--format', 'srec', '--expect-old', oldImg]);
    expectSuccess(ok);
    expect(readFileSync(f).subarray(0x40, 0x60)).toEqual(OTHER.subarray(0x40, 0x60));
  });

  it('a bad record anywhere, an address below --base or past the end: exit 2, one line, file byte-identical', () => {
    const f = file(ORIGINAL);
    const before = fingerprint(f);
    const good = formatIntelHex(OTHER.subarray(0, 64), { address: 0x1000 }).split('\n');
    // The last data record's checksum is wrong: nothing of the earlier records is written.
    const bad = [...good];
    bad[4] = `${bad[4]!.slice(0, -2)}${bad[4]!.endsWith('00') ? '01' : '00'}`;
    const img = file(bad.join('\n'), 'bad.hex');
    expectFailure(
      mmapx(['patch', f, img, '--format', 'ihex', '--base', '0x1000']),
      2,
      /^mmapx: patch: .*bad\.hex line 5: bad checksum: the record says [0-9A-F]{2}, its bytes give [0-9A-F]{2}$/,
    );
    const below = file(good.join('\n'), 'good.hex');
    expectFailure(
      mmapx(['patch', f, below, '--format', 'ihex', '--base', '0x1001']),
      2,
      /^mmapx: patch: .*good\.hex line 2: address 0x1000 is below the base address 0x1001: it has no file offset$/,
    );
    const past = file(formatIntelHex(OTHER.subarray(0, 4), { address: ORIGINAL.length - 2 }), 'past.hex');
    expectFailure(mmapx(['patch', f, past, '--format', 'ihex']), 2, /ends past the end of the file \(size 0x493e0\); growing the file needs --grow$/);
    expectFailure(
      mmapx(['patch', f, below, '--base', '0']),
      2,
      /^mmapx: patch: .*: --base 0 only goes with --format ihex or --format srec \(an image of addresses\)$/,
    );
    const native = mmapx(['patch', f, below]);
    expect(native.status).toBe(2);
    expect(native.stderr).toMatch(/\(this looks like Intel HEX: use --format ihex --base ADDR\)\n$/);
    expect(fingerprint(f)).toBe(before);
    // --grow follows the patch model: the file grows, zero-filled up to the record.
    expectSuccess(mmapx(['patch', f, past, '--format', 'ihex', '--grow']));
    expect(readFileSync(f).length).toBe(ORIGINAL.length + 2);
  });

  it('several files get one image; recover rolls back a patch killed with its journal in place', async () => {
    const files = [file(ORIGINAL), file(ORIGINAL)];
    const img = file(formatIntelHex(OTHER.subarray(0, 100), { address: 0x10 }), 'two.hex');
    expectSuccess(mmapx(['patch', '--patch', img, '--format', 'ihex', ...files]));
    for (const p of files) expect(readFileSync(p).subarray(0x10, 0x74)).toEqual(OTHER.subarray(0, 100));

    // An image of 1 MiB of changes: the journal takes a while, and the patch is killed as soon
    // as it appears. Then the file is patched no further, recover rolls it back to the original.
    const size = 1 << 20;
    const original = randomBytes(size, 43);
    const changed = randomBytes(size, 44);
    const big = file(formatIntelHex(changed, { address: 0 }), 'big.hex');
    let caught = false;
    for (let attempt = 0; attempt < 8 && !caught; attempt++) {
      const p = file(original, `big${attempt}.bin`);
      const journal = join(dir, `.big${attempt}.bin.mmapx-journal`);
      const child = spawn(process.execPath, [BIN, 'patch', p, big, '--format', 'ihex'], { stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      let running = true;
      child.on('exit', () => {
        running = false;
      });
      while (running && !existsSync(journal)) await new Promise((r) => setImmediate(r));
      if (running) child.kill('SIGKILL');
      await exited;
      if (!existsSync(journal)) continue; // it finished first: try again
      caught = true;
      const refused = mmapx(['patch', p, big, '--format', 'ihex']);
      expect(refused.status, refused.dump).toBe(1);
      expect(refused.stderr).toMatch(/a journal of an interrupted patch exists/);
      const r = mmapx(['recover', p]);
      expectSuccess(r);
      expect(existsSync(journal)).toBe(false);
      expect(readFileSync(p).equals(original)).toBe(true);
      // And the patch then applies whole.
      expectSuccess(mmapx(['patch', p, big, '--format', 'ihex']));
      expect(readFileSync(p).equals(changed)).toBe(true);
    }
    expect(caught, 'the patch was never caught with its journal in place').toBe(true);
  }, 120_000);
});
