// File names that are not valid UTF-8. Node decodes the command line and the text it reads as
// UTF-8, each bad byte becoming U+FFFD: such a name would silently name another file (`-o` would
// create it, `--ignore-missing` would skip it), and `--text` would write other bytes. mmapx takes
// paths as strings, so it refuses them: in the arguments (Linux: /proc/self/cmdline still has the
// bytes), in --files-from lists and in checksum files. A symlink with a UTF-8 name reaches such a
// file; hex gives any byte.
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { quote } from '../format/quote.js';

const ADVICE = 'mmapx reads it as another name (each bad byte as U+FFFD); give the file a UTF-8 name, or a symlink with one';

/**
 * Refuses an argument of `argv` (node, script, arguments...) that was not valid UTF-8. Costs
 * nothing unless an argument holds U+FFFD; where the bytes cannot be read back (not Linux), it
 * lets the argument through.
 * @throws InputError (exit 2) naming the argument.
 */
export function refuseLossyArguments(argv: readonly string[]): void {
  const suspects = argv.slice(2).filter((a) => a.includes('\uFFFD'));
  if (suspects.length === 0) return;
  let raw: Buffer;
  try {
    raw = readFileSync('/proc/self/cmdline');
  } catch {
    return;
  }
  for (let start = 0; start < raw.length; ) {
    const end = raw.indexOf(0, start);
    const bytes = raw.subarray(start, end < 0 ? raw.length : end);
    start = end < 0 ? raw.length : end + 1;
    if (isUtf8(bytes)) continue;
    const arg = bytes.toString('utf8');
    if (suspects.includes(arg)) {
      throw new InputError(
        `the argument ${quote(arg)} is not valid UTF-8: mmapx reads each bad byte as U+FFFD, another name or other bytes; give a file a UTF-8 name (or a symlink with one), and bytes as hex`,
        { token: arg },
      );
    }
  }
}

/**
 * Refuses a list of paths (--files-from, a checksum file) that is not valid UTF-8, naming its
 * first bad line (lines end with `\n`).
 * @throws InputError (exit 2).
 */
export function refuseLossyLines(bytes: Uint8Array, what: string): void {
  if (isUtf8(bytes)) return;
  for (let start = 0, line = 1; start < bytes.length; line++) {
    const nl = bytes.indexOf(10, start);
    const end = nl < 0 ? bytes.length : nl;
    if (!isUtf8(bytes.subarray(start, end))) throw new InputError(`${what} line ${line} is not valid UTF-8: ${ADVICE}`, { line });
    start = end + 1;
  }
}
