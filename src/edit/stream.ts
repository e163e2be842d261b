// The Readable streams of the read API (readRange, dump, diffStream): a source opened once (the
// file's lock taken then, without blocking the event loop), then pulled one bounded step at a time
// as the consumer asks for more, and closed (lock released, window unmapped) when the stream ends,
// fails or is destroyed. The CLI does not go through here: it drives the same sources synchronously.
import { Readable } from 'node:stream';
import { usableHighWaterMark } from './args.js';

/** What a stream pulls from: synchronous steps over an open file, each bounded (a slice, a window). */
export interface PullSource {
  /**
   * Does one step of the work, handing its output to `push` (each chunk is copied before it is
   * queued, so a view of a map or of a reused buffer is fine, unless `owned` says it is the
   * caller's own copy). Returns false once everything was pushed.
   */
  step(push: (chunk: Uint8Array | string, owned?: boolean) => void): boolean;
  /** Releases the file (unmaps, closes, unlocks). Called once, whatever happened. */
  close(): void;
}

/** Steps run in one turn of the event loop when they push nothing (identical regions of a diff). */
const STEPS_PER_TURN = 16;

/**
 * A Readable over the source `open` makes: opened in `_construct` (errors of the open, the lock
 * wait and the options are stream errors), pulled in `_read` until the queue is full, closed in
 * `_destroy`. `signal` destroys the stream with its reason.
 */
export function pullStream(open: () => Promise<PullSource>, options: { signal?: AbortSignal | undefined; highWaterMark?: number | undefined } = {}): Readable {
  let source: PullSource | undefined;
  let ended = false;
  let scheduled = false;
  // Bad values are left out here (Node would throw a TypeError of its own, or hang on 0): the
  // source's open checks the options and ends the stream with an InputError naming them.
  const stream: Readable = new Readable({
    ...(usableHighWaterMark(options.highWaterMark) && { highWaterMark: options.highWaterMark }),
    ...(options.signal instanceof AbortSignal && { signal: options.signal }),
    construct(callback) {
      open().then(
        (s) => {
          if (stream.destroyed) s.close();
          else source = s;
          callback();
        },
        (err: unknown) => callback(err as Error),
      );
    },
    read() {
      pump();
    },
    destroy(err, callback) {
      const s = source;
      source = undefined;
      try {
        s?.close();
      } catch (closeErr) {
        callback(err ?? (closeErr as Error));
        return;
      }
      callback(err);
    },
  });

  /** Steps until the queue is full (or the end); a run of steps that push nothing yields the loop. */
  function pump(): void {
    if (source === undefined || ended || stream.destroyed) return;
    let room = true;
    let pushed = false;
    const push = (chunk: Uint8Array | string, owned = false): void => {
      if (chunk.length === 0) return;
      pushed = true;
      // Copied: the chunk may be a view of a map or of a buffer the next step reuses.
      room = stream.push(typeof chunk === 'string' || !owned ? Buffer.from(chunk) : chunk) && room;
    };
    try {
      for (let n = 0; room; n++) {
        if (!pushed && n >= STEPS_PER_TURN) {
          // Nothing to give yet: let the loop run, then go on (_read is not called again until a push).
          if (!scheduled) {
            scheduled = true;
            setImmediate(() => {
              scheduled = false;
              pump();
            });
          }
          return;
        }
        if (pushed && n >= STEPS_PER_TURN) return;
        if (!source.step(push)) {
          // Everything was pushed: the file is released now, not when the consumer gets to the end.
          ended = true;
          const s = source;
          source = undefined;
          s.close();
          stream.push(null);
          return;
        }
      }
    } catch (err) {
      stream.destroy(err as Error);
    }
  }
  return stream;
}
