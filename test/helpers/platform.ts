// Which platform the tests run on, for the few checks whose answer differs on Windows (run under
// Wine by .ci/win-x64): system call names, and features Windows does not have.
import { it } from 'vitest';
import { underQemu } from './emulator.js';

/** The tests run on Windows (the Win32 backend). */
export const WINDOWS = process.platform === 'win32';

/** The name an MmapError gives the system call, per platform. */
export const SYSCALL = {
  /** Making a map: mmap(2), or CreateFileMappingW (which refuses a writable map of a read-only file). */
  map: WINDOWS ? 'CreateFileMappingW' : 'mmap',
  /** Changing a protection: mprotect(2) or VirtualProtect. */
  protect: WINDOWS ? 'VirtualProtect' : 'mprotect',
} as const;

/**
 * `it`, skipped on Windows, where what the test checks does not exist; `why` says what (it is shown
 * in the test's name there, so that a skip is never silent).
 */
export function posixIt(why: string): typeof it {
  return WINDOWS ? (((name: string, ...rest: unknown[]) => it.skip(`${name} (not on Windows: ${why})`, ...(rest as []))) as unknown as typeof it) : it;
}

/**
 * `it`, skipped where what the test checks does not exist or is not the kernel's: on Windows
 * (`windows`, shown in the test's name as by {@link posixIt}) and under qemu-user (`qemu`, printed
 * by {@link underQemu}). A reason left out runs the test there.
 */
export function platformIt(why: { windows?: string; qemu?: string }): typeof it {
  if (WINDOWS && why.windows !== undefined) return posixIt(why.windows);
  if (why.qemu !== undefined && underQemu(why.qemu)) return it.skip as typeof it;
  return it;
}
