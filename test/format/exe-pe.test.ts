// The PE parser against mingw-w64's objdump: executables and DLLs built here with
// x86_64-w64-mingw32-gcc and i686-w64-mingw32-gcc (PE32+ and PE32; a C file, plus a C++ file
// compiled by clang for the mingw targets when clang is installed), compared section by section
// (`objdump -h`), COFF symbol record by record (`-t`) and export by export (`-p`), and the
// sym:/sec:/va:/rva: addresses resolved on them against the offsets objdump's numbers give.
// Compiled once (beforeAll); objdump runs for all files in one spawn of sh. Skipped, with a
// notice, when a tool is missing.
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAddress, resolveAddress } from '../../src/format/exe/address.js';
import { demangle } from '../../src/format/exe/demangle.js';
import { bufferSource, type ExeImage, ExeFormatError, openImage } from '../../src/format/exe/index.js';
import { buildPe } from '../helpers/exe-build.js';
import { shellBatch } from '../helpers/peers.js';
import { tmpDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const has = (cmd: string): boolean => !spawnSync(cmd, ['--version'], { stdio: 'ignore' }).error;
const NEEDED = ['x86_64-w64-mingw32-gcc', 'i686-w64-mingw32-gcc', 'x86_64-w64-mingw32-objdump', 'x86_64-w64-mingw32-strip', 'x86_64-w64-mingw32-objcopy'];
const MISSING = NEEDED.filter((t) => !has(t));
const HAVE_MINGW = MISSING.length === 0;
const HAVE_CLANG = has('clang++');
const HAVE_CXXFILT = has('c++filt');
if (!HAVE_MINGW) console.warn(`NOTICE: ${MISSING.join(', ')} not installed; differential tests of the PE parser against mingw objdump are SKIPPED`);
else if (!HAVE_CLANG) console.warn('NOTICE: clang++ not installed; the C++ symbols of the PE tests are SKIPPED');

const C_SOURCE = `#include <stdio.h>
int counter = 42;
int zeroed[64];
const char greeting[] = "hello, pe";
__attribute__((noinline)) static int helper(int x) { return x * 3 + counter; }
__declspec(dllexport) int exported_fn(int a) { return helper(a) + 1; }
__declspec(dllexport) int exported_data = 7;
__attribute__((noinline)) int check(int v) { if (v == 1234) return 1; return zeroed[v & 63]; }
int main(int argc, char **argv) { (void)argv; printf("%s %d\\n", greeting, check(argc) + exported_fn(argc) + exported_data); return 0; }
`;
const CXX_SOURCE = `namespace ns { struct K { int m(int a, double b); static int s; }; int K::m(int a, double b) { return a + (int)b + s; } int K::s = 3; }
__declspec(dllexport) int plain(int x) { return x + 1; }
`;

interface Build {
  name: string;
  /** i686 prefixes C names with `_`. */
  underscore: boolean;
  bits: 32 | 64;
  dll: boolean;
  bytes: Buffer;
  image: ExeImage;
  objdump: { h: string; t: string; p: string };
}

const dir = tmpDir('mmapx-pe-');
const builds: Build[] = [];
let debuglink: { bytes: Buffer; objdump: string } | undefined;

beforeAll(async () => {
  if (!HAVE_MINGW) return;
  writeFileSync(join(dir, 't.c'), C_SOURCE);
  writeFileSync(join(dir, 'p.cc'), CXX_SOURCE);
  const arches = [
    { gcc: 'x86_64-w64-mingw32-gcc', triple: 'x86_64-w64-mingw32', bits: 64 as const, underscore: false },
    { gcc: 'i686-w64-mingw32-gcc', triple: 'i686-w64-mingw32', bits: 32 as const, underscore: true },
  ];
  if (HAVE_CLANG) await Promise.all(arches.map((a) => run('clang++', ['-target', a.triple, '-O1', '-c', '-o', `p${a.bits}.o`, 'p.cc'], { cwd: dir })));
  const made = arches.flatMap((a) => [false, true].map((dll) => ({ ...a, dll, name: `t${a.bits}.${dll ? 'dll' : 'exe'}` })));
  await Promise.all(
    made.map((m) => run(m.gcc, ['-O1', ...(m.dll ? ['-shared'] : []), '-o', m.name, 't.c', ...(HAVE_CLANG ? [`p${m.bits}.o`] : [])], { cwd: dir })),
  );
  // Stripped, then a long-named section added (no COFF symbols; the string table stays).
  await run('x86_64-w64-mingw32-strip', ['-o', 'stripped.dll', 't64.dll'], { cwd: dir });
  await run('x86_64-w64-mingw32-objcopy', ['--add-gnu-debuglink=t64.dll', 'stripped.dll', 'debuglink.dll'], { cwd: dir });
  const runs = shellBatch(
    made.flatMap((m) => ['-h', '-t', '-p'].map((flag) => ({ argv: ['x86_64-w64-mingw32-objdump', flag, m.name] }))),
    dir,
  );
  const linked = shellBatch([{ argv: ['x86_64-w64-mingw32-objdump', '-h', '-p', 'debuglink.dll'] }], dir)[0]!;
  debuglink = { bytes: readFileSync(join(dir, 'debuglink.dll')), objdump: linked.stdout.toString() };
  made.forEach((m, i) => {
    const [h, t, p] = [0, 1, 2].map((k) => {
      const r = runs[3 * i + k]!;
      if (r.status !== 0) throw new Error(`objdump of ${m.name}: status ${r.status}`);
      return r.stdout.toString();
    });
    const bytes = readFileSync(join(dir, m.name));
    builds.push({
      name: m.name,
      underscore: m.underscore,
      bits: m.bits,
      dll: m.dll,
      bytes,
      image: openImage(bufferSource(bytes), m.name),
      objdump: { h: h!, t: t!, p: p! },
    });
  });
});

/** `objdump -h`: index, name, size, VMA, file offset. */
function objdumpSections(text: string): { index: number; name: string; size: bigint; vma: bigint; offset: bigint }[] {
  const re = /^\s*(\d+) (\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+2\*\*\d+$/gm;
  return [...text.matchAll(re)].map((m) => ({
    index: Number(m[1]),
    name: m[2]!,
    size: BigInt(`0x${m[3]}`),
    vma: BigInt(`0x${m[4]}`),
    offset: BigInt(`0x${m[5]}`),
  }));
}

/** `objdump -t` of a PE image: the primary records (section number 1-based, value section-relative). */
function objdumpSymbols(text: string): { sec: number; type: number; scl: number; value: bigint; name: string }[] {
  const re = /^\[\s*\d+\]\(sec\s+(-?\d+)\)\(fl 0x[0-9a-f]+\)\(ty\s+([0-9a-f]+)\)\(scl\s+(\d+)\) \(nx \d+\) 0x([0-9a-f]+) (.*)$/gm;
  return [...text.matchAll(re)].map((m) => ({
    sec: Number(m[1]),
    type: Number.parseInt(m[2]!, 16),
    scl: Number(m[3]),
    value: BigInt(`0x${m[4]}`),
    name: m[5]!,
  }));
}

/** `objdump -p`: the export names and their RVAs (through the ordinal index into the address table). */
function objdumpExports(text: string): Map<string, bigint> {
  const rvas = new Map<number, bigint>();
  for (const m of text.matchAll(/^\s*\[\s*(\d+)\] \+base\[\s*\d+\]\s+([0-9a-f]+) Export RVA$/gm)) rvas.set(Number(m[1]), BigInt(`0x${m[2]}`));
  const table = text.slice(text.indexOf('[Ordinal/Name Pointer] Table'));
  const out = new Map<string, bigint>();
  for (const m of table.slice(0, table.indexOf('\n\n')).matchAll(/^\s*\[\s*(\d+)\] (\S+)$/gm)) out.set(m[2]!, rvas.get(Number(m[1]))!);
  return out;
}

function header(text: string, field: string): bigint {
  const m = new RegExp(`^${field}\\s+([0-9a-f]+)`, 'm').exec(text);
  if (m === null) throw new Error(`objdump -p printed no ${field}`);
  return BigInt(`0x${m[1]}`);
}

const resolve = (b: Build, token: string) => resolveAddress(b.image, parseAddress(token));

/** Where objdump says C symbol `name` is: its section's row of -h and its section-relative value. */
function whereObjdump(b: Build, name: string): { section: ReturnType<typeof objdumpSections>[number]; value: bigint } {
  const stored = b.underscore ? `_${name}` : name;
  const hits = objdumpSymbols(b.objdump.t).filter((s) => s.name === stored);
  expect(hits.length, `${b.name}: objdump -t rows for ${stored}`).toBe(1);
  const section = objdumpSections(b.objdump.h)[hits[0]!.sec - 1]!;
  return { section, value: hits[0]!.value };
}

describe.skipIf(!HAVE_MINGW)('PE images built by mingw-w64, against x86_64-w64-mingw32-objdump', () => {
  it('headers_kind_bits_machine_image_base_and_entry_match_objdump_p', () => {
    expect(builds.map((b) => b.name)).toEqual(['t64.exe', 't64.dll', 't32.exe', 't32.dll']);
    for (const b of builds) {
      const imageBase = header(b.objdump.p, 'ImageBase');
      expect(b.image.format).toBe('pe');
      expect(b.image.bits).toBe(b.bits);
      expect(b.image.machine).toBe(b.bits === 64 ? 'x86-64' : 'i386');
      expect(b.image.description).toBe(b.bits === 64 ? 'pe32+-x86-64' : 'pe32-i386');
      expect(b.objdump.p).toContain(b.bits === 64 ? '(PE32+)' : '(PE32)');
      expect(b.image.kind, b.name).toBe(b.dll ? 'dll' : 'exe');
      expect(/^\tDLL$/m.test(b.objdump.p), b.name).toBe(b.dll);
      expect(b.image.imageBase, b.name).toBe(imageBase);
      expect(b.image.entry, b.name).toBe(imageBase + header(b.objdump.p, 'AddressOfEntryPoint'));
      expect(b.image.fileOffset).toBe(0n);
      expect(b.image.segments).toEqual([]);
    }
  });

  it('sections_names_sizes_vma_and_file_offsets_match_objdump_h_including_long_debug_names', () => {
    for (const b of builds) {
      const theirs = objdumpSections(b.objdump.h);
      expect(theirs.length, b.name).toBeGreaterThan(5);
      // objdump shows the bytes in the file (VirtualSize when the raw data is padded past it), or
      // the size in memory for sections with none (.bss).
      const ours = b.image.sections.map((s) => ({
        index: s.index,
        name: s.name,
        size: s.fileSize > 0n ? s.fileSize : s.memSize,
        vma: s.addr,
        offset: s.offset,
      }));
      expect(ours, b.name).toEqual(theirs);
      // mingw names debug sections `/4`, `/19`, ... in the table; objdump and we read the string table.
      expect(b.image.sections.some((s) => s.name === '.debug_info')).toBe(true);
      const bss = b.image.sections.find((s) => s.name === '.bss')!;
      expect([bss.type, bss.fileSize, bss.flags.includes('write')]).toEqual(['bss', 0n, true]);
      const text = b.image.sections.find((s) => s.name === '.text')!;
      expect([text.type, text.flags.includes('exec'), text.flags.includes('write')]).toEqual(['code', true, false]);
    }
  });

  it('coff_symbols_match_objdump_t_record_for_record', () => {
    for (const b of builds) {
      const theirs = objdumpSymbols(b.objdump.t);
      const ours = b.image.symbols().filter((s) => s.table === 'coff');
      expect(theirs.length, b.name).toBeGreaterThan(100);
      expect(ours.length, b.name).toBe(theirs.length);
      const sections = b.image.sections;
      // One comparison of the whole table (a failure shows the differing records).
      const kind = (type: string) => (type === 'file' || type === 'func' ? type : 'other');
      const expected = theirs.map((t) => {
        const section = t.sec > 0 ? sections[t.sec - 1]! : undefined;
        return {
          name: t.name,
          section: t.sec > 0 ? t.sec - 1 : null,
          // objdump prints a PE image's COFF values as stored (section-relative); ours are VAs.
          value: section === undefined ? t.value : section.addr + t.value,
          type: t.scl === 103 ? 'file' : (t.type & 0x30) === 0x20 ? 'func' : 'other',
          bind: t.scl === 2 ? 'global' : t.scl === 105 ? 'weak' : 'local',
          offset: section !== undefined && t.value < section.fileSize ? section.offset + t.value : null,
        };
      });
      expect(
        ours.map((s) => ({ name: s.name, section: s.section, value: s.value, type: kind(s.type), bind: s.bind, offset: s.offset })),
        b.name,
      ).toEqual(expected);
      const check = ours.find((s) => s.name === (b.underscore ? '_check' : 'check'))!;
      expect([check.type, check.bind]).toEqual(['func', 'global']);
      const helper = ours.find((s) => s.name === (b.underscore ? '_helper' : 'helper'))!;
      expect([helper.type, helper.bind]).toEqual(['func', 'local']);
    }
  });

  it('exports_names_and_addresses_match_objdump_p', () => {
    for (const b of builds) {
      const theirs = objdumpExports(b.objdump.p);
      expect([...theirs.keys()].sort(), b.name).toEqual(HAVE_CLANG ? ['_Z5plaini', 'exported_data', 'exported_fn'] : ['exported_data', 'exported_fn']);
      const ours = b.image.symbols().filter((s) => s.table === 'export');
      expect(new Map(ours.map((s) => [s.name, s.value - b.image.imageBase!])), b.name).toEqual(theirs);
      expect(ours.find((s) => s.name === 'exported_fn')!.type).toBe('func');
      expect(ours.find((s) => s.name === 'exported_data')!.type).toBe('object');
    }
  });

  it('sym_sec_va_and_rva_resolve_to_the_offsets_objdump_numbers_give', () => {
    for (const b of builds) {
      const imageBase = b.image.imageBase!;
      for (const name of ['check', 'helper', 'counter', 'greeting']) {
        const { section, value } = whereObjdump(b, name);
        const offset = section.offset + value;
        const va = section.vma + value;
        // No sizes in PE: the range runs to the next symbol of the section or its end, never past it.
        const whole = resolve(b, `sym:${name}`);
        expect(whole.offset, `${b.name} ${name}`).toBe(offset);
        expect(whole.length! > 0n && offset + whole.length! <= section.offset + section.size, `${b.name} ${name} length ${whole.length}`).toBe(true);
        expect(resolve(b, `sym:${name}+3`).offset).toBe(offset + 3n);
        expect(resolve(b, `va:0x${va.toString(16)}`)).toEqual({ offset, length: null });
        expect(resolve(b, `rva:0x${(va - imageBase).toString(16)}+1`)).toEqual({ offset: offset + 1n, length: null });
      }
      // The exported function is in the COFF table and in the exports: one place, one answer.
      const fn = whereObjdump(b, 'exported_fn');
      expect(resolve(b, 'sym:exported_fn').offset).toBe(fn.section.offset + fn.value);
      // The bytes there are the string's.
      const g = resolve(b, 'sym:greeting').offset;
      expect(b.bytes.subarray(Number(g), Number(g) + 10).toString('latin1')).toBe('hello, pe\0');
      const data = objdumpSections(b.objdump.h).find((s) => s.name === '.data')!;
      expect(resolve(b, 'sec:.data')).toEqual({ offset: data.offset, length: data.size });
      expect(resolve(b, 'sec:.data+0x10')).toEqual({ offset: data.offset + 0x10n, length: null });
    }
  });

  it('bss_symbols_and_addresses_have_no_bytes_and_say_so', () => {
    for (const b of builds) {
      const zeroed = whereObjdump(b, 'zeroed');
      expect(zeroed.section.name).toBe('.bss');
      expect(() => resolve(b, 'sym:zeroed')).toThrow(ExeFormatError);
      expect(() => resolve(b, 'sym:zeroed')).toThrow(/has no bytes in the file/);
      expect(() => resolve(b, `va:0x${(zeroed.section.vma + zeroed.value).toString(16)}`)).toThrow(/no bytes in the file/);
      expect(() => resolve(b, 'sec:.bss')).toThrow(/no bytes in the file/);
      expect(() => resolve(b, 'va:0x10')).toThrow(/in no section/);
      expect(() => resolve(b, 'sym:no_such_symbol')).toThrow(/no defined symbol/);
    }
  });

  it('a_stripped_dll_with_a_debuglink_section_has_its_exports_and_sections', () => {
    const d = debuglink!;
    const image = openImage(bufferSource(d.bytes), 'debuglink.dll');
    const theirs = objdumpSections(d.objdump);
    expect(theirs.at(-1)!.name).toBe('.gnu_debuglink');
    expect(
      image.sections.map((s) => ({ index: s.index, name: s.name, size: s.fileSize > 0n ? s.fileSize : s.memSize, vma: s.addr, offset: s.offset })),
    ).toEqual(theirs);
    expect(image.symbols().every((s) => s.table === 'export')).toBe(true);
    expect(new Map(image.symbols().map((s) => [s.name, s.value - image.imageBase!]))).toEqual(objdumpExports(d.objdump));
    const t64 = builds.find((b) => b.name === 't64.dll')!;
    // Stripping keeps .text where it was: the export resolves to the same bytes.
    const at = resolveAddress(image, parseAddress('sym:exported_fn')).offset;
    const was = resolve(t64, 'sym:exported_fn').offset;
    expect(Buffer.compare(d.bytes.subarray(Number(at), Number(at) + 16), t64.bytes.subarray(Number(was), Number(was) + 16))).toBe(0);
  });

  it.skipIf(!HAVE_CLANG || !HAVE_CXXFILT)('cxx_names_are_demangled_without_the_i686_underscore_as_cxxfilt_prints_them', () => {
    if (demangle('_Z5plaini') === undefined) {
      console.warn('NOTICE: demangle() is still the placeholder here; the demangled C++ names of PE symbols are not compared');
      for (const b of builds) expect(b.image.symbols().filter((s) => s.demangled !== undefined)).toEqual([]);
      return;
    }
    for (const b of builds) {
      const cxx = b.image.symbols().filter((s) => /^_{1,2}Z/.test(s.name) && s.section !== null);
      expect(cxx.length, b.name).toBeGreaterThanOrEqual(3);
      // c++filt -_ strips the i686 underscore of COFF names; export names have none.
      const filt = (args: string[], names: string[]) =>
        spawnSync('c++filt', args, { input: names.join('\n') })
          .stdout.toString()
          .trim()
          .split('\n');
      const stripped = (s: (typeof cxx)[number]) => b.underscore && s.table === 'coff';
      const withUnderscore = filt(
        ['-_'],
        cxx.filter(stripped).map((s) => s.name),
      );
      const plain = filt(
        [],
        cxx.filter((s) => !stripped(s)).map((s) => s.name),
      );
      const expected = cxx.map((s) => (stripped(s) ? withUnderscore.shift() : plain.shift()));
      expect(
        cxx.map((s) => s.demangled),
        b.name,
      ).toEqual(expected);
      expect(resolve(b, 'sym:plain').offset).toBe(resolve(b, `sym:${b.underscore ? '__Z5plaini' : '_Z5plaini'}`).offset);
    }
  });
});

describe('PE images written field by field (no compiler needed)', () => {
  for (const bits of [64, 32] as const) {
    it(`pe${bits === 64 ? '32+' : '32'}_sections_long_names_padded_raw_data_coff_symbols_and_exports`, () => {
      const b = buildPe(bits);
      const image = openImage(bufferSource(b.bytes), 'built.dll');
      expect([image.kind, image.bits, image.imageBase, image.entry, image.machine]).toEqual([
        'dll',
        bits,
        b.imageBase,
        b.entry,
        bits === 64 ? 'x86-64' : 'i386',
      ]);
      // .data's raw data is padded (0x200) past its VirtualSize (0x180): only 0x180 bytes are the section's.
      expect(image.sections.map((s) => ({ name: s.name, type: s.type, offset: s.offset, fileSize: s.fileSize, addr: s.addr, memSize: s.memSize }))).toEqual(
        b.sections,
      );
      expect(image.symbols().map((s) => ({ name: s.name, value: s.value, bind: s.bind, section: s.section, offset: s.offset }))).toEqual(b.symbols);
      expect(image.symbols().map((s) => `${s.table}:${s.type}`)).toEqual([
        'coff:file',
        'coff:section',
        'coff:func',
        'coff:func',
        'coff:notype',
        'coff:notype',
        'coff:notype',
        'coff:notype',
        'export:func',
        'export:object',
      ]);
      // The same function in the COFF table and the exports is one answer.
      // PE stores no symbol sizes: sym:check as a range runs to the next symbol of .text (helper, at +0x30).
      expect(resolveAddress(image, parseAddress('sym:check'))).toEqual({ offset: 0x410n, length: 0x20n });
      expect(resolveAddress(image, parseAddress(`rva:0x1010`))).toEqual({ offset: 0x410n, length: null });
      expect(() => resolveAddress(image, parseAddress('va:0x10'))).toThrow(/in no section/);
      expect(() => resolveAddress(image, parseAddress(`va:0x${(b.imageBase + 0x2180n).toString(16)}`))).toThrow(/in no section/);
      expect(() => resolveAddress(image, parseAddress('sym:absval'))).toThrow(/no defined symbol/);
    });
  }
});
