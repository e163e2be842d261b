// Runs the built CLI on a pseudo-terminal (util-linux `script`), so that stderr (and, unless the
// command redirects it, stdout) is a terminal, and reads back what the terminal received: the raw
// bytes, and the screen they leave after `\r`, `\n` and clear-to-end-of-line (`\x1b[K`).
import { spawnSync } from 'node:child_process';
import { BIN, PINNED_ENV } from './cli.js';

/** Whether `script` from util-linux is here (it runs a command on a new pseudo-terminal). */
export function hasScript(): boolean {
  return spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout?.includes('util-linux') === true;
}

/** Quotes one word for sh. */
export function sh(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

export interface TerminalRun {
  status: number | null;
  /** Everything the terminal received (the pty turns `\n` into `\r\n`). */
  raw: string;
  /** The lines left on the screen, trailing blank lines dropped. */
  screen: string[];
  dump: string;
}

/**
 * Runs `mmapx ARGS REDIRECTIONS` through sh on a pseudo-terminal `cols` columns wide, with the
 * pinned environment plus a terminal (`TERM=xterm`) and `env`. `redirect` is appended to the
 * command as sh text (e.g. `> out.txt`); the exit status is the command's.
 */
export function inTerminal(args: string[], opts: { redirect?: string; env?: Record<string, string | undefined>; cols?: number } = {}): TerminalRun {
  const env: Record<string, string> = { ...PINNED_ENV, TERM: 'xterm', SHELL: '/bin/sh' };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const cmd = `stty cols ${opts.cols ?? 100}; exec ${[process.execPath, BIN, ...args].map(sh).join(' ')} ${opts.redirect ?? ''}`;
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { env, encoding: 'utf8', timeout: 60_000 });
  const raw = r.stdout ?? '';
  const screen = render(raw);
  return {
    status: r.status,
    raw,
    screen,
    dump: `$ ${cmd}\n-> status ${r.status}\n--- terminal\n${JSON.stringify(raw.slice(-3000))}\n--- screen\n${screen.join('\n')}\n--- script's stderr\n${r.stderr}`,
  };
}

/** The screen left by `text`: a terminal that knows `\r`, `\n` and `\x1b[K` (other escapes are dropped). */
export function render(text: string): string[] {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row++;
      lines[row] ??= [];
    } else if (ch === '\x1b') {
      const m = /^\x1b\[[0-9;?]*[A-Za-z]/.exec(text.slice(i, i + 16));
      if (m?.[0] === '\x1b[K') lines[row]!.length = col;
      i += (m?.[0].length ?? 1) - 1;
    } else {
      const line = lines[row]!;
      while (line.length < col) line.push(' ');
      line[col++] = ch;
    }
  }
  const out = lines.map((l) => l.join('').trimEnd());
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/** The progress lines drawn (`\r` + text + `\x1b[K`), without the erasures. */
export function drawnLines(raw: string): string[] {
  return [...raw.matchAll(/\r([^\r\n\x1b]+)\x1b\[K/g)].map((m) => m[1]!);
}
