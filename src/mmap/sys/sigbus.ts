// Surviving SIGBUS: when another process truncates a file while it is mapped, touching a mapped page
// that now lies past the end of the file raises SIGBUS, which kills every mmap program (Node.js does
// not catch it). Here a tiny native handler (sigbus-x64.ts, sigbus-a64.ts) absorbs those faults, but only inside
// the ranges the core registered: it puts a zero page over the faulting page, records the fault,
// and lets the access complete. The core reads the record after each operation and turns a fault
// into an ERR_TRUNCATED error naming the file offset. Every other SIGBUS kills as before.
//
// Scope and limits, on purpose:
// - Linux x86-64 and arm64 (AArch64) with 4 KiB pages. Elsewhere nothing is installed and a
//   truncated mapping still kills the process, as it does in every other mmap tool; `sigbusGuard()`
//   says why. Both handlers share the record's layout and the C library's struct sigaction (the
//   same on both), and differ in their code only.
// - Installed lazily, by the first file mapping or by armSigbusGuard() (importing the library has
//   no side effect), once per process. If SIGBUS already has a handler (the application's
//   `process.on('SIGBUS')`, which Node.js can only run after the faulting access returned, so a
//   truncated read would fault again forever), the guard goes in front of it and passes it every
//   fault that is not ours (CHAIN in the record). If that handler is this very guard, installed by
//   another copy of this library in the process (a worker thread has its own copy of every module,
//   and the signal disposition is per process), that copy adopts it (see `adopt`), so that faults in
//   a worker's mappings are absorbed and reported too. The slots of the record are claimed with an
//   atomic compare-and-swap, so every thread registers its ranges in the same table. Threads that
//   map files are best started after armSigbusGuard(): two copies installing at the same instant
//   would each make a guard, and only one would be the process's. A handler installed later (a
//   `process.on('SIGBUS')` after the first mapping) replaces the guard: the next mapping puts the
//   guard back in front of it.
// - MMAPX_NO_SIGBUS_GUARD=1 in the environment turns it off (to compare, or to get a core dump).
// - The handler's code page and the record are process-lifetime memory, mapped here directly and
//   never unmapped: a Mapping is given back when garbage-collected, and the handler must outlive
//   every module instance that could still be registered with the kernel.
// - Capacity: the record has a slot for as many ranges as the process can have mappings
//   (vm.max_map_count, read when the guard is installed; 510 to 1,048,576), so every live file
//   mapping, dropped-but-not-yet-collected ones included, finds one. A slot is freed when its range
//   is unmapped, replaced by a placeholder or given back by the garbage collector, and used again;
//   the handler looks through the slots ever used at once (the peak), so a fault costs time in
//   proportion to the most maps ever alive together. Pages of slots never used are never touched.
//   Should every slot be taken, a new mapping is unguarded: its `guarded` says so and
//   `sigbusGuard().unguarded` counts it.
import { readFileSync } from 'node:fs';
import { MmapError, describeErrno } from '../errors.js';
import { type Address, MAP_FAILED, constants, libc, pageSize } from './libc.js';
import { encodeHandler as encodeA64, recordOffset as recordOffsetA64 } from './sigbus-a64.js';
import { GUARD_MARK, RECORD, SIGACTION, X64, encodeHandler, handlerListing, recordBytes, recordSlots } from './sigbus-x64.js';
import { WINDOWS } from './win32.js';

/** Why Windows needs no guard. */
const WINDOWS_REASON = 'Windows has no SIGBUS to guard against: it refuses to shrink a file that is mapped (ERROR_USER_MAPPED_FILE)';

/** The handler's code for this CPU: its bytes for a record, and where in them the record's address is. */
interface HandlerCode {
  encode(record: bigint): Uint8Array;
  recordAt: number;
}

/**
 * The handler for `arch` (Node's process.arch), or undefined where there is none. The signal and
 * siginfo numbers, the page (X64.PAGE) and the struct sigaction the JS side uses are the same on
 * both.
 */
