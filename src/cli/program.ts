// The commander program: every command, option and help text lives here, so that --help, the
// manual test and shell completion see them all without loading any command's code. Actions load
// their module on first use (`await import`), which keeps `mmapx --version` fast.
import type { EventEmitter } from 'node:events';
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { EXIT_USAGE } from '../errors.js';
import { DIGEST_ALGOS } from '../format/digest.js';
import { parseSeconds } from '../format/number.js';
import type { Context, Result } from './context.js';
import { DEFAULT_LOCK_WAIT } from '../edit/lock.js';

export { COMMANDS, commandOf } from './argv.js';

const TYPED = [
  'u8',
  'i8',
  'u16le',
  'u16be',
  'i16le',
  'i16be',
  'u32le',
  'u32be',
  'i32le',
  'i32be',
  'u64le',
  'u64be',
  'i64le',
  'i64be',
  'f32le',
  'f32be',
  'f64le',
  'f64be',
] as const;

const NUMBERS_HELP = `
Numbers: 1234, 0x4d2, 0o2322, 0b10011010010, 1_000_000, and 1024-based sizes 4K, 16M, 4.5G, 1T,
4KiB... A negative OFFSET counts from the end of the file (-16 = 16 bytes before the end).
Ranges: OFFSET:LENGTH (0x100:16) or START..END, end exclusive (0x100..0x110, -64.., ..4K).
Executables (ELF, PE, Mach-O): an OFFSET may be sym:NAME[+OFF], sec:NAME[+OFF], seg:N[+OFF],
va:ADDR or rva:ADDR; a RANGE also ADDR:LENGTH, ADDR..ADDR, and sym:NAME, sec:NAME, seg:N alone.
Hex data: eb05, "eb 05", 0xeb05, eb:05.`;

const EXIT_HELP = `
Exit status: 0 done (also "already applied"), 1 the operation failed, 2 usage or input error,
3 a guard failed (expected bytes, hash or count differ). A failed command leaves the file
byte-identical.

Environment: NO_COLOR disables colour, FORCE_COLOR forces it (--color overrides both);
MMAPX_NO_PROGRESS=1 turns the progress line off like --no-progress; MMAPX_THREADS=N (1 to 64)
sets the search threads of find and patch (any other value is a usage error).`;

const REPEAT_HELP = `
Options given twice: an option marked (repeatable) counts every time it is given (--edit,
--find/--replace pairs); any other option that takes a value may be given once, and a second
one is a usage error (exit 2) naming it. A flag without a value (-q, --grow) may be repeated:
it means the same thing.`;

/** Options marked by {@link repeatable}: each occurrence counts. Every other option that takes a value is single. */
const REPEATABLE = new WeakSet<Option>();

/** An option that may be given several times: its value is the array of every occurrence, in order. */
function repeatable(flags: string, description: string): Option {
  // Appends in place: a copy per occurrence would be quadratic in a long argument list.
  const option = new Option(flags, `${description} (repeatable)`).argParser((v: string, prev: string[] | undefined) => {
    const list = prev ?? [];
    list.push(v);
    return list;
  });
  REPEATABLE.add(option);
  return option;
}

/** Whether `option` may be given more than once (the rule of {@link enforceSingleUse}). */
export function isRepeatable(option: Option): boolean {
  return REPEATABLE.has(option);
}

/**
 * The one place that enforces the rule of REPEAT_HELP, for the program and every command: a
 * second occurrence of an option that takes a value and is not {@link repeatable} is a usage
 * error. Without this commander silently keeps the last value (\`--expect 5a --expect 58\`
 * would drop the first guard). Flags without a value are idempotent and may repeat.
 */
function enforceSingleUse(cmd: Command): void {
  for (const option of cmd.options) {
    if (isRepeatable(option) || !(option.required || option.optional)) continue;
    let seen = 0;
    // Before commander's own listener, so that the repetition is reported, not the value. A
    // Command is an EventEmitter (its typings only declare `on`).
    (cmd as unknown as EventEmitter).prependListener(`option:${option.name()}`, () => {
      seen += 1;
      if (seen > 1) {
        cmd.error(`option '${option.flags}' given more than once (it takes one value)`, {
          exitCode: EXIT_USAGE,
          code: 'mmapx.repeatedOption',
        });
      }
    });
  }
  cmd.commands.forEach(enforceSingleUse);
}

const FILES_FROM_HELP = 'also the files listed in LIST, one path per line (- reads standard input)';

const STDIN_HELP = `
Standard input: FILE - reads it. A regular file there (< FILE) is mapped as if named; a pipe,
socket or device is read as it comes (bounded memory, same output); a range or -s from its end
is refused there (exit 2: its end is unknown until read).`;

/**
 * The part of a command's help about several files. The mode is chosen by the invocation: with
 * --files-from or more than one FILE, every line names its file and --json prints an array.
 */
function severalHelp(extra: string): string {
  return `
Several files: ${extra}
--files-from LIST adds the paths in LIST, one per line (\\n or \\r\\n; empty lines skipped; no
quoting, so a path with a newline cannot be listed; - reads standard input). Each file is
handled as if alone (its own lock, map and report; a failure does not stop the others), every
output line names its file, --json prints one array of per-file objects (also for a list of
one), and the exit status is the worst: 1 > 2 > 3 > 0. A path given twice is done twice.`;
}

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** A command: positional arguments as commander parsed them (variadic ones as arrays), then options. */
/**
 * Negative numbers are operands here (`write f -4K 00`, `--range -64..`), but commander only
 * recognises plain decimals like `-4`. main.ts marks every token that starts with `-` and a digit
 * with a leading NUL (which a real argument can never contain) and the actions take it off again.
 */
export const NEGATIVE_MARK = '\0';

export function markNegatives(argv: string[]): string[] {
  return argv.map((a, i) => (i >= 2 && /^-[0-9.]/.test(a) ? NEGATIVE_MARK + a : a));
}

function unmark<T>(value: T): T {
  if (typeof value === 'string') return (value.startsWith(NEGATIVE_MARK) ? value.slice(1) : value) as T;
  if (Array.isArray(value)) return value.map(unmark) as T;
  return value;
}

export type Action = (ctx: Context, args: unknown[], opts: Record<string, unknown>) => Promise<Result>;

/**
 * Builds the program. `onResult` receives each command's result. With `only`, the program has that
 * one command and the program's own options (what `mmapx ONLY ...` needs: defining all twenty
 * commands' options costs more than running a small one); without it, every command.
 */
