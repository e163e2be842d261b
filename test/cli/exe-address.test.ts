// Symbolic addresses (sym:, sec:, seg:, va:) wherever the CLI takes an OFFSET or a RANGE, on ELF
// programs built here with gcc and read with nm / readelf / objdump: the bytes each command finds
// at an address are the bytes the peers say are there. Errors are one line, exit 2, the file
// byte-identical. And the CI story of issue 18: a native patch `at sym:check+N: OLD -> NEW` flips
// a branch, still lands on the moved function after a rebuild, and refuses (exit 3) a rebuild
// whose bytes there differ.
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  copyRange,
  deleteRange,
  dump,
  hashRange,
  insertBytes,
  moveRange,
  parseTransform,
  patchFile,
  readRange,
  transformRange,
  writeAt,
} from '../../src/edit/index.js';
import { bufferSource, ExeFormatError, openImage } from '../../src/format/exe/index.js';
import { expectFailure, expectSuccess, fingerprint, mmapx } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const have = (tool: string): boolean => !spawnSync(tool, ['--version'], { stdio: 'ignore' }).error;
// The programs are x86-64 or aarch64 ELF built by the host's gcc; the conditional jump is found by objdump.
const USABLE = have('gcc') && have('nm') && have('readelf') && have('objdump') && (process.arch === 'x64' || process.arch === 'arm64');
if (!USABLE) console.warn('NOTICE: gcc or binutils (nm, readelf, objdump) missing, or not an x86-64/aarch64 host; the address tests on ELF are SKIPPED');

/** The program of the CI story: main prints by what check(argc) says. BEFORE and INSIDE are the rebuilds' changes. */
function program(opts: { before?: boolean; inside?: boolean } = {}): string {
  return `#include <stdio.h>
int table[4] = { 0x11111111, 0x22222222, 0x33333333, 0x44444444 };
char big[8192];
const char greeting[] = "hello from rodata";
${opts.before ? '__attribute__((noinline)) int helper(int x) { volatile int y = x * 7; return y + big[x & 7] + 3; }\n' : ''}
__attribute__((noinline)) int check(int n) {
${opts.inside ? '  volatile int pad = n * 3; n += pad - pad;\n' : ''}  if (n > 3) return 1;
  return 0;
}
int main(int argc, char **argv) {
  (void)argv;
${opts.before ? '  big[0] = (char)helper(argc);\n' : ''}  if (check(argc)) puts("licensed"); else puts("denied");
  return 0;
}
`;
}

interface Segment {
  index: number;
  type: string;
  offset: bigint;
  vaddr: bigint;
  filesz: bigint;
  memsz: bigint;
}
interface Built {
  path: string;
  bytes: Buffer;
  /** nm -S: name -> value, size. */
  symbols: Map<string, { value: bigint; size: bigint }>;
  /** readelf -S: name -> offset, size, address. */
  sections: Map<string, { offset: bigint; size: bigint; addr: bigint }>;
  segments: Segment[];
  /** objdump -d of check: each instruction's offset in check and its bytes. */
  checkCode: { at: number; bytes: string; text: string }[];
}

const dir = tmpDir('mmapx-addr-');
const builds = new Map<string, Built>();

