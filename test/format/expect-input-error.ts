// Shared assertions for the parser tests: every rejection is an InputError with a one-line
// message (no line breaks, no trailing period) and, where stated, a position.
import { expect } from 'vitest';
import { InputError } from '../../src/errors.js';

/** Runs `fn`, which must throw an InputError, and returns it. Any other outcome fails the test. */
export function inputErrorOf(fn: () => unknown): InputError {
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    if (error instanceof InputError) {
      expectOneLine(error.message);
      return error;
    }
    throw error;
  }
  throw new Error(`expected an InputError, got a result: ${String(result)}`);
}

/** Asserts the exact message and, when given, the reported 0-based position. */
export function expectInputError(fn: () => unknown, message: string, position?: number): InputError {
  const error = inputErrorOf(fn);
  expect(error.message).toBe(message);
  if (position !== undefined) expect(error.location.position).toBe(position);
  return error;
}

/** One line: no CR, LF, line or paragraph separator, and no trailing period. */
export function expectOneLine(message: string): void {
  expect(message).not.toMatch(/[\r\n\u0085\u2028\u2029]/);
  expect(message).not.toMatch(/\.$/);
}

/** Either `fn` returns, or it throws an InputError (one line, position inside the token). */
export function returnsOrThrowsInputError(fn: () => unknown, token: string): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    expectOneLine(error.message);
    const { position } = error.location;
    if (position !== undefined) {
      expect(position).toBeGreaterThanOrEqual(0);
      expect(position).toBeLessThanOrEqual(token.length);
    }
  }
}