export function handlerCode(arch: string): HandlerCode | undefined {
  if (arch === 'x64') {
    const movabs = handlerListing(0n).find((l) => l.asm.startsWith('movabs r8'));
    return movabs && { encode: encodeHandler, recordAt: movabs.offset + 2 };
  }
  if (arch === 'arm64') return { encode: encodeA64, recordAt: recordOffsetA64() };
  return undefined;
}

/** Whether the SIGBUS guard is active in this process, and what it has done. */
export interface SigbusGuardStatus {
  /** True once the handler is installed (by the first file mapping). */
  active: boolean;
  /** Why it is off (unsupported CPU, disabled, SIGBUS taken, ...); null when active or not tried yet. */
  reason: string | null;
  /** Faults absorbed since it was installed. */
  handled: number;
  /** Ranges registered now (by every thread of the process), and how many can be. */
  ranges: number;
  capacity: number;
  /** The most ranges registered at once so far: the slots the handler looks through on a fault. */
  peak: number;
  /** File mappings made by this copy of the library while every slot was taken: not guarded. */
  unguarded: number;
  /** True when SIGBUS had another handler (e.g. `process.on('SIGBUS')`): faults not ours go to it. */
  chained: boolean;
}

/** What the handler recorded for one registered range. */
export interface RangeFault {
  /** Faults absorbed (each one replaced a page by zeros). */
  count: number;
  /** Address of the first one. */
  first: Address;
}

type State = { on: false; reason: string } | { on: true; u64: BigUint64Array; u32: Uint32Array; code: Address; capacity: number };

type On = Extract<State, { on: true }>;

/**
 * The END of a slot that a thread has claimed but that covers no address (its START is never
 * below a page address): the handler skips it, and no other thread can claim it.
 */
const CLAIMED = 1n;

/** Slots this thread freed: claimed again first (another thread may have taken one meanwhile). */
const freed: number[] = [];
/** File mappings this copy could not guard because every slot was taken. */
let refused = 0;

/** The kernel's limit of mappings per process (vm.max_map_count); 65530, its default, where it cannot be read. */
export function maxMapCount(): number {
  try {
    const n = Number.parseInt(readFileSync('/proc/sys/vm/max_map_count', 'latin1'), 10);
    if (Number.isSafeInteger(n) && n > 0) return n;
  } catch {
    // not Linux, or no procfs: the default
  }
  return 65530;
}

/** Slots of a new record: one per mapping the process may have, within [MIN_SLOTS, MAX_SLOTS]. */
function plannedSlots(): number {
  return recordSlots(recordBytes(Math.min(RECORD.MAX_SLOTS, Math.max(RECORD.MIN_SLOTS, maxMapCount()))));
}

let state: State | undefined;

function off(reason: string): State {
  return { on: false, reason };
}

function failure(call: string): string {
  const { name, description } = describeErrno(libc().errno());
  return `${call}: ${description} (${name})`;
}

/**
 * The permissions of the line of `maps` (the text of /proc/self/maps) whose mapping holds all of
 * [addr, addr+len), and whether it is anonymous; undefined when no one line does. The kernel shows
 * neighbouring anonymous mappings of one kind as one line (an allocator's region just below the
 * record, say), so the range is looked for inside a line, not at its start. Pure: tested on its own.
 */
export function mappingHolding(maps: string, addr: Address, len: number): { perms: string; anonymous: boolean } | undefined {
  const end = addr + BigInt(len);
  for (const line of maps.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (!m || BigInt(`0x${m[1]}`) > addr || BigInt(`0x${m[2]}`) < end) continue;
    return { perms: m[3]!, anonymous: m[4] === '0' && (m[5] === '' || m[5]!.startsWith('[anon')) };
  }
  return undefined;
}

