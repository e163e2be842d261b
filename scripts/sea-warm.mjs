// One warm-up run of the standalone executable's bundle, by the Node binary that the executable
// embeds (scripts/build-sea.mjs runs each small command once alone, and once more in a chain):
// compiles the bundle as the executable's loader does (src/cli/sea-loader.ts), from the code
// cache of a previous run when given one, runs the command, and at exit writes V8's code cache of
// the bundle, which then holds every function compiled so far. The SEA's assets come from files through a stand-in for
// node:sea. Usage: node sea-warm.mjs BUNDLE CACHE_IN|- CACHE_OUT ASSETS_JSON -- ARGS...
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { SEA_WRAPPER } from './sea-wrapper.mjs';

const [bundle, cacheIn, cacheOut, assetsJson] = process.argv.slice(2, 6);
const args = process.argv.slice(process.argv.indexOf('--') + 1);
const source = readFileSync(bundle, 'utf8');
const script = new Script(`${SEA_WRAPPER[0]}${source}${SEA_WRAPPER[1]}`, {
  filename: process.execPath,
  ...(cacheIn === '-' ? {} : { cachedData: readFileSync(cacheIn) }),
});
if (script.cachedDataRejected) {
  console.error(`sea-warm: V8 rejected the code cache of the previous run (${cacheIn})`);
  process.exit(70);
}
const assets = Object.fromEntries(Object.entries(JSON.parse(assetsJson)).map(([key, file]) => [key, readFileSync(file)]));
const raw = (key) => {
  const b = assets[key];
  if (b === undefined) throw new Error(`sea-warm: no asset ${key}`);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.length);
};
const sea = { isSea: () => true, getRawAsset: raw, getAsset: (key, encoding) => (encoding ? assets[key].toString(encoding) : raw(key)) };
const require = createRequire(import.meta.url);
const seaRequire = (id) => (id === 'node:sea' ? sea : require(id));
// As in the executable: argv[1] is the executable too.
process.argv = [process.execPath, process.execPath, ...args];
process.on('exit', () => writeFileSync(cacheOut, script.createCachedData()));
const module = { exports: {} };
script.runInThisContext()(module.exports, seaRequire, module, process.execPath, dirname(process.execPath));
