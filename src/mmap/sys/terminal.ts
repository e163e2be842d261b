// Is a descriptor a terminal, and how wide is it: one ioctl(TIOCGWINSZ), which fails (ENOTTY)
// on anything else; on Windows, GetConsoleMode and GetConsoleScreenBufferInfo of its HANDLE
// (win32.ts). The CLI's progress line asks it instead of node:tty, whose import loads Node's
// stream and socket modules (a few ms at every start).
import { constants, libc } from './libc.js';
import { consoleColumns, consoleEscapes, consoleUtf8, WINDOWS } from './win32.js';

/**
 * The width in columns of the terminal open on `fd` (0 when the terminal does not say), or
 * undefined when `fd` is not a terminal (or the C library cannot be loaded). On Windows a
 * terminal is a console, input or output (an input says 0).
 */
export function terminalColumns(fd: number): number | undefined {
  try {
    if (WINDOWS) return consoleColumns(fd);
    const ws = new Uint16Array(4); // struct winsize: rows, columns, x and y pixels
    return libc().ioctlWords(fd, constants().TIOCGWINSZ, ws) === 0 ? ws[1] : undefined;
  } catch {
    return undefined;
  }
}

const escapes = new Map<number, boolean>();

/**
 * Whether `fd` is a terminal that renders ANSI escapes (colours, `\x1b[K`): any terminal on POSIX;
 * on Windows a console whose virtual terminal processing is on, which this turns on (once per fd,
 * until the process exits). The CLI colours or draws on a terminal only when this says so.
 */
export function escapeTerminal(fd: number): boolean {
  let yes = escapes.get(fd);
  if (yes === undefined) {
    try {
      yes = WINDOWS ? consoleEscapes(fd) : terminalColumns(fd) !== undefined;
    } catch {
      yes = false;
    }
    escapes.set(fd, yes);
  }
  return yes;
}

/** The descriptors {@link utf8Terminal} looked at. */
const told = new Set<number>();

/**
 * Before the CLI's first write to `fd`: on Windows, a console on it is told that the bytes are
 * UTF-8 (its output code page, for the whole console, until the process exits). Nothing elsewhere.
 */
export function utf8Terminal(fd: number): void {
  if (!WINDOWS || told.has(fd)) return;
  told.add(fd);
  try {
    consoleUtf8(fd);
  } catch {
    // No FFI: the text goes out as it is.
  }
}
