/** Placeholder: the macho parser lands in its own change. */

import { type ByteSource, type ExeImage, ExeFormatError, type OpenImageOptions } from './types.js';

export function parseMachO(_src: ByteSource, _options: OpenImageOptions = {}): ExeImage {
  throw new ExeFormatError('macho files are not supported yet');
}
