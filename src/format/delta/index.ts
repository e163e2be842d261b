/**
 * Delta formats (IPS32, UPS, BPS, VCDIFF, bsdiff): each decodes to the {@link Delta} of model.ts.
 * Pure, in memory; applied in place by src/edit/delta.ts.
 */

export * from './model.js';
export { applyDeltaInMemory } from './memory.js';
export { decodeBsdiff, looksLikeBsdiff } from './bsdiff.js';
