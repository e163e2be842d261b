// The ELF parser against binutils: a small C program compiled here (native PIE, object and shared
// object; aarch64, i686 and big-endian powerpc with the cross compilers) and every header,
// section, segment and symbol compared with what readelf, objdump -dF and nm say of the same file.
// One readelf, objdump and nm run per file; our parser runs in-process.
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAddress, resolveAddress } from '../../src/format/exe/address.js';
import { demangle } from '../../src/format/exe/demangle.js';
import { parseElf } from '../../src/format/exe/elf.js';
import { bufferSource, type ByteSource, type ExeImage, ExeFormatError, type ExeSymbol, openImage } from '../../src/format/exe/index.js';
import { tmpDir } from '../helpers/tmp.js';
import { forge, textOffset } from './elf-forge.js';

// The parser's demangle() is the real one unless a test puts a stand-in here (to see the parser
// use whatever it answers, independently of the demangler's own state).
const standIn = vi.hoisted(() => ({ demangle: undefined as ((name: string) => string | undefined) | undefined }));
vi.mock('../../src/format/exe/demangle.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/format/exe/demangle.js')>();
  return { ...real, demangle: (name: string) => (standIn.demangle ?? real.demangle)(name) };
});
afterEach(() => {
  standIn.demangle = undefined;
});

const run = promisify(execFile);
const have = (tool: string) => !spawnSync(tool, ['--version'], { stdio: 'ignore' }).error;

const HAVE_BINUTILS = have('readelf') && have('objdump') && have('nm');
if (!HAVE_BINUTILS) console.warn('NOTICE: binutils (readelf, objdump, nm) not installed; the ELF comparisons are SKIPPED');

const PROGRAM = `
int counter = 42;
static int table[256];
static __attribute__((noinline)) int helper(int x) { return x * 3 + counter + table[x & 255]; }
int check(int v) {
  if (v == 1234) return helper(v);
  table[v & 255] = v;
  return 0;
}
#ifdef NOLIBC
void _start(void) { for (;;) check(counter); }
#else
int main(int argc, char **argv) { (void)argv; return check(argc); }
#endif
`;

interface Target {
  /** File name of the build. */
  name: string;
  cc: string;
  args: string[];
  bits: 32 | 64;
  endian: 'little' | 'big';
  kind: 'exec' | 'dyn' | 'rel';
}

const CROSS_EXEC = ['-O1', '-DNOLIBC', '-nostdlib', '-static'];
const TARGETS: Target[] = [
  { name: 'native-pie', cc: 'gcc', args: ['-O1', '-fPIE', '-pie'], bits: 64, endian: 'little', kind: 'dyn' },
  { name: 'native.o', cc: 'gcc', args: ['-O1', '-c'], bits: 64, endian: 'little', kind: 'rel' },
  { name: 'native.so', cc: 'gcc', args: ['-O1', '-shared', '-fPIC'], bits: 64, endian: 'little', kind: 'dyn' },
  { name: 'aarch64', cc: 'aarch64-linux-gnu-gcc', args: CROSS_EXEC, bits: 64, endian: 'little', kind: 'exec' },
  { name: 'aarch64.o', cc: 'aarch64-linux-gnu-gcc', args: ['-O1', '-c'], bits: 64, endian: 'little', kind: 'rel' },
  { name: 'i686', cc: 'i686-linux-gnu-gcc', args: CROSS_EXEC, bits: 32, endian: 'little', kind: 'exec' },
  { name: 'i686.o', cc: 'i686-linux-gnu-gcc', args: ['-O1', '-c'], bits: 32, endian: 'little', kind: 'rel' },
  { name: 'powerpc', cc: 'powerpc-linux-gnu-gcc', args: CROSS_EXEC, bits: 32, endian: 'big', kind: 'exec' },
  { name: 'powerpc.o', cc: 'powerpc-linux-gnu-gcc', args: ['-O1', '-c'], bits: 32, endian: 'big', kind: 'rel' },
];
// Native gcc builds 64-bit little-endian files only on x86-64 and aarch64 hosts.
const NATIVE_64LE = process.arch === 'x64' || process.arch === 'arm64';
const HAVE_CC = new Map(
  [...new Set(TARGETS.map((t) => t.cc))].map((cc) => [cc, have(cc) && have(`${cc.replace(/gcc$/, '')}objdump`) && (cc !== 'gcc' || NATIVE_64LE)]),
);
for (const [cc, ok] of HAVE_CC) if (!ok) console.warn(`NOTICE: ${cc} (or its objdump) not usable here; the ELF comparisons of its builds are SKIPPED`);
const BUILT = TARGETS.filter((t) => HAVE_BINUTILS && HAVE_CC.get(t.cc));

