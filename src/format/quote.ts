/**
 * Private helpers for the parsers' error messages. Every message is one line that names the bad
 * token, so whatever the user typed (newlines, control characters, bidi overrides, lone
 * surrogates, megabytes of hex) is escaped and shortened before it goes into a message.
 * The full token stays available, unshortened, in `InputError.location.token`.
 */

import { InputError } from '../errors.js';

/** Longest excerpt of a token shown in a message; longer tokens end with `…`. */
const MAX_SHOWN = 64;

/**
 * Characters that could break the line or mislead the reader: C0/C1 controls, line and paragraph
 * separators, bidi embedding/override/isolate controls, lone surrogates, and the escape and quote
 * characters themselves. With the `u` flag a well-formed surrogate pair is one code point and so
 * never matches `\p{Cs}`.
 */
const UNSAFE = /[\\"'\p{Cc}\p{Cs}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069]/gu;

/** What {@link shownPath} escapes: the characters of {@link UNSAFE} that a path may hold, less the quotes and `\\`. */
const UNSAFE_IN_PATH = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069]/gu;

const SHORT_ESCAPES: Record<string, string> = {
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\\': '\\\\',
};

function escapeText(text: string, quote: '"' | "'"): string {
  return text.replace(UNSAFE, (ch) => {
    if (ch === '"' || ch === "'") return ch === quote ? `\\${ch}` : ch;
    return SHORT_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/**
 * A path (or a line naming one) as a one-line message shows it: newlines, other controls, line
 * separators and bidi controls escaped (`\n`, `\u001b`), everything else (quotes, the `\` of a
 * Windows path, any length) as it is.
 */
export function shownPath(path: string): string {
  return path.replace(UNSAFE_IN_PATH, (ch) => SHORT_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Cuts a long token to a readable excerpt; the position in the message still counts in the whole token. */
function excerpt(token: string): { text: string; more: string } {
  return token.length > MAX_SHOWN ? { text: token.slice(0, MAX_SHOWN), more: '…' } : { text: token, more: '' };
}

/** `"token"`, escaped and shortened for a one-line message. */
export function quote(token: string): string {
  const { text, more } = excerpt(token);
  return `"${escapeText(text, '"')}"${more}`;
}

/** A token that already passed validation (digits, signs, suffixes), shown as written but shortened. */
export function shown(token: string): string {
  const { text, more } = excerpt(token);
  return escapeText(text, '"') + more;
}

/** `'c'`: the whole code point at `position` (a surrogate pair counts as one character). */
export function showChar(token: string, position: number): string {
  const cp = token.codePointAt(position);
  const ch = cp === undefined ? '' : String.fromCodePoint(cp);
  // A lone surrogate survives codePointAt/fromCodePoint unchanged and is escaped below.
  return `'${escapeText(ch, "'")}'`;
}

/**
 * `bad <what> "<token>": <problem>` located at `position` (0-based, in UTF-16 code units).
 * `detail` (default: `problem`) is the wording without positions, kept in `location.detail`.
 */
export function badInput(what: string, token: string, position: number, problem: string, detail = problem): InputError {
  return new InputError(`bad ${what} ${quote(token)}: ${problem}`, { token, position, detail });
}

/** `bad <what> "<token>": '<c>' at position <n> <problem>`, for one offending character. */
export function badChar(what: string, token: string, position: number, problem: string): InputError {
  const c = showChar(token, position);
  return badInput(what, token, position, `${c} at position ${position} ${problem}`, `${c} ${problem}`);
}

/**
 * Any value a library caller passed, for a one-line message: `-1`, `1.5`, `2n`, `"text"`, `null`,
 * `undefined`, `a symbol`, `a function`, `an array`, `a Uint8Array`, `an object`. Never throws
 * (a Symbol or an object without a prototype cannot be turned into a string by `${value}`).
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return 'an object';
}
