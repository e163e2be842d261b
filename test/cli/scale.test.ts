// Giant patches and giant diffs (issue 16, items 4 and 8), beside the bad-input battery: inputs a
// million times larger than the examples. diff writes what patch applies, for every format patch
// reads, at a million hunks; diff's memory stays flat however much differs; and no code path
// spreads an input-sized array into a call (the stack overflow of a 131,072-hunk patch).
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild, ROOT } from '../helpers/child.js';
import { BIN, PINNED_ENV, expectFailure, expectSuccess, fingerprint, mmapx } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-scale-');
const f = (name: string) => join(dir, name);
const MiB = 1024 * 1024;
beforeAll(() => requireBuild());

function same(a: string, b: string): boolean {
  return readFileSync(a).equals(readFileSync(b));
}

/** Random bytes of `size`, written to `name`. */
function randomFile(name: string, size: number): string {
  const b = Buffer.allocUnsafe(size);
  randomFillSync(b);
  writeFileSync(f(name), b);
  return f(name);
}

const slow = { timeout: 240_000 };

describe('a million hunks: diff writes them, patch applies them', () => {
  it('native and ips, 16 MiB files differing in every 16th byte (1,048,576 hunks)', slow, () => {
    const n = 1 << 20;
    const neu = Buffer.alloc(16 * n);
    for (let i = 0; i < n; i++) neu[16 * i] = 1 + (i % 255);
    writeFileSync(f('m-old'), Buffer.alloc(16 * n));
    writeFileSync(f('m-new'), neu);
    const d = mmapx(['--json', 'diff', f('m-old'), f('m-new'), '-o', f('m.patch')], { timeout: 200_000 });
    expectSuccess(d);
    expect(JSON.parse(d.stdout)).toMatchObject({ hunks: n, bytesChanged: n });
    copyFileSync(f('m-old'), f('m-target'));
    const p = mmapx(['-q', 'patch', f('m-target'), f('m.patch')], { timeout: 200_000 });
    expectSuccess(p);
    expect(same(f('m-target'), f('m-new'))).toBe(true);

    // IPS: the offsets stop at 0xffffff, which 16 MiB files just fit.
    const di = mmapx(['diff', '--format', 'ips', f('m-old'), f('m-new'), '-o', f('m.ips')], { timeout: 200_000 });
    expectSuccess(di);
    copyFileSync(f('m-old'), f('m-target-ips'));
    expectSuccess(mmapx(['-q', 'patch', '--format', 'ips', f('m-target-ips'), f('m.ips')], { timeout: 200_000 }));
    expect(same(f('m-target-ips'), f('m-new'))).toBe(true);
  });

  it('the reproduction: two 4 MiB random files (131,072 hunks) round-trip through native and ips', slow, () => {
    const a = randomFile('r-old', 4 * MiB);
    const b = randomFile('r-new', 4 * MiB);
    for (const format of ['native', 'ips']) {
      const patch = f(`r.${format}`);
      expectSuccess(mmapx(['diff', '--format', format, a, b, '-o', patch], { timeout: 200_000 }));
      copyFileSync(a, f('r-target'));
      const r = mmapx(['-q', 'patch', '--format', format, f('r-target'), patch], { timeout: 200_000 });
      expectSuccess(r);
      expect(same(f('r-target'), b), format).toBe(true);
      // The same patch again: every hunk found applied.
      const again = mmapx(['--json', 'patch', '--format', format, f('r-target'), patch], { timeout: 200_000 });
      expectSuccess(again);
      expect(JSON.parse(again.stdout), format).toMatchObject({ status: 'already' });
    }
  });
});

describe('a million IPS records in any order', () => {
  it('a million records running backwards (each before the last) apply in one sweep', slow, () => {
    const n = 1 << 20;
    const patch = Buffer.alloc(5 + 6 * n + 3);
    patch.write('PATCH', 0, 'latin1');
    for (let k = 0; k < n; k++) {
      const i = n - 1 - k; // offsets 4 * i, descending
      const at = 5 + 6 * k;
      patch.writeUIntBE(4 * i, at, 3);
      patch.writeUInt16BE(1, at + 3);
      patch[at + 5] = 1 + (i % 255);
    }
    patch.write('EOF', 5 + 6 * n, 'latin1');
    writeFileSync(f('back.ips'), patch);
    writeFileSync(f('back-target'), Buffer.alloc(4 * n));
    const r = mmapx(['-q', 'patch', '--format', 'ips', f('back-target'), f('back.ips')], { timeout: 200_000 });
    expectSuccess(r);
    const got = readFileSync(f('back-target'));
    const want = Buffer.alloc(4 * n);
    for (let i = 0; i < n; i++) want[4 * i] = 1 + (i % 255);
    expect(got.equals(want)).toBe(true);
  });
});