/** readelf's machine names (the "Machine:" line of -h) and ours. */
const MACHINE_OF: Record<string, string> = {
  'Advanced Micro Devices X86-64': 'x86-64',
  AArch64: 'aarch64',
  'Intel 80386': 'i386',
  PowerPC: 'powerpc',
};

/** readelf's section flag letters and our words. */
const FLAG_WORD: Record<string, string> = {
  W: 'write',
  A: 'alloc',
  X: 'exec',
  M: 'merge',
  S: 'strings',
  I: 'info_link',
  L: 'link_order',
  O: 'os_nonconforming',
  G: 'group',
  T: 'tls',
  C: 'compressed',
  R: 'retain',
  E: 'exclude',
};

interface PeerSection {
  index: number;
  name: string;
  type: string;
  addr: bigint;
  offset: bigint;
  size: bigint;
  flags: string;
}
interface PeerSegment {
  type: string;
  offset: bigint;
  vaddr: bigint;
  fileSize: bigint;
  memSize: bigint;
  flags: string;
}
interface PeerSymbol {
  index: number;
  value: bigint;
  size: bigint;
  type: string;
  bind: string;
  ndx: string;
  name: string;
}
interface Peer {
  header: Record<string, string>;
  sections: PeerSection[];
  segments: PeerSegment[];
  /** By table: `symtab`, `dynsym`. */
  symbols: Map<string, PeerSymbol[]>;
  /** Function name -> file offset and first bytes, from `objdump -dF`. */
  functions: Map<string, { offset: bigint; bytes: number[] }>;
  /** `nm -S --defined-only` lines. */
  nm: { value: bigint; size: bigint | null; letter: string; name: string }[];
}

const num = (hexDigits: string) => BigInt(`0x${hexDigits}`);

/** Parses `readelf -W -h -S -l -s`. */
function parseReadelf(text: string): Omit<Peer, 'functions' | 'nm'> {
  const header: Record<string, string> = {};
  const sections: PeerSection[] = [];
  const segments: PeerSegment[] = [];
  const symbols = new Map<string, PeerSymbol[]>();
  let part = '';
  let table: PeerSymbol[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('ELF Header:')) part = 'header';
    else if (line.startsWith('Section Headers:')) part = 'sections';
    else if (line.startsWith('Program Headers:')) part = 'segments';
    else if (line.startsWith(' Section to Segment mapping:')) part = '';
    else if (line.startsWith('Symbol table ')) {
      part = 'symbols';
      table = [];
      symbols.set(/'\.dynsym'/.test(line) ? 'dynsym' : 'symtab', table);
    } else if (part === 'header') {
      const m = /^\s+([^:]+):\s+(.*)$/.exec(line);
      if (m) header[m[1]!] = m[2]!;
    } else if (part === 'sections') {
      const m = /^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+([A-Za-z]*)\s+\d+\s+\d+\s+\d+$/.exec(line);
      if (m) sections.push({ index: Number(m[1]), name: m[2]!, type: m[3]!, addr: num(m[4]!), offset: num(m[5]!), size: num(m[6]!), flags: m[7]! });
    } else if (part === 'segments') {
      const m = /^\s+(\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+([RWE ]+?)\s+0x[0-9a-f]+$/.exec(line);
      if (m) segments.push({ type: m[1]!, offset: num(m[2]!), vaddr: num(m[3]!), fileSize: num(m[4]!), memSize: num(m[5]!), flags: m[6]! });
    } else if (part === 'symbols') {
      const m = /^\s*(\d+):\s+([0-9a-f]+)\s+(\S+)\s+(\S+)\s+(\S+)\s+\S+\s+(\S+)\s?(.*)$/.exec(line);
      if (m) {
        table.push({ index: Number(m[1]), value: num(m[2]!), size: BigInt(m[3]!), type: m[4]!, bind: m[5]!, ndx: m[6]!, name: m[7]! });
      }
    }
  }
  return { header, sections, segments, symbols };
}

