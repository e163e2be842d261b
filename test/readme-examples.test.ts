// Every shell example of the README runs: each `mmapx ...` line of a ```sh block (and each
// pipeline with mmapx in it) is run by bash, with `mmapx` the built CLI, on a fresh copy of a
// directory of fixtures, and must exit 0 (or the status the table below gives, with its reason).
// An example that cannot run here is listed in SKIPPED with the reason; a listed example that is
// no longer in the README fails the test, so the list cannot go stale.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { crc32, encodeBps, encodeUps, encodeVcdiff } from '../src/format/delta/index.js';
import { formatIntelHex } from '../src/format/hexrec/index.js';
import { ROOT, requireBuild } from './helpers/child.js';
import { PINNED_ENV } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Examples that cannot run in a test, by a substring of the line, and why. */
const SKIPPED: Record<string, string> = {
  'curl -s $URL': 'needs the network',
  '--hold 30': 'holds a mapping for 30 s by design',
  '"${fpath[1]}/_mmapx"': 'writes into the zsh function path of the user',
  'source <(mmapx completion bash)': 'changes the shell it runs in (test/docs.test.ts loads the scripts)',
  '~/.config/fish/completions': "writes into the user's fish configuration",
};

const skipReason = (code: string): string | undefined => SKIPPED[Object.keys(SKIPPED).find((k) => code.includes(k)) ?? ''];

/** Examples whose documented outcome is not status 0 on the fixtures, and why. */
const STATUS: Record<string, number> = {
  // The README's digest is of its own fw.bin: here the range differs, and the guard says so.
  '--check 8f434346648f': 3,
};