describe('giant bad input: refused as a whole, one line, the file byte-identical', () => {
  it('a million good hunks and one whose guard fails: exit 3, nothing written', slow, () => {
    const n = 1 << 20;
    writeFileSync(f('g-target'), Buffer.alloc(4 * n));
    const lines: string[] = [];
    for (let i = 0; i < n - 1; i++) lines.push(`0x${(4 * i).toString(16)}: 00 -> 01`);
    lines.push(`0x${(4 * (n - 1)).toString(16)}: 55 -> 01`); // the file holds 00 there
    writeFileSync(f('g.patch'), `${lines.join('\n')}\n`);
    const before = fingerprint(f('g-target'));
    const r = mmapx(['patch', f('g-target'), f('g.patch')], { timeout: 200_000 });
    expect(r.status, r.dump).toBe(3);
    expect(r.stderr.split('\n').filter((l) => l !== '').length, r.dump).toBe(1);
    expect(r.stderr, r.dump).toContain(`g.patch line ${n}`);
    expect(fingerprint(f('g-target'))).toBe(before);
    expect(readdirSync(dir).filter((name) => name.startsWith('.g-target'))).toEqual([]); // no journal left
  });
});

describe.skipIf(!existsSync('/usr/bin/time'))('diff memory stays flat however much differs', () => {
  it('two 64 MiB files that differ everywhere: peak RSS under 100 MiB for native and cmp', slow, () => {
    const a = randomFile('big-old', 64 * MiB);
    const b = randomFile('big-new', 64 * MiB);
    for (const format of ['native', 'cmp']) {
      // stdout is the spawn's own /dev/null descriptor: nothing is kept by the test.
      const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, BIN, 'diff', '--format', format, a, b], {
        env: PINNED_ENV,
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
        timeout: 200_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const kib = Number(r.stderr.trim().split('\n').pop());
      expect(kib, `${format}: peak RSS ${kib} KiB`).toBeGreaterThan(0);
      expect(kib / 1024, `${format}: peak RSS ${(kib / 1024).toFixed(0)} MiB`).toBeLessThan(100);
    }
  });
});