/**
 * Recognises the SIGBUS handler at `code` as this guard, installed by another copy of this library
 * in the process (the main thread's, when this copy runs in a worker thread), and returns a state
 * over the same record; undefined for any other handler. The code must be what install() makes:
 * the start of an anonymous read + execute page holding exactly `encode(record)`, where `record` is
 * read from the code itself (x86-64: its `movabs`; arm64: the literal after the code) and must lie
 * in anonymous read-write memory.
 * Nothing is read before /proc/self/maps shows it readable, so a foreign handler is never touched
 * beyond that check.
 */
function adopt(code: Address, handler: HandlerCode): State | undefined {
  const maps = guardPage(code);
  if (maps === undefined) return undefined;
  const lc = libc();
  const probe = handler.encode(0n);
  // INVARIANT: a read-only copy of the code page's first bytes; the page stays mapped for the process.
  const bytes = new Uint8Array(lc.view(code, probe.length)).slice();
  const record = new DataView(bytes.buffer).getBigUint64(handler.recordAt, true);
  const expected = handler.encode(record);
  if (expected.length !== bytes.length || !expected.every((b, i) => b === bytes[i])) return undefined;
  if (record % BigInt(X64.PAGE) !== 0n) return undefined;
  const head = mappingHolding(maps, record, X64.PAGE);
  if (!head?.anonymous || !head.perms.startsWith('rw')) return undefined;
  // INVARIANT: the record's first page is process-lifetime memory (never unmapped, see install()).
  const capacity = new Uint32Array(lc.view(record, X64.PAGE))[RECORD.CAPACITY / 4] ?? 0;
  if (capacity < RECORD.MIN_SLOTS || capacity > RECORD.MAX_SLOTS) return undefined;
  const size = recordBytes(capacity);
  const rec = mappingHolding(maps, record, size);
  if (!rec?.anonymous || !rec.perms.startsWith('rw')) return undefined;
  // INVARIANT: the record is process-lifetime memory (never unmapped, see install()).
  const buf = lc.view(record, size);
  return { on: true, u64: new BigUint64Array(buf), u32: new Uint32Array(buf), code, capacity };
}

/**
 * The text of /proc/self/maps if `code` is the start of an anonymous read + execute page (as a
 * guard's code page is), else undefined. Nothing at `code` is read before this says it is readable.
 */
function guardPage(code: Address): string | undefined {
  if (code % BigInt(X64.PAGE) !== 0n) return undefined;
  let maps: string;
  try {
    maps = readFileSync('/proc/self/maps', 'latin1');
  } catch {
    return undefined;
  }
  const page = mappingHolding(maps, code, X64.PAGE);
  if (!page?.anonymous || page.perms[0] !== 'r' || page.perms[2] !== 'x') return undefined;
  return maps;
}

/** Whether the handler at `code` is the guard of some version of mmapx (it carries GUARD_MARK). */
function isGuard(code: Address): boolean {
  if (guardPage(code) === undefined) return false;
  // INVARIANT: a read-only copy of bytes of a page that guardPage found mapped readable.
  const mark = new Uint8Array(libc().view(code + BigInt(GUARD_MARK.AT), GUARD_MARK.TEXT.length)).slice();
  return Buffer.from(mark).toString('latin1') === GUARD_MARK.TEXT;
}

/** The handler SIGBUS has now (0 = SIG_DFL, 1 = SIG_IGN), with its whole struct sigaction; undefined if sigaction fails. */
function currentAction(): { handler: Address; act: Uint8Array } | undefined {
  const act = new Uint8Array(SIGACTION.BYTES);
  if (libc().sigaction(X64.SIGBUS, null, act) !== 0) return undefined;
  return { handler: new DataView(act.buffer).getBigUint64(SIGACTION.HANDLER, true), act };
}

/**
 * Makes `code` the SIGBUS handler in front of `old` (the action SIGBUS has now): the record's CHAIN
 * gets old's handler, and the new action keeps old's signal mask and its SA_ONSTACK / SA_RESTART,
 * so that the old handler, when a fault is passed on to it, runs as it was set up to. Returns the
 * failure, or undefined.
 */
