// The SIGBUS handler for Linux x86-64, as hand-written machine code (users have no compiler, and a
// JavaScript function cannot be a signal handler: V8 is not re-entrant). Pure data: no koffi, no
// process state, so the encoding is unit-tested in-process (and disassembled where objdump exists).
//
// What it does, called by the kernel as `handler(int sig, siginfo_t *info, void *ucontext)`:
//   - if info->si_code is BUS_ADRERR (an access to a page of a file mapping that lies past the end of
//     the file) and info->si_addr lies inside one of the ranges the core registered in the record,
//     it maps one anonymous private zero page over the faulting page (mmap MAP_FIXED, with the
//     slot's protection), counts the fault in the slot and in the header, keeps the first faulting
//     address of the slot, and returns: the access is restarted and now reads zeros (writes go to a
//     throw-away page). The JS side reads the record after each window and reports the fault.
//   - a fault that is not ours (another si_code, or an address nobody registered): if SIGBUS had a
//     handler before ours (the application's `process.on('SIGBUS')`, say: see CHAIN), it jumps to it
//     with the same arguments, as if ours were not there. Otherwise, and when the zero-page mmap
//     fails (our fault, but not absorbed): it sets SIGBUS back to SIG_DFL, queues the very same
//     signal again to this thread with rt_tgsigqueueinfo (same siginfo, so a core dump or debugger
//     still shows the real fault address), and returns. SIGBUS is blocked while the handler runs,
//     so the queued signal is delivered by rt_sigreturn, with the default action: the process dies
//     by SIGBUS exactly as it would have without the handler. Faults that are not ours are never
//     swallowed.
// It calls no library function (only the `syscall` instruction), touches only the record, its own
// stack and the registers the kernel restores on rt_sigreturn, and is therefore async-signal-safe
// and may run on any thread. glibc and musl both add SA_RESTORER, so a plain `ret` is correct.

/**
 * Layout of the record: anonymous memory shared by the handler and the JS side, a header and then
 * the slots. Its size is chosen when the guard is installed (`recordBytes`), from vm.max_map_count:
 * pages of slots that were never used are never touched, by the JS side or by the handler, which
 * looks only at the first HIGH slots.
 */
export const RECORD = {
  /** u64: faults absorbed since the handler was installed (lock inc). */
  HANDLED: 0,
  /** u32: slots ever used (the handler scans slots [0, HIGH)); only grows, never past CAPACITY. */
  HIGH: 8,
  /** u32: slots in the record. */
  CAPACITY: 12,
  /** u64: the handler SIGBUS had before this one (0 = none): faults that are not ours go to it. */
  CHAIN: 16,
  /** 32 zero bytes: the kernel's struct sigaction {handler, flags, restorer, mask} for SIG_DFL. */
  DFL_ACTION: 32,
  /** Slots start here. */
  SLOTS_AT: 64,
  SLOT_BYTES: 32,
  /** Fewest and most slots a record has (the first is one 16 KiB record, the second 32 MiB of address space). */
  MIN_SLOTS: 510,
  MAX_SLOTS: 1 << 20,
  /** Slot fields. A slot with END = 0 is free (no address is below 0). */
  START: 0, // u64, first byte of the range (page-aligned)
  END: 8, // u64, one past the last byte
  PROT: 16, // u32, PROT_* bits for the replacement page
  FAULTS: 20, // u32, faults absorbed in this range (lock inc)
  FIRST: 24, // u64, address of the first absorbed fault (lock cmpxchg from 0)
} as const;

/** Bytes of a record with room for at least `slots` slots: whole pages. */
export function recordBytes(slots: number): number {
  const bytes = RECORD.SLOTS_AT + slots * RECORD.SLOT_BYTES;
  return Math.ceil(bytes / X64.PAGE) * X64.PAGE;
}

/** Slots a record of `bytes` bytes holds. */
export function recordSlots(bytes: number): number {
  return Math.floor((bytes - RECORD.SLOTS_AT) / RECORD.SLOT_BYTES);
}

/** struct sigaction as glibc and musl lay it out on x86-64 (and arm64): handler, 128-byte mask, int flags, restorer. */
export const SIGACTION = { BYTES: 152, HANDLER: 0, MASK: 8, FLAGS: 136, RESTORER: 144, SA_SIGINFO: 4, SA_ONSTACK: 0x0800_0000, SA_RESTART: 0x1000_0000 } as const;

