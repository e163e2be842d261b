// info --sections/--segments/--symbols, hexdump --annotate and find --addr through the built CLI,
// on an ELF compiled here with gcc and compared with what readelf, nm and hexdump say of it.
// Compiled once (beforeAll); each spawn of mmapx checks many things.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dump, imageInfo, InputError } from '../../src/edit/index.js';
import { forge } from '../format/elf-forge.js';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, expectSuccess, fingerprint, mmapx, PINNED_ENV } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const TOOLS = ['gcc', 'readelf', 'nm', 'hexdump'].filter((t) => !has(t));
if (TOOLS.length > 0) console.warn(`NOTICE: ${TOOLS.join(', ')} not installed: the executable inspection tests are skipped`);

const dir = tmpDir();
const exe = join(dir, 'prog');
const text = join(dir, 'notes.txt');

const SOURCE = `
#include <stdio.h>
const char marker[] = "INSPECT-MARKER-1234";
const char zeros[4096] = { 0 };
int counter = 5;
static char scratch[8192];
int check(int x) { return x > 3 ? 1 : 0; }
int check_twice(int x) { return check(x) + check(x + 1); }
int main(int argc, char **argv) {
  scratch[argc] = (char)argc;
  printf("%s %d %d\\n", marker, check_twice(argc) + counter, zeros[argc] + scratch[1]);
  return 0;
}
`;

