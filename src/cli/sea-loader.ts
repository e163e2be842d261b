// The standalone executable's main script when it is built with warmed code caches
// (scripts/build-sea.mjs): it answers `--version` alone; otherwise it chooses the bundle as the npm
// package's entry does (argv.ts cliBundle: a small command's own, or the whole program; assets
// both) and compiles it with the V8 code cache that the build made by running that command
// (scripts/sea-warm.mjs), or for anything else by running all the small commands. A run then
// compiles almost nothing and deserializes little more than what its command needs. (The SEA's
// own code cache holds only the top level of its script: each module's body and every function
// are compiled when first called.) A cache that V8 refuses (it never should: the same binary made
// it) only costs the compile.
import { writeSync } from 'node:fs';
import { getAsset, getRawAsset } from 'node:sea';
import { Script } from 'node:vm';
import { answerVersion, cliBundle } from './argv.js';

if (!answerVersion(process.argv, (text) => writeSync(1, text))) {
  const { bundle, cache } = cliBundle(process.argv);
  // A command without a cache of its own runs from the whole bundle (OWN_BUNDLE's all have one).
  const key = Object.hasOwn(__MMAPX_SEA_CACHES__, cache) ? __MMAPX_SEA_CACHES__[cache] : __MMAPX_SEA_CACHES__.main;
  const [head, tail] = __MMAPX_SEA_WRAPPER__;
  const script = new Script(`${head}${getAsset(bundle, 'utf8')}${tail}`, {
    filename: process.execPath,
    cachedData: new Uint8Array(getRawAsset(key as string) as ArrayBuffer),
  });
  // The build checks that V8 took the cache (scripts/build-sea.mjs): a refused one would only show as slowness.
  if (process.env.MMAPX_SEA_CACHE_CHECK === '1') writeSync(2, `sea code cache: ${script.cachedDataRejected ? 'rejected' : 'accepted'}\n`);
  const run = script.runInThisContext() as (exports: unknown, req: NodeJS.Require, mod: NodeJS.Module, filename: string, dirname: string) => void;
  run(module.exports, require, module, __filename, __dirname);
}
