// The SIGBUS handler's machine code, checked without running it: layout arithmetic, the hand
// encoding against bytes assembled once with GNU as from the listing's own text, and (where binutils
// is installed) objdump's disassembly against the listing, instruction by instruction.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mappingHolding } from '../../src/mmap/sys/sigbus.js';
import { GUARD_MARK, RECORD, SIGACTION, X64, encodeHandler, handlerListing, recordBytes, recordSlots } from '../../src/mmap/sys/sigbus-x64.js';

const REC = 0x7f00_1234_5000n;

function hasObjdump(): boolean {
  return spawnSync('objdump', ['--version']).status === 0;
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
