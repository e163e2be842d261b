// The platform layer's surface. Nothing outside sys/ imports koffi or sees a raw address.
export type { Advice, PlatformConstants, UncheckedAdvice } from './constants.js';
export { ADVICE, DARWIN, LINUX, UNCHECKED_ADVICE, platformConstants } from './constants.js';
export { constants, pageSize } from './libc.js';
export type { CacheStat, MapFault, MappedFile, MapRequest, Protection, Residency } from './mapping.js';
export { cachestat, fdAccessMode, isAdviceSupported, startWriteback, supportedAdvice } from './mapping.js';
export { Mapping } from './backend.js';
export type { SigbusGuardStatus } from './sigbus.js';
export { armSigbusGuard, sigbusGuard } from './sigbus.js';
export type { LockKind, LockResult } from './flock.js';
export { tryLockFile, unlockFile } from './flock.js';
export type { FileSizeLimit } from './limits.js';
export { fileSizeLimit } from './limits.js';
export { descriptorPosition, waitReadable } from './input.js';
export { growPipe, pipeCapacity, waitWritable } from './pipe.js';
export { terminalColumns } from './terminal.js';
export { shiftExtents } from './extents.js';
export { dropLease, holdsWriteLease, leaseBreakSeconds, takeWriteLease } from './lease.js';
