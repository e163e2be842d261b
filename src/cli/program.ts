// The commander program: every command, option and help text lives here, so that --help, the
// manual test and shell completion see them all without loading any command's code. Actions load
// their module on first use (`await import`), which keeps `mmapx --version` fast.
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import type { Context, Result } from './context.js';
import { DEFAULT_LOCK_WAIT, setLockWait } from './lock.js';

const TYPED = [
  'u8', 'i8',
  'u16le', 'u16be', 'i16le', 'i16be',
  'u32le', 'u32be', 'i32le', 'i32be',
  'u64le', 'u64be', 'i64le', 'i64be',
  'f32le', 'f32be', 'f64le', 'f64be',
] as const;

const NUMBERS_HELP = `
Numbers: 1234, 0x4d2, 0o2322, 0b10011010010, 1_000_000, and 1024-based sizes 4K, 16M, 4.5G, 1T,
4KiB... A negative OFFSET counts from the end of the file (-16 = 16 bytes before the end).
Ranges: OFFSET:LENGTH (0x100:16) or START..END, end exclusive (0x100..0x110, -64.., ..4K).
Hex data: eb05, "eb 05", 0xeb05, eb:05.`;

const EXIT_HELP = `
Exit status: 0 done (also "already applied"), 1 the operation failed, 2 usage or input error,
3 a guard failed (expected bytes, hash or count differ). A failed command leaves the file
byte-identical.

Environment: NO_COLOR disables colour, FORCE_COLOR forces it (--color overrides both).`;

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

