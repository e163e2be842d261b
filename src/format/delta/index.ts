/**
 * Delta formats (IPS32, UPS, BPS, VCDIFF, bsdiff): each decodes to the {@link Delta} of model.ts.
 * Pure, in memory; applied in place by src/edit/delta.ts.
 */

export * from './model.js';
export { applyDeltaInMemory } from './memory.js';
export { crc32 } from './crc32.js';
export { decodeIps32, encodeIps32, looksLikeIps32, type Ips32Delta, type Ips32EncodeOptions } from './ips32.js';
export { decodeUps, encodeUps, looksLikeUps, type UpsDelta, type UpsHeader } from './ups.js';
export { decodeBps, encodeBps, looksLikeBps, type BpsDelta, type BpsHeader } from './bps.js';
export { decodeBsdiff, looksLikeBsdiff } from './bsdiff.js';
export { decodeVcdiff, looksLikeVcdiff } from './vcdiff.js';
export { encodeVcdiff, type VcdiffEncodeHeader } from './vcdiff-encode.js';
export { adler32 } from './adler32.js';
export * from './match.js';
