// The only module that imports koffi. It is loaded on first use, not at import time, so that
// `import 'mmapx'` and `mmapx --version` stay cheap (loading koffi costs ~13 ms).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as KoffiModule from 'koffi';

export type Koffi = typeof KoffiModule;

let loaded: Koffi | undefined;

/**
 * koffi's native module exports koffi's whole API; its JavaScript wrapper only locates it and adds
 * deprecated aliases, and costs ~6 ms of start-up (libc detection, module enumeration). Where the
 * prebuilt package sits where npm puts it, load it directly; anything unexpected (another layout,
 * musl, a version mismatch) returns undefined and koffi loads the usual way.
 */
function loadPrebuiltDirectly(): Koffi | undefined {
  try {
    // Node's own search path, walked by hand: resolving 'koffi' through its "exports" map would
    // load the ESM resolver (~4 ms).
    const paths = createRequire(import.meta.url).resolve.paths('koffi') ?? [];
    const koffiDir = paths.map((p) => join(p, 'koffi')).find((d) => existsSync(join(d, 'package.json')));
    if (!koffiDir) return undefined;
    const { version } = JSON.parse(readFileSync(join(koffiDir, 'package.json'), 'utf8')) as { version: string };
    const triplet = `${process.platform}_${process.arch}`;
    const rel = join('@koromix', `koffi-${process.platform}-${process.arch}`, triplet, 'koffi.node');
    const file = [join(koffiDir, 'node_modules'), ...paths].map((p) => join(p, rel)).find((f) => existsSync(f));
    if (!file) return undefined;
    const mod = { exports: {} as Koffi & { version?: string } };
    process.dlopen(mod, file);
    return mod.exports.version === version ? mod.exports : undefined;
  } catch {
    return undefined;
  }
}

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
      loaded = loadPrebuiltDirectly() ?? (createRequire(import.meta.url)('koffi') as Koffi);
    }
  }
  return loaded;
}
