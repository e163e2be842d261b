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