/** The shell examples: each logical line of a ```sh block that runs mmapx. */
function examples(): string[] {
  const out: string[] = [];
  for (const block of README.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    const text = (block[1] ?? '').replace(/\\\n\s*/g, ' ');
    for (const line of text.split('\n')) {
      const code = line.trim();
      if (code === '' || code.startsWith('#')) continue;
      if (!/(^|[|(;&]\s*)mmapx\s/.test(code)) continue;
      out.push(code);
    }
  }
  return out;
}

/** `n` zero bytes with `at`'s [offset, bytes] pairs written in. */
const bytes = (n: number, ...at: [number, number[]][]): Buffer => {
  const b = Buffer.alloc(n);
  for (const [off, v] of at) Buffer.from(v).copy(b, off);
  return b;
};

/**
 * big.bin: 3 GiB, sparse, with de ad be ef at 1.5 GiB (the find example searches 1G..2G). Kept
 * apart from the other fixtures and copied only beside the examples that name it: in every copy,
 * `mmapx hash *.bin` hashed its 3 GiB of zeros (most of this file's run time), which that example
 * is not about.
 */
const BIG = 'big.bin';
function bigFixture(dir: string): void {
  const fd = openSync(join(dir, BIG), 'w');
  writeSync(fd, Buffer.from([0xde, 0xad, 0xbe, 0xef]), 0, 4, 1.5 * 2 ** 30);
  ftruncateSync(fd, 3 * 2 ** 30);
  closeSync(fd);
}

/** A file for every name the examples use but big.bin, in the state each example expects. */
function fixtures(dir: string): void {
  // fw.bin: 74 05 at 0x1f40 (the guarded edit), a call/test/jz sequence at 0x100 (the --find
  // example), de ad be ef at 0x3000.
  const fw = bytes(0x4000, [0x100, [0xe8, 1, 2, 3, 4, 0x84, 0xc0, 0x74, 0x05]], [0x1f40, [0x74, 0x05]], [0x3000, [0xde, 0xad, 0xbe, 0xef]]);
  const fw11 = Buffer.from(fw);
  fw11[0x1f40] = 0xeb;
  const files: Record<string, Buffer | string> = {
    'fw.bin': fw,
    'fw-1.0.bin': fw,
    'fw-1.1.bin': fw11,
    'fw-orig.bin': fw,
    'fw-fixed.bin': fw11,
    'build/fw.bin': fw,
    'build/a.bin': fw,
    'build/b.bin': fw,
    'out/x.bin': fw,
    'out/sub/y.bin': fw,
    'fix.patch': '0x1f40: 74 05 -> eb 05\n',
    'patches/fw.patch': '0x1f40: 74 05 -> eb 05\n',
    'disk.img': bytes(0x10000),
    'other.img': bytes(0x400),
    'hdr.bin': bytes(64),
    'note.txt': 'v1\n',
    'log.bin': bytes(4096),
    chunk: bytes(4096, [0, [1, 2, 3]]),
    'db.bin': bytes(0x10000),
    'lib.so': bytes(0x1000),
    'data.bin': bytes(0x10000),
    'logo.png': bytes(100, [0, [0x89, 0x50, 0x4e, 0x47]]),
    'rom.sfc': bytes(0x100),
    // Deltas (the delta examples): a BPS of rom.sfc writing ab cd at 0x10, a VCDIFF of disk.img writing 01 02 03 04 at 0x100.
    'hack.bps': Buffer.concat([
      ...encodeBps([{ kind: 'data', at: 0x10n, bytes: Uint8Array.of(0xab, 0xcd) }], {
        sourceSize: 0x100n,
        targetSize: 0x100n,
        sourceCrc32: crc32(bytes(0x100)),
        targetCrc32: crc32(bytes(0x100, [0x10, [0xab, 0xcd]])),
      }),
    ]),
    // A UPS whose target is rom.sfc (its source has 55 at 0x20): the --reverse example gives the source back.
    'hack.ups': Buffer.concat([
      ...encodeUps([{ kind: 'xor', at: 0x20n, from: 0x20n, bytes: Uint8Array.of(0x55) }], {
        sourceSize: 0x100n,
        targetSize: 0x100n,
        sourceCrc32: crc32(bytes(0x100, [0x20, [0x55]])),
        targetCrc32: crc32(bytes(0x100)),
      }),
    ]),
    'update.vcdiff': Buffer.concat([
      ...encodeVcdiff([{ kind: 'data', at: 0x100n, bytes: Uint8Array.of(1, 2, 3, 4) }], { sourceSize: 0x10000n, targetSize: 0x10000n }),
    ]),
    // IPS: "PATCH", a record (offset 0x000100, 2 bytes: 12 34) that grows the file, "EOF".
    'hack.ips': Buffer.concat([Buffer.from('PATCH'), Buffer.from([0, 1, 0, 0, 2, 0x12, 0x34]), Buffer.from('EOF')]),
    'a.bin': bytes(100, [5, [1]]),
    'b.bin': bytes(100, [7, [2]]),
    // app: a program's bytes with the 32-byte version placeholder of the stamp examples.
    app: Buffer.concat([bytes(64), Buffer.from('@@MMAPX_VERSION_PLACEHOLDER@@@@@\0'), bytes(64)]),
  };
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), data);
  }
  // prog: an executable (ELF) for the inspection examples: the system's true(1).
  copyFileSync('/bin/true', join(dir, 'prog'));
  // fw.hex: fw.bin as xxd prints it, with the guarded bytes edited; part.hex: plain hex.
  const xxd = spawnSync('xxd', [join(dir, 'fw.bin')], { encoding: 'utf8' });
  if (xxd.status === 0) writeFileSync(join(dir, 'fw.hex'), xxd.stdout.replace('00001f40: 7405', '00001f40: eb05'));
  writeFileSync(join(dir, 'part.hex'), 'eb05\n');
  // app.hex / orig.hex: Intel HEX images of the guarded bytes at 0x1f40, fw.bin at 0x8000000.
  writeFileSync(join(dir, 'app.hex'), formatIntelHex(Uint8Array.of(0xeb, 0x05), { address: 0x8001f40 }));
  writeFileSync(join(dir, 'orig.hex'), formatIntelHex(Uint8Array.of(0x74, 0x05), { address: 0x8001f40 }));
  // SUMS: sha512sum lines of two of the files (the `hash -c SUMS` example).
  const sha512 = (name: string) =>
    createHash('sha512')
      .update(readFileSync(join(dir, name)))
      .digest('hex');
  writeFileSync(join(dir, 'SUMS'), `${sha512('fw.bin')}  fw.bin\n${sha512('a.bin')}  a.bin\n`);
  // disk.img.xz: disk.img compressed (the `xz -dc ... | mmapx hash` example), where xz is installed.
  spawnSync('sh', ['-c', 'xz -c disk.img > disk.img.xz'], { cwd: dir });
  // `mmapx` on PATH is the built CLI.
  mkdirSync(join(dir, '.bin'));
  writeFileSync(join(dir, '.bin', 'mmapx'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin', 'mmapx.js')}" "$@"\n`);
  chmodSync(join(dir, '.bin', 'mmapx'), 0o755);
}

describe('README shell examples', () => {
  const all = examples();
  let results: { status: number; stderr: string }[] = [];

  beforeAll(() => {
    requireBuild();
    const dir = tmpDir('readme-');
    const template = join(dir, 'template');
    mkdirSync(template);
    fixtures(template);
    const big = join(dir, 'big');
    mkdirSync(big);
    bigFixture(big);
    // One bash for all examples: each runs in its own copy of the fixtures, with pipefail so a
    // failing mmapx in a pipeline is seen; its status and stderr go to files.
    const script = all
      .map((code, i) => {
        const work = join(dir, `ex${i}`);
        return [
          `cp -a ${JSON.stringify(template)} ${JSON.stringify(work)}`,
          ...(code.includes(BIG) ? [`cp -a ${JSON.stringify(join(big, BIG))} ${JSON.stringify(work)}`] : []),
          // The example on a line of its own: its trailing comment must not swallow the ')'.
          `(cd ${JSON.stringify(work)} && set -o pipefail`,
          skipReason(code) === undefined ? code : 'true',
          `) >/dev/null 2>${JSON.stringify(`${work}.err`)} </dev/null; echo $? >${JSON.stringify(`${work}.status`)}`,
        ].join('\n');
      })
      .join('\n');
    const r = spawnSync('bash', ['-c', script], {
      env: { ...PINNED_ENV, PATH: `${join(template, '.bin')}:${PINNED_ENV.PATH}`, MMAPX_NO_PROGRESS: '1' },
      timeout: 120_000,
    });
    if (r.status !== 0) throw new Error(`the examples' script failed: ${r.stderr}`);
    results = all.map((_, i) => ({
      status: Number(readFileSync(join(dir, `ex${i}.status`), 'utf8')),
      stderr: readFileSync(join(dir, `ex${i}.err`), 'utf8'),
    }));
  }, 180_000);

  it('finds the examples', () => {
    expect(all.length).toBeGreaterThan(30);
  });

  it('lists only skipped examples that are still in the README', () => {
    for (const key of [...Object.keys(SKIPPED), ...Object.keys(STATUS)])
      expect(
        all.some((code) => code.includes(key)),
        key,
      ).toBe(true);
  });

  it('runs every example with its documented status', () => {
    const wrong = all
      .map((code, i) => ({ code, ...results[i] }))
      .filter(({ code, status }) => status !== (STATUS[Object.keys(STATUS).find((k) => code.includes(k)) ?? ''] ?? 0))
      .map(({ code, status, stderr }) => `${code}\n  -> status ${status}: ${stderr.trim()}`);
    expect(wrong.join('\n')).toBe('');
  });
});
