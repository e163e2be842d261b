// Colour policy: --color auto|always|never, NO_COLOR and FORCE_COLOR. Pure; chalk itself is only
// loaded by the commands that colour something, and only when the level is above 0.

export type ColorMode = 'auto' | 'always' | 'never';

/** 0 = no colour, 1 = 16 colours, 2 = 256, 3 = truecolor. */
export type ColorLevel = 0 | 1 | 2 | 3;

/**
 * Decides the colour level. `--color never` and `NO_COLOR` (non-empty) win; `--color always` and
 * `FORCE_COLOR` (1/2/3, or empty/true for 1) force colour; `auto` colours only a TTY whose TERM is
 * not `dumb`.
 */
export function colorLevel(mode: ColorMode, isTTY: boolean, env: NodeJS.ProcessEnv): ColorLevel {
  if (mode === 'never') return 0;
  const force = env.FORCE_COLOR;
  const forced: ColorLevel | undefined = force === undefined ? undefined : force === '0' || force === 'false' ? 0 : force === '2' ? 2 : force === '3' ? 3 : 1;
  if (mode === 'always') return forced && forced > 0 ? forced : terminalLevel(env) || 1;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (forced !== undefined) return forced;
  if (!isTTY || env.TERM === 'dumb') return 0;
  return terminalLevel(env) || 1;
}

function terminalLevel(env: NodeJS.ProcessEnv): ColorLevel {
  if (env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit') return 3;
  if (env.TERM?.includes('256')) return 2;
  return env.TERM && env.TERM !== 'dumb' ? 1 : 0;
}

/** The text chalk writes before and after a styled run. */
export interface AnsiPair {
  open: string;
  close: string;
}

/**
 * The ANSI pairs of some chalk styles at `level`, by name: `pick` chooses a style per name from
 * chalk (`(c) => ({ old: c.red.bold })`). chalk is loaded here, only when something is coloured.
 */
export async function ansiPairs<K extends string>(
  level: 1 | 2 | 3,
  pick: (c: import('chalk').ChalkInstance) => Record<K, (s: string) => string>,
): Promise<Record<K, AnsiPair>> {
  const { Chalk } = await import('chalk');
  const styles = pick(new Chalk({ level }));
  const out = {} as Record<K, AnsiPair>;
  for (const name of Object.keys(styles) as K[]) {
    const [open, close] = styles[name]('\0').split('\0') as [string, string];
    out[name] = { open, close };
  }
  return out;
}

/**
 * The width a view fits (hexdump --view --panels auto, diff --format side): $COLUMNS when it is a
 * positive number (it wins, as for ls, also on a pipe), else the width of the terminal on
 * standard output (`ttyColumns`, from the caller: 0 or undefined when it is none), else undefined.
 */
export function viewColumns(env: NodeJS.ProcessEnv, ttyColumns: number | undefined): number | undefined {
  const c = env.COLUMNS;
  if (c !== undefined && /^[1-9][0-9]{0,5}$/.test(c)) return Number(c);
  return ttyColumns !== undefined && ttyColumns > 0 ? ttyColumns : undefined;
}
