// The CLI's entry point (both bundles). `mmapx --version` alone is answered here, before commander
// and the commands load, so that it costs what starting Node costs (`node bench/run.mjs startup`
// measures it against `node -e 0`). Everything else, `--version` among other arguments included, is main.ts.
import { fileURLToPath } from 'node:url';
import { writeAll } from './output.js';

const args = process.argv.slice(2);
let done = false;
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  try {
    writeAll(1, `${__MMAPX_VERSION__}\n`);
    done = true;
  } catch {
    // A closed pipe or a broken stdout: main.ts has the one error model for both.
  }
}
if (!done) {
  // The npm package runs its bundle with V8's compiled code kept between runs (codecache.ts); the
  // standalone executable has the bundle inside and its code cache built in.
  if (__MMAPX_SEA__) void import('./main.js');
  else void import('./codecache.js').then(({ runCached }) => runCached(fileURLToPath(new URL('./main.cjs', import.meta.url))));
}
