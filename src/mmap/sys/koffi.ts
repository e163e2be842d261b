// The only module that imports koffi. It is loaded on first use, not at import time, so that
// `import 'mmapx'` and `mmapx --version` stay cheap (loading koffi costs ~13 ms).
import { createRequire } from 'node:module';
import type * as KoffiModule from 'koffi';

export type Koffi = typeof KoffiModule;

let loaded: Koffi | undefined;

/** koffi, loaded once. */
export function koffi(): Koffi {
  if (loaded === undefined) {
    if (__MMAPX_SEA__) {
      // The standalone executable: koffi's JS is bundled, and its `require('@koromix/koffi-<os>-<cpu>')`
      // is pointed at loadEmbeddedAddon by scripts/build-sea.mjs. Loading the addon first turns a
      // failure into one clear error instead of koffi's "Cannot find the native Koffi module".
      // Required here, not imported, so that other builds drop this branch with what it requires.
      (require('./sea-addon.js') as { loadEmbeddedAddon(): unknown }).loadEmbeddedAddon();
      loaded = require('koffi') as Koffi;
    } else {
      // npm: koffi stays external and finds its prebuilt module itself.
      loaded = createRequire(import.meta.url)('koffi') as Koffi;
    }
  }
  return loaded;
}
