// The editing engine as a library (`mmapx/edit`): guarded, journaled, crash-safe edits of files in
// place, and the reads that go with them, without spawning the CLI. Everything here is also what
// the CLI's commands call; they add only argument parsing and rendering.
export { BrokenPipe, ChangedUnderfoot, EXIT_FAILED, EXIT_GUARD, EXIT_OK, EXIT_USAGE, type ErrorPlace, type ExitCode, GuardError, InputError, MmapxError, OperationError } from '../errors.js';
export type { Clock, EditContext, ProgressSink } from './seams.js';
export { type ByteRange } from './range.js';
export { type Fill, PastEndError, QUOTED_BYTES, type WriteData, writeAt, WriteGuardError, type WriteOptions, type WriteOutcome } from './write.js';
export { type BytePattern, find, type FindOptions, type FindPattern } from './find.js';
export { type DigestAlgo, DIGEST_ALGOS, hashRange, type HashRangeOptions } from './hash.js';
