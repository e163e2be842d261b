// The library's one bundle (dist/lib/bundle.cjs): the memory-map layer (`mmapx`) and the editing
// engine (`mmapx/edit`) in one copy, so both entries share one MmapError class, one count of live
// maps and one SIGBUS guard state. dist/lib/index.cjs and edit.cjs each hand out one namespace.
export * as mmap from './index.js';
export * as edit from './edit/index.js';
