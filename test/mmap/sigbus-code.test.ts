// The SIGBUS handler's machine code, checked without running it: layout arithmetic, the hand
// encoding against bytes assembled once with GNU as from the listing's own text, and (where binutils
// is installed) objdump's disassembly against the listing, instruction by instruction.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handlerCode, mappingHolding } from '../../src/mmap/sys/sigbus.js';
import { A64, encodeHandler as encodeA64, handlerListing as listingA64, recordOffset } from '../../src/mmap/sys/sigbus-a64.js';
import { GUARD_MARK, RECORD, SIGACTION, X64, encodeHandler, handlerListing, recordBytes, recordSlots } from '../../src/mmap/sys/sigbus-x64.js';

const REC = 0x7f00_1234_5000n;

function hasObjdump(): boolean {
  return spawnSync('objdump', ['--version']).status === 0;
}

/** binutils for AArch64 (Debian: binutils-aarch64-linux-gnu, which gcc-aarch64-linux-gnu brings). */
const A64_OBJDUMP = 'aarch64-linux-gnu-objdump';
const hasA64Objdump = spawnSync(A64_OBJDUMP, ['--version']).status === 0;
if (!hasA64Objdump) console.warn(`[sigbus-code.test.ts] arm64 disassembly skipped: ${A64_OBJDUMP} not found (Debian: binutils-aarch64-linux-gnu)`);

