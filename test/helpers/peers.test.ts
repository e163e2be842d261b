import { expect, it } from 'vitest';
import { same } from './peers.js';
// The differential tests rest on same(): it must fail whenever the outputs differ.
it('fails on a first-line difference of equal length', () => {
  expect(() => same(Buffer.from('abc\nxyz\n'), Buffer.from('abd\nxyz\n'), 't')).toThrow();
  expect(() => same(Buffer.from('a'), Buffer.from('b'), 't')).toThrow();
  expect(() => same(Buffer.from('a\n'), Buffer.from('a\n'), 't')).not.toThrow();
});