async function build(name: string, source: string): Promise<void> {
  const path = join(dir, name);
  writeFileSync(`${path}.c`, source);
  await run('gcc', ['-O0', '-fno-inline', '-no-pie', '-o', path, `${path}.c`]);
  const [nm, sections, segments, dis] = await Promise.all([
    run('nm', ['-S', '--defined-only', path]),
    run('readelf', ['-SW', path]),
    run('readelf', ['-lW', path]),
    run('objdump', ['-d', '--disassemble=check', path]),
  ]);
  const symbols = new Map<string, { value: bigint; size: bigint }>();
  for (const m of nm.stdout.matchAll(/^([0-9a-f]+) ([0-9a-f]+) \S (\S+)$/gm)) symbols.set(m[3]!, { value: BigInt(`0x${m[1]}`), size: BigInt(`0x${m[2]}`) });
  const secs = new Map<string, { offset: bigint; size: bigint; addr: bigint }>();
  for (const m of sections.stdout.matchAll(/^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+)/gm)) {
    secs.set(m[1]!, { addr: BigInt(`0x${m[2]}`), offset: BigInt(`0x${m[3]}`), size: BigInt(`0x${m[4]}`) });
  }
  const segs: Segment[] = [];
  for (const m of segments.stdout.matchAll(/^\s+([A-Z_]+)\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x[0-9a-f]+ 0x([0-9a-f]+) 0x([0-9a-f]+)/gm)) {
    segs.push({
      index: segs.length,
      type: m[1]!,
      offset: BigInt(`0x${m[2]}`),
      vaddr: BigInt(`0x${m[3]}`),
      filesz: BigInt(`0x${m[4]}`),
      memsz: BigInt(`0x${m[5]}`),
    });
  }
  const start = symbols.get('check')!.value;
  const checkCode = [...dis.stdout.matchAll(/^\s+([0-9a-f]+):\s+((?:[0-9a-f]{2} )+)\s*(.*)$/gm)].map((m) => ({
    at: Number(BigInt(`0x${m[1]}`) - start),
    bytes: m[2]!.trim(),
    text: m[3]!.trim(),
  }));
  builds.set(name, { path, bytes: readFileSync(path), symbols, sections: secs, segments: segs, checkCode });
}

beforeAll(async () => {
  if (!USABLE) return;
  await Promise.all([build('prog', program()), build('moved', program({ before: true })), build('changed', program({ inside: true }))]);
}, 60_000);

function built(name: string): Built {
  const b = builds.get(name);
  if (b === undefined) throw new Error(`${name} was not built`);
  return b;
}

/** The file offset of virtual address `va`, by the LOAD segments readelf lists. */
function fileOffset(b: Built, va: bigint): bigint {
  const s = b.segments.find((g) => g.type === 'LOAD' && va >= g.vaddr && va < g.vaddr + g.filesz);
  if (s === undefined) throw new Error(`no LOAD segment has file bytes at ${va.toString(16)}`);
  return s.offset + (va - s.vaddr);
}

