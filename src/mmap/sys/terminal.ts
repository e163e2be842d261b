// Is a descriptor a terminal, and how wide is it: one ioctl(TIOCGWINSZ), which fails (ENOTTY)
// on anything else. The CLI's progress line asks it instead of node:tty, whose import loads
// Node's stream and socket modules (a few ms at every start).
import { constants, libc } from './libc.js';

/**
 * The width in columns of the terminal open on `fd` (0 when the terminal does not say), or
 * undefined when `fd` is not a terminal (or the C library cannot be loaded).
 */
export function terminalColumns(fd: number): number | undefined {
  try {
    const ws = new Uint16Array(4); // struct winsize: rows, columns, x and y pixels
    return libc().ioctlWords(fd, constants().TIOCGWINSZ, ws) === 0 ? ws[1] : undefined;
  } catch {
    return undefined;
  }
}
