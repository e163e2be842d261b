// Surviving SIGBUS: when another process truncates a file while it is mapped, touching a mapped page
// that now lies past the end of the file raises SIGBUS, which kills every mmap program (Node.js does
// not catch it). Here a tiny native handler (sigbus-x64.ts) absorbs those faults, but only inside
// the ranges the core registered: it puts a zero page over the faulting page, records the fault,
// and lets the access complete. The core reads the record after each operation and turns a fault
// into an ERR_TRUNCATED error naming the file offset. Every other SIGBUS kills as before.
//
// Scope and limits, on purpose:
// - Linux x86-64 only. Elsewhere (arm64 included) nothing is installed and a truncated mapping still
//   kills the process, as it does in every other mmap tool; `sigbusGuard()` says why.
// - Installed lazily, by the first file mapping (importing the library has no side effect), once
//   per process. If SIGBUS already has a handler (the host program's, or a second copy of this
//   library, e.g. in a worker thread), it is left alone and the guard stays off.
// - MMAPX_NO_SIGBUS_GUARD=1 in the environment turns it off (to compare, or to get a core dump).
// - The handler's code page and the record are process-lifetime memory, mapped here directly and
//   never unmapped: a Mapping is given back when garbage-collected, and the handler must outlive
//   every module instance that could still be registered with the kernel.
// - 510 ranges can be registered at once; a mapping made while all are taken is simply unguarded.
import { MmapError, describeErrno } from '../errors.js';
import { type Address, MAP_FAILED, constants, libc, pageSize } from './libc.js';
import { RECORD, SIGACTION, X64, encodeHandler } from './sigbus-x64.js';

/** Whether the SIGBUS guard is active in this process, and what it has done. */
export interface SigbusGuardStatus {
  /** True once the handler is installed (by the first file mapping). */
  active: boolean;
  /** Why it is off (unsupported CPU, disabled, SIGBUS taken, ...); null when active or not tried yet. */
  reason: string | null;
  /** Faults absorbed since it was installed. */
  handled: number;
  /** Ranges registered now, and how many can be. */
  ranges: number;
  capacity: number;
}

/** What the handler recorded for one registered range. */
export interface RangeFault {
  /** Faults absorbed (each one replaced a page by zeros). */
  count: number;
  /** Address of the first one. */
  first: Address;
}

type State =
  | { on: false; reason: string }
  | { on: true; u64: BigUint64Array; u32: Uint32Array; free: number[] };

let state: State | undefined;

function off(reason: string): State {
  return { on: false, reason };
}

function failure(call: string): string {
  const { name, description } = describeErrno(libc().errno());
  return `${call}: ${description} (${name})`;
}

function install(): State {
  if (process.env.MMAPX_NO_SIGBUS_GUARD) return off('turned off by MMAPX_NO_SIGBUS_GUARD');
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return off(`the SIGBUS guard exists for Linux x86-64 only (this is ${process.platform} ${process.arch})`);
  }
  const c = constants();
  const lc = libc();
  if (pageSize() !== X64.PAGE) return off(`the SIGBUS guard needs 4 KiB pages (the page size is ${pageSize()})`);
  const old = new Uint8Array(SIGACTION.BYTES);
  if (lc.sigaction(X64.SIGBUS, null, old) !== 0) return off(failure('sigaction'));
  if (new DataView(old.buffer).getBigUint64(SIGACTION.HANDLER, true) !== 0n) {
    return off('SIGBUS already has a handler in this process (the host program, or another copy of mmapx): left alone');
  }
  const rw = c.PROT_READ | c.PROT_WRITE;
  const anon = c.MAP_PRIVATE | c.MAP_ANONYMOUS;
  const record = lc.mmap(null, RECORD.BYTES, rw, anon, -1, 0n);
  if (record === MAP_FAILED) return off(failure('mmap'));
  const code = lc.mmap(null, X64.PAGE, rw, anon, -1, 0n);
  if (code === MAP_FAILED) {
    const why = failure('mmap');
    lc.munmap(record, RECORD.BYTES);
    return off(why);
  }
  // INVARIANT: this view of the code page is dropped at once; after mprotect it would fault on write.
  new Uint8Array(lc.view(code, X64.PAGE)).set(encodeHandler(record));
  const act = new Uint8Array(SIGACTION.BYTES);
  const dv = new DataView(act.buffer);
  dv.setBigUint64(SIGACTION.HANDLER, code, true);
  dv.setInt32(SIGACTION.FLAGS, SIGACTION.SA_SIGINFO, true);
  const refused =
    lc.mprotect(code, X64.PAGE, c.PROT_READ | c.PROT_EXEC) !== 0
      ? `${failure('mprotect')}: executable memory for the handler was refused`
      : lc.sigaction(X64.SIGBUS, act, null) !== 0
        ? failure('sigaction')
        : undefined;
  if (refused !== undefined) {
    lc.munmap(code, X64.PAGE);
    lc.munmap(record, RECORD.BYTES);
    return off(refused);
  }
  // INVARIANT: the kernel now jumps to `code` on SIGBUS, and the code reads `record`: both stay mapped
  // (and `code` read + execute) for the rest of the process. Nothing ever unmaps them.
  const buf = lc.view(record, RECORD.BYTES);
  const free = Array.from({ length: RECORD.SLOTS }, (_, i) => RECORD.SLOTS - 1 - i);
  return { on: true, u64: new BigUint64Array(buf), u32: new Uint32Array(buf), free };
}

function active(): Extract<State, { on: true }> | undefined {
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
 * Registers [start, start+len) of a file mapping with protection `prot` (PROT_* bits), installing
 * the handler on first use. Returns the slot, or -1 when the guard is off or full (unguarded).
 * Atomics order the stores: a slot becomes visible to the handler only when its end is written.
 */
export function guardRange(start: Address, len: number, prot: number): number {
  const s = active();
  const slot = s?.free.pop();
  if (s === undefined || slot === undefined) return -1;
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
  Atomics.store(s.u64, f.end, 0n);
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
  Atomics.store(s.u64, f.end, 0n);
  Atomics.store(s.u64, f.start, 0n);
  Atomics.store(s.u32, f.faults, 0);
  Atomics.store(s.u64, f.first, 0n);
  s.free.push(slot);
  return fault;
}

/** The guard's state. Does not install it (the first file mapping does). */
export function sigbusGuard(): SigbusGuardStatus {
  if (state === undefined) return { active: false, reason: null, handled: 0, ranges: 0, capacity: RECORD.SLOTS };
  if (!state.on) return { active: false, reason: state.reason, handled: 0, ranges: 0, capacity: RECORD.SLOTS };
  return {
    active: true,
    reason: null,
    handled: Number(Atomics.load(state.u64, RECORD.HANDLED / 8)),
    ranges: RECORD.SLOTS - state.free.length,
    capacity: RECORD.SLOTS,
  };
}

/** An error for a range that cannot be used any more because the file shrank under it. */
export function faultedRangeError(what: string, path: string | undefined): MmapError {
  return new MmapError('ERR_TRUNCATED', `${what}: the file shrank under this mapping (its pages past the end read as zeros); map it again`, { path });
}
