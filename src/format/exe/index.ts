/**
 * Opening an executable or object file by its magic number: ELF, PE (MZ + PE header), Mach-O
 * (thin, or a slice of a fat/universal file chosen by `arch`). See types.ts for the shape.
 */

import { shown } from '../quote.js';
import { parseElf } from './elf.js';
import { parseMachO } from './macho.js';
import { parsePe } from './pe.js';
import { type ByteSource, type ExeImage, ExeFormatError, type OpenImageOptions } from './types.js';

export * from './types.js';
export { type AddressKind, type AddressRef, isAddressToken, parseAddress, type ResolvedAddress, resolveAddress, vaToOffset } from './address.js';

/** A {@link ByteSource} over bytes in memory (tests, small files). */
export function bufferSource(bytes: Uint8Array): ByteSource {
  return {
    size: BigInt(bytes.length),
    read: (offset, length) => bytes.subarray(Number(offset), Number(offset) + length),
  };
}

/** The format a file's first bytes say it is, or null. */
export function sniffFormat(head: Uint8Array): 'elf' | 'pe' | 'macho' | 'fat' | null {
  if (head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) return 'elf';
  if (head.length >= 2 && head[0] === 0x4d && head[1] === 0x5a) return 'pe';
  if (head.length >= 4) {
    const be = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
    const le = ((head[3]! << 24) | (head[2]! << 16) | (head[1]! << 8) | head[0]!) >>> 0;
    if (be === 0xcafebabe || be === 0xcafebabf) return 'fat';
    if (le === 0xfeedfacf || le === 0xfeedface || be === 0xfeedfacf || be === 0xfeedface) return 'macho';
  }
  return null;
}

/**
 * Opens the image in `src`.
 *
 * @param what names the file in messages (its path as the user wrote it).
 * @throws {ExeFormatError} not an executable, or a malformed one.
 */
export function openImage(src: ByteSource, what: string, options: OpenImageOptions = {}): ExeImage {
  const head = src.read(0n, Number(src.size < 8n ? src.size : 8n));
  const format = sniffFormat(head);
  switch (format) {
    case 'elf':
      return parseElf(src);
    case 'pe':
      return parsePe(src);
    case 'macho':
    case 'fat':
      return parseMachO(src, options);
    default:
      throw new ExeFormatError(`${shown(what)} is not an ELF, PE or Mach-O file (no known magic number at offset 0)`);
  }
}