/**
 * A mark at the end of the handler's code page, the same in every version of mmapx that chains to a
 * previous handler: a guard must never be put in front of another version's guard (each would pass
 * the other the faults that are neither's, for ever), so a copy that cannot adopt a guard it finds
 * (another layout) looks for this mark and then leaves SIGBUS alone.
 */
export const GUARD_MARK = { AT: 4096 - 32, TEXT: 'mmapx sigbus guard, chaining' } as const;

/** Linux x86-64 numbers the code uses (<asm/unistd_64.h>, <asm-generic/siginfo.h>, <asm/signal.h>). */
export const X64 = {
  SIGBUS: 7,
  BUS_ADRERR: 2,
  /** siginfo_t: si_code at 8, the union (si_addr for SIGBUS) at 16. */
  SI_CODE: 8,
  SI_ADDR: 16,
  PAGE: 4096,
  SYS_mmap: 9,
  SYS_rt_sigaction: 13,
  SYS_getpid: 39,
  SYS_gettid: 186,
  SYS_rt_tgsigqueueinfo: 297,
  /** MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS */
  ZERO_PAGE_FLAGS: 0x02 | 0x10 | 0x20,
} as const;

const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const u64 = (n: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

/** One instruction: its bytes (a rel8 branch names its target label), objdump's Intel text, and why. */
interface Insn {
  label?: string;
  bytes: number[];
  /** A short branch: `bytes` is the opcode alone, the 8-bit displacement to this label follows. */
  rel8?: string;
  asm: string;
  why: string;
}

function program(record: bigint): Insn[] {
  const R = RECORD;
  const S = R.SLOTS_AT;
  return [
    { bytes: [0x52], asm: 'push rdx', why: 'keep ucontext for a chained handler' },
    { bytes: [0x56], asm: 'push rsi', why: 'keep info: [rsp] = siginfo_t * for the pass-on paths' },
    { bytes: [0x49, 0xb8, ...u64(record)], asm: `movabs r8,${hex(record)}`, why: 'r8 = the record' },
    { bytes: [0x83, 0x7e, X64.SI_CODE, X64.BUS_ADRERR], asm: `cmp DWORD PTR [rsi+${hex(X64.SI_CODE)}],${hex(X64.BUS_ADRERR)}`, why: 'si_code == BUS_ADRERR ?' },
    { bytes: [0x75], rel8: 'pass', asm: 'jne {pass}', why: 'no: not a fault past the end of a file' },
    { bytes: [0x48, 0x8b, 0x7e, X64.SI_ADDR], asm: `mov rdi,QWORD PTR [rsi+${hex(X64.SI_ADDR)}]`, why: 'rdi = si_addr, the faulting address' },
    { bytes: [0x4d, 0x8d, 0x48, S], asm: `lea r9,[r8+${hex(S)}]`, why: 'r9 = first slot' },
    { bytes: [0x41, 0x8b, 0x48, R.HIGH], asm: `mov ecx,DWORD PTR [r8+${hex(R.HIGH)}]`, why: 'ecx = slots to look at (the ones ever used)' },
    { bytes: [0x85, 0xc9], asm: 'test ecx,ecx', why: '' },
    { bytes: [0x74], rel8: 'pass', asm: 'je {pass}', why: 'none: not ours' },
    { label: 'scan', bytes: [0x49, 0x3b, 0x79, R.END], asm: `cmp rdi,QWORD PTR [r9+${hex(R.END)}]`, why: 'addr < slot.end ? (unsigned; a free slot has end 0)' },
    { bytes: [0x73], rel8: 'next', asm: 'jae {next}', why: 'no: next slot' },
    { bytes: [0x49, 0x3b, 0x39], asm: 'cmp rdi,QWORD PTR [r9]', why: 'addr >= slot.start ?' },
    { bytes: [0x73], rel8: 'found', asm: 'jae {found}', why: 'yes: the fault is in a registered range' },
    { label: 'next', bytes: [0x49, 0x83, 0xc1, R.SLOT_BYTES], asm: `add r9,${hex(R.SLOT_BYTES)}`, why: 'r9 = next slot' },
    { bytes: [0xff, 0xc9], asm: 'dec ecx', why: '' },
    { bytes: [0x75], rel8: 'scan', asm: 'jne {scan}', why: 'more slots to look at' },
    { bytes: [0xeb], rel8: 'pass', asm: 'jmp {pass}', why: 'in no registered range: not ours' },
    { label: 'found', bytes: [0xf0, 0x41, 0xff, 0x41, R.FAULTS], asm: `lock inc DWORD PTR [r9+${hex(R.FAULTS)}]`, why: 'slot.faults++' },
    { bytes: [0x31, 0xc0], asm: 'xor eax,eax', why: 'expected value for cmpxchg: 0' },
    { bytes: [0xf0, 0x49, 0x0f, 0xb1, 0x79, R.FIRST], asm: `lock cmpxchg QWORD PTR [r9+${hex(R.FIRST)}],rdi`, why: 'slot.first = addr if it is still 0' },
    { bytes: [0xf0, 0x49, 0xff, 0x00], asm: 'lock inc QWORD PTR [r8]', why: 'record.handled++' },
    { bytes: [0x41, 0x8b, 0x51, R.PROT], asm: `mov edx,DWORD PTR [r9+${hex(R.PROT)}]`, why: 'mmap arg 3: prot = slot.prot' },
    { bytes: [0x48, 0x81, 0xe7, ...u32(-X64.PAGE)], asm: 'and rdi,0xfffffffffffff000', why: 'mmap arg 1: the faulting page' },
    { bytes: [0xbe, ...u32(X64.PAGE)], asm: `mov esi,${hex(X64.PAGE)}`, why: 'mmap arg 2: one page' },
    { bytes: [0x41, 0xba, ...u32(X64.ZERO_PAGE_FLAGS)], asm: `mov r10d,${hex(X64.ZERO_PAGE_FLAGS)}`, why: 'mmap arg 4: MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS' },
    { bytes: [0x49, 0xc7, 0xc0, ...u32(-1)], asm: 'mov r8,0xffffffffffffffff', why: 'mmap arg 5: fd -1' },
    { bytes: [0x45, 0x31, 0xc9], asm: 'xor r9d,r9d', why: 'mmap arg 6: offset 0' },
    { bytes: [0xb8, ...u32(X64.SYS_mmap)], asm: `mov eax,${hex(X64.SYS_mmap)}`, why: 'SYS_mmap' },
    { bytes: [0x0f, 0x05], asm: 'syscall', why: 'zero page over the faulting page (clobbers rcx, r11)' },
    { bytes: [0x48, 0x3d, ...u32(-4095)], asm: 'cmp rax,0xfffffffffffff001', why: 'rax in [-4095, -1] is -errno' },
    { bytes: [0x73], rel8: 'dfl', asm: 'jae {dfl}', why: 'mmap failed: our fault, not absorbed: die by it as before' },
    { bytes: [0x5e], asm: 'pop rsi', why: '' },
    { bytes: [0x5a], asm: 'pop rdx', why: '' },
    { bytes: [0xc3], asm: 'ret', why: 'restart the access: it now reads the zero page' },
    { label: 'pass', bytes: [0x49, 0x8b, 0x40, R.CHAIN], asm: `mov rax,QWORD PTR [r8+${hex(R.CHAIN)}]`, why: 'the handler SIGBUS had before ours' },
    { bytes: [0x48, 0x83, 0xf8, 0x01], asm: 'cmp rax,0x1', why: 'SIG_DFL (0) or SIG_IGN (1) ?' },
    { bytes: [0x76], rel8: 'dfl', asm: 'jbe {dfl}', why: 'yes: the default action' },
    { bytes: [0x5e], asm: 'pop rsi', why: 'arg 2: info' },
    { bytes: [0x5a], asm: 'pop rdx', why: 'arg 3: ucontext' },
    { bytes: [0xbf, ...u32(X64.SIGBUS)], asm: `mov edi,${hex(X64.SIGBUS)}`, why: 'arg 1: SIGBUS' },
    { bytes: [0xff, 0xe0], asm: 'jmp rax', why: 'not ours: the previous handler gets it, as if we were not there' },
    { label: 'dfl', bytes: [0xb8, ...u32(X64.SYS_rt_sigaction)], asm: `mov eax,${hex(X64.SYS_rt_sigaction)}`, why: 'SYS_rt_sigaction' },
    { bytes: [0xbf, ...u32(X64.SIGBUS)], asm: `mov edi,${hex(X64.SIGBUS)}`, why: 'arg 1: SIGBUS' },
    { bytes: [0x48, 0xbe, ...u64(record + BigInt(R.DFL_ACTION))], asm: `movabs rsi,${hex(record + BigInt(R.DFL_ACTION))}`, why: 'arg 2: the zeroed action in the record = SIG_DFL' },
    { bytes: [0x31, 0xd2], asm: 'xor edx,edx', why: 'arg 3: no old action wanted' },
    { bytes: [0x41, 0xba, ...u32(8)], asm: 'mov r10d,0x8', why: 'arg 4: sizeof(kernel sigset_t)' },
    { bytes: [0x0f, 0x05], asm: 'syscall', why: 'SIGBUS -> SIG_DFL' },
    { bytes: [0xb8, ...u32(X64.SYS_getpid)], asm: `mov eax,${hex(X64.SYS_getpid)}`, why: 'SYS_getpid' },
    { bytes: [0x0f, 0x05], asm: 'syscall', why: '' },
    { bytes: [0x49, 0x89, 0xc0], asm: 'mov r8,rax', why: 'r8 = tgid' },
    { bytes: [0xb8, ...u32(X64.SYS_gettid)], asm: `mov eax,${hex(X64.SYS_gettid)}`, why: 'SYS_gettid' },
    { bytes: [0x0f, 0x05], asm: 'syscall', why: '' },
    { bytes: [0x89, 0xc6], asm: 'mov esi,eax', why: 'arg 2: this thread' },
    { bytes: [0x4c, 0x89, 0xc7], asm: 'mov rdi,r8', why: 'arg 1: this process' },
    { bytes: [0xba, ...u32(X64.SIGBUS)], asm: `mov edx,${hex(X64.SIGBUS)}`, why: 'arg 3: SIGBUS' },
    { bytes: [0x4c, 0x8b, 0x14, 0x24], asm: 'mov r10,QWORD PTR [rsp]', why: 'arg 4: the siginfo we were given' },
    { bytes: [0xb8, ...u32(X64.SYS_rt_tgsigqueueinfo)], asm: `mov eax,${hex(X64.SYS_rt_tgsigqueueinfo)}`, why: 'SYS_rt_tgsigqueueinfo' },
    { bytes: [0x0f, 0x05], asm: 'syscall', why: 'queue the same signal again (blocked until we return)' },
    { bytes: [0x5e], asm: 'pop rsi', why: '' },
    { bytes: [0x5a], asm: 'pop rdx', why: '' },
    { bytes: [0xc3], asm: 'ret', why: 'rt_sigreturn unblocks SIGBUS: default action, the process dies' },
  ];
}

/** One line of the listing: offset, bytes, objdump-style Intel text, comment. */
export interface ListingLine {
  offset: number;
  bytes: Uint8Array;
  asm: string;
  why: string;
}

/** The handler for a record at address `record`, instruction by instruction (branches resolved). */
export function handlerListing(record: bigint): ListingLine[] {
  const insns = program(record);
  const offsets: number[] = [];
  const labels = new Map<string, number>();
  let at = 0;
  for (const i of insns) {
    offsets.push(at);
    if (i.label) labels.set(i.label, at);
    at += i.bytes.length + (i.rel8 ? 1 : 0);
  }
  return insns.map((i, n) => {
    const offset = offsets[n] as number;
    if (!i.rel8) return { offset, bytes: Uint8Array.from(i.bytes), asm: i.asm, why: i.why };
    const target = labels.get(i.rel8);
    if (target === undefined) throw new Error(`sigbus-x64: no label ${i.rel8}`);
    const disp = target - (offset + i.bytes.length + 1);
    if (disp < -128 || disp > 127) throw new Error(`sigbus-x64: branch to ${i.rel8} out of rel8 range`);
    return { offset, bytes: Uint8Array.from([...i.bytes, disp & 0xff]), asm: i.asm.replace(`{${i.rel8}}`, hex(target)), why: i.why };
  });
}

/** The handler's bytes, ready to be copied into a page that is then made executable. */
export function encodeHandler(record: bigint): Uint8Array {
  const lines = handlerListing(record);
  const out = new Uint8Array(lines.reduce((n, l) => n + l.bytes.length, 0));
  let at = 0;
  for (const l of lines) {
    out.set(l.bytes, at);
    at += l.bytes.length;
  }
  return out;
}
