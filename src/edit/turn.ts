// Between two windows of a long read, the library's calls give the event loop its turn: timers,
// I/O and other requests run, and a cancelled operation stops there.
import { setImmediate } from 'node:timers/promises';

/**
 * Resolves after the event loop has run once more (a macrotask, not a microtask: awaiting a
 * resolved promise would let nothing else run).
 * @throws the signal's reason (an `AbortError` by default) when `signal` was aborted meanwhile.
 */
export async function nextTurn(signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  await setImmediate();
  signal?.throwIfAborted();
}
