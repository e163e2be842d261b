// The SIGBUS handler for Linux arm64 (AArch64), as hand-encoded machine code: the same contract, the
// same record (RECORD in sigbus-x64.ts) and the same struct sigaction as the x86-64 handler, which
// describes what it does. Pure data, unit-tested in-process on any machine (and disassembled by
// binutils' aarch64 objdump where it is installed); run for real under qemu-user in CI.
//
// Called by the kernel as `handler(int sig, siginfo_t *info, void *ucontext)`: x0, x1, x2, with x30
// holding the return address (the C library's sa_restorer, which calls rt_sigreturn). It keeps sp
// and x30 and uses no stack: every register it writes is restored by rt_sigreturn. What differs
// from x86-64:
// - syscalls: `svc #0` with the number in x8 and the arguments in x0..x5 (<asm-generic/unistd.h>:
//   mmap 222, rt_sigaction 134, getpid 172, gettid 178, rt_tgsigqueueinfo 240); the result in x0
//   and every other register kept.
// - atomics: load-acquire/store-release exclusive loops (ldaxr / stlxr), no LSE needed, so it runs
//   on every ARMv8.0 CPU. A slot's END is read with ldar, so that its START, stored before END by
//   the JS side (Atomics, sequentially consistent), is seen at least as new; HIGH likewise.
// - the record's address is a literal after the code (ldr x9, <literal>), 8-byte aligned, not an
//   immediate: `recordOffset` says where, for `adopt` in sigbus.ts.
// - the previous handler, for a fault that is not ours, is entered with `br x16`: an indirect
//   branch through x16 is accepted by a `bti c` landing pad, so a chained handler in a BTI-guarded
//   binary still runs.
// - siginfo_t, the kernel's struct sigaction (handler, flags, restorer, mask: SA_RESTORER exists on
//   arm64) and the C library's struct sigaction (glibc and musl) are laid out as on x86-64, and the
//   signal, si_code, SA_* and MAP_* numbers are the generic ones, the same.
// - instruction cache: the code is written to a fresh anonymous page that is not executable, then
//   made read + execute by mprotect. Linux arm64 cleans the data cache to the point of unification
//   and invalidates the instruction cache for a user page the first time it is mapped executable
//   (set_pte_at -> __sync_icache_dcache, for a page not yet marked PG_dcache_clean, which a newly
//   allocated page is not), so no `dc cvau` / `ic ivau` (__clear_cache) is needed from user space;
//   the page is never written again.
// - pages: the zero page is 4 KiB; sigbus.ts installs this guard only where the page size is 4 KiB
//   (16 and 64 KiB kernels: unguarded, and the guard's status says why).
import { RECORD } from './sigbus-x64.js';

/** Linux arm64 numbers the code uses (<asm-generic/unistd.h>, <asm-generic/siginfo.h>, <asm-generic/signal.h>). */
export const A64 = {
  SIGBUS: 7,
  BUS_ADRERR: 2,
  /** siginfo_t: si_code at 8, the union (si_addr for SIGBUS) at 16. */
  SI_CODE: 8,
  SI_ADDR: 16,
  PAGE: 4096,
  SYS_mmap: 222,
  SYS_rt_sigaction: 134,
  SYS_getpid: 172,
  SYS_gettid: 178,
  SYS_rt_tgsigqueueinfo: 240,
  /** MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS */
  ZERO_PAGE_FLAGS: 0x02 | 0x10 | 0x20,
} as const;

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

/** A general register: 0..30, 31 = xzr/wzr (or sp where the instruction says so). */
type Reg = number;
const X = (r: Reg) => (r === 31 ? 'xzr' : `x${r}`);
const W = (r: Reg) => (r === 31 ? 'wzr' : `w${r}`);

/** Branch conditions (the A64 cond field) and the name objdump gives each. */
const COND = { eq: 0, ne: 1, cs: 2, ls: 9 } as const;

