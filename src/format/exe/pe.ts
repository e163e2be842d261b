/** Placeholder: the pe parser lands in its own change. */

import { type ByteSource, type ExeImage, ExeFormatError } from './types.js';

export function parsePe(_src: ByteSource): ExeImage {
  throw new ExeFormatError('pe files are not supported yet');
}
