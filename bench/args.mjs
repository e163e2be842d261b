// The command line of the SIGKILL benches: `[TRIALS] [--NAME VALUE]...`, sizes with K/M/G.

/** A size such as 64M or 1G (powers of 1024). */
export function parseSize(s) {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new Error(`bad number ${s}`);
  return Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase()];
}

/**
 * Reads `argv` (without node and the script): `opt(name, dflt)` is the value after `--name`, and
 * `trials` the first bare number that is not such a value (default 200).
 */
export function benchArgs(argv) {
  const opt = (name, dflt) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : dflt;
  };
  const trials = Number(argv.find((a, i) => /^\d+$/.test(a) && !(i > 0 && argv[i - 1].startsWith('--'))) ?? 200);
  return { opt, trials };
}
