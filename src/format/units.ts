// Counts and sizes as people read them: one place for plurals and 1024-based byte sizes.

/** `1 page`, `3 pages`, `0 files`; `word` is the singular, `words` the plural when not `word` + s. */
export function plural(n: number | bigint, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 || n === 1n ? word : words}`;
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** `n` (at least 1024) in the largest 1024-based unit up to `units` that keeps it at or above 1. */
function scaled(n: number, units: number): { v: number; u: number } {
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units - 1) {
    v /= 1024;
    u++;
  }
  return { v, u };
}

/** `512 B`, `1.5 KiB`, `2.0 GiB`: 1024-based, one decimal (progress lines). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  let { v, u } = scaled(n, UNITS.length);
  // 1023.96 would round to "1024.0 KiB": show it as the next unit.
  if (v >= 1023.95 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${UNITS[u]}`;
}

/** `512 bytes`, `5000 bytes (4.88 KiB)`, `17179869184 bytes (16.0 GiB)`: exact, then up to TiB (info). */
export function formatSize(n: bigint): string {
  if (n < 1024n) return `${n} bytes`;
  const { v, u } = scaled(Number(n), 4);
  return `${n} bytes (${v.toFixed(v < 10 ? 2 : 1)} ${UNITS[u]})`;
}