/** objdump's instructions of a raw binary: offset and text, without its comments and with single spaces. */
function disassemble(objdump: string, args: string[], code: Uint8Array): { offset: number; asm: string }[] {
  const dir = mkdtempSync(join(tmpdir(), 'mmapx-sigbus-'));
  try {
    const bin = join(dir, 'handler.bin');
    writeFileSync(bin, code);
    const r = spawnSync(objdump, [...args, bin], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout
      .split('\n')
      .map((line) => /^\s*([0-9a-f]+):\t[0-9a-f ]+\t(.+)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({
        offset: Number.parseInt(m[1] as string, 16),
        asm: (m[2] as string)
          .replace(/\s*\/\/.*$/, '')
          .trim()
          .replace(/\s+/g, ' '),
      }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('sigbus handler encoding (x86-64)', () => {
  it('record_layout_adds_up', () => {
    // The smallest record is the 16 KiB one of old; the largest, 32 MiB of address space.
    expect(recordBytes(RECORD.MIN_SLOTS)).toBe(16384);
    expect(recordSlots(16384)).toBe(RECORD.MIN_SLOTS);
    expect(recordBytes(RECORD.MAX_SLOTS)).toBe(32 * 1024 * 1024 + 4096);
    // vm.max_map_count's default (65530) fits in 512 pages, which hold a few more.
    expect(recordBytes(65530)).toBe(512 * 4096);
    expect(recordSlots(recordBytes(65530))).toBeGreaterThanOrEqual(65530);
    // Header fields: naturally aligned, in order, not overlapping, before the slots.
    const header: [number, number][] = [
      [RECORD.HANDLED, 8],
      [RECORD.HIGH, 4],
      [RECORD.CAPACITY, 4],
      [RECORD.CHAIN, 8],
      [RECORD.DFL_ACTION, 32],
    ];
    let at = 0;
    for (const [field, size] of header) {
      expect(field % Math.min(size, 8)).toBe(0);
      expect(field).toBeGreaterThanOrEqual(at);
      at = field + size;
    }
    expect(at).toBeLessThanOrEqual(RECORD.SLOTS_AT);
    // Slot fields fit, are naturally aligned for the lock-prefixed accesses, and do not overlap.
    const fields: [number, number][] = [
      [RECORD.START, 8],
      [RECORD.END, 8],
      [RECORD.PROT, 4],
      [RECORD.FAULTS, 4],
      [RECORD.FIRST, 8],
    ];
    let end = 0;
    for (const [at, size] of fields.sort((a, b) => a[0] - b[0])) {
      expect(at % size).toBe(0);
      expect(at).toBeGreaterThanOrEqual(end);
      end = at + size;
    }
    expect(end).toBeLessThanOrEqual(RECORD.SLOT_BYTES);
    expect(SIGACTION.FLAGS).toBe(8 + 128);
    expect(SIGACTION.RESTORER + 8).toBe(SIGACTION.BYTES);
  });

  it('matches_the_bytes_gnu_as_produced_from_the_listing', () => {
    // Assembled once with `as --64` from the listing's Intel text (record = 0x1122334455667788).
    const golden =
      '525649b88877665544332211837e08027568488b7e104d8d4840418b480885c97458' +
      '493b79087305493b39730a4983c120ffc975edeb43f041ff411431c0f0490fb17918' +
      'f049ff00418b51104881e700f0ffffbe0010000041ba3200000049c7c0ffffffff4531c9b8090000000f05483d01f0ffff' +
      '73165e5ac3498b40104883f80176095e5abf07000000ffe0b80d000000bf0700000048bea877665544332211' +
      '31d241ba080000000f05b8270000000f054989c0b8ba0000000f0589c64c89c7ba070000004c8b1424b8290100000f055e5ac3';
    expect(Buffer.from(encodeHandler(0x1122_3344_5566_7788n)).toString('hex')).toBe(golden);
  });

  it('the_mark_of_a_chaining_guard_fits_in_the_code_page_after_the_handler', () => {
    expect(encodeHandler(REC).length).toBeLessThanOrEqual(GUARD_MARK.AT);
    expect(GUARD_MARK.AT + GUARD_MARK.TEXT.length).toBeLessThanOrEqual(X64.PAGE);
  });

  it('embeds_the_record_address_twice_and_nothing_else_changes', () => {
    const a = encodeHandler(REC);
    const b = encodeHandler(REC + 0x1000n);
    const diff = [...a.keys()].filter((i) => a[i] !== b[i]);
    const dv = new DataView(a.buffer);
    const listing = handlerListing(REC);
    const movabs = listing.filter((l) => l.asm.startsWith('movabs'));
    expect(movabs.map((l) => dv.getBigUint64(l.offset + 2, true))).toEqual([REC, REC + BigInt(RECORD.DFL_ACTION)]);
    expect(diff.every((i) => movabs.some((l) => i >= l.offset + 2 && i < l.offset + 10))).toBe(true);
  });

  it('branches_land_on_instruction_boundaries_inside_the_code', () => {
    const listing = handlerListing(REC);
    const starts = new Set(listing.map((l) => l.offset));
    const size = encodeHandler(REC).length;
    for (const l of listing.filter((x) => /^j/.test(x.asm) && x.asm !== 'jmp rax')) {
      const target = Number.parseInt(l.asm.split(' ')[1] as string, 16);
      expect(starts.has(target), l.asm).toBe(true);
      expect(target).toBeLessThan(size);
    }
    // Three ways out: `ret` after absorbing, `ret` after queueing the fault again (the last
    // instruction), and one jump to the handler SIGBUS had before, with SIGBUS as its first argument.
    expect(listing.at(-1)?.asm).toBe('ret');
    expect(listing.filter((l) => l.asm === 'ret')).toHaveLength(2);
    const chain = listing.findIndex((l) => l.asm === 'jmp rax');
    expect(listing.filter((l) => l.asm.startsWith('jmp r'))).toHaveLength(1);
    expect(listing.slice(chain - 3, chain).map((l) => l.asm)).toEqual(['pop rsi', 'pop rdx', `mov edi,0x${X64.SIGBUS.toString(16)}`]);
    // Every syscall number it uses is one we meant.
    const calls = listing
      .map((l, i) => (l.asm === 'syscall' ? listing.slice(0, i).findLast((x) => x.asm.startsWith('mov eax,')) : undefined))
      .filter((l) => l !== undefined)
      .map((l) => Number(l.asm.slice(8)));
    expect(calls).toEqual([X64.SYS_mmap, X64.SYS_rt_sigaction, X64.SYS_getpid, X64.SYS_gettid, X64.SYS_rt_tgsigqueueinfo]);
  });

  it.skipIf(!hasObjdump())('objdump_disassembles_it_to_the_listing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmapx-sigbus-'));
    try {
      const bin = join(dir, 'handler.bin');
      writeFileSync(bin, encodeHandler(REC));
      const r = spawnSync('objdump', ['-D', '-b', 'binary', '-mi386:x86-64', '-M', 'intel', bin], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      // "  1e:\t49 3b 79 08          \tcmp    rdi,QWORD PTR [r9+0x8]" (long instructions wrap their bytes)
      const insns = r.stdout
        .split('\n')
        .map((line) => /^\s*([0-9a-f]+):\t[0-9a-f ]+\t(.+)$/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ offset: Number.parseInt(m[1] as string, 16), asm: (m[2] as string).trim().replace(/\s+/g, ' ') }));
      const listing = handlerListing(REC).map((l) => ({ offset: l.offset, asm: l.asm }));
      expect(insns).toEqual(listing);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sigbus handler encoding (arm64)', () => {
  it('matches_the_bytes_objdump_decoded_to_the_listing', () => {
    // Checked once with aarch64-linux-gnu-objdump against the listing (record = 0x1122334455667788):
    // 69 instructions, a word of padding, the record literal.
    const golden =
      'e60301aaa90800582a0840b95f090071410500542b0840f92a2100914dfddf882c010191ad0400348a2100914efddfc8' +
      '7f010eeb820000548e0140f97f010eeba20000548c810091ad050071e1feff541a0000148a5100914efd5f88ce050011' +
      '4efd0f88afffff358a6100914efd5fc86e0000b54bfd0fc8afffff352efd5fc8ce0500912efd0fc8afffff3560cd7492' +
      '010082d2821140b9430680d204008092050080d2c81b80d2010000d41ffc3fb1e2000054c0035fd6300940f91f0600f1' +
      '69000054e000805200021fd6e00080d221810091020080d2030180d2c81080d2010000d4881580d2010000d4ea0300aa' +
      '481680d2010000d4e10300aae0030aaae20080d2e30306aa081e80d2010000d4c0035fd6000000008877665544332211';
    expect(Buffer.from(encodeA64(0x1122_3344_5566_7788n)).toString('hex')).toBe(golden);
  });

  it('the_record_is_one_aligned_literal_after_the_code_and_nothing_else_changes', () => {
    const a = encodeA64(REC);
    const b = encodeA64(REC + 0x1000n);
    const at = recordOffset();
    expect(at % 8).toBe(0);
    expect(at).toBeGreaterThanOrEqual(listingA64().length * 4);
    expect(a.length).toBe(at + 8);
    expect(new DataView(a.buffer).getBigUint64(at, true)).toBe(REC);
    expect([...a.keys()].filter((i) => a[i] !== b[i]).every((i) => i >= at)).toBe(true);
    // The one load of it is PC-relative, and sigbus.ts reads the record back from the same place.
    expect(listingA64().filter((l) => l.asm === `ldr x9, 0x${at.toString(16)}`)).toHaveLength(1);
    expect(handlerCode('arm64')?.recordAt).toBe(at);
    expect(handlerCode('arm64')?.encode(REC)).toEqual(a);
    expect(handlerCode('ia32')).toBeUndefined();
    expect(a.length).toBeLessThanOrEqual(GUARD_MARK.AT);
  });

  it('branches_exits_and_syscalls_are_the_ones_meant', () => {
    const listing = listingA64();
    const starts = new Set(listing.map((l) => l.offset));
    const size = listing.length * 4;
    for (const l of listing.filter((x) => /^(b|b\.\w+|cbn?z) /.test(x.asm))) {
      const target = Number.parseInt(l.asm.split(' ').at(-1) as string, 16);
      expect(starts.has(target), l.asm).toBe(true);
      expect(target).toBeLessThan(size);
    }
    // Three ways out: `ret` after absorbing, `ret` after queueing the fault again (the last
    // instruction), and one branch to the handler SIGBUS had before, through x16 (which a `bti c`
    // landing pad accepts), with SIGBUS as its first argument.
    expect(listing.at(-1)?.asm).toBe('ret');
    expect(listing.filter((l) => l.asm === 'ret')).toHaveLength(2);
    expect(listing.filter((l) => l.asm.startsWith('br '))).toEqual([expect.objectContaining({ asm: 'br x16' })]);
    const chain = listing.findIndex((l) => l.asm === 'br x16');
    expect(listing[chain - 1]?.asm).toBe(`mov w0, #0x${A64.SIGBUS.toString(16)}`);
    // Nothing before the chain writes x1 or x2 (info and ucontext, the chained handler's arguments),
    // nor sp or x30 anywhere.
    const writes = (l: { asm: string }, r: string) => new RegExp(`^(?!cmp|cmn|st|cb|b)\\w+ ${r},`).test(l.asm);
    const zeroPage = listing.findIndex((l) => l.asm.startsWith('and x0'));
    expect(listing.slice(0, zeroPage).some((l) => writes(l, '[xw][12]'))).toBe(false);
    expect(listing.some((l) => /\b(sp|x30|w30)\b/.test(l.asm))).toBe(false);
    // Every syscall number it uses is one we meant, in order.
    const calls = listing
      .map((l, i) => (l.asm === 'svc #0x0' ? listing.slice(0, i).findLast((x) => x.asm.startsWith('mov x8, #')) : undefined))
      .filter((l) => l !== undefined)
      .map((l) => Number(l.asm.slice('mov x8, #'.length)));
    expect(calls).toEqual([A64.SYS_mmap, A64.SYS_rt_sigaction, A64.SYS_getpid, A64.SYS_gettid, A64.SYS_rt_tgsigqueueinfo]);
    // Every exclusive load has its store-release and a retry while the reservation is lost.
    expect(listing.filter((l) => l.asm.startsWith('ldaxr'))).toHaveLength(3);
    expect(listing.filter((l) => l.asm.startsWith('stlxr'))).toHaveLength(3);
  });

  it.skipIf(!hasA64Objdump)('objdump_disassembles_it_to_the_listing', () => {
    const insns = disassemble(A64_OBJDUMP, ['-D', '-b', 'binary', '-m', 'aarch64'], encodeA64(REC));
    const listing = listingA64().map((l) => ({ offset: l.offset, asm: l.asm }));
    // The padding and the literal after the code decode as something: only the code is compared.
    expect(insns.slice(0, listing.length)).toEqual(listing);
  });
});

describe('finding the guard of another copy (worker threads)', () => {
  // Lines as /proc/self/maps shows them: the record (0x7fd0601d8000, 16 KiB) inside a line that an
  // allocator's region below it was merged into, as seen in a scan thread that then could not find
  // the guard when it looked for a line starting at the record.
  const MAPS = [
    '7fd0600d8000-7fd0602dc000 rw-p 00000000 00:00 0 ',
    '7fd061c1a000-7fd061c1b000 r-xp 00000000 00:00 0 ',
    '7fd061c1b000-7fd061c3f000 r--p 00000000 fd:00 1234                       /usr/lib/x86_64-linux-gnu/libc.so.6',
    '7fd061c40000-7fd061c44000 rw-p 00000000 00:00 0                          [anon:glibc]',
    '',
  ].join('\n');

  it('mapping_holding_finds_a_range_inside_a_merged_line', () => {
    expect(mappingHolding(MAPS, 0x7fd0601d8000n, recordBytes(RECORD.MIN_SLOTS))).toEqual({ perms: 'rw-p', anonymous: true });
    expect(mappingHolding(MAPS, 0x7fd061c1a000n, X64.PAGE)).toEqual({ perms: 'r-xp', anonymous: true });
    expect(mappingHolding(MAPS, 0x7fd061c1b000n, 16)).toEqual({ perms: 'r--p', anonymous: false });
    expect(mappingHolding(MAPS, 0x7fd061c40000n, 4096)).toEqual({ perms: 'rw-p', anonymous: true });
  });

  it('mapping_holding_refuses_a_range_that_no_one_line_holds', () => {
    // Across the end of a line, in a gap, or past the last line.
    expect(mappingHolding(MAPS, 0x7fd0602db000n, 8192)).toBeUndefined();
    expect(mappingHolding(MAPS, 0x7fd061000000n, 1)).toBeUndefined();
    expect(mappingHolding(MAPS, 0x7fd061c1a000n, 2 * X64.PAGE)).toBeUndefined();
    expect(mappingHolding(MAPS, 0x7fd061c44000n, 1)).toBeUndefined();
  });
});