/** One instruction: its 32-bit word (given where it will be and where the labels are), objdump's text, and why. */
interface Insn {
  label?: string;
  encode: (at: number, labels: ReadonlyMap<string, number>) => number;
  asm: (at: number, labels: ReadonlyMap<string, number>) => string;
  why: string;
}

function fixed(word: number, asm: string): Pick<Insn, 'encode' | 'asm'> {
  return { encode: () => word >>> 0, asm: () => asm };
}

function imm12(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xfff) throw new Error(`sigbus-a64: immediate ${n} out of range`);
  return n;
}

/** A PC-relative 19-bit word offset (cbz, cbnz, b.cond, ldr literal) to `label`. */
function rel19(at: number, labels: ReadonlyMap<string, number>, label: string): number {
  const target = labels.get(label);
  if (target === undefined) throw new Error(`sigbus-a64: no label ${label}`);
  const words = (target - at) / 4;
  if (!Number.isInteger(words) || words < -(1 << 18) || words >= 1 << 18) throw new Error(`sigbus-a64: ${label} out of range`);
  return (words & 0x7ffff) << 5;
}

const target = (labels: ReadonlyMap<string, number>, label: string) => hex(labels.get(label) ?? Number.NaN);

// The forms the handler uses, each encoded from the Arm ARM's fields.
const ldrW = (t: Reg, n: Reg, off: number) => fixed(0xb940_0000 | (imm12(off / 4) << 10) | (n << 5) | t, `ldr ${W(t)}, [${X(n)}, #${off}]`);
const ldrX = (t: Reg, n: Reg, off: number) =>
  fixed(0xf940_0000 | (imm12(off / 8) << 10) | (n << 5) | t, off === 0 ? `ldr ${X(t)}, [${X(n)}]` : `ldr ${X(t)}, [${X(n)}, #${off}]`);
