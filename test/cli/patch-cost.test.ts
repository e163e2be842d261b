// A patch costs what it changes: no whole-file sha256 unless something needs it (a `sha256
// before|after` guard, --expect-result-sha256, --hash), so a default patch of a large file reads
// only the pages of its hunks; and when hashes are computed, the "after" digest is the sha256 of
// the file the patch really leaves (grown, truncated), checked against the file itself.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashesWanted } from '../../src/edit/patch.js';
import { hashFileAndResult } from '../../src/edit/scan.js';
import { MappedReader, ResultHasher, resultImage } from '../../src/edit/mapped.js';
import { type OffsetHunk, planPatch } from '../../src/format/patch/index.js';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, expectSuccess, fingerprint, mmapx } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
beforeAll(() => requireBuild());
let n = 0;
const sha256 = (d: Uint8Array) => createHash('sha256').update(d).digest('hex');
function file(content: Uint8Array): string {
  const p = join(dir, `c${n++}.bin`);
  writeFileSync(p, content);
  return p;
}
const json = (args: string[]) => {
  const r = mmapx(['--json', 'patch', ...args]);
  return { r, j: JSON.parse(r.stdout) as { status: string; sha256: { before: string | null; after: string | null } | null; timings: Record<string, number> } };
};
const BYTES = Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7 + 3) & 0xff));

