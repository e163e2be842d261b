// The editing engine as a library (`mmapx/edit`): guarded, journaled, crash-safe edits of files in
// place, and the reads that go with them, without spawning the CLI. Everything here is also what
// the CLI's commands call; they add only argument parsing and rendering.
export {
  BrokenPipe,
  ChangedUnderfoot,
  EXIT_FAILED,
  EXIT_GUARD,
  EXIT_OK,
  EXIT_USAGE,
  type ErrorPlace,
  type ExitCode,
  GuardError,
  InputError,
  MmapxError,
  NoRoom,
  OperationError,
} from '../errors.js';
export type { Clock, EditContext, ProgressSink } from './seams.js';
export { FLUSH_PIECE, type FlushOptions, type FlushOutcome, flushFile, type PageCounts } from './flush.js';
export { type FileInfo, type InfoOptions, inspectFile, type ModeCheck } from './info.js';
export { type ImageInfo, imageInfo, type ImageInfoOptions } from './exeinfo.js';
export { type Protected, type ProtectMode, type ProtectOptions, protectFile } from './protect.js';
export { type Position, type RangeOption, type RangeSpec, toLength, toOffset, toRange } from './range.js';
export {
  type ByteEdit,
  editsToPatch,
  type FailedHunk,
  type HunkCounts,
  type PatchAlreadyOutcome,
  type PatchAppliedOutcome,
  type PatchChange,
  type PatchDryRunOutcome,
  type PatchFailedOutcome,
  patchFile,
  type PatchFormat,
  PatchGuardError,
  type PatchHashes,
  type PatchInput,
  type PatchOptions,
  type PatchOutcome,
  type PatchOutcomeBase,
  parsePatch,
  type PatchTextOptions,
} from './patch.js';
export { BATCH_FILES, type PatchFileResult, patchFiles } from './batch.js';
export { recover, type RecoverIncomplete, type RecoverNothing, type RecoverOptions, type RecoverReport, type RecoverRestored } from './recover.js';
export type { Patch } from '../format/patch/index.js';
// Reading: a range as a stream, a dump as a stream of text, the patch between two files.
export { readRange, type ReadRangeOptions } from './read.js';
// Intel HEX and S-records: a range as records, and the readers and writers themselves.
export { type HexRecordsOptions, readHexRecords } from './hexrec.js';
export {
  formatIntelHex,
  formatSrec,
  type HexEncodeOptions,
  type HexImage,
  type HexRecordFormat,
  type HexRun,
  IntelHexEncoder,
  parseIntelHex,
  parseSrec,
  SrecEncoder,
} from '../format/hexrec/index.js';
export { type AddressRadix, dump, type DumpColors, type DumpFileOptions, type DumpFormat, dumpReadable } from './dump.js';
export {
  diffFiles,
  diffStream,
  IpsLimitError,
  DIFF_RUN_BYTES,
  type DiffFilesOptions,
  type DiffFormat,
  type DiffOutcome,
  type DiffRun,
  type DiffStream,
  type SideColors,
} from './diff.js';
export type { DeltaDiffFormat, DeltaSummary } from './delta-diff.js';
export {
  type Fill,
  type FileBytes,
  PastEndError,
  QUOTED_BYTES,
  type WriteData,
  writeAt,
  WriteGuardError,
  type WriteOptions,
  type WriteOutcome,
} from './write.js';
export { type BytePattern, find, type FindOptions, type FindPattern } from './find.js';
export { type DigestAlgo, DIGEST_ALGOS, hashRange, type HashRangeOptions, hashStream, type HashStreamOptions, type StreamHash } from './hash.js';
export { fdSink, unhex, type UnhexOptions, type UnhexOutcome, type UnhexSink } from './unhex.js';
export { type Radix, UNHEX_FORMATS, type UnhexFormat } from '../format/unhex/index.js';
export {
  type StampBytes,
  stampBytes,
  stampFile,
  type StampFound,
  type StampLocation,
  type StampOptions,
  type StampOutcome,
  stampOutcome,
  stampPatch,
  stampRecordPath,
  type StampSpec,
} from './stamp.js';
// Range overwrites computed window by window (fill, copy, move, transform), guarded and journaled.
export {
  OVERWRITE_WINDOW,
  type OverwriteChange,
  OverwriteGuardError,
  type OverwriteOptions,
  type OverwriteOutcome,
  type OverwritePlan,
  overwriteRange,
  type WindowProducer,
} from './overwrite.js';
export {
  type CopyOptions,
  copyRange,
  type FillOptions,
  fillRange,
  type MoveOptions,
  moveRange,
  type TransformOptions,
  transformRange,
} from './rangeops.js';
export { parseTransform, type Transform, TRANSFORM_OPS, TRANSFORM_UNITS } from '../format/transform.js';
export type { RecoverCompleted } from './recover.js';
export { deleteRange, insertBytes, SHIFT_WINDOW, type ShiftOptions, type ShiftOutcome } from './shift.js';
export type { PatchShift } from './patch.js';
// Deltas (BPS, UPS, IPS32, VCDIFF, bsdiff decoded to the model of mmapx/format's delta) applied in place.
export {
  applyDelta,
  type DeltaAlreadyOutcome,
  type DeltaAppliedOutcome,
  type DeltaChecked,
  type DeltaDryRunOutcome,
  type DeltaOptions,
  type DeltaOutcome,
  type DeltaOutcomeBase,
  type DeltaRange,
} from './delta.js';
export type { Delta, DeltaCheck, DeltaFormat, DeltaOp } from '../format/delta/model.js';
export { applyDeltaInMemory } from '../format/delta/memory.js';