/** `objdump -dF`: `0000000000001139 <check> (File Offset: 0x1139):` and the bytes of the next line. */
function parseObjdump(text: string): Peer['functions'] {
  const functions: Peer['functions'] = new Map();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^[0-9a-f]+ <([^>]+)> \(File Offset: 0x([0-9a-f]+)\):$/.exec(lines[i]!);
    if (!m) continue;
    const first = /^\s*[0-9a-f]+:\s+((?:[0-9a-f]{2} )+)/.exec(lines[i + 1] ?? '');
    functions.set(m[1]!, {
      offset: num(m[2]!),
      bytes: first
        ? first[1]!
            .trim()
            .split(' ')
            .map((b) => Number.parseInt(b, 16))
        : [],
    });
  }
  return functions;
}

function parseNm(text: string): Peer['nm'] {
  const out: Peer['nm'] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+) (?:([0-9a-f]+) )?(\S) (.+)$/.exec(line);
    if (m) out.push({ value: num(m[1]!), size: m[2] === undefined ? null : num(m[2]), letter: m[3]!, name: m[4]! });
  }
  return out;
}

interface Build {
  target: Target;
  path: string;
  bytes: Buffer;
  image: ExeImage;
  peer: Peer;
}

const dir = tmpDir('mmapx-elf-');
const builds = new Map<string, Build>();

beforeAll(async () => {
  if (BUILT.length === 0) return;
  writeFileSync(join(dir, 'prog.c'), PROGRAM);
  await Promise.all(
    BUILT.map(async (target) => {
      const path = join(dir, target.name);
      await run(target.cc, [...target.args, '-o', path, join(dir, 'prog.c')]);
      const [readelf, objdump, nm] = await Promise.all([
        run('readelf', ['-W', '-h', '-S', '-l', '-s', path], { maxBuffer: 1 << 26 }),
        // The host's objdump disassembles its own architecture only: the cross binutils do the others.
        run(`${target.cc.replace(/gcc$/, '')}objdump`, ['-dF', path], { maxBuffer: 1 << 26 }),
        run('nm', ['-S', '--defined-only', path], { maxBuffer: 1 << 26 }),
      ]);
      const bytes = readFileSync(path);
      builds.set(target.name, {
        target,
        path,
        bytes,
        image: parseElf(bufferSource(bytes)),
        peer: { ...parseReadelf(readelf.stdout), functions: parseObjdump(objdump.stdout), nm: parseNm(nm.stdout) },
      });
    }),
  );
}, 60_000);

function build(name: string): Build {
  const b = builds.get(name);
  if (b === undefined) throw new Error(`${name} was not built`);
  return b;
}

function ours(image: ExeImage, table: string): ExeSymbol[] {
  return image.symbols().filter((s) => s.table === table);
}

/** Runs `fn`, which must throw an ExeFormatError; its message. */
function formatError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ExeFormatError);
    const message = (error as Error).message;
    expect(message).not.toMatch(/[\r\n]/);
    return message;
  }
  return expect.fail('expected an ExeFormatError');
}

