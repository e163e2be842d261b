// The standalone executable's main script when it is built with a warmed code cache
// (scripts/build-sea.mjs): it answers `--version` alone, and otherwise compiles the CLI's bundle
// (an asset) with a V8 code cache made at build time by running the small commands
// (scripts/sea-warm.mjs): that of the command the arguments name (the first argument that names
// one), else the one made by running them all. A run then compiles almost nothing and deserializes
// little more than what its command needs. (The SEA's own code cache holds only the top level of
// its script: each module's body and every function are compiled when first called.) A cache
// that V8 refuses (it never should: the same binary made it) only costs the compile.
import { writeSync } from 'node:fs';
import { getAsset, getRawAsset } from 'node:sea';
import { Script } from 'node:vm';

const args = process.argv.slice(2);
let done = false;
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  try {
    writeSync(1, `${__MMAPX_VERSION__}\n`);
    done = true;
  } catch {
    // A closed pipe or a broken stdout: the bundle answers, with the CLI's error model.
  }
}
if (!done) {
  const [head, tail] = __MMAPX_SEA_WRAPPER__;
  const source = getAsset(__MMAPX_SEA_BUNDLE__.bundle, 'utf8');
  const { cache, commands } = __MMAPX_SEA_BUNDLE__;
  const command = args.find((a) => Object.hasOwn(commands, a));
  const cachedData = new Uint8Array(getRawAsset(command === undefined ? cache : (commands[command] as string)) as ArrayBuffer);
  const script = new Script(`${head}${source}${tail}`, { filename: process.execPath, cachedData });
  // The build checks that V8 took the cache (scripts/build-sea.mjs): a refused one would only show as slowness.
  if (process.env.MMAPX_SEA_CACHE_CHECK === '1') writeSync(2, `sea code cache: ${script.cachedDataRejected ? 'rejected' : 'accepted'}\n`);
  const run = script.runInThisContext() as (exports: unknown, req: NodeJS.Require, mod: NodeJS.Module, filename: string, dirname: string) => void;
  run(module.exports, require, module, __filename, __dirname);
}