export function buildProgram(ctx: Context, onResult: (r: Result) => void, only?: string): Command {
  const want = (name: string): boolean => only === undefined || only === name;
  const program = new Command('mmapx');
  program
    .description('Edit and inspect files in place through memory maps.')
    .version(__MMAPX_VERSION__, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help for mmapx or a command')
    .option('--json', 'print one JSON object on stdout instead of text and summaries')
    .option('-q, --quiet', 'no summary line on stderr for mutations (hash -c: no OK lines)')
    .addOption(new Option('--color <when>', 'colour output: auto (only on a terminal), always, never').choices(['auto', 'always', 'never']).default('auto'))
    .option('--debug', 'print a stack trace with errors')
    .option('--no-progress', 'no progress line on stderr for long operations (shown only on a terminal)')
    .addOption(
      new Option('--wait <seconds>', 'wait this long for another mmapx that has the file locked (0: fail at once)')
        .argParser(parseWait)
        .default(DEFAULT_LOCK_WAIT),
    )
    .option('--arch <name>', 'the slice of a fat Mach-O (arm64, x86_64, ...) in which sym:, sec:, seg:, va: addresses are resolved')
    .helpCommand('help [command]', 'show help for a command')
    .addHelpText('after', `${NUMBERS_HELP}\n${REPEAT_HELP}\n${EXIT_HELP}\n`)
    .showSuggestionAfterError(true);

  const action =
    (load: () => Promise<{ default: Action }>) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      ctx.command = cmd.name();
      ctx.lockWait = program.opts().wait as number;
      ctx.arch = program.opts().arch as string | undefined;
      const { default: fn } = await load();
      const opts = Object.fromEntries(Object.entries(cmd.opts()).map(([k, v]) => [k, unmark(v)]));
      onResult(await fn(ctx, args.slice(0, -2).map(unmark), opts));
    };

  if (want('write')) {
    program
      .command('write')
      .description('write bytes in place at an offset, through a map of only the pages touched')
      .usage('[options] <file> <offset> [hex...]\n       mmapx write [options] --files-from <list> <offset> [hex...]')
      .argument('[file]', 'file to modify (not with --files-from: then the first argument is the OFFSET)')
      .argument('[offset]', 'where to write; negative counts from the end')
      .argument('[hex...]', 'bytes as hex (eb05, "eb 05", 0xeb05, eb:05), or - for standard input')
      .option('--files-from <list>', 'write to each file listed in LIST, one path per line (- reads standard input)')
      .option('--text <string>', 'write this text (UTF-8; escapes \\n \\r \\t \\0 \\\\ \\xNN)')
      .option('--file <path>', 'write the contents of this file, read as it is written (- reads standard input)')
      .option('--stdin', 'write what arrives on standard input (a pipe is copied to a temporary file in $TMPDIR first: never held in memory)')
      .option('--fill <byte>', 'write this byte value, --length times')
      .option(
        '--length <n>',
        'how many bytes --fill writes; with --file/--stdin: take only the first N bytes (needed for a device such as /dev/urandom with --grow)',
      )
      .addOption(new Option('--expect <hex>', 'only write if the bytes there are these now (exit 3 otherwise)'))
      .option('--grow', 'extend the file if the write ends past its end')
      .option('--no-sync', 'skip the msync (leave write-back to the kernel)')
      .option('--force', 'allow devices and pseudo-filesystem files')
      .addHelpText(
        'after',
        `${severalHelp(`only through --files-from: an OFFSET or HEX argument could also be a file
  name, so the arguments are then OFFSET [HEX...]. The data is read once (also --stdin).
  After several files one total line goes to stderr (wrote N files, N already held the bytes, ...).`)}
  ${examples([
    'mmapx write fw.bin 0x1f40 eb05',
    'mmapx write fw.bin 0x1f40 eb05 --expect 7405     # guarded: exit 3 if the bytes differ',
    'mmapx write disk.img -512 --fill 0 --length 512   # zero the last 512 bytes',
    'mmapx write hdr.bin 8 --u32le 0xdeadbeef',
    "mmapx write note.txt 0 --text 'v2\\n'",
    'ls build/*.bin | mmapx write --files-from - 0x1f40 eb05 --expect 7405',
  ])}`,
      );
    for (const t of TYPED) {
      program.commands.at(-1)?.option(`--${t} <value>`, `write VALUE as ${describeType(t)}`);
    }
    program.commands.at(-1)?.action(action(() => import('./commands/write.js')));
  }

  // The range overwrites (fill, copy, move, transform) share their guard, journal and file options.
  const overwriteOptions = (cmd: Command, expectWhat: string): Command =>
    cmd
      .option('--files-from <list>', 'the files listed in LIST, one path per line (- reads standard input); the arguments are then the rest')
      .option('--expect <hex>', `only write if ${expectWhat} holds these bytes now (exit 3 otherwise)`)
      .option('--expect-sha256 <hex>', `only write if ${expectWhat} has this sha256 now (exit 3 otherwise)`)
      .option('--expect-result-sha256 <hex>', 'refuse (exit 3) unless the whole file would have this sha256 afterwards')
      .option('--dry-run', 'work on a private copy-on-write map only: print the first change and the count (and, with --hash, the resulting sha256)')
      .option('--hash', 'also report the sha256 of the whole file before and after (reads the whole file once more)')
      .option('--no-hash', 'no whole-file sha256 in the report: the default (the last of --hash and --no-hash wins)')
      .option('--no-journal', 'write without the undo journal (not crash-safe; for read-only directories)')
      .option('--no-sync', 'do not wait for the bytes to reach the disk (leave write-back to the kernel; safe from a crash of mmapx, not from a power loss)')
      .option('--force', 'allow devices and pseudo-filesystem files');
  const OVERWRITE_HELP = `
The file never changes size: a range or destination past the end is refused (exit 2);
extend the file first (mmapx write --grow). Ranges are read and written in windows of 8 MiB
(memory stays flat for ranges of any size); the original bytes of the windows that change go
to the undo journal beside the file first ('mmapx recover FILE' after a crash). A range that
already holds the result is "already" (exit 0, nothing written).`;

  if (want('fill')) {
    overwriteOptions(
      program
        .command('fill')
        .description('fill a range in place with a repeating pattern: guarded, journaled, idempotent')
        .usage('[options] <file> <range> --pattern <hex>\n       mmapx fill [options] --files-from <list> <range> --pattern <hex>')
        .argument('[file]', 'file to modify (not with --files-from: then the first argument is the RANGE)')
        .argument('[range]', 'OFFSET:LENGTH or START..END')
        .option('--pattern <hex>', 'the bytes to repeat, aligned to the start of the range (the last repetition is cut at its end)'),
      'the range',
    )
      .addHelpText(
        'after',
        `${OVERWRITE_HELP}
  ${severalHelp('only through --files-from: the argument is then RANGE.')}
  ${examples([
    'mmapx fill disk.img 0x1000:4K --pattern 00',
    'mmapx fill fw.bin 0x200..0x400 --pattern deadbeef --dry-run',
    'mmapx fill fw.bin -16.. --pattern ff --expect-sha256 5f3c...9a   # guarded',
  ])}`,
      )
      .action(action(() => import('./commands/fill.js')));
  }

  if (want('copy')) {
    overwriteOptions(
      program
        .command('copy')
        .description('copy a range to an offset in place (memmove when they overlap), or from another file: guarded, journaled')
        .usage('[options] <file> <src-range> <dst-offset>\n       mmapx copy [options] --files-from <list> <src-range> <dst-offset>')
        .argument('[file]', 'file to modify (not with --files-from: then the first argument is the SRC-RANGE)')
        .argument('[src-range]', 'the bytes to copy: OFFSET:LENGTH or START..END (of --from OTHER when given)')
        .argument('[dst-offset]', 'where they go; negative counts from the end')
        .option('--from <other>', 'copy SRC-RANGE of this file instead (the same file under another name is detected: memmove)'),
      'the destination',
    )
      .addHelpText(
        'after',
        `${OVERWRITE_HELP}
  Overlapping source and destination behave as memmove: the destination gets the source's
  bytes as they were before the copy (the windows go backwards when the destination is above).
  ${severalHelp('only through --files-from: the arguments are then SRC-RANGE DST-OFFSET.')}
  ${examples([
    'mmapx copy fw.bin 0x0:0x200 0x1000',
    'mmapx copy disk.img 0..1M 512             # shift the first MiB up by 512 bytes',
    'mmapx copy fw.bin 0:64 0x40 --from header.bin --expect-sha256 5f3c...9a',
  ])}`,
      )
      .action(action(() => import('./commands/copy.js')));
  }

  if (want('move')) {
    overwriteOptions(
      program
        .command('move')
        .description('move a range to an offset in place, filling the bytes it leaves: guarded, journaled')
        .usage('[options] <file> <src-range> <dst-offset> [--fill <byte>]\n       mmapx move [options] --files-from <list> <src-range> <dst-offset>')
        .argument('[file]', 'file to modify (not with --files-from: then the first argument is the SRC-RANGE)')
        .argument('[src-range]', 'the bytes to move: OFFSET:LENGTH or START..END')
        .argument('[dst-offset]', 'where they go; negative counts from the end')
        .option('--fill <byte>', 'the byte left where the source was and the destination is not (hex 00..ff or a number; default 00)'),
      'the span of source and destination',
    )
      .addHelpText(
        'after',
        `${OVERWRITE_HELP}
  A move is a copy (memmove) followed by a fill of the source bytes that the destination does
  not cover. --expect and --expect-sha256 guard the span from the lower of the two ranges to
  the end of the higher one (bytes between two disjoint ranges are read but never written).
  ${severalHelp('only through --files-from: the arguments are then SRC-RANGE DST-OFFSET.')}
  ${examples(['mmapx move fw.bin 0x100:16 0x200', 'mmapx move fw.bin 0x100:16 0x108 --fill ff --dry-run'])}`,
      )
      .action(action(() => import('./commands/move.js')));
  }

  if (want('transform')) {
    overwriteOptions(
      program
        .command('transform')
        .description('transform a range in place: xor/and/or with a key, not, add/sub, rotates, shifts, byte swaps, bit reverse')
        .usage('[options] <file> <range> <op> [arg]\n       mmapx transform [options] --files-from <list> <range> <op> [arg]')
        .argument('[file]', 'file to modify (not with --files-from: then the first argument is the RANGE)')
        .argument('[range]', 'OFFSET:LENGTH or START..END (a whole number of units)')
        .argument(
          '[op]',
          'xor, and, or (ARG: a hex key, repeated from the range start), not, add, sub (ARG: a number), rol, ror, shl, shr (ARG: bits), swap16, swap32, swap64, bswap, reverse',
        )
        .argument('[arg]', 'the key, number or bit count the op takes')
        .option('--unit <unit>', 'the unit of add/sub/rol/ror/shl/shr/reverse: u8 (default), u16le, u16be, u32le, u32be, u64le, u64be; bswap: u16, u32, u64'),
      'the range',
    )
      .addHelpText(
        'after',
        `${OVERWRITE_HELP}
  add and sub wrap around (modulo 2^bits); rol and ror are true rotates; shl and shr shift
  zeros in. A key of xor/and/or repeats from the start of the range whatever its length.
  Reversing the byte order of a whole range is not a transform (no window can be computed on
  its own); swap16/32/64 reverse the bytes within each unit.
  ${severalHelp('only through --files-from: the arguments are then RANGE OP [ARG].')}
  ${examples([
    'mmapx transform fw.bin 0x100:64 xor 5a',
    'mmapx transform fw.bin 0:4K add 3 --unit u32le',
    'mmapx transform fw.bin 0x40:16 rol 3 --unit u16be --dry-run',
    'mmapx transform img.raw 0..1M swap16',
    'mmapx transform fw.bin 0x100:64 xor 5a --expect-sha256 5f3c...9a   # guarded',
  ])}`,
      )
      .action(action(() => import('./commands/transform.js')));
  }

  const SHIFT_HELP = `
Crash-safe: the journal beside the file records the operation and how far the move got; after
a crash or kill, 'mmapx recover FILE' FINISHES it (the file is then exactly the result), and
every mutating command refuses the file until then. --no-journal skips it (not crash-safe).
Where the filesystem can (ext4, xfs: OFFSET and LENGTH multiples of its block size), the tail
moves by extents (fallocate) and no byte is copied; otherwise it is copied a window at a time
through maps (memory stays flat whatever the size).`;

  if (want('insert')) {
    program
      .command('insert')
      .description('insert bytes at an offset, in place: the file grows, the tail moves up (journaled, crash-safe)')
      .usage('[options] <file> <offset> [hex...]\n       mmapx insert [options] --files-from <list> <offset> [hex...]')
      .argument('[file]', 'file to modify (not with --files-from: then the first argument is the OFFSET)')
      .argument('[offset]', 'where the bytes go (the bytes there move up); negative counts from the end, -0 appends')
      .argument('[hex...]', 'bytes as hex (eb05, "eb 05", 0xeb05, eb:05), or - for standard input')
      .option('--files-from <list>', 'insert into each file listed in LIST, one path per line (- reads standard input)')
      .option('--text <string>', 'insert this text (UTF-8; escapes \\n \\r \\t \\0 \\\\ \\xNN)')
      .option('--file <path>', 'insert the contents of this file (- reads standard input)')
      .option('--stdin', 'insert what arrives on standard input (a pipe is copied to a temporary file first)')
      .option('--fill <byte>', 'insert this byte value, --length times')
      .option('--length <n>', 'how many bytes --fill inserts; with --file/--stdin: take only the first N bytes (needed for a device such as /dev/urandom)')
      .addOption(new Option('--expect <hex>', 'only insert if the bytes at OFFSET are these now (exit 3 otherwise)'))
      .option('--dry-run', 'change nothing: print what would move (and, with --hash, the resulting sha256)')
      .option('--expect-result-sha256 <hex>', 'refuse (exit 3) unless the file would have this sha256')
      .option('--hash', 'also report the sha256 of the whole file before and after (reads the whole file once)')
      .option('--no-hash', 'no whole-file sha256 in the report: the default (the last of --hash and --no-hash wins)')
      .option('--no-journal', 'insert without the journal (not crash-safe; for read-only directories)')
      .option('--force', 'allow devices and pseudo-filesystem files')
      .addHelpText(
        'after',
        `${SHIFT_HELP}
  ${severalHelp(`only through --files-from: the arguments are then OFFSET [HEX...]. The data
  is read once. After several files one total line goes to stderr.`)}
  ${examples([
    'mmapx insert fw.bin 0x100 deadbeef',
    'mmapx insert fw.bin 0x100 deadbeef --expect 7f454c46   # guarded: exit 3 if the bytes at 0x100 differ',
    'mmapx insert disk.img 0 --fill 0 --length 1M',
    "mmapx insert notes.txt -0 --text 'appended\\n'",
    'mmapx insert fw.bin 0x200 --file payload.bin --dry-run --hash',
    'mmapx insert key.bin 0 --file /dev/urandom --length 32   # the first 32 bytes of a device',
    'mmapx recover fw.bin                               # after a crash: finishes the insert',
  ])}`,
      );
    for (const t of TYPED) {
      program.commands.at(-1)?.option(`--${t} <value>`, `insert VALUE as ${describeType(t)}`);
    }
    program.commands.at(-1)?.action(action(() => import('./commands/insert.js')));
  }

  if (want('delete')) {
    program
      .command('delete')
      .description('delete a range, in place: the tail moves down, the file shrinks (journaled, crash-safe)')
      .usage('[options] <file> <range>\n       mmapx delete [options] --files-from <list> <range>')
      .argument('[file]', 'file to modify (not with --files-from: then the only argument is the RANGE)')
      .argument('[range]', 'the bytes to delete: OFFSET:LENGTH or START..END (not empty, inside the file)')
      .option('--files-from <list>', 'delete from each file listed in LIST, one path per line (- reads standard input)')
      .addOption(new Option('--expect <hex>', 'only delete if the range holds these bytes now (all of them; exit 3 otherwise)'))
      .option('--dry-run', 'change nothing: print what would move (and, with --hash, the resulting sha256)')
      .option('--expect-result-sha256 <hex>', 'refuse (exit 3) unless the file would have this sha256')
      .option('--hash', 'also report the sha256 of the whole file before and after (reads the whole file once)')
      .option('--no-hash', 'no whole-file sha256 in the report: the default (the last of --hash and --no-hash wins)')
      .option('--no-journal', 'delete without the journal (not crash-safe; for read-only directories)')
      .option('--force', 'allow devices and pseudo-filesystem files')
      .addHelpText(
        'after',
        `${SHIFT_HELP}
  ${severalHelp(`only through --files-from: the argument is then the RANGE. After several
  files one total line goes to stderr.`)}
  ${examples([
    'mmapx delete log.bin 0:4K',
    'mmapx delete fw.bin 0x100:4 --expect deadbeef      # guarded: exit 3 unless those are the bytes',
    'mmapx delete data.bin -16..                        # the last 16 bytes',
    'mmapx delete data.bin 0x200..0x400 --dry-run --hash',
    'mmapx recover log.bin                              # after a crash: finishes the delete',
  ])}`,
      )
      .action(action(() => import('./commands/delete.js')));
  }

  if (want('patch')) {
    program
      .command('patch')
      .description('apply a guarded patch, or a delta (BPS, UPS, IPS32, VCDIFF, bsdiff), in place: all checked first, undo journal, all or nothing, idempotent')
      .usage(
        '[options] <file> [patch]\n       mmapx patch [options] <file...> (--patch <patch> | --edit <spec> | --find <pattern> --replace <hex>)\n       mmapx patch [options] <file> <delta> [--format ips32|ups|bps|vcdiff|bsdiff] [--out <file>]\n       mmapx patch --info <delta>',
      )
      .argument('[file...]', 'file(s) to patch; FILE PATCH (two arguments, no --edit/--find, no --patch) is one file and its patch')
      .option('-p, --patch <patch>', 'the patch file (native format unless --format), or - for standard input; every argument is then a FILE')
      .option('--files-from <list>', FILES_FROM_HELP)
      .addOption(
        new Option(
          '--format <format>',
          'format of PATCH: native, xxd (an xxd or hexdump -C dump), plain (an xxd -p dump, at --seek), ips, ihex (Intel HEX) or srec (Motorola S-records); or a delta: ips32, ups, bps, vcdiff (xdelta3) or bsdiff (found by its magic when --format is absent)',
        ).choices(['native', 'xxd', 'plain', 'ips', 'ihex', 'srec', 'ips32', 'ups', 'bps', 'vcdiff', 'bsdiff']),
      )
      .option('--out <file>', 'a delta: write the patched file to this new file instead (FILE is only read; replaced by rename when it exists)')
      .option('--info', 'describe the delta (sizes, checksums, metadata, ops) without applying it: mmapx patch --info DELTA')
      .option('-R, --reverse', 'a UPS delta: apply it backwards, turning its target back into its source (UPS is XOR: the same patch undoes itself)')
      .option('--seek <offset>', 'where the bytes of a --format plain dump go (xxd -r -p -s; default 0, negative from the end)')
      .option('--base <addr>', '--format ihex|srec: the address of file offset 0 (a record at address A writes at offset A - ADDR; default 0)')
      .option('--expect-old <image>', '--format ihex|srec: an image of the same addresses with the bytes expected there now (a guard: exit 3 otherwise)')
      .addOption(repeatable('--edit <spec>', 'also OFFSET=NEWHEX or OFFSET:OLDHEX=NEWHEX (guarded)'))
      .addOption(repeatable('--find <pattern>', 'also replace this hex pattern (?? and 7? / ?7 wildcards) or typed value (u32le:0xdeadbeef) ...'))
      .addOption(
        repeatable(
          '--replace <hex>',
          '... with these bytes (same length; hex or a typed value TYPE:VALUE), exactly once unless --all or --count; the Nth --replace goes with the Nth --find',
        ),
      )
      .option('--all', 'replace every match of each --find (at least one)')
      .option('--count <n>', 'replace exactly N matches of each --find (a guard: exit 3 otherwise)')
      .option('--align <n>', 'only matches of each --find that start at a multiple of N bytes from the start of the file count')
      .option('--grow', 'allow the patch to extend the file (hunks past the end, size after, IPS)')
      .option('--truncate', 'allow the patch to shrink the file (size after, IPS truncation)')
      .option('--allow-empty', 'accept a PATCH that changes nothing (no hunk, no size after); refused otherwise')
      .option('--dry-run', 'apply to a private copy-on-write map only: print the changes (and, with --hash, the resulting sha256)')
      .option('--expect-result-sha256 <hex>', 'refuse (exit 3) unless the patched file would have this sha256')
      .option('--hash', 'also report the sha256 of the whole file before and after (reads the whole file once)')
      .option('--no-hash', 'no whole-file sha256 in the report: the default (guards that need a hash still compute it; the last of --hash and --no-hash wins)')
      .option('--no-journal', 'patch without the undo journal (not crash-safe; for read-only directories)')
      .option('--force', 'allow devices and pseudo-filesystem files')
      .addHelpText(
        'after',
        `
  Native patch lines (# starts a comment; see the manual for the grammar):
    0x1f40: 74 05 -> eb 05            guarded: expects 74 05, writes eb 05
    0x2000: 90 90                     unguarded
    find e8 ?? ?? ?? ?? 84 c0 74 (once) +7: 74 -> eb
    size before 0x2000 / size after 0x2400 / sha256 before|after HEX
    fill 0x100:64 00 / copy 0:16 to 0x200 / stamp "@@VER@@@@" -> "1.4" terminate
    xor 0x100:64 5a -> sha256 HEX     a transform (add 3 (u32le), rol 1, ...): HEX = the range after
    insert 0x100: "v2" / delete 0x200:4 : de ad be ef    shift the tail (the bytes: a guard)
  Every address refers to the file before the patch. Inserts and deletes are never "already
  applied": guard them (the deleted bytes, size before, sha256 before).
  A hunk already holding its new bytes counts as applied: a patch applied twice says "already
  applied" and exits 0. Any failed guard: exit 3, every failure listed, nothing written.
  Deltas (ips32, ups, bps, vcdiff as xdelta3 writes it, bsdiff) are applied in place at the cost
  of what they change: the journal keeps the original of every changed range (the summary says
  how many bytes it needed) and serves the copies that read bytes already overwritten. Sizes,
  source and patch checksums are verified before the first write (a wrong source: exit 3, named
  expected and found); a target checksum the plan cannot compute is verified after writing and
  rolled back on a mismatch. A delta applied twice says "already applied" where the format can
  tell (a target checksum, VCDIFF windows, or no byte differs).
  While a journal of an interrupted patch exists, run 'mmapx recover FILE' first.
  ${severalHelp(`FILE... with --patch PATCH, --edit or --find/--replace. Two arguments
  with --edit or --find are refused (is the second a FILE or a PATCH?): give the patch with
  --patch, or the files with --files-from. The patch is read and parsed once; each file is
  patched all or nothing with its own journal, and reported as applied, already applied or
  failed; a total line follows on stderr (patched N files, N already applied, N failed).
  Files are patched in batches of up to 128 that share their syncs: a kill leaves the
  journals of one batch, which 'mmapx recover --files-from LIST' rolls back.`)}
  ${examples([
    'mmapx patch fw.bin fix.patch',
    'mmapx patch fw.bin --edit 0x1f40:7405=eb05 --edit 0x2000=9090',
    "mmapx patch fw.bin --find 'e8 ?? ?? ?? ?? 84 c0 74 05' --replace 'e8 00 00 00 00 84 c0 eb 05' --all",
    'mmapx patch fw.bin --find 7405 --replace eb05 --find 7406 --replace eb06   # two hunks, one each',
    'mmapx patch cfg.bin --find u32le:0xdeadbeef --replace u32le:0xcafebabe --align 4 --all',
    'mmapx patch fw.bin fix.patch --dry-run',
    'xxd fw.bin > fw.hex; vi fw.hex; mmapx patch fw.bin fw.hex --format xxd',
    'xxd -p -s 0x1f40 -l 64 fw.bin > p.hex; vi p.hex; mmapx patch fw.bin p.hex --format plain --seek 0x1f40',
    'mmapx patch rom.sfc hack.ips --format ips --grow',
    'mmapx patch rom.sfc hack.bps                       # a BPS delta, found by its magic',
    'mmapx patch disk.img update.vcdiff --dry-run        # what an xdelta3 delta would change',
    'mmapx patch old.bin fix.bsdiff --format bsdiff --out new.bin      # the classic mode: old.bin untouched',
    'mmapx patch --info hack.bps',
    'mmapx patch rom.sfc hack.ups --reverse                # undo a UPS delta: the source again',
    'mmapx patch fw.bin fix.hex --format ihex --base 0x8000000 --expect-old orig.hex --dry-run',
    'mmapx patch fw.bin fix.s19 --format srec --base 0x8000000',
    'mmapx --json patch fw.bin fix.patch --expect-result-sha256 77aa...01',
    'mmapx patch build/*.bin --patch fix.patch',
    'find out -name "*.bin" | mmapx --json patch --files-from - --edit 0x1f40:7405=eb05',
  ])}`,
      )
      .action(action(() => import('./commands/patch.js')));
  }

  if (want('stamp')) {
    program
      .command('stamp')
      .description('write a value over a placeholder found exactly N times, padded, guarded, journaled, idempotent')
      .usage('[options] <file...> --placeholder <data> --value <data>')
      .argument('[file...]', 'file(s) to stamp')
      .option('--placeholder <data>', 'the bytes to find: hex (as write takes it), or text with --text')
      .option('--value <data>', 'the value written over each match: hex, or text with --text')
      .option('--text', 'PLACEHOLDER and VALUE are text (UTF-8; escapes \\n \\r \\t \\0 \\\\ \\xNN)')
      .option('--count <n>', 'how many times the placeholder must match (default 1; exit 3 otherwise)')
      .option('--pad <byte>', 'what fills the placeholder after the value: 00 (default), space, or a hex byte')
      .option('--terminate', 'write a NUL after the value (it counts toward the length)')
      .option('--files-from <list>', FILES_FROM_HELP)
      .option('--dry-run', 'show every location and what it would hold, through a private copy-on-write map; nothing written')
      .option('--expect-result-sha256 <hex>', 'refuse (exit 3) unless the stamped file would have this sha256')
      .option('--hash', 'also report the sha256 of the whole file before and after (reads the whole file once)')
      .option('--no-hash', 'no whole-file sha256 in the report: the default (the last of --hash and --no-hash wins)')
      .option('--no-journal', 'stamp without the undo journal (not crash-safe; for read-only directories)')
      .option('--no-record', 'do not write the stamp record FILE.mmapx-stamp beside the file')
      .option('--force', 'allow devices and pseudo-filesystem files')
      .addHelpText(
        'after',
        `
  The placeholder must match exactly --count times (0 or more: exit 3, naming the count and the
  offsets); the value, plus its NUL with --terminate, must fit in the placeholder (exit 2 naming
  both lengths). Each match gets the value padded to the placeholder's length, through the patch
  engine: the old bytes must be the placeholder, an undo journal, all locations or none.
  Already stamped: a file without the placeholder that holds the value padded to exactly the
  placeholder's length --count times is stamped already: "already stamped", exit 0, nothing
  written (this is read from the file's bytes, so it survives copies). A file that holds neither
  is refused (exit 3); the value another stamp left there is named from the stamp record that a
  stamp writes beside the file (FILE.mmapx-stamp: placeholder, value, offsets; checked against
  the file's bytes). A copy without its record is refused the same way, but which value it holds
  cannot be told. Judged from bytes alone: a file that never had the placeholder but holds the
  padded value --count times reads as stamped.
  ${severalHelp(`FILE... each stamped on its own (its own journal, batches of up to 128 like
  patch); a total line follows on stderr (stamped N files, N already stamped, N failed).`)}
  ${examples([
    'mmapx stamp app --text --placeholder \'@@VERSION@@@@@@@@@@@\' --value "$VERSION" --terminate',
    "mmapx stamp app --text --placeholder '@@VERSION@@@@@@@@@@@' --value 1.4.2 --dry-run",
    'mmapx stamp fw.bin --placeholder deadbeefdeadbeef --value 0102030405 --pad ff --count 2',
    'mmapx --json stamp --files-from list.txt --text --placeholder \'@@SHA@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\' --value "$GIT_SHA"',
  ])}`,
      )
      .action(action(() => import('./commands/stamp.js')));
  }

  if (want('recover')) {
    program
      .command('recover')
      .description('roll back an interrupted patch (or finish an interrupted insert or delete) from the journal beside the file, then remove it')
      .usage('[options] <file...>')
      .argument('[file...]', 'file(s) whose patch was interrupted')
      .option('--force', 'allow devices and pseudo-filesystem files')
      .option('--files-from <list>', FILES_FROM_HELP)
      .addHelpText(
        'after',
        `
  Restores and verifies the original bytes, the original size, and removes the journal. The
  journal of an insert or delete is rolled forward instead: the shift is finished from its recorded
  progress ("completed": the file is the result). An incomplete journal (the patch had not started
  writing) is just removed. No journal: "nothing to
  recover", exit 0. A journal that is a symlink, has other hard links, belongs to another user or to
  another file is refused (exit 1) and left alone.
  ${severalHelp(`FILE... A several-file patch that was killed may leave the journals of
  a whole batch of files (up to 128): recover them all with the same list. A total line
  follows on stderr (recovered N files, N incomplete journals removed, N had nothing to
  recover, N failed).`)}
  ${examples(['mmapx recover fw.bin', 'mmapx recover --files-from list.txt'])}`,
      )
      .action(action(() => import('./commands/recover.js')));
  }

  if (want('diff')) {
    program
      .command('diff')
      .description(
        'the guarded native patch that turns OLD into NEW (or cmp -l lines, IPS, the differing lines side by side, or a BPS, UPS, IPS32 or VCDIFF delta)',
      )
      .argument('<old>', 'the file as it is (- reads standard input)')
      .argument('<new>', 'the file as it should be (- reads standard input: a pipe is copied to a temporary file first)')
      .option(
        '-o, --output <patch>',
        'write the patch to this file instead of standard output (- is standard output; a device, FIFO or symlink is written to, never replaced)',
      )
      .addOption(
        new Option(
          '--format <format>',
          'native (a patch for mmapx patch), cmp (like cmp -l), ips, side (side by side hex of the lines that differ), or a delta: bps, ups, ips32, vcdiff',
        )
          .choices(['native', 'cmp', 'ips', 'side', 'bps', 'ups', 'ips32', 'vcdiff'])
          .default('native'),
      )
      .option('--coalesce <n>', 'merge changes at most N equal bytes apart into one hunk or IPS/IPS32 record (default 8)')
      .option('--sha256', 'add sha256 before/after guards (the patch then only applies to exactly OLD)')
      .option('-U, --context <n>', '--format side: equal lines shown around each differing line (default 3)')
      .option('-c, --cols <n>', '--format side: bytes of each file per line, 1..64 (default: 16, 8 or 4 to fit $COLUMNS, else the terminal; 16 on a pipe)')
      .option('--stats', 'print what differs and timings on stderr')
      .option('--force', 'allow devices and pseudo-filesystem files')
      .addHelpText(
        'after',
        `
  Sizes that differ become 'size before' / 'size after' lines: applying such a patch needs --grow
  (or --truncate). Exit status 0 whether the files differ or not (the output tells).

  --format side shows OLD (left) and NEW (right) in hex under absolute offsets, only the lines
  that differ and -U N equal lines around them ('*' stands for the lines left out). Differing
  bytes are coloured on a terminal (--color), marked by '^^' lines otherwise. Where the shorter
  file ends a '#' line says so; the longer one's tail is shown against blanks. With --json: the
  runs of differing bytes (offset, length, the first 32 bytes of each side) instead of the view.

  Delta patches (binary: -o PATCH, or standard output that is not a terminal) for the tools that
  apply them (mmapx patch, xdelta3 -d, Flips, beat): bps and vcdiff copy from anywhere in OLD, so
  inserted, deleted and moved data cost only what is new (OLD is indexed in one pass, 40 MiB of
  memory at most, then NEW is read once); ups (XOR, reversible) and ips32 change bytes in place
  only. BPS and UPS carry both files' CRC-32. --json: the patch's size, its ops, the bytes copied,
  filled and added, and the timings.
  ${examples([
    'mmapx diff fw-1.0.bin fw-1.1.bin -o fw.patch && mmapx patch fw.bin fw.patch',
    'mmapx diff a.bin b.bin --format cmp',
    'mmapx diff a.bin b.bin --format side -U 1',
    'mmapx --json diff a.bin b.bin --stats',
    'mmapx diff disk-1.img disk-2.img --format vcdiff -o disk.vcdiff   # xdelta3 -d -s disk-1.img disk.vcdiff',
  ])}`,
      )
      .action(action(() => import('./commands/diff.js')));
  }

  if (want('find')) {
    program
      .command('find')
      .description('offsets of a hex pattern (?? wildcards) or text, scanned through read-only windows')
      .usage('[options] <file...> <pattern>\n       mmapx find [options] <file...> --u32le <value> (or another type of write)')
      .argument(
        '[file...]',
        'files to search (- reads standard input), then the PATTERN (the last argument): hex bytes, ?? for any byte, 7? / ?7 for a nibble; text with --text; or a typed value TYPE:VALUE (u32le:0xdeadbeef); with --u32le VALUE etc. every argument is a FILE',
      )
      .option('--files-from <list>', FILES_FROM_HELP)
      .option('--text', 'PATTERN is text (UTF-8; escapes \\n \\r \\t \\0 \\\\ \\xNN)')
      .option('--count', 'print the number of matches instead of their offsets')
      .option('--max <n>', 'stop after N matches (--json says truncated when there were more)')
      .option('--range <range>', 'search only this range (OFFSET:LENGTH or START..END)')
      .option('--align <n>', 'only matches that start at a multiple of N bytes from the start of the file')
      .option('--addr', 'executables (ELF, PE, Mach-O): print each match also as SECTION+OFF and its VA')
      .option('--stats', 'print the count and timings on stderr')
      .option('--force', 'allow devices and pseudo-filesystem files')
      .addHelpText(
        'after',
        `
  Prints one hex offset per line (0x1f40); matches may overlap. Exit status 0 when something
  matched, 3 when nothing did (1 stays "the search failed").
  Typed values: --u8 ... --f64be VALUE (as write takes them; then every argument is a FILE), or
  TYPE:VALUE as the PATTERN (u32le:0xdeadbeef, i16be:-2, f64le:3.5). A value must fit its type;
  floats match their exact bytes (0 and -0 differ; nan is the canonical quiet NaN).
  ${severalHelp(`FILE... PATTERN: the last argument is the pattern (with --files-from a
  single argument is the PATTERN). Matches print as PATH:0x1f40 (like grep -H), --count as PATH:N;
  --max and --range apply to each file; a file without a match makes the status 3.`)}
  ${examples([
    "mmapx find fw.bin 'e8 ?? ?? ?? ?? 84 c0 74'",
    'mmapx find disk.img --text "LABEL=root" --max 1',
    'mmapx find big.bin deadbeef --count --range 1G..2G',
    'mmapx --json find fw.bin 7405',
    'mmapx find build/*.bin 7405 --count',
    'mmapx find fw.bin --u32le 0xdeadbeef --align 4',
    'mmapx find data.bin f64be:3.5',
    'mmapx find a.out e8 --addr                 # 0x1139 .text+0x39 va:0x401139',
  ])}`,
      )
      .action(action(() => import('./commands/find.js')));
    for (const t of TYPED) {
      program.commands.at(-1)?.option(`--${t} <value>`, `find VALUE as ${describeType(t)}`);
    }
  }

  if (want('flush')) {
    program
      .command('flush')
      .description('msync a file or a range of it, and report what the kernel did')
      .argument('<file>', 'file to flush')
      .option('--range <range>', 'only this range (OFFSET:LENGTH or START..END; widened to pages)')
      .option('--async', 'start write-back without waiting for it')
      .option('--force', 'allow devices and pseudo-filesystem files')
      .addHelpText('after', examples(['mmapx flush db.bin', 'mmapx flush db.bin --range 0x1000:64 --async', 'mmapx --json flush log.bin --range -4K..']))
      .action(action(() => import('./commands/flush.js')));
  }

  if (want('protect')) {
    program
      .command('protect')
      .description('map a file with a protection (ro, rw, exec, none) and verify it with the kernel')
      .argument('<file>', 'file to map')
      .addArgument(new Argument('<mode>', 'ro, rw, exec or none').choices(['ro', 'rw', 'exec', 'none']))
      .option('--range <range>', 'map only this range')
      .option('--hold [seconds]', 'keep the mapping until Ctrl-C / SIGTERM, or for SECONDS, so others can observe it')
      .option('--force', 'allow devices and pseudo-filesystem files')
      .addHelpText(
        'after',
        examples([
          'mmapx protect lib.so exec                # can this file be mapped executable here?',
          'mmapx protect data.bin ro --range 0:4K --hold 30',
          'mmapx --json protect data.bin rw',
        ]),
      )
      .action(action(() => import('./commands/protect.js')));
  }

  if (want('hexdump')) {
    program
      .command('hexdump')
      .alias('hd')
      .description('dump bytes as hexdump -C, xxd, xxd -p, xxd -i, od, hexdump -x/-d/-o/-c/-b or JSON, through read-only maps')
      .argument('[file...]', 'file(s) to dump; - reads standard input, and so does no FILE when standard input is not a terminal')
      .option('--files-from <list>', FILES_FROM_HELP)
      .option(
        '-s, --offset <n>',
        'start here; negative counts from the end (offsets shown stay absolute); past the end dumps no bytes and exits 0, as hexdump -C and xxd do',
      )
      .option(
        '-n, --length <n>',
        'dump at most N bytes (stops at the end of the file, like the peers); with -f c, a value starting with a letter or _ is the array name (xxd -n NAME)',
      )
      .option('-l, --len <n>', 'the same as -n N (xxd -l)')
      .option('-j, --skip-bytes <n>', 'the same as -s (od -j)')
      .option('-N, --read-bytes <n>', 'the same as -n (od -N)')
      .addOption(
        new Option(
          '-f, --format <format>',
          'canonical (hexdump -C), xxd, plain (xxd -p), c (xxd -i), json (one object per line), hexyl (a view for a terminal), od (od -A x -t x1z), hexdump-x|d|o|c|b (hexdump -x|-d|-o|-c|-b)',
        )
          .choices(['canonical', 'xxd', 'plain', 'c', 'json', 'hexyl', 'od', 'hexdump-x', 'hexdump-d', 'hexdump-o', 'hexdump-c', 'hexdump-b'])
          .default('canonical'),
      )
      .option(
        '-c, --cols <n>',
        'bytes per line (xxd 1..256, default 16, -b 6; plain 30; c 12; json 4096; od: as -w); 0 = the default, but with plain one line (xxd -c0, -p -c0)',
      )
      .option('-g, --group <n>', 'bytes per group: xxd (default 2; -b 1; -e 4, a power of 2); hexyl 1 (default), 2, 4 or 8, shown as one number')
      .option('-u, --upper', 'upper-case hex digits')
      .option('-v, --no-squeeze', 'canonical, hexyl, od, hexdump-*: print repeated lines instead of *')
      .addOption(repeatable('-t, --type <type>', 'od: an od -t type: a, c, d|o|u|x[1|2|4|8] (default 4), z suffix for >text<; default x1z'))
      .addOption(
        new Option('-A, --address-radix <radix>', 'od: addresses in hex (x, default), octal (o), decimal (d) or none (n)').choices(['x', 'o', 'd', 'n']),
      )
      .option('-w, --width <n>', 'od: bytes per line (default 16; a multiple of the largest type size)')
      .option('-a, --autoskip', 'xxd: a single * for runs of all-zero lines (xxd -a)')
      .option('--annotate', 'executables: a line -- .text (VA 0x401000) -- where each section starts (canonical, xxd, od, hexdump-*)')
      .option('--view', 'the view of hexyl, for a terminal: the same as -f hexyl')
      .option('--panels <n>', 'hexyl: panels of 8 bytes per line (1..256), or auto: as many as fit the terminal (default 2, fewer if it is narrower)')
      .addOption(new Option('--border <style>', 'hexyl: the frame (default unicode)').choices(['unicode', 'ascii', 'none']))
      .addOption(new Option('--base <base>', 'hexyl: each byte in base 2, 8, 10 or 16 (default)').choices(['2', '8', '10', '16']))
      .addOption(new Option('--endianness <order>', 'hexyl: byte order within a -g group (default big)').choices(['big', 'little']))
      .addOption(
        new Option('--character-table <table>', 'hexyl: the character panel (default: the symbols of hexyl)').choices([
          'default',
          'ascii',
          'cp437',
          'cp1047',
          'braille',
        ]),
      )
      .option('--name <identifier>', 'c: the array name (default: from the path, as xxd -i names it)')
      .option('-b, --bits', 'xxd: binary digits instead of hex (xxd -b; 6 bytes per line, groups of 1)')
      .option('-e, --little-endian', 'xxd: little-endian groups (xxd -e; groups of 4, a power of 2)')
      .option('-d, --decimal', 'xxd: decimal offsets (xxd -d)')
      .option('-o, --display-offset <off>', 'xxd, canonical: add OFF to the offsets shown (xxd -o; negative wraps below 0 as in xxd)')
      .option('-E, --ebcdic', 'xxd, canonical: the text column reads the bytes as EBCDIC (xxd -E)')
      .option('-C, --capitalize', 'c: upper-case array name and _LEN (xxd -C)')
      .addOption(
        new Option(
          '-R, --colorize <when>',
          'colour policy for this dump, overriding --color (as xxd -R of 2023 and later; colours by the mmapx byte kinds)',
        ).choices(['always', 'auto', 'never']),
      )
      .option('--stats', 'print bytes, speed and timings on stderr')
      .option('--force', 'allow devices and pseudo-filesystem files')
      .addHelpText(
        'after',
        `
  --view (-f hexyl) draws hexyl's panels: the offset, 8 bytes per panel (--base, -g, --endianness)
  and their characters (--character-table), coloured by kind on a terminal; any repeated line is
  squeezed to * (-v prints all). --panels auto fits the width: $COLUMNS when set, else the
  terminal's; 2 panels when neither is known.
  ${severalHelp(`-s and -n apply to each file. canonical, xxd, plain and hexyl print
  '==> PATH <==' before each dump (like head), a blank line between; c names each array after its
  path; -f json lines get a "path" key first.`)}
  od and hexdump-*: as od and hexdump print them (od, hexdump-* also print '==> PATH <=='); units
  of 2, 4 and 8 bytes are read little-endian, the host's order od and hexdump use on x86-64/arm64.
  ${examples([
    'mmapx hexdump fw.bin -s 0x1f40 -n 64',
    'mmapx hd disk.img -s -512                  # the last 512 bytes, offsets absolute',
    'mmapx hexdump fw.bin -f xxd -g 1 -c 8',
    'mmapx hexdump logo.png -f c --name logo > logo.h',
    'mmapx hexdump logo.png -f c -n logo -C       # xxd -i -n logo -C',
    'mmapx hexdump fw.bin -f xxd -b -l 12         # bits, 6 bytes per line',
    'mmapx hexdump fw.bin -f xxd -e -s 0x100 -o -0x100 -d',
    'mmapx --json hexdump fw.bin -n 16          # {"offset":0,"length":16,"hex":"..."}',
    'mmapx hexdump a.bin b.bin -n 32            # ==> a.bin <== before each dump',
    'mmapx hd fw.bin --view --panels auto -g 4 --endianness little',
    'mmapx hexdump fw.bin -f od -v              # = od -A x -t x1z -v fw.bin',
    'mmapx hexdump fw.bin -f od -t x2 -t c -A d -j 16 -N 64',
    'mmapx hexdump fw.bin -f hexdump-x          # = hexdump -x fw.bin',
    'gunzip -c fw.bin.gz | mmapx hd -f xxd -s 0x100 -n 64',
    'mmapx hexdump a.out --annotate -n 0x2000   # -- .text (VA 0x401000) -- at each section',
  ])}${STDIN_HELP}
  -s on a pipe skips by reading; past its end dumps nothing, as for a file.`,
      )
      .action(action(() => import('./commands/hexdump.js')));
  }

  if (want('cat')) {
    program
      .command('cat')
      .description('write the raw bytes of a range (or the whole file) to stdout or a file, through read-only maps')
      .argument('<file>', 'file to read (- reads standard input)')
      .argument('[range]', 'OFFSET:LENGTH or START..END (negative counts from the end); default: the whole file')
      .option(
        '-o, --output <file>',
        'write the bytes to this file (a regular file is replaced whole at the end, keeping its mode; a device, FIFO or symlink is written to; - is stdout) instead of stdout',
      )
      .addOption(
        new Option('--format <format>', 'raw (the bytes, the default), ihex (Intel HEX records) or srec (Motorola S-records) of the range').choices([
          'raw',
          'ihex',
          'srec',
        ]),
      )
      .option('--base <addr>', '--format ihex|srec: the address of the first byte of the range (default: its file offset)')
      .option('--start <addr>', '--format ihex|srec: an execution start address (ihex: an 05 record; srec: the S7/S8/S9 trailer, 0 without it)')
      .option('--stats', 'print bytes, speed and timings on stderr')
      .option('--force', 'allow devices, pseudo-filesystem files, and binary output to a terminal')
      .addHelpText(
        'after',
        `
  A range past the end of the file is an error (exit 2), nothing is written. Standard output on a
  terminal is refused (exit 2) unless --force. With --json, -o is needed, and the JSON report goes
  to standard output.
  --format ihex and srec write text (a terminal is fine): 16 bytes per record at addresses that
  are multiples of 16, LF line breaks, as srec_cat -obs 16 -Output_Block_Alignment writes them;
  Intel HEX with 04 records at each 64 KiB, S-records S1, S2 or S3 by the highest address, an S0
  header holding the file's name, an S5 count and the matching S9, S8 or S7 trailer.
  ${examples([
    'mmapx cat fw.bin 0x1f40:64 > part.bin       # = dd bs=1 skip=8000 count=64',
    'mmapx cat disk.img -512.. | xxd             # the last 512 bytes (= tail -c 512)',
    'mmapx cat big.bin 1G..2G | sha256sum',
    'mmapx --json cat fw.bin 0x1000:4K -o boot.bin',
    'gunzip -c disk.img.gz | mmapx cat - 1M:4K -o - | xxd',
    'mmapx cat fw.bin 0x4000:16K --format ihex --base 0x8004000 > app.hex   # = srec_cat -intel',
    'mmapx cat fw.bin --format srec --base 0x8000000 -o fw.s37',
  ])}${STDIN_HELP}`,
      )
      .action(action(() => import('./commands/cat.js')));
  }

  if (want('unhex')) {
    program
      .command('unhex')
      .description('a new file from a hex dump: xxd, xxd -b, xxd -p, hexdump -C, xxd -i, od (like xxd -r, also what it cannot read)')
      .argument('[dump]', 'the dump; - or none reads standard input')
      .option(
        '-o, --output <file>',
        'write the file here (a regular file is replaced whole at the end, keeping its mode, holes left sparse; - is stdout) instead of stdout',
      )
      .addOption(
        new Option(
          '--format <format>',
          'the dialect of the dump: xxd, bits (xxd -b), plain (xxd -p), canonical (hexdump -C), c (xxd -i), od, json (hexdump -f json); detected from the first line otherwise',
        ).choices(['xxd', 'bits', 'plain', 'canonical', 'c', 'od', 'json']),
      )
      .option('-s, --seek <offset>', 'add OFFSET to every offset of the dump (xxd -r -s; negative subtracts)')
      .addOption(
        new Option('--radix <base>', 'the base of the offsets: 16, 10 (xxd -d, od -A d) or 8 (od -A o); detected otherwise').choices(['16', '10', '8']),
      )
      .option('--stats', 'print the dialect, bytes, speed and timings on stderr')
      .option('--force', 'allow binary output to a terminal')
      .addHelpText(
        'after',
        `
  The bytes go where the dump's offsets say; a jump in the offsets is a hole (sparse in a file
  written with -o, zeros on standard output); '*' lines repeat the line before up to the next
  offset; a final offset line (hexdump -C, od) or a C array's _len gives the length. A bad dump
  is one error naming its line and column (exit 2); -o then leaves no file. --json needs -o.
  ${examples([
    'xxd fw.bin | mmapx unhex > fw2.bin              # = xxd -r',
    'mmapx unhex fw.hex -o fw.bin                      # any dialect, detected',
    'hexdump -C fw.bin | mmapx unhex -o fw.bin         # all 16 bytes a line, * expanded',
    'mmapx unhex logo.h -o logo.png                    # an xxd -i C array',
    'od -A x -t x1z -v fw.bin | mmapx unhex --format od -o fw.bin',
    'mmapx --json unhex part.hex -o part.bin --seek -0x1000',
  ])}`,
      )
      .action(action(() => import('./commands/unhex.js')));
  }

  if (want('hash')) {
    program
      .command('hash')
      .description('digests of files or a range (sha256, sha1, md5, crc32, sha512, ...), printed like sha256sum; -c checks a sha256sum file')
      .usage('[options] [file...]\n       mmapx hash [options] -c <sumfile> [sumfile...]')
      .argument('[file...]', 'files to hash (- or none: standard input, unless it is a terminal); with -c, more checksum files')
      .option('--files-from <list>', FILES_FROM_HELP)
      .option('--range <range>', 'hash only this range (OFFSET:LENGTH or START..END)')
      .addOption(
        new Option(
          '--algo <algo>',
          'sha256 (the default), sha1, md5, crc32 (8 hex digits, as zlib.crc32), sha512, sha224, sha384, blake2b512 (= b2sum) or sha3-256',
        ).choices(DIGEST_ALGOS),
      )
      .option('--check <hex>', 'a guard: exit 3 unless the digest is this one (or starts with these, at least 12 hex digits: said on stderr)')
      .option('-c, --check-file <sumfile>', 'check the files listed in SUMFILE (sha256sum lines or --tag lines; - is standard input) as sha256sum -c does')
      .option('--status', '-c: print nothing, the exit status tells')
      .option('--strict', '-c: exit 1 when a line is improperly formatted')
      .option('--warn', '-c: one line on stderr for each improperly formatted line')
      .option('--ignore-missing', '-c: a listed file that does not exist is skipped, not a failure')
      .option('--stats', 'print bytes, speed and timings on stderr')
      .option('--force', 'allow devices and pseudo-filesystem files')
      .addHelpText(
        'after',
        `
  Prints '<hex>  <file>' for each file as sha256sum, sha512sum, b2sum... do (also for a range;
  a name with a backslash, newline or carriage return is escaped and the line starts with \\).
  - is standard input, read as it comes (flat memory); it takes no --range. With --check, the
  status is 3 when a digest differs (the line is still printed, and the error names both); a
  prefix of at least 12 hex digits is accepted, and a warning says it matched on a prefix.

  Checking (-c, as sha256sum -c): prints 'NAME: OK', 'NAME: FAILED' or 'NAME: FAILED open or
  read' per listed file, then WARNING lines; status 0 when every listed file matched, 1 otherwise
  (a mismatch, an unreadable file, no properly formatted line; with --strict a malformed line).
  -q (the global --quiet) leaves out the OK lines. Without --algo each line's digest length says
  the algorithm (8 crc32, 32 md5, 40 sha1, 56 sha224, 64 sha256, 96 sha384; 128 digits need
  --algo sha512 or blake2b512, sha3-256 needs --algo), or its tag (SHA256 (name) = hex).
  ${severalHelp(`FILE...: one line per file, exactly as sha256sum prints them (no header);
  a file that fails (missing, a directory) prints its error line and the others go on.`)}
  ${examples([
    'mmapx hash fw.bin                            # = sha256sum fw.bin',
    'mmapx hash *.bin --algo sha512               # = sha512sum *.bin',
    'mmapx hash fw.bin --range 0x1000:4K --algo crc32',
    'mmapx hash fw.bin --range 0x1f40..0x2000 --check 8f434346648f   # in CI: exit 3 if it differs',
    'xz -dc fw.bin.xz | mmapx hash --algo blake2b512   # standard input: = xz -dc ... | b2sum',
    'mmapx hash *.bin > SHA256SUMS && mmapx hash -c SHA256SUMS -q',
    'mmapx --json hash disk.img --range -1M..',
  ])}`,
      )
      .action(action(() => import('./commands/hash.js')));
  }

  if (want('info')) {
    program
      .command('info')
      .description('size, type, page-cache residency, filesystem and which map modes would work')
      .argument('[file...]', 'file(s) to inspect (- is standard input: a pipe shows its type, size unknown; nothing is read)')
      .option('--files-from <list>', FILES_FROM_HELP)
      .option('--range <range>', 'residency of this range only (in each file)')
      .option('--force', 'allow devices and pseudo-filesystem files')
      .option('--stats', 'print timings on stderr')
      .option('--sections', 'executables (ELF, PE, Mach-O): list the sections (index, name, type, offset, VA, sizes, flags)')
      .option('--segments', 'executables: list the segments (ELF program headers, Mach-O segments)')
      .option('--symbols', 'executables: list the symbols (value, file offset, size, type, bind, section, name)')
      .option('--filter <glob>', 'with --symbols: only names (or demangled names) matching GLOB (* ? [...])')
      .option('-C, --demangle', 'with --symbols: show C++ names demangled (ns::f(int)), as nm -C (--json has both)')
      .addHelpText(
        'after',
        `${severalHelp('each file prints its block (it starts with its path), a blank line between.')}
  --sections, --segments and --symbols list what an executable contains, one layout for ELF,
  PE and Mach-O (--json: names, offsets, VAs, sizes, flags); a file that is none exits 2.
  Symbol names are listed as stored, the form sym:NAME takes in a patch line; -C shows C++
  names demangled as well (--filter matches either form).
  ${examples([
    'mmapx info db.bin',
    'mmapx info db.bin --range 1G:64M',
    'mmapx --json info db.bin',
    'mmapx info *.db',
    'mmapx info a.out --sections --segments',
    "mmapx info a.out --symbols --filter 'check_*'",
    "mmapx info a.out --symbols -C --filter 'ns::*'",
    'mmapx --json info lib.so --symbols',
  ])}`,
      )
      .action(action(() => import('./commands/info.js')));
  }

  if (want('completion')) {
    program
      .command('completion')
      .description('print a shell completion script (bash, zsh or fish)')
      .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
      .addHelpText(
        'after',
        examples([
          'source <(mmapx completion bash)            # in ~/.bashrc',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: zsh's own ${...}, shown as typed
          'mmapx completion zsh > "${fpath[1]}/_mmapx"',
          'mmapx completion fish > ~/.config/fish/completions/mmapx.fish',
        ]),
      )
      .action(action(() => import('./commands/completion.js')));
  }

  enforceSingleUse(program);
  ctx.program = program;
  return program;
}

function parseWait(value: string): number {
  const s = parseSeconds(value);
  if (s === undefined) throw new InvalidArgumentError(`give a number of seconds (0 = do not wait)`);
  return s;
}

function describeType(t: string): string {
  const kind = t[0] === 'u' ? 'unsigned' : t[0] === 'i' ? 'signed' : 'float';
  const bits = t.match(/\d+/)?.[0];
  const end = t.endsWith('le') ? ', little-endian' : t.endsWith('be') ? ', big-endian' : '';
  return `${kind} ${bits}-bit${end}`;
}
