// diffFiles and diffStream as a library user calls them: the patch in each format `mmapx diff`
// writes, byte-identical to the CLI's, with what the comparison found as a typed outcome; bad
// options and a size change IPS cannot carry are typed errors, with both files left as they were;
// the streamed patch holds both files' locks until it ends or is destroyed.
import { randomBytes } from 'node:crypto';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffFiles, diffStream, type DiffFormat, InputError, IpsLimitError } from '../../src/edit/index.js';
import { mmapx } from '../helpers/cli.js';
import { lockFree } from '../helpers/edit.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-edit-diff-');

const oldPath = join(dir, 'old.bin');
const newPath = join(dir, 'new.bin');
const before = randomBytes(200_000);
const after = Buffer.concat([before, randomBytes(50)]);
for (const at of [10, 11, 12, 5000, 5020, 123_456, 199_999]) after[at] = (after[at]! + 1) & 0xff;
writeFileSync(oldPath, before);
writeFileSync(newPath, after);

describe('diffFiles', () => {
  it.each([
    ['native', []],
    ['native', ['--coalesce', '0', '--sha256']],
    ['cmp', []],
    ['ips', []],
    ['vcdiff', []],
    ['bps', []],
  ] as [DiffFormat, string[]][])('%s %j: the patch equals the CLI output, the outcome its report', async (format, flags) => {
    const out = join(dir, `cli.${format}.${flags.length}`);
    const cli = mmapx(['--json', 'diff', '--format', format, ...flags, oldPath, newPath, '-o', out]);
    expect(cli.status, cli.dump).toBe(0);
    const report = JSON.parse(cli.stdout) as Record<string, unknown>;
    const coalesce = flags.includes('--coalesce') ? 0 : undefined;
    const r = await diffFiles(oldPath, newPath, { format, ...(coalesce !== undefined && { coalesce }), sha256: flags.includes('--sha256') });
    expect(r.patch.equals(readFileSync(out))).toBe(true);
    expect(r.identical).toBe(false);
    expect(r.sizeOld).toBe(200_000n);
    expect(r.sizeNew).toBe(200_050n);
    expect(r.hunks).toBe(report.hunks);
    expect(r.bytesChanged).toBe(report.bytesChanged);
    expect(r.eof).toBe(report.eof);
    expect(r.sha256).toEqual(report.sha256);
  });

  it('identical files: an empty native patch but its header, identical: true', async () => {
    const r = await diffFiles(oldPath, oldPath);
    expect(r.identical).toBe(true);
    expect(r.hunks).toBe(0);
    expect(r.patch.toString()).toBe(`# mmapx diff: turns ${oldPath} into ${oldPath}\n`);
    expect((await diffFiles(oldPath, oldPath, { format: 'cmp' })).patch.length).toBe(0);
  });

  it('bad options are InputErrors, and nothing is changed', async () => {
    await expect(diffFiles(oldPath, newPath, { coalesce: -1 })).rejects.toBeInstanceOf(InputError);
    await expect(diffFiles(oldPath, newPath, { format: 'cmp', sha256: true })).rejects.toBeInstanceOf(InputError);
    await expect(diffFiles(oldPath, newPath, { format: 'bsdiff' as DiffFormat })).rejects.toBeInstanceOf(InputError);
    expect(readFileSync(oldPath).equals(before)).toBe(true);
    expect(readFileSync(newPath).equals(after)).toBe(true);
    expect(lockFree(oldPath) && lockFree(newPath)).toBe(true);
  });

  it('a size change IPS cannot carry is an IpsLimitError; the CLI words it with its flag', async () => {
    const huge = join(dir, 'huge.bin');
    writeFileSync(huge, '');
    truncateSync(huge, 0x1000001); // sparse
    const err = await diffFiles(oldPath, huge, { format: 'ips' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpsLimitError);
    expect((err as IpsLimitError).change).toBe('grow');
    expect((err as IpsLimitError).size).toBe(0x1000001n);
    expect((err as IpsLimitError).exitCode).toBe(2);
    const cli = mmapx(['diff', '--format', 'ips', oldPath, huge]);
    expect(cli.status).toBe(2);
    expect(cli.stderr).toContain('--format ips cannot grow a file to 16777217 bytes');
    expect(lockFree(huge)).toBe(true);
  });

  it('an error about NEW names it', async () => {
    const missing = join(dir, 'missing.bin');
    const err = await diffFiles(oldPath, missing).catch((e: unknown) => e);
    expect((err as { code?: string; path?: string }).code).toBe('ENOENT');
    expect((err as { path?: string }).path).toBe(missing);
    expect(lockFree(oldPath)).toBe(true);
  });
});

describe('diffStream', () => {
  it('streams the patch and settles the outcome; destroy() releases both files', async () => {
    const s = diffStream(oldPath, newPath, { format: 'cmp', highWaterMark: 1 });
    const parts: Buffer[] = [];
    for await (const chunk of s) parts.push(chunk as Buffer);
    const cli = mmapx(['diff', '--format', 'cmp', oldPath, newPath]);
    expect(Buffer.concat(parts).toString()).toBe(cli.stdout);
    const outcome = await s.outcome;
    expect(outcome.eof).toBe(`EOF on ${oldPath} after byte 200000`);
    expect(lockFree(oldPath) && lockFree(newPath)).toBe(true);

    const t = diffStream(oldPath, newPath, { highWaterMark: 1 });
    const it = t[Symbol.asyncIterator]();
    await it.next();
    expect(lockFree(newPath)).toBe(false);
    const closed = new Promise((r) => t.once('close', r));
    t.destroy();
    await closed;
    await expect(t.outcome).rejects.toThrow();
    expect(lockFree(oldPath) && lockFree(newPath)).toBe(true);
  });
});