function installInFront(s: { u64: BigUint64Array }, code: Address, old: Uint8Array): string | undefined {
  const before = new DataView(old.buffer, old.byteOffset, old.byteLength);
  const chain = before.getBigUint64(SIGACTION.HANDLER, true);
  Atomics.store(s.u64, RECORD.CHAIN / 8, chain > 1n ? chain : 0n);
  const act = new Uint8Array(SIGACTION.BYTES);
  const dv = new DataView(act.buffer);
  dv.setBigUint64(SIGACTION.HANDLER, code, true);
  const keep = chain > 1n ? before.getInt32(SIGACTION.FLAGS, true) & (SIGACTION.SA_ONSTACK | SIGACTION.SA_RESTART) : 0;
  dv.setInt32(SIGACTION.FLAGS, SIGACTION.SA_SIGINFO | keep, true);
  if (chain > 1n) act.set(old.subarray(SIGACTION.MASK, SIGACTION.FLAGS), SIGACTION.MASK);
  return libc().sigaction(X64.SIGBUS, act, null) !== 0 ? failure('sigaction') : undefined;
}

function install(): State {
  if (process.env.MMAPX_NO_SIGBUS_GUARD) return off('turned off by MMAPX_NO_SIGBUS_GUARD');
  const handler = process.platform === 'linux' ? handlerCode(process.arch) : undefined;
  if (handler === undefined) {
    return off(`the SIGBUS guard exists for Linux x86-64 and arm64 only (this is ${process.platform} ${process.arch})`);
  }
  const c = constants();
  const lc = libc();
  if (pageSize() !== X64.PAGE) return off(`the SIGBUS guard needs 4 KiB pages (the page size is ${pageSize()})`);
  const old = currentAction();
  if (old === undefined) return off(failure('sigaction'));
  if (old.handler === 1n) return off('SIGBUS is ignored in this process (SIG_IGN): a fault kills it anyway, left alone');
  if (old.handler !== 0n) {
    const adopted = adopt(old.handler, handler);
    if (adopted) return adopted;
    if (isGuard(old.handler)) return off('SIGBUS is guarded by another version of mmapx in this process: left alone');
  }
  const rw = c.PROT_READ | c.PROT_WRITE;
  const anon = c.MAP_PRIVATE | c.MAP_ANONYMOUS;
  // Pages of slots never used are never touched: they cost address space, not memory.
  let capacity = plannedSlots();
  let record = lc.mmap(null, recordBytes(capacity), rw, anon | c.MAP_NORESERVE, -1, 0n);
  if (record === MAP_FAILED && capacity > RECORD.MIN_SLOTS) {
    capacity = RECORD.MIN_SLOTS;
    record = lc.mmap(null, recordBytes(capacity), rw, anon, -1, 0n);
  }
  if (record === MAP_FAILED) return off(failure('mmap'));
  const bytes = recordBytes(capacity);
  const code = lc.mmap(null, X64.PAGE, rw, anon, -1, 0n);
  if (code === MAP_FAILED) {
    const why = failure('mmap');
    lc.munmap(record, bytes);
    return off(why);
  }
  {
    // INVARIANT: this view of the code page is dropped at once; after mprotect it would fault on write.
    const page = new Uint8Array(lc.view(code, X64.PAGE));
    page.set(handler.encode(record));
    page.set(Buffer.from(GUARD_MARK.TEXT, 'latin1'), GUARD_MARK.AT);
  }
  // INVARIANT: the record stays mapped for the rest of the process (see below).
  const buf = lc.view(record, bytes);
  const s: On = { on: true, u64: new BigUint64Array(buf), u32: new Uint32Array(buf), code, capacity };
  Atomics.store(s.u32, RECORD.CAPACITY / 4, capacity);
  // On arm64 the kernel makes the instruction cache coherent with the bytes written above when the
  // fresh page becomes executable here (see sigbus-a64.ts); the page is never written again.
  const refused =
    lc.mprotect(code, X64.PAGE, c.PROT_READ | c.PROT_EXEC) !== 0
      ? `${failure('mprotect')}: executable memory for the handler was refused`
      : installInFront(s, code, old.act);
  if (refused !== undefined) {
    lc.munmap(code, X64.PAGE);
    lc.munmap(record, bytes);
    return off(refused);
  }
  // INVARIANT: the kernel now jumps to `code` on SIGBUS, and the code reads `record`: both stay mapped
  // (and `code` read + execute) for the rest of the process. Nothing ever unmaps them.
  return s;
}

