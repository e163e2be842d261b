// Which filesystem a file is on, and with which mount flags (for info and protect's explanations).
import { readFileSync, realpathSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { findMount, type Mount, parseMountinfo } from '../format/mountinfo.js';

/** Linux dev_t → major:minor (glibc's gnu_dev_major/minor). */
export function devNumbers(dev: bigint): { major: number; minor: number } {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return { major, minor };
}

/** The mount holding `path`, or undefined where /proc/self/mountinfo is not readable. */
export function mountOf(path: string, stat: BigIntStats): Mount | undefined {
  try {
    const mounts = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
    return findMount(mounts, realpathSync(path), devNumbers(stat.dev));
  } catch {
    return undefined;
  }
}
