// The CLI's entry point (both bundles). `mmapx --version` alone is answered here, before commander
// and the commands load, so that it costs what starting Node costs (`node bench/run.mjs startup`
// measures it against `node -e 0`). Everything else, `--version` among other arguments included, is main.ts.
import module from 'node:module';
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
  // Node >= 22.1 can keep V8's compiled code of the bundle between runs (in its own cache directory
  // under the system temp dir); older Nodes lack the call and simply compile. The standalone
  // executable has its code cache built in.
  if (!__MMAPX_SEA__) (module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
  void import('./main.js');
}