const ldrLiteral = (t: Reg, label: string) => ({
  encode: (at: number, l: ReadonlyMap<string, number>) => (0x5800_0000 | rel19(at, l, label) | t) >>> 0,
  asm: (_at: number, l: ReadonlyMap<string, number>) => `ldr ${X(t)}, ${target(l, label)}`,
});
const ldarW = (t: Reg, n: Reg) => fixed(0x88df_fc00 | (n << 5) | t, `ldar ${W(t)}, [${X(n)}]`);
const ldarX = (t: Reg, n: Reg) => fixed(0xc8df_fc00 | (n << 5) | t, `ldar ${X(t)}, [${X(n)}]`);
const ldaxrW = (t: Reg, n: Reg) => fixed(0x885f_fc00 | (n << 5) | t, `ldaxr ${W(t)}, [${X(n)}]`);
const ldaxrX = (t: Reg, n: Reg) => fixed(0xc85f_fc00 | (n << 5) | t, `ldaxr ${X(t)}, [${X(n)}]`);
const stlxrW = (s: Reg, t: Reg, n: Reg) => fixed(0x8800_fc00 | (s << 16) | (n << 5) | t, `stlxr ${W(s)}, ${W(t)}, [${X(n)}]`);
const stlxrX = (s: Reg, t: Reg, n: Reg) => fixed(0xc800_fc00 | (s << 16) | (n << 5) | t, `stlxr ${W(s)}, ${X(t)}, [${X(n)}]`);
const addX = (d: Reg, n: Reg, imm: number) => fixed(0x9100_0000 | (imm12(imm) << 10) | (n << 5) | d, `add ${X(d)}, ${X(n)}, #${hex(imm)}`);
const addW = (d: Reg, n: Reg, imm: number) => fixed(0x1100_0000 | (imm12(imm) << 10) | (n << 5) | d, `add ${W(d)}, ${W(n)}, #${hex(imm)}`);
const subsW = (d: Reg, n: Reg, imm: number) => fixed(0x7100_0000 | (imm12(imm) << 10) | (n << 5) | d, `subs ${W(d)}, ${W(n)}, #${hex(imm)}`);
const cmpWImm = (n: Reg, imm: number) => fixed(0x7100_0000 | (imm12(imm) << 10) | (n << 5) | 31, `cmp ${W(n)}, #${hex(imm)}`);
const cmpXImm = (n: Reg, imm: number) => fixed(0xf100_0000 | (imm12(imm) << 10) | (n << 5) | 31, `cmp ${X(n)}, #${hex(imm)}`);
const cmnXImm = (n: Reg, imm: number) => fixed(0xb100_0000 | (imm12(imm) << 10) | (n << 5) | 31, `cmn ${X(n)}, #${hex(imm)}`);
const cmpX = (n: Reg, m: Reg) => fixed(0xeb00_0000 | (m << 16) | (n << 5) | 31, `cmp ${X(n)}, ${X(m)}`);
const movX = (d: Reg, m: Reg) => fixed(0xaa00_03e0 | (m << 16) | d, `mov ${X(d)}, ${X(m)}`);
/** movz: a 16-bit immediate, the rest of the register zeroed. */
const movzX = (d: Reg, imm: number) => fixed(0xd280_0000 | ((imm & 0xffff) << 5) | d, `mov ${X(d)}, #${hex(imm)}`);
const movzW = (d: Reg, imm: number) => fixed(0x5280_0000 | ((imm & 0xffff) << 5) | d, `mov ${W(d)}, #${hex(imm)}`);
/** movn xd, #0: all ones (-1). */
const movMinus1X = (d: Reg) => fixed(0x9280_0000 | d, `mov ${X(d)}, #0xffffffffffffffff`);
/** and xd, xn, #~(PAGE - 1): a logical immediate of 52 ones (imms 51) rotated right by 52 (immr). */
const andPageX = (d: Reg, n: Reg) => fixed(0x9200_0000 | (1 << 22) | (52 << 16) | (51 << 10) | (n << 5) | d, `and ${X(d)}, ${X(n)}, #0xfffffffffffff000`);
const svc0 = () => fixed(0xd400_0001, 'svc #0x0');
const ret = () => fixed(0xd65f_03c0, 'ret');
const br = (n: Reg) => fixed(0xd61f_0000 | (n << 5), `br ${X(n)}`);
const bLabel = (label: string) => ({
  encode: (at: number, l: ReadonlyMap<string, number>) => {
    const words = ((l.get(label) ?? Number.NaN) - at) / 4;
    if (!Number.isInteger(words)) throw new Error(`sigbus-a64: no label ${label}`);
    return (0x1400_0000 | (words & 0x3ff_ffff)) >>> 0;
  },
  asm: (_at: number, l: ReadonlyMap<string, number>) => `b ${target(l, label)}`,
});
const bCond = (cond: keyof typeof COND, label: string) => ({
  encode: (at: number, l: ReadonlyMap<string, number>) => (0x5400_0000 | rel19(at, l, label) | COND[cond]) >>> 0,
  asm: (_at: number, l: ReadonlyMap<string, number>) => `b.${cond} ${target(l, label)}`,
});
const cbz = (wide: boolean, nonzero: boolean, t: Reg, label: string) => ({
  encode: (at: number, l: ReadonlyMap<string, number>) => ((wide ? 0xb400_0000 : 0x3400_0000) | (nonzero ? 1 << 24 : 0) | rel19(at, l, label) | t) >>> 0,
  asm: (_at: number, l: ReadonlyMap<string, number>) => `${nonzero ? 'cbnz' : 'cbz'} ${wide ? X(t) : W(t)}, ${target(l, label)}`,
});

/** The label of the 8-byte literal holding the record's address, after the code. */
const RECORD_LITERAL = 'record';

