/**
 * Shell-style name patterns (`info --symbols --filter GLOB`): `*` any run of characters, `?` one
 * character, `[abc]`, `[a-z]`, `[!a-z]` or `[^a-z]` one character of (or not of) a set, `\x` the
 * character x. The whole name must match; matching is case-sensitive. A `[` without its `]` is
 * an ordinary character, as fnmatch(3) takes it.
 */

const SPECIAL = /[\\^$.*+?()[\]{}|/-]/g;

function literal(c: string): string {
  return c.replace(SPECIAL, '\\$&');
}

/** The regular expression of `glob` (anchored at both ends). */
export function globRegExp(glob: string): RegExp {
  let re = '';
  const chars = [...glob];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') {
      re += '.*';
    } else if (c === '?') {
      re += '.';
    } else if (c === '\\' && i + 1 < chars.length) {
      re += literal(chars[++i]!);
    } else if (c === '[') {
      // The set runs to the next `]` that is not its first member.
      let j = i + 1;
      const negated = chars[j] === '!' || chars[j] === '^';
      if (negated) j++;
      const first = j;
      while (j < chars.length && (chars[j] !== ']' || j === first)) j++;
      if (j >= chars.length) {
        re += '\\[';
        continue;
      }
      let set = '';
      for (let k = first; k < j; k++) {
        const m = chars[k]!;
        // A range a-z keeps its dash; any other character is literal in the class.
        if (m === '-' && k > first && k < j - 1) set += '-';
        else set += literal(m);
      }
      re += `[${negated ? '^' : ''}${set}]`;
      i = j;
    } else {
      re += literal(c);
    }
  }
  return new RegExp(`^${re}$`, 'su');
}

/** A test of names against `glob`: plain names (no wildcard) compare as strings. */
export function globMatcher(glob: string): (name: string) => boolean {
  if (!/[*?[\\]/.test(glob)) return (name) => name === glob;
  const re = globRegExp(glob);
  return (name) => re.test(name);
}
