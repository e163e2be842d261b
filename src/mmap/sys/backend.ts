// The one place that chooses the platform's mapping backend: POSIX mmap(2) (mapping.ts) or Win32
// sections (win32-mapping.ts). Both have the same surface; the layers above see `Mapping` only.
import { type MapRequest, Mapping as PosixMapping } from './mapping.js';
import { WINDOWS } from './win32.js';
import { Win32Mapping } from './win32-mapping.js';

/** A live mapping of this platform's backend. */
export type Mapping = PosixMapping | Win32Mapping;

/** Makes mappings with this platform's backend; `x instanceof Mapping` holds for either backend's. */
export const Mapping = {
  /**
   * Maps `req.length` bytes at file offset `req.offset` (any alignment). Ranges must have been
   * checked by the caller.
   * @throws MmapError with the error's name and a hint when the system refuses.
   */
  map(req: MapRequest): Mapping {
    return WINDOWS ? Win32Mapping.map(req) : PosixMapping.map(req);
  },
  [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof PosixMapping || value instanceof Win32Mapping;
  },
};