/**
 * Puts the guard back in front when another handler replaced it since (the application's
 * `process.on('SIGBUS')` after the first mapping, or Node.js restoring SIG_DFL when the last such
 * listener is removed). One sigaction(2) call when nothing changed.
 */
function keepInFront(s: On): void {
  const now = currentAction();
  if (now === undefined || now.handler === s.code || now.handler === 1n) return;
  // Another version's guard, installed since: each passing the other what is neither's would loop.
  if (now.handler !== 0n && isGuard(now.handler)) return;
  installInFront(s, s.code, now.act);
}

function active(): On | undefined {
  if (state === undefined) {
    try {
      state = install();
    } catch (err) {
      // A mapping must not fail because its guard could not be set up: it is then unguarded.
      state = off(err instanceof Error ? err.message : String(err));
    }
  }
  return state.on ? state : undefined;
}

/** Indexes of a slot's fields in the u64 / u32 arrays over the record. */
function fields(slot: number) {
  const at = RECORD.SLOTS_AT + slot * RECORD.SLOT_BYTES;
  return {
    start: (at + RECORD.START) / 8,
    end: (at + RECORD.END) / 8,
    first: (at + RECORD.FIRST) / 8,
    prot: (at + RECORD.PROT) / 4,
    faults: (at + RECORD.FAULTS) / 4,
  };
}

/**
 * Claims a free slot (END 0 -> CLAIMED, atomically: other threads use the same record), or -1: one
 * this thread freed, else the next never used (HIGH grows by one), else any free one below HIGH.
 */
function claim(s: On): number {
  const take = (slot: number) => Atomics.compareExchange(s.u64, fields(slot).end, 0n, CLAIMED) === 0n;
  for (let slot = freed.pop(); slot !== undefined; slot = freed.pop()) if (take(slot)) return slot;
  for (;;) {
    const high = Atomics.load(s.u32, RECORD.HIGH / 4);
    if (high >= s.capacity) break;
    // Slots at and above HIGH are never claimed otherwise; the scan below may race for this one.
    if (Atomics.compareExchange(s.u32, RECORD.HIGH / 4, high, high + 1) === high && take(high)) return high;
  }
  const high = Atomics.load(s.u32, RECORD.HIGH / 4);
  for (let slot = 0; slot < high; slot++) if (take(slot)) return slot;
  return -1;
}

/**
 * Registers [start, start+len) of a file mapping with protection `prot` (PROT_* bits), installing
 * the handler on first use (and putting it back in front if another handler replaced it). Returns
 * the slot, or -1 when the guard is off or every slot is taken (unguarded: counted in `unguarded`).
 * Atomics order the stores: a slot becomes visible to the handler only when its end is written.
 */
export function guardRange(start: Address, len: number, prot: number): number {
  const s = active();
  if (s === undefined) return -1;
  keepInFront(s);
  const slot = claim(s);
  if (slot < 0) {
    refused++;
    return -1;
  }
  const f = fields(slot);
  Atomics.store(s.u32, f.prot, prot);
  Atomics.store(s.u32, f.faults, 0);
  Atomics.store(s.u64, f.first, 0n);
  Atomics.store(s.u64, f.start, start);
  Atomics.store(s.u64, f.end, start + BigInt(len));
  return slot;
}