/** Builds the program. `run` receives each command's result. */
export function buildProgram(ctx: Context, onResult: (r: Result) => void): Command {
  const program = new Command('mmapx');
  program
    .description('Edit and inspect files in place through memory maps.')
    .version(__MMAPX_VERSION__, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help for mmapx or a command')
    .option('--json', 'print one JSON object on stdout instead of text and summaries')
    .option('-q, --quiet', 'no summary line on stderr for mutations')
    .addOption(
      new Option('--color <when>', 'colour output: auto (only on a terminal), always, never')
        .choices(['auto', 'always', 'never'])
        .default('auto'),
    )
    .option('--debug', 'print a stack trace with errors')
    .addOption(
      new Option('--wait <seconds>', 'wait this long for another mmapx that has the file locked (0: fail at once)')
        .argParser(parseWait)
        .default(DEFAULT_LOCK_WAIT),
    )
    .helpCommand('help [command]', 'show help for a command')
    .addHelpText('after', `${NUMBERS_HELP}\n${EXIT_HELP}\n`)
    .showSuggestionAfterError(true);

  const action =
    (load: () => Promise<{ default: Action }>) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      ctx.command = cmd.name();
      setLockWait(program.opts().wait as number);
      const { default: fn } = await load();
      const opts = Object.fromEntries(Object.entries(cmd.opts()).map(([k, v]) => [k, unmark(v)]));
      onResult(await fn(ctx, args.slice(0, -2).map(unmark), opts));
    };

  program
    .command('write')
    .description('write bytes in place at an offset, through a map of only the pages touched')
    .argument('<file>', 'file to modify')
    .argument('<offset>', 'where to write; negative counts from the end')
    .argument('[hex...]', 'bytes as hex (eb05, "eb 05", 0xeb05, eb:05)')
    .option('--text <string>', 'write this text (UTF-8; escapes \\n \\r \\t \\0 \\\\ \\xNN)')
    .option('--file <path>', 'write the contents of this file')
    .option('--stdin', 'write what arrives on standard input')
    .option('--fill <byte>', 'write this byte value, --length times')
    .option('--length <n>', 'how many bytes --fill writes')
    .addOption(new Option('--expect <hex>', 'only write if the bytes there are these now (exit 3 otherwise)'))
    .option('--grow', 'extend the file if the write ends past its end')
    .option('--no-sync', 'skip the msync (leave write-back to the kernel)')
    .option('--force', 'allow devices and pseudo-filesystem files')
    .addHelpText(
      'after',
      examples([
        'mmapx write fw.bin 0x1f40 eb05',
        'mmapx write fw.bin 0x1f40 eb05 --expect 7405     # guarded: exit 3 if the bytes differ',
        'mmapx write disk.img -512 --fill 0 --length 512   # zero the last 512 bytes',
        'mmapx write hdr.bin 8 --u32le 0xdeadbeef',
        "mmapx write note.txt 0 --text 'v2\\n'",
      ]),
    );
  for (const t of TYPED) {
    program.commands.at(-1)?.option(`--${t} <value>`, `write VALUE as ${describeType(t)}`);
  }
  program.commands.at(-1)?.action(action(() => import('./commands/write.js')));

  program
    .command('flush')
    .description('msync a file or a range of it, and report what the kernel did')
    .argument('<file>', 'file to flush')
    .option('--range <range>', 'only this range (OFFSET:LENGTH or START..END; widened to pages)')
    .option('--async', 'start write-back without waiting for it')
    .option('--force', 'allow devices and pseudo-filesystem files')
    .addHelpText(
      'after',
      examples(['mmapx flush db.bin', 'mmapx flush db.bin --range 0x1000:64 --async', 'mmapx --json flush log.bin --range -4K..']),
    )
    .action(action(() => import('./commands/flush.js')));

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

  program
    .command('hexdump')
    .alias('hd')
    .description('dump bytes as hexdump -C, xxd, xxd -p, xxd -i or JSON, through read-only maps')
    .argument('<file>', 'file to dump')
    .option('-s, --offset <n>', 'start here; negative counts from the end (offsets shown stay absolute)')
    .option('-n, --length <n>', 'dump at most N bytes (stops at the end of the file, like the peers)')
    .addOption(
      new Option('-f, --format <format>', 'canonical (hexdump -C), xxd, plain (xxd -p), c (xxd -i), json (one object per line)')
        .choices(['canonical', 'xxd', 'plain', 'c', 'json'])
        .default('canonical'),
    )
    .option('-c, --cols <n>', 'bytes per line (xxd 1..256, default 16; plain 30; c 12; json 4096)')
    .option('-g, --group <n>', 'bytes per group in the xxd format (default 2)')
    .option('-u, --upper', 'upper-case hex digits')
    .option('-v, --no-squeeze', 'canonical: print repeated lines instead of *')
    .option('-a, --autoskip', 'xxd: a single * for runs of all-zero lines (xxd -a)')
    .option('--name <identifier>', 'c: the array name (default: from the path, as xxd -i names it)')
    .option('--stats', 'print bytes, speed and timings on stderr')
    .option('--force', 'allow devices and pseudo-filesystem files')
    .addHelpText(
      'after',
      examples([
        'mmapx hexdump fw.bin -s 0x1f40 -n 64',
        'mmapx hd disk.img -s -512                  # the last 512 bytes, offsets absolute',
        'mmapx hexdump fw.bin -f xxd -g 1 -c 8',
        'mmapx hexdump logo.png -f c --name logo > logo.h',
        'mmapx --json hexdump fw.bin -n 16          # {"offset":0,"length":16,"hex":"..."}',
      ]),
    )
    .action(action(() => import('./commands/hexdump.js')));

  program
    .command('info')
    .description('size, type, page-cache residency, filesystem and which map modes would work')
    .argument('<file>', 'file to inspect')
    .option('--range <range>', 'residency of this range only')
    .option('--force', 'allow devices and pseudo-filesystem files')
    .option('--stats', 'print timings on stderr')
    .addHelpText('after', examples(['mmapx info db.bin', 'mmapx info db.bin --range 1G:64M', 'mmapx --json info db.bin']))
    .action(action(() => import('./commands/info.js')));

  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      examples([
        'source <(mmapx completion bash)            # in ~/.bashrc',
        'mmapx completion zsh > "${fpath[1]}/_mmapx"',
        'mmapx completion fish > ~/.config/fish/completions/mmapx.fish',
      ]),
    )
    .action(action(() => import('./commands/completion.js')));

  ctx.program = program;
  return program;
}

function parseWait(value: string): number {
  const s = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(s)) throw new InvalidArgumentError(`give a number of seconds (0 = do not wait)`);
  return s;
}

function describeType(t: string): string {
  const kind = t[0] === 'u' ? 'unsigned' : t[0] === 'i' ? 'signed' : 'float';
  const bits = t.match(/\d+/)?.[0];
  const end = t.endsWith('le') ? ', little-endian' : t.endsWith('be') ? ', big-endian' : '';
  return `${kind} ${bits}-bit${end}`;
}