function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { env: PINNED_ENV, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

interface PeerSection {
  index: number;
  name: string;
  type: string;
  addr: bigint;
  offset: bigint;
  size: bigint;
}

/** readelf -SW: index, name, type, address, offset, size (index 0, the null section, has no name to split on). */
function readelfSections(path: string): PeerSection[] {
  const out: PeerSection[] = [];
  for (const line of tool('readelf', ['-SW', path]).split('\n')) {
    const m = /^\s*\[\s*(\d+)\]\s+(\S+)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s/.exec(line);
    if (!m || m[1] === '0') continue;
    out.push({ index: Number(m[1]), name: m[2]!, type: m[3]!, addr: BigInt(`0x${m[4]}`), offset: BigInt(`0x${m[5]}`), size: BigInt(`0x${m[6]}`) });
  }
  return out;
}

/** readelf -lW program headers: type, offset, vaddr, filesz, memsz, in order. */
function readelfSegments(path: string): { type: string; offset: bigint; va: bigint; fileSize: bigint; memSize: bigint }[] {
  const out = [];
  for (const line of tool('readelf', ['-lW', path]).split('\n')) {
    const m = /^\s+([A-Z_]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s/.exec(line);
    if (!m) continue;
    out.push({ type: m[1]!, offset: BigInt(`0x${m[2]}`), va: BigInt(`0x${m[3]}`), fileSize: BigInt(`0x${m[4]}`), memSize: BigInt(`0x${m[5]}`) });
  }
  return out;
}

/** nm: name -> value of the symbols of .symtab that have one (not U/w), and every name listed. */
function nmSymbols(path: string): { values: Map<string, bigint>; names: string[] } {
  const values = new Map<string, bigint>();
  const names: string[] = [];
  for (const line of tool('nm', [path]).trimEnd().split('\n')) {
    const m = /^([0-9a-f]+)?\s+(\S)\s+(.+)$/.exec(line);
    if (!m) continue;
    names.push(m[3]!);
    if (m[1] !== undefined) values.set(m[3]!, BigInt(`0x${m[1]}`));
  }
  return { values, names };
}

/** readelf -sW of .symtab: name -> size. */
function readelfSizes(path: string): Map<string, bigint> {
  const sizes = new Map<string, bigint>();
  let inSymtab = false;
  for (const line of tool('readelf', ['-sW', path]).split('\n')) {
    if (line.startsWith('Symbol table')) inSymtab = line.includes("'.symtab'");
    const m = /^\s+\d+:\s+[0-9a-f]+\s+(\d+|0x[0-9a-f]+)\s+\S+\s+\S+\s+\S+\s+\S+\s+(.+)$/.exec(line);
    if (inSymtab && m) sizes.set(m[2]!, BigInt(m[1]!));
  }
  return sizes;
}

interface JsonSection {
  index: number;
  name: string;
  type: string;
  offset: number;
  va: number;
  fileSize: number;
  memSize: number;
  flags: string[];
}
interface JsonSymbol {
  name: string;
  demangled: string | null;
  value: number;
  offset: number | null;
  size: number;
  type: string;
  bind: string;
  section: number | null;
  sectionName: string | null;
  table: string;
}

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

describe.skipIf(TOOLS.length > 0)('executables: info, hexdump --annotate, find --addr', () => {
  let sections: PeerSection[];
  beforeAll(() => {
    requireBuild();
    const src = join(dir, 'prog.c');
    writeFileSync(src, SOURCE);
    tool('gcc', ['-O1', '-o', exe, src]);
    writeFileSync(text, 'not an executable\n');
    sections = readelfSections(exe);
  });

  it('info --json --sections --segments --symbols: the values of readelf and nm', () => {
    const r = mmapx(['--json', 'info', exe, '--sections', '--segments', '--symbols']);
    expectSuccess(r);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ command: 'info', ok: true, file: exe, format: 'elf', bits: 64, endian: 'little' });
    // Sections: every one readelf lists, at its index, with its offset, address and size.
    const ours = j.sections as JsonSection[];
    expect(ours.length).toBe(sections.length + 1);
    expect(ours[0]).toMatchObject({ index: 0, name: '', type: 'null' });
    for (const p of sections) {
      const s = ours[p.index]!;
      expect(s.name, p.name).toBe(p.name);
      expect(s.type, p.name).toBe(p.type.toLowerCase());
      expect(BigInt(s.offset), p.name).toBe(p.offset);
      expect(BigInt(s.va), p.name).toBe(p.addr);
      expect(BigInt(s.memSize), p.name).toBe(p.size);
      expect(BigInt(s.fileSize), p.name).toBe(p.type === 'NOBITS' ? 0n : p.size);
    }
    expect(ours.find((s) => s.name === '.text')!.flags).toEqual(expect.arrayContaining(['alloc', 'exec']));
    // Segments: readelf's program headers, in order.
    const segs = readelfSegments(exe);
    expect(segs.length).toBeGreaterThan(2);
    expect(j.segments).toHaveLength(segs.length);
    for (const [i, p] of segs.entries()) {
      const s = j.segments[i];
      expect(s.name, `segment ${i}`).toBe(p.type.toLowerCase());
      expect([BigInt(s.offset), BigInt(s.va), BigInt(s.fileSize), BigInt(s.memSize)], `segment ${i}`).toEqual([p.offset, p.va, p.fileSize, p.memSize]);
    }
    // Symbols: nm lists the names of .symtab (less file and section symbols) with their values; readelf their sizes.
    const symbols = j.symbols as JsonSymbol[];
    expect(j.symbolCount).toBe(symbols.length);
    const symtab = symbols.filter((s) => s.table === 'symtab' && s.type !== 'file' && s.type !== 'section' && s.name !== '');
    const nm = nmSymbols(exe);
    expect(symtab.map((s) => s.name).sort()).toEqual([...nm.names].sort());
    const sizes = readelfSizes(exe);
    for (const s of symtab) {
      if (nm.values.has(s.name) && s.section !== null) expect(BigInt(s.value), s.name).toBe(nm.values.get(s.name));
      if (sizes.has(s.name)) expect(BigInt(s.size), s.name).toBe(sizes.get(s.name));
    }
    // A function: its section by name, its file offset from its section's.
    const check = symtab.find((s) => s.name === 'check')!;
    const textSec = ours.find((s) => s.name === '.text')!;
    expect(check).toMatchObject({ type: 'func', bind: 'global', sectionName: '.text', section: textSec.index, demangled: null });
    expect(check.offset).toBe(textSec.offset + (check.value - textSec.va));
    // .bss bytes are not in the file.
    expect(symbols.find((s) => s.name === 'scratch')).toMatchObject({ offset: null, sectionName: '.bss', size: 8192 });
  });

  it('info text: aligned columns of the same values; --filter by glob', () => {
    const r = mmapx(['info', exe, '--sections', '--segments', '--symbols']);
    expectSuccess(r);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${exe.replace(/[/.]/g, '\\$&')}: elf64-x86-64 \\((dyn|exec)`));
    const head = lines.indexOf(`sections (${sections.length + 1}):`);
    expect(head).toBeGreaterThan(0);
    expect(lines[head + 1]!.trim().split(/\s+/)).toEqual(['index', 'name', 'type', 'offset', 'va', 'filesize', 'memsize', 'flags']);
    for (const p of sections) {
      const row = lines[head + 2 + p.index]!.trim().split(/\s+/);
      expect(row.slice(0, 5), p.name).toEqual([`[${p.index}]`, p.name, p.type.toLowerCase(), hex(p.offset), hex(p.addr)]);
      expect(row[6], p.name).toBe(hex(p.size));
    }
    // Columns line up: every row of the section table has its type at the same place.
    const typeAt = lines[head + 1]!.indexOf('type');
    for (let i = head + 2; i < head + 2 + sections.length + 1; i++) expect(lines[i]![typeAt - 1], lines[i]).toBe(' ');
    expect(lines).toContain(`segments (${readelfSegments(exe).length}):`);
    const sym = lines
      .find((l) => / check$/.test(l))!
      .trim()
      .split(/\s+/);
    const nm = nmSymbols(exe);
    expect(sym[0]).toBe(hex(nm.values.get('check')!));
    expect(sym.slice(2)).toEqual([String(readelfSizes(exe).get('check')), 'func', 'global', '.text', 'check']);
    expect(
      lines
        .find((l) => / scratch$/.test(l))!
        .trim()
        .split(/\s+/)[1],
    ).toBe('-');

    // --filter: * ? [...] over the whole name; the title counts both.
    const f = mmapx(['info', exe, '--symbols', '--filter', 'check*']);
    expectSuccess(f);
    const names = f.stdout
      .trimEnd()
      .split('\n')
      .slice(3)
      .map((l) => l.trim().split(/\s+/).at(-1));
    expect(names.sort()).toEqual(['check', 'check_twice']);
    expect(f.stdout.split('\n')[1]).toMatch(/^symbols \(2 of \d+ matching "check\*"\):$/);
    const j = JSON.parse(mmapx(['--json', 'info', exe, '--symbols', '--filter', '[cm]?[ai]n']).stdout);
    expect(j.symbols.map((s: JsonSymbol) => s.name)).toEqual(['main']);
    expect(j.filter).toBe('[cm]?[ai]n');
    const none = JSON.parse(mmapx(['--json', 'info', exe, '--symbols', '--filter', 'check?']).stdout);
    expect(none.symbols).toEqual([]);
  });

  it('hexdump --annotate: a header before the line of each section start; the dump lines unchanged', () => {
    const plain = mmapx(['hexdump', exe, '-v']);
    const annotated = mmapx(['hexdump', exe, '-v', '--annotate']);
    expectSuccess(plain);
    expectSuccess(annotated);
    // Without --annotate: hexdump -C, byte for byte.
    expect(mmapx(['hexdump', exe]).stdoutBytes.equals(spawnSync('hexdump', ['-C', exe]).stdout)).toBe(true);
    const lines = annotated.stdout.split('\n');
    expect(lines.filter((l) => !l.startsWith('-- ')).join('\n')).toBe(plain.stdout);
    // One header per section with bytes in the file, in file order, before the line holding its first byte.
    const withBytes = sections.filter((s) => s.type !== 'NOBITS' && s.size > 0n).sort((a, b) => (a.offset < b.offset ? -1 : 1));
    const headers = lines.flatMap((l, i) => (l.startsWith('-- ') ? [i] : []));
    expect(headers).toHaveLength(withBytes.length);
    for (const [k, s] of withBytes.entries()) {
      const i = headers[k]!;
      const shown = s.addr !== 0n ? `-- ${s.name} (VA ${hex(s.addr)}) --` : `-- ${s.name} --`;
      expect(lines[i]).toBe(shown);
      // The next dump line (after any other header of the same line) holds the section's first byte.
      let next = i + 1;
      while (lines[next]!.startsWith('-- ')) next++;
      expect(BigInt(`0x${lines[next]!.slice(0, 8)}`), s.name).toBe(s.offset - (s.offset % 16n));
    }

    // A range that starts inside .text: its header first; xxd lines; squeezing ends at a header.
    const text = sections.find((s) => s.name === '.text')!;
    const x = mmapx(['hexdump', exe, '-f', 'xxd', '--annotate', '-s', String(text.offset + 20n), '-n', '64']);
    expectSuccess(x);
    expect(x.stdout.split('\n')[0]).toBe(`-- .text (VA ${hex(text.addr)}) --`);
    expect(x.stdout.split('\n')[1]).toMatch(new RegExp(`^0*${(text.offset + 20n).toString(16)}: `));
    // The zeros of .rodata squeeze to *, and the line after a header is printed even when it repeats.
    const squeezed = mmapx(['hexdump', exe, '--annotate']).stdout.split('\n');
    for (const [i, l] of squeezed.entries()) if (l.startsWith('-- ')) expect(squeezed[i + 1], `after ${l}`).not.toBe('*');
  });

  it('find --addr: SECTION+OFF and VA of each match; outside sections the offset only', () => {
    const bytes = readFileSync(exe);
    const at = BigInt(bytes.indexOf('INSPECT-MARKER-1234'));
    const rodata = sections.find((s) => s.name === '.rodata')!;
    expect(at >= rodata.offset && at < rodata.offset + rodata.size).toBe(true);
    const inside = at - rodata.offset;
    const r = mmapx(['find', exe, '--text', 'INSPECT-MARKER', '--addr']);
    expectSuccess(r);
    expect(r.stdout).toBe(`${hex(at)} sec:.rodata+${hex(inside)} va:${hex(rodata.addr + inside)}\n`);
    const j = JSON.parse(mmapx(['--json', 'find', exe, '--text', 'INSPECT-MARKER', '--addr']).stdout);
    expect(j.matches).toEqual([Number(at)]);
    expect(j.addresses).toEqual([{ offset: Number(at), section: '.rodata', sectionOffset: Number(inside), va: Number(rodata.addr + inside) }]);
    // The ELF magic is in no section (the header): offset only.
    expect(mmapx(['find', exe, '7f454c46', '--addr']).stdout).toBe('0x0\n');
    const several = mmapx(['find', exe, exe, '--text', 'INSPECT-MARKER', '--addr']);
    expect(several.stdout).toBe(`${exe}:${hex(at)} sec:.rodata+${hex(inside)} va:${hex(rodata.addr + inside)}\n`.repeat(2));
  });

  it('C++ names: listed as stored (what sym: takes), demangled with -C/--demangle; --filter matches either; --json has both', () => {
    const cxx = join(dir, 'cxx.elf');
    writeFileSync(cxx, forge(64, true, ['_ZN2ns5checkEi', 'plain']).bytes);
    const nameColumn = (out: string): string[] =>
      out
        .trimEnd()
        .split('\n')
        .slice(3)
        .map((l) => l.trim().split(/\s+/).slice(6).join(' '));
    const raw = mmapx(['info', cxx, '--symbols']);
    expectSuccess(raw);
    expect(nameColumn(raw.stdout)).toEqual(['_ZN2ns5checkEi', 'plain']);
    for (const flag of ['-C', '--demangle']) {
      const pretty = mmapx(['info', cxx, '--symbols', flag]);
      expectSuccess(pretty);
      expect(nameColumn(pretty.stdout)).toEqual(['ns::check(int)', 'plain']);
    }
    const filtered = mmapx(['info', cxx, '--symbols', '--filter', 'ns::*']);
    expect(nameColumn(filtered.stdout)).toEqual(['_ZN2ns5checkEi']);
    const j = JSON.parse(mmapx(['--json', 'info', cxx, '--symbols']).stdout);
    expect(j.symbols.map((s: JsonSymbol) => [s.name, s.demangled])).toEqual([
      ['_ZN2ns5checkEi', 'ns::check(int)'],
      ['plain', null],
    ]);
  });

  it('errors: not an executable, options that do not combine (exit 2, one line, files unchanged)', () => {
    const before = fingerprint(text);
    const notExe = /^mmapx: (info|hexdump|find): .*notes\.txt: .*is not an ELF, PE or Mach-O file/;
    expectFailure(mmapx(['info', text, '--sections']), 2, notExe);
    expectFailure(mmapx(['hexdump', text, '--annotate']), 2, notExe);
    expectFailure(mmapx(['find', text, '--text', 'not', '--addr']), 2, notExe);
    const j = mmapx(['--json', 'info', text, '--segments']);
    expect(j.status).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({ command: 'info', ok: false, exitCode: 2 });
    expectFailure(mmapx(['info', exe, '--filter', 'x*']), 2, /--filter selects symbols: give --symbols with it/);
    expectFailure(mmapx(['info', exe, '--sections', '-C']), 2, /--demangle shows the names of symbols: give --symbols with it/);
    expectFailure(mmapx(['hexdump', exe, '--annotate', '-f', 'c']), 2, /--annotate applies to --format canonical, xxd, od/);
    expectFailure(mmapx(['find', exe, '00', '--addr', '--count']), 2, /--addr .* --count/);
    expect(fingerprint(text)).toBe(before);
  });

  it('library: imageInfo lists what is asked; dump with annotate is what the CLI prints', async () => {
    const info = await imageInfo(exe, { sections: true });
    expect(info.format).toBe('elf');
    expect(info.sections).toHaveLength(sections.length + 1);
    expect(info.segments).toBeUndefined();
    expect(info.symbols).toBeUndefined();
    const withSymbols = await imageInfo(exe, { symbols: true, filter: 'check*' });
    expect(withSymbols.symbols!.map((s) => [s.name, withSymbols.sectionName(s)]).sort()).toEqual([
      ['check', '.text'],
      ['check_twice', '.text'],
    ]);
    await expect(imageInfo(text)).rejects.toThrow(InputError);
    let dumped = '';
    for await (const chunk of dump(exe, 'xxd', { annotate: true, offset: 0x100, length: 0x2000 })) dumped += chunk;
    expect(dumped).toBe(mmapx(['hexdump', exe, '-f', 'xxd', '--annotate', '-s', '0x100', '-n', '0x2000']).stdout);
    expect(dumped).toContain('-- .text (VA ');
    const failing = async (): Promise<void> => {
      for await (const _ of dump(text, 'canonical', { annotate: true }));
    };
    await expect(failing()).rejects.toThrow(/is not an ELF, PE or Mach-O file/);
  });

  it('--sections and --segments read no symbol table: a broken one fails only --symbols', () => {
    // sh_entsize of .symtab set to 1: the table is malformed, the section headers are not.
    const broken = join(dir, 'broken-symtab');
    copyFileSync(exe, broken);
    const b = readFileSync(broken);
    const shoff = Number(b.readBigUInt64LE(0x28));
    const symtab = sections.find((s) => s.name === '.symtab')!;
    b.writeBigUInt64LE(1n, shoff + symtab.index * 64 + 56);
    writeFileSync(broken, b);
    const before = fingerprint(broken);
    const ok = mmapx(['--json', 'info', broken, '--sections', '--segments']);
    expectSuccess(ok);
    expect(JSON.parse(ok.stdout).sections).toHaveLength(sections.length + 1);
    expectFailure(mmapx(['info', broken, '--symbols']), 2, /sh_entsize 1/);
    expect(fingerprint(broken)).toBe(before);
  });
});
