// The only module that imports koffi. It is loaded on first use, not at import time, so that
// `import 'mmapx'` and `mmapx --version` stay cheap (loading koffi costs ~13 ms).
import { createRequire } from 'node:module';
import type * as KoffiModule from 'koffi';

export type Koffi = typeof KoffiModule;

let loaded: Koffi | undefined;

/** koffi, loaded once. The standalone executable replaces this loader at build time. */
export function koffi(): Koffi {
  if (loaded === undefined) loaded = createRequire(import.meta.url)('koffi') as Koffi;
  return loaded;
}
