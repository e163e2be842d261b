// The core library: memory maps over libc, after the Rust crate memmap2.
export type { ReadonlyUint8Array } from './bytes.js';
export { MmapError, type MmapErrorCode } from './errors.js';
export { type ByteRange, type FileLike, Mmap, MmapMut, MmapNone, MmapOptions, type Size } from './mmap.js';
export { MmapRaw, type RemapOptions } from './mmap.js';
export {
  type Advice,
  type CacheStat,
  type FileSizeLimit,
  type LockKind,
  type LockResult,
  type MapFault,
  type Protection,
  type Residency,
  type SigbusGuardStatus,
  type UncheckedAdvice,
  armSigbusGuard,
  cachestat,
  fdAccessMode,
  fileSizeLimit,
  isAdviceSupported,
  pageSize,
  sigbusGuard,
  supportedAdvice,
  tryLockFile,
  unlockFile,
} from './sys/index.js';
export type { Access } from './truncation.js';
export { DEFAULT_WINDOW_SIZE, type Window, type WindowOptions, windows } from './windows.js';
