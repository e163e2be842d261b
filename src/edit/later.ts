// A result that is known only once a batch is done: a several-file patch makes the journals and the
// writes of a batch of files durable together, so each file's outcome waits for its batch.

/**
 * A file's outcome that is settled later (when the batch it joined is committed). Settles once;
 * {@link map} derives a Later of another type (the CLI turns an engine outcome into its report).
 */
export class Later<T> {
  #outcome: { readonly value: T } | { readonly error: unknown } | undefined;
  readonly #waiting: ((outcome: { readonly value: T } | { readonly error: unknown }) => void)[] = [];

  /** Whether {@link resolve} or {@link reject} was called. */
  get settled(): boolean {
    return this.#outcome !== undefined;
  }

  resolve(value: T): void {
    this.#settle({ value });
  }

  reject(error: unknown): void {
    this.#settle({ error });
  }

  #settle(outcome: { readonly value: T } | { readonly error: unknown }): void {
    if (this.#outcome !== undefined) return;
    this.#outcome = outcome;
    for (const w of this.#waiting.splice(0)) w(outcome);
  }

  /** The value; throws the error it was rejected with, or when it is not settled yet. */
  take(): T {
    const o = this.#outcome;
    if (o === undefined) throw new Error('internal error: a file was never finished');
    if ('error' in o) throw o.error;
    return o.value;
  }

  /** A Later settled with `fn` of this one's value when it settles (an error of `fn` rejects it), or with this one's error. */
  map<U>(fn: (value: T) => U): Later<U> {
    const out = new Later<U>();
    const settle = (o: { readonly value: T } | { readonly error: unknown }): void => {
      if ('error' in o) {
        out.reject(o.error);
        return;
      }
      try {
        out.resolve(fn(o.value));
      } catch (err) {
        out.reject(err);
      }
    };
    if (this.#outcome !== undefined) settle(this.#outcome);
    else this.#waiting.push(settle);
    return out;
  }
}

/** How a loop over files finishes the files whose results are {@link Later}. */
export interface Batching {
  /** Finishes every file still waiting (after the last file, and before a one-file run returns). */
  settle(): void;
  /** Gives up the files still waiting, leaving them untouched (the run stops early: a broken pipe). */
  abandon(): void;
}