// Registers: x0 x1 x2 as the kernel passed them until the zero page is mapped; x6 = info (for the
// pass-on paths); x9 = the record; x11 = the faulting address; x12 = the slot looked at; x13 =
// slots left; x10 x14 x15 scratch (x15: the store-exclusive status); x16 = the previous handler.
function program(): Insn[] {
  const R = RECORD;
  return [
    { ...movX(6, 1), why: 'x6 = info, kept for the pass-on paths' },
    { ...ldrLiteral(9, RECORD_LITERAL), why: 'x9 = the record' },
    { ...ldrW(10, 1, A64.SI_CODE), why: 'si_code' },
    { ...cmpWImm(10, A64.BUS_ADRERR), why: 'si_code == BUS_ADRERR ?' },
    { ...bCond('ne', 'pass'), why: 'no: not a fault past the end of a file' },
    { ...ldrX(11, 1, A64.SI_ADDR), why: 'x11 = si_addr, the faulting address' },
    { ...addX(10, 9, R.HIGH), why: '' },
    { ...ldarW(13, 10), why: 'w13 = slots to look at (the ones ever used)' },
    { ...addX(12, 9, R.SLOTS_AT), why: 'x12 = first slot' },
    { ...cbz(false, false, 13, 'pass'), why: 'none: not ours' },
    { label: 'scan', ...addX(10, 12, R.END), why: '' },
    { ...ldarX(14, 10), why: 'x14 = slot.end (a free slot has end 0); acquire: start is at least as new' },
    { ...cmpX(11, 14), why: 'addr < slot.end ? (unsigned)' },
    { ...bCond('cs', 'next'), why: 'no: next slot' },
    { ...ldrX(14, 12, R.START), why: 'x14 = slot.start' },
    { ...cmpX(11, 14), why: 'addr >= slot.start ?' },
    { ...bCond('cs', 'found'), why: 'yes: the fault is in a registered range' },
    { label: 'next', ...addX(12, 12, R.SLOT_BYTES), why: 'x12 = next slot' },
    { ...subsW(13, 13, 1), why: '' },
    { ...bCond('ne', 'scan'), why: 'more slots to look at' },
    { ...bLabel('pass'), why: 'in no registered range: not ours' },
    { label: 'found', ...addX(10, 12, R.FAULTS), why: '' },
    { label: 'count', ...ldaxrW(14, 10), why: 'slot.faults++ (exclusive loop)' },
    { ...addW(14, 14, 1), why: '' },
    { ...stlxrW(15, 14, 10), why: '' },
    { ...cbz(false, true, 15, 'count'), why: 'lost the reservation: again' },
    { ...addX(10, 12, R.FIRST), why: '' },
    { label: 'first', ...ldaxrX(14, 10), why: 'slot.first = addr if it is still 0' },
    { ...cbz(true, true, 14, 'handled'), why: 'already set: keep the first' },
    { ...stlxrX(15, 11, 10), why: '' },
    { ...cbz(false, true, 15, 'first'), why: 'lost the reservation: again' },
    { label: 'handled', ...ldaxrX(14, 9), why: 'record.handled++ (exclusive loop)' },
    { ...addX(14, 14, 1), why: '' },
    { ...stlxrX(15, 14, 9), why: '' },
    { ...cbz(false, true, 15, 'handled'), why: 'lost the reservation: again' },
    { ...andPageX(0, 11), why: 'mmap arg 1: the faulting page' },
    { ...movzX(1, A64.PAGE), why: 'mmap arg 2: one page' },
    { ...ldrW(2, 12, R.PROT), why: 'mmap arg 3: prot = slot.prot' },
    { ...movzX(3, A64.ZERO_PAGE_FLAGS), why: 'mmap arg 4: MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS' },
    { ...movMinus1X(4), why: 'mmap arg 5: fd -1' },
    { ...movzX(5, 0), why: 'mmap arg 6: offset 0' },
    { ...movzX(8, A64.SYS_mmap), why: 'SYS_mmap' },
    { ...svc0(), why: 'zero page over the faulting page' },
    { ...cmnXImm(0, 0xfff), why: 'x0 in [-4095, -1] is -errno (carry set)' },
    { ...bCond('cs', 'dfl'), why: 'mmap failed: our fault, not absorbed: die by it as before' },
    { ...ret(), why: 'restart the access: it now reads the zero page' },
    { label: 'pass', ...ldrX(16, 9, R.CHAIN), why: 'the handler SIGBUS had before ours' },
    { ...cmpXImm(16, 1), why: 'SIG_DFL (0) or SIG_IGN (1) ?' },
    { ...bCond('ls', 'dfl'), why: 'yes: the default action' },
    { ...movzW(0, A64.SIGBUS), why: 'arg 1: SIGBUS (args 2 and 3, info and ucontext, are untouched)' },
    { ...br(16), why: 'not ours: the previous handler gets it, as if we were not there' },
    { label: 'dfl', ...movzX(0, A64.SIGBUS), why: 'arg 1: SIGBUS' },
    { ...addX(1, 9, R.DFL_ACTION), why: 'arg 2: the zeroed action in the record = SIG_DFL' },
    { ...movzX(2, 0), why: 'arg 3: no old action wanted' },
    { ...movzX(3, 8), why: 'arg 4: sizeof(kernel sigset_t)' },
    { ...movzX(8, A64.SYS_rt_sigaction), why: 'SYS_rt_sigaction' },
    { ...svc0(), why: 'SIGBUS -> SIG_DFL' },
    { ...movzX(8, A64.SYS_getpid), why: 'SYS_getpid' },
    { ...svc0(), why: '' },
    { ...movX(10, 0), why: 'x10 = tgid' },
    { ...movzX(8, A64.SYS_gettid), why: 'SYS_gettid' },
    { ...svc0(), why: '' },
    { ...movX(1, 0), why: 'arg 2: this thread' },
    { ...movX(0, 10), why: 'arg 1: this process' },
    { ...movzX(2, A64.SIGBUS), why: 'arg 3: SIGBUS' },
    { ...movX(3, 6), why: 'arg 4: the siginfo we were given' },
    { ...movzX(8, A64.SYS_rt_tgsigqueueinfo), why: 'SYS_rt_tgsigqueueinfo' },
    { ...svc0(), why: 'queue the same signal again (blocked until we return)' },
    { ...ret(), why: 'rt_sigreturn unblocks SIGBUS: default action, the process dies' },
  ];
}

