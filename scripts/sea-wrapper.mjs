// How the standalone executable's loader (src/cli/sea-loader.ts) and the build's warm-up runs
// (scripts/sea-warm.mjs) wrap the CLI's bundle before compiling it: V8 accepts a code cache only
// for the very same source text, so both take the wrapper from here.
export const SEA_WRAPPER = ['(function (exports, require, module, __filename, __dirname) {', '\n})'];
