// The platform run of .ci/arm64: arm64 Node under qemu-user, which sets MMAPX_EMULATOR=qemu-user.
// qemu-user runs the program's instructions and passes its syscalls to the host kernel, but it
// emulates the address space itself, and a few things a test checks are then qemu's, not the
// kernel's (listed where a test skips). Those tests skip there with the reason, printed once each.

/** True in .ci/arm64's run under qemu-user. */
export const QEMU_USER = process.env.MMAPX_EMULATOR === 'qemu-user';

/**
 * For `it.skipIf(underQemu('why'))`: true under qemu-user, where it prints that the test is
 * skipped and why (a skipped test must say why, not disappear).
 */
export function underQemu(why: string): boolean {
  if (QEMU_USER) console.warn(`[skipped under qemu-user] ${why}`);
  return QEMU_USER;
}