/** The range of `slot` moved or changed protection; its fault record is kept. */
export function moveGuardedRange(slot: number, start: Address, len: number, prot: number): void {
  const s = active();
  if (s === undefined || slot < 0) return;
  const f = fields(slot);
  Atomics.store(s.u64, f.end, CLAIMED); // out of the handler's sight, still this thread's
  Atomics.store(s.u32, f.prot, prot);
  Atomics.store(s.u64, f.start, start);
  Atomics.store(s.u64, f.end, start + BigInt(len));
}

/** The faults the handler absorbed in `slot`'s range, if any. */
export function rangeFault(slot: number): RangeFault | undefined {
  const s = state?.on ? state : undefined;
  if (s === undefined || slot < 0) return undefined;
  const f = fields(slot);
  const count = Atomics.load(s.u32, f.faults);
  if (count === 0) return undefined;
  // The handler counts before it stores the address; another thread may be in between.
  const first = Atomics.load(s.u64, f.first);
  return { count, first: first === 0n ? Atomics.load(s.u64, f.start) : first };
}

/** Frees `slot` (its range is unmapped or no longer backed by the file); returns its last record. */
export function unguardRange(slot: number): RangeFault | undefined {
  const s = state?.on ? state : undefined;
  if (s === undefined || slot < 0) return undefined;
  const fault = rangeFault(slot);
  const f = fields(slot);
  Atomics.store(s.u64, f.end, CLAIMED);
  Atomics.store(s.u64, f.start, 0n);
  Atomics.store(s.u32, f.faults, 0);
  Atomics.store(s.u64, f.first, 0n);
  Atomics.store(s.u64, f.end, 0n); // free: another thread may claim it from here on
  freed.push(slot);
  return fault;
}

/** Slots in use, by every thread of the process. */
function usedSlots(s: On): number {
  let n = 0;
  const high = Atomics.load(s.u32, RECORD.HIGH / 4);
  for (let slot = 0; slot < high; slot++) if (Atomics.load(s.u64, fields(slot).end) !== 0n) n++;
  return n;
}

/**
 * Installs the guard now, as the first file mapping would, and returns its state. Threads of one
 * process share one guard: call this before starting worker threads that map files, so that they
 * find it installed and use it (two threads installing at the same instant would each make their
 * own, and only one of them would be the process's).
 */
export function armSigbusGuard(): SigbusGuardStatus {
  if (!WINDOWS) active();
  return sigbusGuard();
}

/** The guard's state. Does not install it (the first file mapping does). */
export function sigbusGuard(): SigbusGuardStatus {
  const idle = { handled: 0, ranges: 0, peak: 0, unguarded: refused, chained: false };
  if (WINDOWS) return { active: false, reason: WINDOWS_REASON, capacity: 0, ...idle };
  if (state === undefined) return { active: false, reason: null, capacity: plannedSlots(), ...idle };
  if (!state.on) return { active: false, reason: state.reason, capacity: 0, ...idle };
  const now = currentAction();
  const inFront = now === undefined || now.handler === state.code;
  return {
    active: inFront,
    reason: inFront ? null : 'SIGBUS was given another handler after the guard was installed: the next file mapping puts the guard back in front of it',
    handled: Number(Atomics.load(state.u64, RECORD.HANDLED / 8)),
    ranges: usedSlots(state),
    capacity: state.capacity,
    peak: Atomics.load(state.u32, RECORD.HIGH / 4),
    unguarded: refused,
    chained: Atomics.load(state.u64, RECORD.CHAIN / 8) !== 0n,
  };
}

/** An error for a range that cannot be used any more because the file shrank under it. */
export function faultedRangeError(what: string, path: string | undefined): MmapError {
  return new MmapError('ERR_TRUNCATED', `${what}: the file shrank under this mapping (its pages past the end read as zeros); map it again`, { path });
}
