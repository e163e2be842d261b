/**
 * Patch sources, diff and planning — pure, in memory. See model.ts for the hunk model and
 * native.ts for the native grammar.
 */

export * from './model.js';
export { parseNativePatch, formatNativePatch, formatHunkLine, formatShiftLine, HunkLineBuffer } from './native.js';
export {
  parseXxdDump,
  parseHexdumpC,
  parseDump,
  parsePlainDump,
  looksLikePlainDump,
  detectDumpLayout,
  dumpToPatch,
  type Dump,
  type DumpRun,
  type DumpToPatchOptions,
} from './dump.js';
export { parseIps, formatIps, ipsToPatch, hunksToIps, IpsEncoder, looksLikeIps, type IpsPatch, type IpsRecord } from './ips.js';
export { parseEditSpec, findReplaceHunk } from './edit.js';
export { formatChangeListing } from './listing.js';
export {
  diffBytes,
  diffIps,
  DiffScanner,
  differingRuns,
  formatCmp,
  formatCmpWindow,
  cmpWindowBytes,
  cmpOffsetWidth,
  cmpEofNote,
  describeDiff,
  type DiffOptions,
  type CmpResult,
} from './diff.js';
export {
  formatSide,
  SideHunks,
  SideRenderer,
  SideWriter,
  sideColsFor,
  sideLineWidth,
  sideOffsetDigits,
  type FormatSideOptions,
  type SideColors,
  type SideLayout,
  type SidePlanSink,
  type SideRead,
} from './side.js';
export {
  planPatch,
  sequentialScan,
  MAX_ALL_MATCHES,
  assertPlan,
  hashesNeeded,
  checkHashes,
  patchedChunks,
  shiftedChunks,
  applyPlan,
  applyPatchToBytes,
  bytesAccess,
  type FileAccess,
  type PlanOptions,
  type PatternScan,
  type PatternMatches,
  type Plan,
  type PlannedHunk,
  type PlannedShift,
  type HunkState,
  type ApplyInMemoryOptions,
} from './plan.js';
