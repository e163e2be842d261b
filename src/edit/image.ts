/**
 * The executable image of an open file, for `sym:`, `sec:`, `seg:`, `va:` and `rva:` addresses
 * and for `info --sections/--segments/--symbols`. Parsed on first use and kept for as long as the
 * file is open; the parsers read only the headers and tables they need, with pread.
 */

import { readSync } from 'node:fs';
import { InputError } from '../errors.js';
import {
  type AddressRef,
  type ByteSource,
  type ExeImage,
  ExeFormatError,
  type OpenImageOptions,
  openImage,
  type ResolvedAddress,
  resolveAddress,
} from '../format/exe/index.js';
import { fsError, type OpenFile } from './files.js';

const images = new WeakMap<OpenFile, { key: string; image: ExeImage }>();

/** A {@link ByteSource} reading `file` with pread; every read is checked against the size seen at open. */
export function fileSource(file: OpenFile): ByteSource {
  const size = file.size;
  if (size === undefined || file.stream !== undefined || file.pseudo !== undefined) {
    throw new InputError(`addresses by symbol, section or virtual address need a regular file; ${file.path} is not one`);
  }
  return {
    size,
    read(offset, length) {
      if (offset < 0n || length < 0 || offset + BigInt(length) > size) {
        throw new ExeFormatError(`a read of ${length} bytes at ${offset} is outside the file (size ${size})`);
      }
      const buf = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        let n: number;
        try {
          n = readSync(file.fd, buf, done, length - done, offset + BigInt(done));
        } catch (err) {
          throw fsError(err, `reading ${file.path}`);
        }
        if (n === 0) throw new ExeFormatError(`${file.path} ended at ${offset + BigInt(done)} while its headers were read (it shrank?)`);
        done += n;
      }
      return buf;
    },
  };
}

/** The image of `file`, parsed once per open file (and per `arch`). */
export function imageOf(file: OpenFile, options: OpenImageOptions = {}): ExeImage {
  const key = options.arch ?? '';
  const cached = images.get(file);
  if (cached !== undefined && cached.key === key) return cached.image;
  const image = openImage(fileSource(file), file.path, options);
  images.set(file, { key, image });
  return image;
}

/** Where `ref` is in `file`. */
export function resolveFileAddress(file: OpenFile, ref: AddressRef, options: OpenImageOptions = {}): ResolvedAddress {
  return resolveAddress(imageOf(file, options), ref);
}