function slice(b: Built, offset: bigint, length: bigint): Buffer {
  return b.bytes.subarray(Number(offset), Number(offset + length));
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The first conditional jump in check: its offset in check and its bytes (objdump's). */
function conditionalJump(b: Built): { at: number; bytes: string } {
  const jump = b.checkCode.find((i) => (process.arch === 'x64' ? /^j(?!mp)[a-z]+\s/.test(i.text) : /^(b\.[a-z]+|cbn?z|tbn?z)\s/.test(i.text)));
  if (jump === undefined) throw new Error(`no conditional jump in check:\n${b.checkCode.map((i) => i.text).join('\n')}`);
  return jump;
}

/** The same jump with the opposite condition (x86: the low bit of the Jcc opcode; aarch64 b.cond: the low bit of the condition). */
function flipped(bytes: string): string {
  const b = bytes.split(' ').map((x) => Number.parseInt(x, 16));
  if (process.arch === 'x64') b[b[0] === 0x0f ? 1 : 0]! ^= 1;
  else b[0]! ^= 1;
  return b.map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** Runs a built program with one argument (argc 2: check says 0, "denied"). */
function runProgram(path: string): string {
  return spawnSync(path, ['one'], { encoding: 'utf8' }).stdout.trim();
}

describe.skipIf(!USABLE)('addresses on an ELF program, compared with nm and readelf', () => {
  it('hexdump -s, cat, hash --range, find --range and info --range read what nm and readelf say is at sym:, sec:, seg:, va:', async () => {
    const b = built('prog');
    const check = b.symbols.get('check')!;
    const table = b.symbols.get('table')!;
    const main = b.symbols.get('main')!;
    const rodata = b.sections.get('.rodata')!;
    const text = b.sections.get('.text')!;
    const checkAt = fileOffset(b, check.value);
    expect(checkAt, 'a non-PIE program: the VA is not the file offset').not.toBe(check.value);
    const before = fingerprint(b.path);

    // hexdump -s sym:NAME without -n: the symbol's bytes, at their file offsets.
    const hd = mmapx(['hexdump', '-f', 'plain', '-s', 'sym:check', b.path]);
    expectSuccess(hd);
    expect(hd.stdout.replace(/\n/g, '')).toBe(slice(b, checkAt, check.size).toString('hex'));
    const hdn = mmapx(['hexdump', '-s', 'sym:check+2', '-n', '3', b.path]);
    expectSuccess(hdn);
    expect(hdn.stdout.split('\n')[0]).toMatch(
      new RegExp(`^${(checkAt + 2n).toString(16).padStart(8, '0')}  ${[...slice(b, checkAt + 2n, 3n)].map((x) => x.toString(16).padStart(2, '0')).join(' ')} `),
    );

    // cat: a whole symbol, a whole section, ADDR:LENGTH, ADDR..ADDR, va:, seg:.
    const cases: [string, Buffer][] = [
      ['sym:table', slice(b, fileOffset(b, table.value), table.size)],
      ['sec:.rodata', slice(b, rodata.offset, rodata.size)],
      ['sym:check+1:5', slice(b, checkAt + 1n, 5n)],
      ['sym:check..sym:main', slice(b, checkAt, fileOffset(b, main.value) - checkAt)],
      [`va:0x${check.value.toString(16)}:8`, slice(b, checkAt, 8n)],
      [`0x${checkAt.toString(16)}..sym:main`, slice(b, checkAt, fileOffset(b, main.value) - checkAt)],
    ];
    const load = b.segments.find((s) => s.type === 'LOAD' && s.offset <= checkAt && checkAt < s.offset + s.filesz)!;
    cases.push([`seg:${load.index}`, slice(b, load.offset, load.filesz)]);
    // Two through the CLI, all through the library (the same parser and the same engine).
    for (const [range, want] of [cases[0]!, cases.at(-1)!]) {
      const r = mmapx(['cat', b.path, range]);
      expectSuccess(r);
      expect(r.stdoutBytes.equals(want), `cat ${range}`).toBe(true);
    }
    for (const [range, want] of cases) {
      const chunks: Buffer[] = [];
      for await (const c of readRange(b.path, { range })) chunks.push(Buffer.from(c));
      expect(Buffer.concat(chunks).equals(want), `readRange ${range}`).toBe(true);
    }
    expect(slice(b, fileOffset(b, table.value), 8n).readUInt32LE(4)).toBe(0x22222222);

    // hash --range: the digest of the section's bytes.
    const h = mmapx(['hash', '--range', 'sec:.text', b.path]);
    expectSuccess(h);
    expect(h.stdout.split(' ')[0]).toBe(sha256(slice(b, text.offset, text.size)));

    // find --range sym:check: the first byte of check, found only inside it.
    const first = slice(b, checkAt, 1n).toString('hex');
    const f = mmapx(['find', b.path, slice(b, checkAt, 4n).toString('hex'), '--range', 'sym:check']);
    expectSuccess(f);
    expect(f.stdout).toBe(`0x${checkAt.toString(16)}\n`);
    expect(first).toHaveLength(2);

    // info --range: the resolved range in the JSON report.
    const info = mmapx(['info', b.path, '--range', 'sym:main', '--json']);
    expectSuccess(info);
    expect(JSON.parse(info.stdout).range).toEqual({ offset: Number(fileOffset(b, main.value)), length: Number(main.size) });
    expect(fingerprint(b.path)).toBe(before);
  });

  it('write OFFSET, fill RANGE and patch --edit take addresses, each file resolving its own symbols', async () => {
    const b = built('prog');
    const m = built('moved');
    const p = join(dir, 'w-prog');
    const q = join(dir, 'w-moved');
    copyFileSync(b.path, p);
    copyFileSync(m.path, q);
    const tableP = fileOffset(b, b.symbols.get('table')!.value);
    const tableQ = fileOffset(m, m.symbols.get('table')!.value);
    const greetP = fileOffset(b, b.symbols.get('greeting')!.value);

    expectSuccess(mmapx(['write', p, 'sym:table+4', 'aabbccdd']));
    expectSuccess(mmapx(['fill', p, 'sym:greeting:5', '--pattern', '2a']));
    // --edit guarded by the old bytes; two files, each its own place for sym:table+8.
    const list = join(dir, 'w-list');
    writeFileSync(list, `${p}\n${q}\n`);
    const e = mmapx(['patch', '--files-from', list, '--edit', 'sym:table+8:33333333=01020304']);
    expectSuccess(e);
    const after = readFileSync(p);
    expect(after.subarray(Number(tableP), Number(tableP) + 12).toString('hex')).toBe('11111111aabbccdd01020304');
    expect(after.subarray(Number(greetP), Number(greetP) + 7).toString('latin1')).toBe('***** f');
    expect(
      readFileSync(q)
        .subarray(Number(tableQ) + 8, Number(tableQ) + 12)
        .toString('hex'),
    ).toBe('01020304');

    // The library takes the same text.
    await writeAt(p, 'sym:table+12', Uint8Array.of(0xee), { expect: Uint8Array.of(0x44) });
    expect(readFileSync(p)[Number(tableP) + 12]).toBe(0xee);
    expect(await hashRange(p, { range: 'sym:table' })).toBe(sha256(readFileSync(p).subarray(Number(tableP), Number(tableP) + 16)));
    const chunks: Buffer[] = [];
    for await (const c of readRange(q, { range: 'sym:table:4' })) chunks.push(Buffer.from(c));
    expect(Buffer.concat(chunks).toString('hex')).toBe('11111111');
  });

  it('the library: range operations, shifts, dump and patch statements resolve addresses in the file they work on', async () => {
    const b = built('prog');
    const tableAt = Number(fileOffset(b, b.symbols.get('table')!.value));
    const data = b.sections.get('.data')!;
    const copy = (name: string): string => {
      const p = join(dir, name);
      copyFileSync(b.path, p);
      return p;
    };
    const table = (p: string): string =>
      readFileSync(p)
        .subarray(tableAt, tableAt + 16)
        .toString('hex');

    const p = copy('lib-ops');
    await copyRange(p, 'sym:table:4', 'sym:table+12');
    expect(table(p)).toBe('11111111222222223333333311111111');
    await moveRange(p, 'sym:table+4:4', 'sym:table+8', { fill: 0 });
    expect(table(p)).toBe('11111111000000002222222211111111');
    await transformRange(p, 'sym:table', parseTransform('xor', 'ff')); // the journal that rolls forward
    expect(table(p)).toBe('eeeeeeeeffffffffddddddddeeeeeeee');
    const dry = await transformRange(p, 'sec:.data', parseTransform('not', undefined), { dryRun: true }); // the survey
    expect([dry.offset, dry.length]).toEqual([data.offset, data.size]);
    let text = '';
    for await (const chunk of dump(p, 'plain', { offset: 'sym:table' })) text += chunk;
    expect(text.replace(/\n/g, '')).toBe(table(p));

    const q = copy('lib-patch');
    await patchFile(q, 'fill sym:table:4 aa\ncopy sym:table+4:4 to sym:table+12\nat sym:table+8: 33 -> 34\n');
    expect(table(q)).toBe('aaaaaaaa222222223433333322222222');

    const ins = copy('lib-insert');
    await insertBytes(ins, 'sym:table', Uint8Array.of(1, 2));
    expect(table(ins).slice(0, 16)).toBe('0102111111112222');
    const del = copy('lib-delete');
    const del2 = copy('lib-delete-patch');
    await deleteRange(del, 'sym:table');
    await patchFile(del2, 'delete sym:table: 11 11 11 11 22 22 22 22 33 33 33 33 44 44 44 44\n');
    for (const f of [del, del2]) {
      const after = readFileSync(f);
      expect(after.length).toBe(b.bytes.length - 16);
      expect(after.subarray(tableAt).equals(b.bytes.subarray(tableAt + 16))).toBe(true);
    }
  });

  it('a missing symbol (with candidates), .bss, a non-executable, standard input and a device: exit 2, one line, files byte-identical', async () => {
    const b = built('prog');
    const p = join(dir, 'e-prog');
    copyFileSync(b.path, p);
    const before = fingerprint(p);
    const big = b.symbols.get('big')!;
    const textFile = join(dir, 'notes.txt');
    writeFileSync(textFile, 'just text, no ELF header\n');
    const textBefore = fingerprint(textFile);

    expectFailure(mmapx(['write', p, 'sym:chec', '00']), 2, /^mmapx: write: .*sym:chec.*no defined symbol .*did you mean: check\b/);
    expectFailure(mmapx(['write', p, `va:0x${(big.value + big.size - 1n).toString(16)}`, '00']), 2, /^mmapx: write: .*has no bytes in the file/);
    // Not an executable: the same InputError (exit 2) from the library, the file untouched.
    await expect(writeAt(textFile, 'sym:main', Uint8Array.of(0))).rejects.toThrow(/is not an ELF, PE or Mach-O file/);
    await expect(writeAt(textFile, 'sym:main', Uint8Array.of(0))).rejects.toMatchObject({ exitCode: 2 });
    await expect(hashRange(p, { range: 'sec:.nope' })).rejects.toThrow(/^sec:\.nope: no section \.nope in this elf64-\S+ file \(sections: \.interp, /);
    expectFailure(mmapx(['hexdump', '-s', 'sym:main', '-'], { input: readFileSync(p) }), 2, /^mmapx: hexdump: .*need a regular file/);
    expectFailure(mmapx(['patch', p, '--seek', 'sym:main', '--format', 'plain', '-p', textFile]), 2, /--seek sym:main: give a number/);
    const patch = join(dir, 'missing.patch');
    writeFileSync(patch, '# two hunks\nat sym:table: 11 -> 12\nat sym:nope+2: 00 -> 01\n');
    expectFailure(mmapx(['patch', p, patch]), 2, /^mmapx: patch: .*missing\.patch line 3: .*no defined symbol "?nope"?/);
    expect(fingerprint(p)).toBe(before);
    expect(fingerprint(textFile)).toBe(textBefore);

    // Cost follows the use: a file that only looks like an ELF (its header is cut short) is never
    // parsed by a numeric range, and is refused as soon as an address needs its image.
    const fake = join(dir, 'fake-elf');
    writeFileSync(fake, Buffer.concat([Buffer.from('\x7fELF', 'latin1'), Buffer.alloc(12, 2)]));
    expect(await hashRange(fake, { range: '0:4' })).toBe(sha256(Buffer.from('\x7fELF', 'latin1')));
    await expect(hashRange(fake, { range: 'sym:main' })).rejects.toThrow(ExeFormatError);

    // A character device made here (never a system one): no image to resolve in.
    const dev = join(dir, 'null-dev');
    if (spawnSync('mknod', [dev, 'c', '1', '3']).status === 0) {
      expectFailure(mmapx(['hexdump', '--force', '-s', 'sym:main', dev]), 2, /need a regular file/);
    } else {
      console.warn('NOTICE: mknod failed (not root?): the device case is SKIPPED');
    }
  });
});

describe.skipIf(!USABLE)('the CI story: one native patch at sym:check+N across rebuilds', () => {
  it('flips the branch, finds check where a rebuild moved it, and refuses a rebuild whose bytes differ', () => {
    const b = built('prog');
    const jump = conditionalJump(b);
    const patchFile = join(dir, 'flip.patch');
    writeFileSync(patchFile, `# flip the licence check\nat sym:check+${jump.at}: ${jump.bytes} -> ${flipped(jump.bytes)}  # inverted condition\n`);

    const p = join(dir, 'ci-prog');
    copyFileSync(b.path, p);
    expect(runProgram(p)).toBe('denied');
    expectSuccess(mmapx(['patch', p, patchFile]));
    expect(runProgram(p)).toBe('licensed');
    // Applied twice: already applied, nothing written.
    const again = mmapx(['patch', p, patchFile]);
    expectSuccess(again);
    expect(again.stderr).toMatch(/already applied/);

    // The rebuild with a function before check: check moved, the same patch finds it.
    const m = built('moved');
    expect(m.symbols.get('check')!.value).not.toBe(b.symbols.get('check')!.value);
    expect(conditionalJump(m)).toMatchObject({ at: jump.at, bytes: jump.bytes });
    const q = join(dir, 'ci-moved');
    copyFileSync(m.path, q);
    expect(runProgram(q)).toBe('denied');
    expectSuccess(mmapx(['patch', q, patchFile]));
    expect(runProgram(q)).toBe('licensed');
    // Only the jump changed: one byte (x86 short Jcc) or one (aarch64 b.cond), at check's new place.
    const changed = [...readFileSync(q)].flatMap((x, i) => (x !== m.bytes[i] ? [i] : []));
    const at = Number(fileOffset(m, m.symbols.get('check')!.value)) + jump.at;
    expect(changed.length).toBeGreaterThan(0);
    for (const i of changed) expect(i >= at && i < at + jump.bytes.split(' ').length, `byte ${i} changed`).toBe(true);

    // The rebuild where check+N holds other bytes: the guard refuses, nothing is written.
    const c = built('changed');
    const r = join(dir, 'ci-changed');
    copyFileSync(c.path, r);
    const before = fingerprint(r);
    const refused = mmapx(['patch', r, patchFile]);
    expect(refused.status, refused.dump).toBe(3);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(fingerprint(r)).toBe(before);
    expect(runProgram(r)).toBe('denied');
  });
});

// A fat Mach-O of two clang objects (llvm-lipo-14): --arch chooses the slice its addresses resolve in.
const HAVE_FAT = have('clang') && have('llvm-lipo-14');
if (!HAVE_FAT) console.warn('NOTICE: clang or llvm-lipo-14 missing; the --arch test on a fat Mach-O is SKIPPED');
const fatDir = tmpDir('mmapx-addr-fat-');
let fatReady = false;

beforeAll(async () => {
  if (!HAVE_FAT) return;
  const source = join(fatDir, 'm.c');
  writeFileSync(source, 'int table[4] = { 0x11111111, 0x22222222, 0x33333333, 0x44444444 };\nint check(int n) { return n > 3 ? table[1] : table[2]; }\n');
  await Promise.all(['arm64', 'x86_64'].map((arch) => run('clang', ['-target', `${arch}-apple-macos`, '-c', '-o', join(fatDir, `${arch}.o`), source])));
  await run('llvm-lipo-14', ['-create', join(fatDir, 'arm64.o'), join(fatDir, 'x86_64.o'), '-output', join(fatDir, 'fat.o')]);
  // Until the Mach-O parser is in this build, there is nothing to resolve in.
  try {
    openImage(bufferSource(readFileSync(join(fatDir, 'fat.o'))), 'fat.o', { arch: 'arm64' });
    fatReady = true;
  } catch (err) {
    console.warn(`NOTICE: the Mach-O parser cannot open a fat file here (${(err as Error).message}); the --arch test is SKIPPED`);
  }
}, 60_000);

describe.skipIf(!HAVE_FAT)('--arch on a fat Mach-O', () => {
  it('each slice resolves sym: in its own image; without --arch the error names the slices', ({ skip }) => {
    if (!fatReady) skip();
    const fat = join(fatDir, 'fat.o');
    const before = fingerprint(fat);
    const table = Buffer.from('11111111222222223333333344444444', 'hex');
    const offsets: number[] = [];
    for (const arch of ['arm64', 'x86_64']) {
      const cat = mmapx(['--arch', arch, 'cat', fat, 'sym:table:16']);
      expectSuccess(cat);
      expect(cat.stdoutBytes.equals(table), `${arch}\n${cat.dump}`).toBe(true);
      const info = mmapx(['info', fat, '--range', 'sym:table:16', '--arch', arch, '--json']);
      expectSuccess(info);
      offsets.push(JSON.parse(info.stdout).range.offset);
    }
    // Two slices, two places, each inside its slice's bytes of the fat file.
    expect(new Set(offsets).size).toBe(2);
    const bytes = readFileSync(fat);
    for (const at of offsets) expect(bytes.subarray(at, at + 16).equals(table)).toBe(true);
    expectFailure(mmapx(['cat', fat, 'sym:table:16']), 2, /^mmapx: cat: .*--arch/);
    // Mach-O records no symbol sizes: sym:NAME alone runs to the next symbol of its section or the section's end.
    const whole = mmapx(['cat', fat, 'sym:table', '--arch', 'arm64']);
    expectSuccess(whole);
    expect(whole.stdoutBytes.subarray(0, 16).equals(table)).toBe(true);
    expect(fingerprint(fat)).toBe(before);
  });
});
