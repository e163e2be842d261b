// What `mmapx ...` runs, read from argv alone: no imports, so that the CLI's tiny entry (entry.ts)
// can choose the bundle to load before anything else loads, and program.ts which commands to build.

/**
 * The commands, in the order of `mmapx --help`, with their aliases. `commandOf` reads it to build
 * only the command that runs, and entry.ts its bundle (test/cli/startup.test.ts checks it against
 * the whole program).
 */
export const COMMANDS: Readonly<Record<string, readonly string[]>> = {
  write: [],
  fill: [],
  copy: [],
  move: [],
  transform: [],
  insert: [],
  delete: [],
  patch: [],
  stamp: [],
  recover: [],
  diff: [],
  find: [],
  flush: [],
  protect: [],
  hexdump: ['hd'],
  cat: [],
  unhex: [],
  hash: [],
  info: [],
  completion: [],
};

/** The program's own options that take a value (the next argument, or `--opt=value`). */
const GLOBAL_VALUE_OPTIONS = new Set(['--color', '--wait', '--arch']);
const GLOBAL_FLAGS = new Set(['--json', '-q', '--quiet', '--debug', '--no-progress']);

/**
 * The command that `argv` (node, script, arguments...) runs, when it is certain: the first argument
 * after the program's own options, if it names a command or an alias. Undefined when anything else
 * comes first (help, an unknown option or command, `--`, no command): then the whole program is
 * built, and commander answers as it always did.
 */
export function commandOf(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i] as string;
    if (GLOBAL_FLAGS.has(a)) continue;
    if (GLOBAL_VALUE_OPTIONS.has(a)) {
      i++;
      continue;
    }
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0 && GLOBAL_VALUE_OPTIONS.has(a.slice(0, eq))) continue;
    if (a.startsWith('-')) return undefined;
    for (const [name, aliases] of Object.entries(COMMANDS)) if (a === name || aliases.includes(a)) return name === 'completion' ? undefined : name;
    return undefined;
  }
  return undefined;
}

/**
 * The commands that the npm package runs from a bundle of their own, `dist/main-<command>.cjs`: the
 * program with only that command's code (340-375 KB of the whole `dist/main.cjs`'s 980 KB), so
 * that a small command deserializes and runs less: 3-5 ms less CPU per run on Node 20, 22 and 24
 * than the whole bundle with a cache per command (medians of interleaved runs). Not `hash`,
 * `hexdump` and `patch`: their own bundles (367, 431 and 653 KB) gained 2 ms or less, not worth
 * their share of the package. Every other command, help, completion, anything unknown and the
 * standalone executable run the whole bundle. scripts/build.mjs builds one bundle per name here
 * (and checks that package.json ships it).
 */
export const OWN_BUNDLE: readonly string[] = ['write', 'flush', 'protect', 'info'];

/**
 * How the npm package runs `argv` (node, script, arguments...): its CLI bundle (relative to dist/)
 * and the name of its code cache (codecache.ts). Each command has a cache of its own, made by its
 * own first run, whichever bundle it runs from: a cache holds the code of the functions that the
 * run which made it compiled, so one made by another command would miss what this one needs (and
 * carry what it does not). Runs without a command (help, completion, unknown) share `main`.
 */
export function cliBundle(argv: readonly string[]): { bundle: string; cache: string } {
  const command = commandOf(argv);
  if (command === undefined) return { bundle: 'main.cjs', cache: 'main' };
  return { bundle: OWN_BUNDLE.includes(command) ? `main-${command}.cjs` : 'main.cjs', cache: command };
}

/**
 * Answers `mmapx --version` (or `-V`) given alone, with `write`, before commander and the commands
 * load: the npm entry (entry.ts) and the executable's loader (sea-loader.ts) call it first, so
 * that it costs what starting Node costs. True when it answered; false for any other argv, and
 * when the write failed (a closed pipe, a broken stdout: the CLI then answers, with its one error
 * model).
 */
export function answerVersion(argv: readonly string[], write: (text: string) => void): boolean {
  if (argv.length !== 3 || (argv[2] !== '--version' && argv[2] !== '-V')) return false;
  try {
    write(`${__MMAPX_VERSION__}\n`);
    return true;
  } catch {
    return false;
  }
}