describe('diff refuses what IPS cannot express: one line, exit 2, no patch left behind', () => {
  const limit = 0x1000000; // 16 MiB: IPS offsets end at 0xffffff
  beforeAll(() => {
    writeFileSync(f('ips-16m'), Buffer.alloc(limit));
    const past = Buffer.alloc(limit + 16);
    past[limit + 4] = 1; // a difference past 16 MiB
    writeFileSync(f('ips-past'), past);
    writeFileSync(f('ips-past-same'), Buffer.alloc(limit + 16));
    writeFileSync(f('ips-big'), Buffer.alloc(limit + 2));
  });
  it.each([
    [
      'a difference past 16 MiB',
      'ips-past-same',
      'ips-past',
      /IPS cannot address offset 0x1000004: its offsets end at 0xffffff \(16 MiB\); use the native format$/,
    ],
    [
      'a growth past 16 MiB',
      'ips-16m',
      'ips-big',
      /--format ips cannot grow a file to 16777218 bytes: its offsets end at 0xffffff \(16 MiB\); use the native format$/,
    ],
    [
      'a shrink to 16 MiB',
      'ips-big',
      'ips-16m',
      /--format ips cannot truncate to 16777216 bytes: its truncation size ends at 0xffffff \(16 MiB\); use the native format$/,
    ],
  ])('%s', (_what, oldName, newName, line) => {
    const before = [fingerprint(f(oldName)), fingerprint(f(newName))];
    const out = f(`refused-${oldName}-${newName}.ips`);
    expectFailure(mmapx(['diff', '--format', 'ips', f(oldName), f(newName), '-o', out]), 2, new RegExp(`^mmapx: diff: .*${line.source}`));
    expect(existsSync(out)).toBe(false);
    // To stdout: nothing written before the refusal (the IPS patch is held until it is complete).
    const r = mmapx(['diff', '--format', 'ips', f(oldName), f(newName)]);
    expect(r.status, r.dump).toBe(2);
    expect(r.stdoutBytes.length, r.dump).toBe(0);
    expect([fingerprint(f(oldName)), fingerprint(f(newName))]).toEqual(before);
  });

  it('sizes at the limits round-trip: grow to 16 MiB, shrink to 16 MiB - 1, around 0x454f46', slow, () => {
    const cases: [number, number][] = [
      [200, 100], // the reproduction: a shrink is the truncation extension, not a record at 0x63
      [0, 5],
      [5, 0],
      [0x454f40, 0x454f47], // the grown last byte at 0x454f46 ("EOF")
      [0x454f50, 0x454f46],
      [limit - 16, limit],
      [limit + 1, limit - 1],
    ];
    for (const [sizeA, sizeB] of cases) {
      const a = Buffer.alloc(sizeA);
      randomFillSync(a, 0, Math.min(sizeA, 4096));
      const b = Buffer.alloc(sizeB);
      a.copy(b, 0, 0, Math.min(sizeA, sizeB));
      if (sizeB > 0) b[0] ^= 0xff;
      writeFileSync(f('z-old'), a);
      writeFileSync(f('z-new'), b);
      for (const format of ['native', 'ips']) {
        const patch = f(`z.${format}`);
        const d = mmapx(['diff', '--format', format, f('z-old'), f('z-new'), '-o', patch]);
        expectSuccess(d);
        if (format === 'ips' && sizeB < sizeA) {
          const bytes = readFileSync(patch);
          expect(bytes.subarray(-6).toString('latin1').slice(0, 3), `${sizeA} -> ${sizeB}`).toBe('EOF');
          expect(bytes.readUIntBE(bytes.length - 3, 3)).toBe(sizeB);
        }
        copyFileSync(f('z-old'), f('z-target'));
        const p = mmapx(['-q', 'patch', '--format', format, '--grow', '--truncate', f('z-target'), patch]);
        expectSuccess(p);
        expect(statSync(f('z-target')).size, `${format} ${sizeA} -> ${sizeB}`).toBe(sizeB);
        expect(same(f('z-target'), f('z-new')), `${format} ${sizeA} -> ${sizeB}`).toBe(true);
      }
    }
  });
});

describe('source: no input-sized array is spread into a call', () => {
  // push(...x), Math.max(...x), String.fromCharCode(...x) and fn.apply(_, x) put every element on the
  // stack: a few hundred thousand overflow it. Listed here: the spreads whose length is fixed by
  // the program, not by the input.
  const bounded = new Set([
    'src/cli/completion.ts: valued.push(...fs);', // the options of one command
    'src/cli/commands/info.ts: const width = Math.max(...lines.map(([k]) => k.length));', // info's fixed rows
    'src/format/patch/ips.ts: segs.splice(lo, k - lo, ...parts);', // at most three parts
    // Transform#apply (src/format/transform.ts), a kernel's method, not Function.prototype.apply
    'src/edit/rangeops.ts: transform.apply(out, phase);',
    'src/format/patch/plan.ts: o.transform.apply(bytes, 0);',
    'src/edit/transform-run.ts: t.apply(view, phase);',
    'src/edit/transform-run.ts: t.apply(bytes, done);',
    'src/format/transform.ts: if (!Number.isSafeInteger(phase) || phase < 0) return t.apply(bytes, phase); // its RangeError',
    'src/format/transform.ts: if (done < bytes.length) t.apply(bytes.subarray(done), phase + done);',
    'src/format/transform.ts: t.apply(zeros, 0);',
  ]);
  const risky = /\.(push|unshift)\(\.\.\.|Math\.(max|min)\(\.\.\.|fromCharCode\(\.\.\.|\.apply\(|\.splice\([^)]*\.\.\./;

  function sources(at: string): string[] {
    return readdirSync(join(ROOT, at), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? sources(join(at, e.name)) : e.name.endsWith('.ts') ? [join(at, e.name)] : [],
    );
  }

  it('finds none outside the bounded list', () => {
    const found: string[] = [];
    const files = sources('src');
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      for (const line of readFileSync(join(ROOT, file), 'utf8').split('\n')) {
        if (!risky.test(line) || line.trim().startsWith('//') || line.trim().startsWith('*')) continue;
        const key = `${file}: ${line.trim()}`;
        if (!bounded.has(key)) found.push(key);
      }
    }
    expect(found).toEqual([]);
  });
});
