// The editing engine as a library (`mmapx/edit`): guarded, journaled, crash-safe edits of files in
// place, and the reads that go with them, without spawning the CLI. Everything here is also what
// the CLI's commands call; they add only argument parsing and rendering.
export { BrokenPipe, ChangedUnderfoot, EXIT_FAILED, EXIT_GUARD, EXIT_OK, EXIT_USAGE, type ErrorPlace, type ExitCode, GuardError, InputError, MmapxError, OperationError } from '../errors.js';
export type { Clock, EditContext, ProgressSink } from './seams.js';
// Reading: a range as a stream, a dump as a stream of text, the patch between two files.
export { readRange, type RangeSpec, type ReadRangeOptions } from './read.js';
export { dump, type DumpColors, type DumpFileOptions, type DumpFormat } from './dump.js';
export { diffFiles, diffStream, IpsLimitError, type DiffFilesOptions, type DiffFormat, type DiffOutcome, type DiffStream } from './diff.js';