for (const target of TARGETS) {
  describe.skipIf(!BUILT.includes(target))(`ELF ${target.name} (${target.cc} ${target.args.join(' ')}) against readelf, objdump, nm`, () => {
    it('header: class, data, machine, type, entry', () => {
      const { image, peer, bytes } = build(target.name);
      expect(image.format).toBe('elf');
      const opened = openImage(bufferSource(bytes), target.name);
      expect({ ...opened, symbols: null, symbolColumns: null }).toEqual({ ...image, symbols: null, symbolColumns: null });
      expect(opened.symbols()).toEqual(image.symbols());
      expect(image.bits).toBe(target.bits);
      expect(`ELF${image.bits}`).toBe(peer.header.Class);
      expect(image.endian).toBe(target.endian);
      expect(peer.header.Data).toContain(`${image.endian} endian`);
      expect(image.machine).toBe(MACHINE_OF[peer.header.Machine!]);
      expect(image.description).toBe(`elf${target.bits}-${image.machine}`);
      expect(image.kind).toBe(target.kind);
      expect(peer.header.Type!.split(' ')[0]!.toLowerCase()).toBe(image.kind);
      const entry = BigInt(peer.header['Entry point address']!);
      expect(image.entry).toBe(entry === 0n ? null : entry);
      expect(image.imageBase).toBeNull();
      expect(image.fileOffset).toBe(0n);
    });

    it('sections: names, types, offsets, sizes, addresses and flags as readelf -S', () => {
      const { image, peer } = build(target.name);
      expect(image.sections.length).toBe(Number(peer.header['Number of section headers']));
      expect(peer.sections.length).toBe(image.sections.length);
      for (const p of peer.sections) {
        const s = image.sections[p.index]!;
        const what = `section ${p.index} ${p.name}`;
        expect(s.index, what).toBe(p.index);
        expect(s.name, what).toBe(p.name);
        expect(s.type, what).toBe(p.type.toLowerCase());
        expect(s.offset, what).toBe(p.offset);
        expect(s.addr, what).toBe(p.addr);
        expect(s.memSize, what).toBe(p.size);
        expect(s.fileSize, what).toBe(p.type === 'NOBITS' ? 0n : p.size);
        expect([...s.flags].sort(), what).toEqual([...p.flags].map((l) => FLAG_WORD[l] ?? `unknown ${l}`).sort());
      }
      expect(image.sections.some((s) => s.name === '.bss' && s.type === 'nobits' && s.fileSize === 0n && s.memSize > 0n)).toBe(true);
    });

    it('segments: types, offsets, addresses, sizes and permissions as readelf -l', () => {
      const { image, peer } = build(target.name);
      expect(image.segments.length).toBe(peer.segments.length);
      if (target.kind !== 'rel') expect(image.segments.length).toBeGreaterThan(1);
      peer.segments.forEach((p, i) => {
        const s = image.segments[i]!;
        const what = `segment ${i} ${p.type}`;
        expect(s.index, what).toBe(i);
        expect(s.name, what).toBe(p.type.toLowerCase());
        expect(s.offset, what).toBe(p.offset);
        expect(s.addr, what).toBe(p.vaddr);
        expect(s.fileSize, what).toBe(p.fileSize);
        expect(s.memSize, what).toBe(p.memSize);
        expect(s.perms, what).toBe(`${p.flags.includes('R') ? 'r' : '-'}${p.flags.includes('W') ? 'w' : '-'}${p.flags.includes('E') ? 'x' : '-'}`);
      });
    });

    it('symbols: every entry of .symtab and .dynsym as readelf -s, with file offsets from the section table', () => {
      const { image, peer } = build(target.name);
      const tables = [...peer.symbols.keys()];
      expect(tables).toContain('symtab');
      expect(target.name !== 'native.so' || tables.includes('dynsym')).toBe(true);
      expect(image.symbols().length).toBe([...peer.symbols.values()].reduce((n, t) => n + t.length - 1, 0));
      for (const [table, entries] of peer.symbols) {
        const list = ours(image, table);
        expect(list.length, table).toBe(entries.length - 1);
        for (const p of entries.slice(1)) {
          const s = list[p.index - 1]!;
          const what = `${table}[${p.index}] ${p.name}`;
          if (s.type === 'section') expect(['', image.sections[Number(p.ndx)]?.name]).toContain(p.name);
          // readelf adds the symbol version to dynamic symbols: `puts@GLIBC_2.2.5 (2)`.
          else if (table === 'dynsym') expect(p.name === s.name || p.name.startsWith(`${s.name}@`), what).toBe(true);
          else expect(s.name, what).toBe(p.name);
          expect(s.value, what).toBe(p.value);
          expect(s.size, what).toBe(p.size);
          expect(s.type, what).toBe(p.type.toLowerCase());
          expect(s.bind, what).toBe(p.bind.toLowerCase());
          expect(s.table, what).toBe(table);
          const ndx = /^\d+$/.test(p.ndx) ? Number(p.ndx) : null;
          expect(s.section, what).toBe(ndx);
          // The file offset, from readelf's section table.
          const sec = ndx === null ? undefined : peer.sections[ndx];
          let expected: bigint | null = null;
          if (sec !== undefined && sec.type !== 'NOBITS') {
            const inside = target.kind === 'rel' ? p.value : p.value - sec.addr;
            if (inside >= 0n && inside + p.size <= sec.size) expected = sec.offset + inside;
          }
          expect(s.offset, what).toBe(expected);
        }
      }
      const check = ours(image, 'symtab').find((s) => s.name === 'check')!;
      expect(check).toMatchObject({ type: 'func', bind: 'global' });
      expect(check.offset).not.toBeNull();
      const table = ours(image, 'symtab').find((s) => s.name === 'table')!;
      expect(table).toMatchObject({ type: 'object', bind: 'local', offset: null });
    });

    it('functions: file offsets and first instruction bytes as objdump -dF', () => {
      const { image, peer, bytes } = build(target.name);
      const funcs = ours(image, 'symtab').filter((s) => s.type === 'func' && s.size > 0n);
      expect(funcs.map((s) => s.name)).toEqual(expect.arrayContaining(['check', 'helper']));
      let compared = 0;
      for (const s of funcs) {
        const p = peer.functions.get(s.name);
        if (p === undefined) continue;
        expect(s.offset, s.name).toBe(p.offset);
        expect([...bytes.subarray(Number(s.offset), Number(s.offset) + p.bytes.length)], s.name).toEqual(p.bytes);
        compared++;
      }
      expect(compared).toBeGreaterThanOrEqual(2);
    });

    it('symbols: every defined symbol of nm -S, with its kind of section', () => {
      const { image, peer } = build(target.name);
      const symtab = ours(image, 'symtab');
      expect(peer.nm.length).toBeGreaterThan(3);
      for (const n of peer.nm) {
        const hits = symtab.filter((s) => s.name === n.name && s.value === n.value && (n.size === null || s.size === n.size));
        // Several symbols may share a name and value (`$d` mapping symbols): one of them fits the letter.
        const fits = hits.filter((s) => {
          const sec = s.section === null ? undefined : image.sections[s.section];
          const lower = n.letter.toLowerCase();
          if ('tbdr'.includes(lower) && (s.bind === 'local') !== (n.letter === lower)) return false;
          if (lower === 't') return sec?.flags.includes('exec') === true;
          if (lower === 'b') return sec?.type === 'nobits';
          if (lower === 'd') return sec?.flags.includes('write') === true && sec.type !== 'nobits';
          if (lower === 'r') return sec?.flags.includes('write') === false;
          if (lower === 'w' || lower === 'v') return s.bind === 'weak';
          if (n.letter === 'A') return s.section === null;
          return true;
        });
        expect(fits.length, `nm ${n.letter} ${n.name} ${n.value}`).toBeGreaterThan(0);
      }
    });

    it('addresses: sym:, sec:, seg:, va: resolve to the places binutils report; .bss and missing names are errors', () => {
      const { image, peer, bytes } = build(target.name);
      const at = (token: string) => resolveAddress(image, parseAddress(token));
      const checkPeer = peer.functions.get('check')!;
      const checkSym = peer.symbols.get('symtab')!.find((s) => s.name === 'check')!;
      expect(at('sym:check')).toEqual({ offset: checkPeer.offset, length: checkSym.size });
      expect(at('sym:check+4')).toEqual({ offset: checkPeer.offset + 4n, length: null });
      expect(at('sym:check+0x2')).toEqual({ offset: checkPeer.offset + 2n, length: null });
      const text = peer.sections.find((s) => s.name === '.text')!;
      expect(at('sec:.text')).toEqual({ offset: text.offset, length: text.size });
      expect(at('sec:.text+8')).toEqual({ offset: text.offset + 8n, length: null });
      for (const [i, p] of peer.segments.entries()) expect(at(`seg:${i}`), `seg:${i}`).toEqual({ offset: p.offset, length: p.fileSize });
      expect(formatError(() => at(`seg:${peer.segments.length}`))).toContain(`has ${peer.segments.length} segments`);
      expect(formatError(() => at('sec:.bss'))).toContain('no bytes in the file');
      expect(formatError(() => at('sym:table'))).toContain('no bytes in the file');
      expect(formatError(() => at('sym:chec'))).toMatch(/no defined symbol chec .*did you mean: .*\bcheck\b/);
      expect(formatError(() => at('sec:.txt'))).toMatch(/no section \.txt .*\(sections: \.\S+, /);
      const va = (v: bigint) => `va:0x${v.toString(16)}`;
      if (target.kind === 'rel') {
        expect(formatError(() => at(va(checkSym.value)))).toContain('relocatable');
      } else {
        expect(at(va(checkSym.value))).toEqual({ offset: checkPeer.offset, length: null });
        expect(at(`${va(checkSym.value)}+3`)).toEqual({ offset: checkPeer.offset + 3n, length: null });
        const tableSym = peer.symbols.get('symtab')!.find((s) => s.name === 'table')!;
        expect(formatError(() => at(va(tableSym.value + 8n)))).toContain('no bytes in the file');
        expect(formatError(() => at('va:0xfffffff0'))).toContain('in no segment');
      }
      // The resolved bytes are the function's first instruction, as objdump shows it.
      const off = Number(at('sym:check').offset);
      expect([...bytes.subarray(off, off + checkPeer.bytes.length)]).toEqual(checkPeer.bytes);
    });
  });
}

describe.skipIf(!BUILT.some((t) => t.name === 'native.so'))('ELF details on real files', () => {
  it('a symbol in both .symtab and .dynsym is one place for sym:', () => {
    const { image } = build('native.so');
    expect(
      image
        .symbols()
        .filter((s) => s.name === 'check')
        .map((s) => s.table),
    ).toEqual(['symtab', 'dynsym']);
    const dyn = ours(image, 'dynsym').find((s) => s.name === 'check')!;
    expect(resolveAddress(image, parseAddress('sym:check'))).toEqual({ offset: dyn.offset, length: dyn.size });
  });

  it('reads only the headers at open, the symbol tables on the first symbols() call, and caches them', () => {
    const { bytes } = build('native.so');
    const reads: [bigint, number][] = [];
    const inner = bufferSource(bytes);
    const src: ByteSource = {
      size: inner.size,
      read: (offset, length) => {
        reads.push([offset, length]);
        return inner.read(offset, length);
      },
    };
    const image = parseElf(src);
    const symtab = image.sections.find((s) => s.type === 'symtab')!;
    const strtab = image.sections[image.sections.findIndex((s) => s.name === '.strtab')]!;
    const touches = (s: { offset: bigint; fileSize: bigint }) => reads.some(([o, n]) => o < s.offset + s.fileSize && o + BigInt(n) > s.offset);
    expect(touches(symtab)).toBe(false);
    expect(touches(strtab)).toBe(false);
    const first = image.symbols();
    expect(touches(symtab)).toBe(true);
    expect(touches(strtab)).toBe(true);
    const count = reads.length;
    expect(image.symbols()).toBe(first);
    expect(reads.length).toBe(count);
  });
});

/** The ELF header fields this test rewrites, per class. */
function headerFields(bits: 32 | 64) {
  return bits === 64 ? { shoff: 40, shentsize: 58, shnum: 60, shstrndx: 62, phnum: 56 } : { shoff: 32, shentsize: 46, shnum: 48, shstrndx: 50, phnum: 44 };
}

describe.skipIf(BUILT.length === 0)('ELF extended numbering (e_shnum, e_shstrndx, e_phnum in section 0) and SHN_XINDEX symbols', () => {
  it('the same sections, segments and symbols when the counts move to section 0', () => {
    for (const b of builds.values()) {
      const copy = Buffer.from(b.bytes);
      const le = b.target.endian === 'little';
      const dv = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
      const h = headerFields(b.target.bits);
      const shoff = Number(b.target.bits === 64 ? dv.getBigUint64(h.shoff, le) : BigInt(dv.getUint32(h.shoff, le)));
      const shnum = dv.getUint16(h.shnum, le);
      const shstrndx = dv.getUint16(h.shstrndx, le);
      const phnum = dv.getUint16(h.phnum, le);
      // Section 0: sh_size holds e_shnum, sh_link e_shstrndx, sh_info e_phnum.
      const [size, link, info] = b.target.bits === 64 ? [32, 40, 44] : [20, 24, 28];
      if (b.target.bits === 64) dv.setBigUint64(shoff + size, BigInt(shnum), le);
      else dv.setUint32(shoff + size, shnum, le);
      dv.setUint32(shoff + link, shstrndx, le);
      dv.setUint32(shoff + info, phnum, le);
      dv.setUint16(h.shnum, 0, le);
      dv.setUint16(h.shstrndx, 0xffff, le);
      if (phnum > 0) dv.setUint16(h.phnum, 0xffff, le);
      const image = parseElf(bufferSource(copy));
      const what = b.target.name;
      expect(image.sections.slice(1), what).toEqual(b.image.sections.slice(1));
      expect(image.sections[0]!.memSize, what).toBe(0n);
      expect(image.segments, what).toEqual(b.image.segments);
      expect(image.symbols(), what).toEqual(b.image.symbols());
    }
  });

  it('symbols with st_shndx SHN_XINDEX take their section from SHT_SYMTAB_SHNDX', () => {
    for (const b of [...builds.values()].filter((x) => x.target.kind === 'rel')) {
      const le = b.target.endian === 'little';
      const is64 = b.target.bits === 64;
      const symtabIndex = b.image.sections.findIndex((s) => s.type === 'symtab');
      const symtab = b.image.sections[symtabIndex]!;
      const entsize = is64 ? 24 : 16;
      const count = Number(symtab.fileSize) / entsize;
      // Append the extended index table to the file and turn .comment's header into its header.
      const ext = Buffer.alloc(count * 4);
      const copy = Buffer.concat([b.bytes, ext]);
      const dv = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
      const shndxAt = is64 ? 6 : 14;
      for (let i = 1; i < count; i++) {
        const at = Number(symtab.offset) + i * entsize + shndxAt;
        const shndx = dv.getUint16(at, le);
        if (shndx === 0 || shndx >= 0xff00) continue;
        dv.setUint32(b.bytes.length + i * 4, shndx, le);
        dv.setUint16(at, 0xffff, le);
      }
      const h = headerFields(b.target.bits);
      const shoff = Number(is64 ? dv.getBigUint64(h.shoff, le) : BigInt(dv.getUint32(h.shoff, le)));
      const shentsize = dv.getUint16(h.shentsize, le);
      const comment = b.image.sections.findIndex((s) => s.name === '.comment');
      const sh = shoff + comment * shentsize;
      dv.setUint32(sh + 4, 18, le);
      if (is64) {
        dv.setBigUint64(sh + 24, BigInt(b.bytes.length), le);
        dv.setBigUint64(sh + 32, BigInt(ext.length), le);
        dv.setUint32(sh + 40, symtabIndex, le);
      } else {
        dv.setUint32(sh + 16, b.bytes.length, le);
        dv.setUint32(sh + 20, ext.length, le);
        dv.setUint32(sh + 24, symtabIndex, le);
      }
      const image = parseElf(bufferSource(copy));
      expect(image.sections[comment]!.type).toBe('symtab_shndx');
      // The section symbol of .comment now points at the appended table; the rest is unchanged.
      const besideComment = (list: readonly ExeSymbol[]) => list.map((s) => (s.section === comment ? { ...s, offset: null } : s));
      expect(besideComment(image.symbols()), b.target.name).toEqual(besideComment(b.image.symbols()));
      expect(image.symbols().some((s) => s.name === 'check' && s.section !== null)).toBe(true);
      // Without the table, such a symbol is an error naming it.
      dv.setUint32(sh + 4, 1, le);
      expect(formatError(() => parseElf(bufferSource(copy)).symbols())).toContain('SHN_XINDEX');
    }
  });
});

describe('ELF symbols and demangle()', () => {
  it('demangled is what demangle() answers (undefined when it answers undefined), asked on first read, and sym: finds the demangled name', () => {
    const asked: string[] = [];
    standIn.demangle = (name) => {
      asked.push(name);
      return name === '_ZN2ns5checkEi' ? 'ns::check(int)' : undefined;
    };
    for (const [bits, le] of [
      [64, true],
      [32, false],
    ] as const) {
      asked.length = 0;
      const f = forge(bits, le, ['_ZN2ns5checkEi', '_data']);
      const image = parseElf(bufferSource(f.bytes));
      const [check, data] = image.symbols();
      expect(asked).toEqual([]);
      expect(check).toMatchObject({ name: '_ZN2ns5checkEi', demangled: 'ns::check(int)', type: 'func' });
      expect(data!.name).toBe('_data');
      expect(data!.demangled).toBeUndefined();
      expect(check!.demangled).toBe('ns::check(int)');
      const text = BigInt(textOffset(f));
      expect(resolveAddress(image, parseAddress('sym:ns::check'))).toEqual({ offset: text + 4n, length: 8n });
      expect(resolveAddress(image, parseAddress('sym:ns::check(int)+2'))).toEqual({ offset: text + 6n, length: null });
      expect(resolveAddress(image, parseAddress('sym:_ZN2ns5checkEi'))).toEqual({ offset: text + 4n, length: 8n });
      // Once per symbol, however often read.
      expect(asked).toEqual(['_ZN2ns5checkEi', '_data']);
    }
  });
});

const HAVE_CXX = HAVE_BINUTILS && have('g++') && have('c++filt') && NATIVE_64LE;
// While demangle.ts is the placeholder (it demangles nothing), there is nothing to compare yet.
const HAVE_DEMANGLER = demangle('_ZN2ns1fEi') !== undefined;
if (!HAVE_CXX) console.warn('NOTICE: g++ or c++filt not installed; the comparison of demangled ELF symbols with c++filt is SKIPPED');
else if (!HAVE_DEMANGLER) console.warn('NOTICE: demangle() demangles nothing yet; the comparison of demangled ELF symbols with c++filt is SKIPPED');

describe.skipIf(!HAVE_CXX || !HAVE_DEMANGLER)('C++ symbols of a g++ object against c++filt', () => {
  it('every mangled name demangled as c++filt does; sym: by demangled name, an overload by its parameters', async () => {
    const source = join(dir, 'prog.cc');
    writeFileSync(
      source,
      `namespace ns {
struct K { int m(int, double); static int count; };
int K::count = 3;
int K::m(int a, double b) { return a + (int)b + count; }
int f(int x) { return x * 2; }
int f(double x) { return (int)x; }
}
int check(int v) { ns::K k; return ns::f(v) + ns::f(1.5) + k.m(v, 2.0); }
`,
    );
    const object = join(dir, 'prog-cc.o');
    await run('g++', ['-O1', '-c', '-o', object, source]);
    const image = parseElf(bufferSource(readFileSync(object)));
    const mangled = image.symbols().filter((s) => s.name.startsWith('_Z'));
    expect(mangled.length).toBeGreaterThanOrEqual(4);
    const filt = await new Promise<string>((resolve, reject) => {
      const child = execFile('c++filt', (error, stdout) => (error ? reject(error) : resolve(stdout)));
      child.stdin!.end(mangled.map((s) => s.name).join('\n'));
    });
    const expected = filt.trimEnd().split('\n');
    expect(mangled.map((s) => s.demangled)).toEqual(expected);
    const m = mangled.find((s) => s.demangled === 'ns::K::m(int, double)')!;
    expect(resolveAddress(image, parseAddress('sym:ns::K::m'))).toEqual({ offset: m.offset, length: m.size });
    expect(() => resolveAddress(image, parseAddress('sym:ns::f'))).toThrow(/2 symbols match ns::f/);
    const fDouble = mangled.find((s) => s.demangled === 'ns::f(double)')!;
    expect(resolveAddress(image, parseAddress('sym:ns::f(double)'))).toEqual({ offset: fDouble.offset, length: fDouble.size });
  });
});

const HAVE_THUMB = HAVE_BINUTILS && have('clang') && have('llvm-objdump');
if (!HAVE_THUMB) console.warn('NOTICE: clang or llvm-objdump not installed; the ARM Thumb symbol comparison is SKIPPED');

describe.skipIf(!HAVE_THUMB)('ARM Thumb functions (clang -mthumb -c) against readelf and llvm-objdump', () => {
  it('a function whose value has the Thumb bit set starts at the even address: offset, bytes and sym:', async () => {
    writeFileSync(join(dir, 'thumb.c'), PROGRAM);
    const object = join(dir, 'thumb.o');
    await run('clang', ['-target', 'armv7a-linux-gnueabihf', '-mthumb', '-O1', '-c', '-o', object, join(dir, 'thumb.c')]);
    const [readelf, objdump] = await Promise.all([run('readelf', ['-W', '-h', '-S', '-s', object]), run('llvm-objdump', ['-d', object])]);
    const peer = parseReadelf(readelf.stdout);
    const bytes = readFileSync(object);
    const image = parseElf(bufferSource(bytes));
    expect(image).toMatchObject({ machine: 'arm', bits: 32, endian: 'little', kind: 'rel' });
    // llvm-objdump: `00000000 <check>:` then `       0: 40 f2 d2 41  \tmovw ...`.
    const starts = new Map<string, { at: bigint; bytes: number[] }>();
    const lines = objdump.stdout.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = /^([0-9a-f]+) <([^>]+)>:$/.exec(lines[i]!);
      const first = /^\s*[0-9a-f]+:\s+((?:[0-9a-f]{2} )+)/.exec(lines[i + 1] ?? '');
      if (m && first)
        starts.set(m[2]!, {
          at: num(m[1]!),
          bytes: first[1]!
            .trim()
            .split(' ')
            .map((b) => Number.parseInt(b, 16)),
        });
    }
    const text = peer.sections.find((s) => s.name === '.text')!;
    let compared = 0;
    for (const p of peer.symbols.get('symtab')!.filter((s) => s.type === 'FUNC')) {
      const s = ours(image, 'symtab').find((x) => x.name === p.name)!;
      const start = starts.get(p.name)!;
      expect(s.value, p.name).toBe(p.value);
      expect(p.value & 1n, `${p.name} is Thumb code`).toBe(1n);
      expect(start.at, p.name).toBe(p.value - 1n);
      expect(s.offset, p.name).toBe(text.offset + start.at);
      expect([...bytes.subarray(Number(s.offset), Number(s.offset) + start.bytes.length)], p.name).toEqual(start.bytes);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(2);
    const check = ours(image, 'symtab').find((s) => s.name === 'check')!;
    expect(resolveAddress(image, parseAddress('sym:check+2'))).toEqual({ offset: check.offset! + 2n, length: null });
    expect(check.offset).toBe(text.offset + check.value - 1n);
  });
});