/** One line of the listing: offset, the instruction word's bytes (little-endian), objdump-style text, comment. */
export interface ListingLine {
  offset: number;
  bytes: Uint8Array;
  asm: string;
  why: string;
}

/** Offsets of the instructions, of the labels and of the record literal (8-byte aligned, after the code). */
function layout(insns: Insn[]): { labels: Map<string, number>; literal: number } {
  const labels = new Map<string, number>();
  insns.forEach((i, n) => {
    if (i.label) labels.set(i.label, 4 * n);
  });
  const literal = Math.ceil((4 * insns.length) / 8) * 8;
  labels.set(RECORD_LITERAL, literal);
  return { labels, literal };
}

/** The handler instruction by instruction (branches resolved); the record literal is not listed. */
export function handlerListing(): ListingLine[] {
  const insns = program();
  const { labels } = layout(insns);
  return insns.map((i, n) => {
    const word = i.encode(4 * n, labels);
    const bytes = Uint8Array.from([word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24]);
    return { offset: 4 * n, bytes, asm: i.asm(4 * n, labels), why: i.why };
  });
}

/** Where in the code the record's address is stored (8 bytes, little-endian). */
export function recordOffset(): number {
  return layout(program()).literal;
}

/** The handler's bytes for a record at address `record`: the code, padding, the record literal. */
export function encodeHandler(record: bigint): Uint8Array {
  const lines = handlerListing();
  const at = recordOffset();
  const out = new Uint8Array(at + 8);
  lines.forEach((l) => {
    out.set(l.bytes, l.offset);
  });
  new DataView(out.buffer).setBigUint64(at, record, true);
  return out;
}
