// Public library entry: `import { MmapMut, MmapOptions, Mmap } from 'mmapx'`.
export * from './mmap/index.js';
