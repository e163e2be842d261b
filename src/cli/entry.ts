// The CLI's entry point (the npm package's dist/cli.cjs, and the executable's bundle). `mmapx
// --version` alone is answered here, before commander and the commands load, so that it costs what
// starting Node costs (`node bench/run.mjs startup` measures it against `node -e 0`). Everything
// else, `--version` among other arguments included, is main.ts: in the npm package, from the
// bundle that argv chooses (argv.ts cliBundle: a small command's own, or the whole program).
import { fileURLToPath } from 'node:url';
import { answerVersion, cliBundle } from './argv.js';
import { writeAll } from './output.js';

if (!answerVersion(process.argv, (text) => writeAll(1, text))) {
  // The npm package runs its bundle with V8's compiled code kept between runs (codecache.ts); the
  // standalone executable has the whole program inside and its code cache built in.
  if (__MMAPX_SEA__) void import('./main.js');
  else {
    const { bundle, cache } = cliBundle(process.argv);
    void import('./codecache.js').then(({ runCached }) => runCached(fileURLToPath(new URL(`./${bundle}`, import.meta.url)), cache));
  }
}