describe('patch: what is hashed when (built CLI)', () => {
  it('default_computes_no_hash_and_reports_sha256_null', () => {
    const p = file(BYTES);
    const { r, j } = json([p, '--edit', '0x10=aa']);
    expectSuccess(r);
    expect(j.sha256).toBeNull();
    expect(j.timings.hash).toBeUndefined();
    const human = mmapx(['patch', p, '--edit', '0x11=bb']);
    expectSuccess(human);
    expect(human.stderr).not.toMatch(/sha256|hash/);
    // --no-hash, documented as the default, is still accepted and means the same.
    const no = json([p, '--edit', '0x12=cc', '--no-hash']);
    expectSuccess(no.r);
    expect(no.j.sha256).toBeNull();
    expect(readFileSync(p).subarray(0x10, 0x13).toString('hex')).toBe('aabbcc');
  });

  it('hash_reports_both_digests_of_the_real_files_and_the_last_of_hash_and_no_hash_wins', () => {
    const p = file(BYTES);
    const before = sha256(readFileSync(p));
    const { r, j } = json([p, '--edit', '0x20=aa', '--hash']);
    expectSuccess(r);
    expect(j.sha256).toEqual({ before, after: sha256(readFileSync(p)) });
    expect(typeof j.timings.hash).toBe('number');
    const human = mmapx(['patch', p, '--edit', '0x21=bb', '--no-hash', '--hash']);
    expectSuccess(human);
    expect(human.stderr).toMatch(new RegExp(`; sha256 ${j.sha256!.after!.slice(0, 12)}… -> ${sha256(readFileSync(p)).slice(0, 12)}… in `));
    expect(json([p, '--edit', '0x22=cc', '--hash', '--no-hash']).j.sha256).toBeNull();
    // Already applied: the file's digest is the result's.
    const again = json([p, '--edit', '0x22=cc', '--hash']);
    expect(again.j.status).toBe('already');
    const now = sha256(readFileSync(p));
    expect(again.j.sha256).toEqual({ before: now, after: now });
  });

  it('a_sha256_guard_computes_only_the_digest_it_needs', () => {
    const p = file(BYTES);
    const orig = sha256(BYTES);
    const expected = Buffer.from(BYTES);
    expected[0x30] = 0xaa;
    const guardBefore = join(dir, `gb${n}.patch`);
    writeFileSync(guardBefore, `sha256 before ${orig}\n0x30: aa\n`);
    const b = json([p, guardBefore, '--dry-run']);
    expectSuccess(b.r);
    expect(b.j.sha256).toEqual({ before: orig, after: null });
    const guardAfter = join(dir, `ga${n}.patch`);
    writeFileSync(guardAfter, `sha256 after ${sha256(expected)}\n0x30: aa\n`);
    const a = json([p, guardAfter]);
    expectSuccess(a.r);
    expect(a.j.sha256).toEqual({ before: null, after: sha256(expected) });
    expect(sha256(readFileSync(p))).toBe(sha256(expected));
    // A wrong guard: exit 3, the file byte-identical.
    const fp = fingerprint(p);
    const wrong = join(dir, `gw${n}.patch`);
    writeFileSync(wrong, `sha256 after ${'0'.repeat(64)}\n0x31: bb\n`);
    expectFailure(mmapx(['patch', p, wrong]), 3, /line 1: sha256 of the patched file is [0-9a-f]{64}, expected 0{64}$/);
    expect(fingerprint(p)).toBe(fp);
  });

  it('expect_result_sha256_computes_the_result_digest_only', () => {
    const p = file(BYTES);
    const expected = Buffer.from(BYTES);
    expected[0x40] = 0xaa;
    const { r, j } = json([p, '--edit', '0x40=aa', '--expect-result-sha256', sha256(expected)]);
    expectSuccess(r);
    expect(j.sha256).toEqual({ before: null, after: sha256(expected) });
    expect(sha256(readFileSync(p))).toBe(sha256(expected));
    // Already applied: the file's digest is judged, and reported as the result's.
    const again = json([p, '--edit', '0x40=aa', '--expect-result-sha256', sha256(expected)]);
    expect(again.j).toMatchObject({ status: 'already', sha256: { before: sha256(expected), after: sha256(expected) } });
  });

  it('a_default_patch_of_a_1_GiB_sparse_file_reads_only_the_page_it_changes', () => {
    // A fresh sparse file has no page in the page cache; what a command reads (through a map or
    // read(2)) stays there, so `info` tells which pages the patch touched.
    const resident = (p: string) => {
      const r = mmapx(['--json', 'info', p]);
      expectSuccess(r);
      return (JSON.parse(r.stdout) as { residentPages: number }).residentPages;
    };
    const big = join(dir, `sparse${n++}.img`);
    closeSync(openSync(big, 'w'));
    truncateSync(big, 1024 ** 3);
    expect(resident(big)).toBe(0);
    const { r, j } = json([big, '--edit', '0x20000000:00=01']);
    expectSuccess(r);
    expect(j.sha256).toBeNull();
    // The hunk's page (one, here), and at most what the kernel's read-ahead adds around it (a few
    // MiB on any setting): not the 262,144 pages a whole-file hash leaves.
    expect(resident(big)).toBeLessThanOrEqual(2048);
    // The measure sees reads: --hash on a fresh 64 MiB sparse file leaves every page resident.
    const small = join(dir, `sparse${n++}.img`);
    closeSync(openSync(small, 'w'));
    truncateSync(small, 64 * 1024 ** 2);
    const hashed = json([small, '--edit', '0x2000000:00=01', '--hash']);
    expectSuccess(hashed.r);
    expect(resident(small)).toBeGreaterThan(8192);
  });

  it('hash_after_equals_the_sha256_of_the_file_the_patch_leaves_with_grow_and_truncate (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 5000 }),
        fc.array(fc.tuple(fc.nat(6000), fc.uint8Array({ minLength: 1, maxLength: 24 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(7000), { nil: undefined }),
        (content, edits, sizeAfter) => {
          const p = file(content);
          const lines = sizeAfter !== undefined ? [`size after ${sizeAfter}`] : [];
          let reach = 0;
          for (const [at, bytes] of [...edits].sort((a, b) => a[0] - b[0])) {
            if (at < reach || (sizeAfter !== undefined && at + bytes.length > sizeAfter)) continue;
            lines.push(`${at}: ${Buffer.from(bytes).toString('hex')}`);
            reach = at + bytes.length;
          }
          const patch = join(dir, `prop${n++}.patch`);
          writeFileSync(patch, `${lines.join('\n')}\n`);
          const { r, j } = json([p, patch, '--grow', '--truncate', '--hash']);
          expect(r.status, r.dump).toBe(0);
          const now = readFileSync(p);
          expect(j.sha256).toEqual({ before: sha256(content), after: sha256(now) });
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('patch --hash: two streams over one read of a big file (built CLI, a second thread)', () => {
  // 300 MiB, sparse but for a few random stretches: past the 256 MiB below which the file is
  // hashed on one thread; MMAPX_THREADS=2 gives the second thread on any machine.
  const MiB = 1024 * 1024;
  const bigFile = (): string => {
    const p = join(dir, `two${n++}.img`);
    closeSync(openSync(p, 'w'));
    truncateSync(p, 300 * MiB);
    const fd = openSync(p, 'r+');
    try {
      for (const at of [0, 8 * MiB - 100, 150 * MiB + 7, 300 * MiB - 5000]) writeSync(fd, randomBytes(5000), 0, 5000, at);
    } finally {
      closeSync(fd);
    }
    return p;
  };
  const cases: [string, string[], string][] = [
    // Hunks across the 8 MiB window boundary, at the start and at the last byte.
    ['hunks', ['--edit', `${8 * MiB - 3}=0102030405060708`, '--edit', '0=ff', '--edit', `${300 * MiB - 1}=ee`], ''],
    ['grow', ['--grow'], `size after ${300 * MiB + 12345}\n${300 * MiB + 100}: aabb\n${300 * MiB - 2}: 0102\n`],
    ['truncate', ['--truncate'], `size after ${200 * MiB + 3}\n${8 * MiB}: cc\n${200 * MiB}: 010203\n`],
  ];
  for (const [name, args, text] of cases) {
    it(`hash_${name}_digests_are_those_of_the_file_before_and_after`, () => {
      const p = bigFile();
      const before = sha256(readFileSync(p));
      const extra = text ? [join(dir, `two${n++}.patch`)] : [];
      if (text) writeFileSync(extra[0]!, text);
      const r = mmapx(['--json', 'patch', p, ...extra, ...args, '--hash'], { env: { MMAPX_THREADS: '2' }, timeout: 120_000 });
      expect(r.status, r.dump).toBe(0);
      const j = JSON.parse(r.stdout) as { status: string; sha256: unknown };
      expect(j.status).toBe('applied');
      expect(j.sha256).toEqual({ before, after: sha256(readFileSync(p)) });
    });
  }
});

describe('patch: which hashes (in-process)', () => {
  const hunk = (offset: number, bytes: number[]): OffsetHunk => ({
    kind: 'offset',
    offset: BigInt(offset),
    new: Uint8Array.from(bytes),
    source: { name: 't', line: 1 },
  });
  const planOf = (content: Uint8Array, hunks: OffsetHunk[], guards = {}) => {
    const p = file(content);
    const fd = openSync(p, 'r');
    const reader = new MappedReader({ fd, path: p }, BigInt(content.length));
    try {
      return planPatch({ hunks, guards }, reader, { grow: true, truncate: true });
    } finally {
      reader.close();
      closeSync(fd);
    }
  };
  const src = { name: 't', line: 0 };

  it('hashes_wanted_follow_the_options_and_the_guards', () => {
    const apply = planOf(BYTES, [hunk(0, [0xaa])]);
    const already = planOf(BYTES, [hunk(0, [BYTES[0]!])]);
    expect([apply.state, already.state]).toEqual(['apply', 'already']);
    expect(hashesWanted(apply, { hash: false, expectResult: false })).toEqual({ before: false, after: false });
    expect(hashesWanted(already, { hash: false, expectResult: false })).toEqual({ before: false, after: false });
    expect(hashesWanted(apply, { hash: true, expectResult: false })).toEqual({ before: true, after: true });
    expect(hashesWanted(already, { hash: true, expectResult: false })).toEqual({ before: true, after: false });
    expect(hashesWanted(apply, { hash: false, expectResult: true })).toEqual({ before: false, after: true });
    expect(hashesWanted(already, { hash: false, expectResult: true })).toEqual({ before: true, after: false });
    const h = '0'.repeat(64);
    const guardedBefore = planOf(BYTES, [hunk(0, [0xaa])], { sha256Before: { value: h, source: src } });
    expect(hashesWanted(guardedBefore, { hash: false, expectResult: false })).toEqual({ before: true, after: false });
    const guardedAfter = planOf(BYTES, [hunk(0, [0xaa])], { sha256After: { value: h, source: src } });
    expect(hashesWanted(guardedAfter, { hash: false, expectResult: false })).toEqual({ before: false, after: true });
    const alreadyAfter = planOf(BYTES, [hunk(0, [BYTES[0]!])], { sha256After: { value: h, source: src } });
    expect(hashesWanted(alreadyAfter, { hash: false, expectResult: false })).toEqual({ before: true, after: false });
  });

  it('result_hasher_fed_windows_cut_anywhere_gives_the_sha256_of_the_result (property)', () => {
    // The worker of the two-stream hash feeds it the windows this thread read: any cut must do.
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.array(fc.tuple(fc.nat(2600), fc.uint8Array({ minLength: 1, maxLength: 30 })), { maxLength: 6 }),
        fc.option(fc.nat(3000), { nil: undefined }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
        (content, edits, sizeAfter, cuts) => {
          const final = sizeAfter ?? content.length;
          const hunks: { offset: bigint; new: Uint8Array }[] = [];
          const expected = Buffer.alloc(final);
          Buffer.from(content).copy(expected, 0, 0, Math.min(final, content.length));
          let reach = 0;
          for (const [at, bytes] of [...edits].sort((a, b) => a[0] - b[0])) {
            if (at < reach || at + bytes.length > final) continue;
            hunks.push({ offset: BigInt(at), new: bytes });
            expected.set(bytes, at);
            reach = at + bytes.length;
          }
          const hasher = new ResultHasher({ sizeAfter: BigInt(final), hunks }, BigInt(content.length));
          let at = 0;
          for (let i = 0; at < content.length; i++) {
            const n = Math.min(cuts[i % cuts.length]!, content.length - at);
            hasher.update(content.subarray(at, at + n), BigInt(at));
            at += n;
          }
          expect(hasher.digest()).toBe(sha256(expected));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('hash_file_and_result_gives_the_digests_of_the_file_and_of_the_result', () => {
    // Past the small-file path (1 MiB): through windows; with workers asked for but a file too
    // small for a second thread, the same digests.
    const content = Buffer.alloc(3 * 1024 * 1024 + 123, 0x5a);
    const plan = planOf(content, [hunk(5, [1, 2, 3]), hunk(2 * 1024 * 1024 - 1, [9, 9])], { sizeAfter: { value: BigInt(content.length + 4097), source: src } });
    const expected = Buffer.concat([content, Buffer.alloc(4097)]);
    expected.set([1, 2, 3], 5);
    expected.set([9, 9], 2 * 1024 * 1024 - 1);
    const p = file(content);
    const fd = openSync(p, 'r');
    try {
      const h = hashFileAndResult({ fd, path: p }, BigInt(content.length), resultImage(plan), { before: true, after: true }, { workers: true });
      expect(h).toEqual({ before: sha256(content), after: sha256(expected) });
    } finally {
      closeSync(fd);
    }
  });
});
