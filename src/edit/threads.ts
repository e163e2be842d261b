// MMAPX_THREADS: how many threads find and the pattern search of patch use on big files (see
// scan.ts). main.ts reads it before every command, so a bad value is one usage error whatever the
// command, never silently replaced by the default.
import { InputError } from '../errors.js';

/** The most threads MMAPX_THREADS may ask for. */
const MAX_THREADS_ENV = 64;

/**
 * The thread count MMAPX_THREADS asks for, or undefined when it is unset or empty (the default:
 * the cores, at most 4).
 *
 * @throws {InputError} unless the value is a whole number from 1 to {@link MAX_THREADS_ENV}.
 */
export function threadsFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const text = env.MMAPX_THREADS;
  if (text === undefined || text === '') return undefined;
  const n = /^[0-9]{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_THREADS_ENV)) {
    throw new InputError(
      `MMAPX_THREADS=${JSON.stringify(text)} is not a thread count: give a whole number from 1 to ${MAX_THREADS_ENV} (1: no extra threads), or unset it`,
    );
  }
  return n;
}
