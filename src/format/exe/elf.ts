/** Placeholder: the elf parser lands in its own change. */

import { type ByteSource, type ExeImage, ExeFormatError } from './types.js';

export function parseElf(_src: ByteSource): ExeImage {
  throw new ExeFormatError('elf files are not supported yet');
}
