// The standalone executable's entry when it is built with a V8 startup snapshot (scripts/build-sea.mjs,
// `useSnapshot`). This file runs once, when the executable is built: it evaluates the CLI's modules
// (commander, the program, every command and the engine under them) and registers what runs at
// each start. The executable then starts from the heap left behind, with all that code loaded,
// instead of compiling and evaluating it at every run.
//
// Whatever a module reads when it loads is read once, on the build machine, and frozen: so no
// module may read the environment, arguments, working directory, terminals, page size, CPUs, user
// or cache directory at its top level (they are read when a command runs). The build checks it:
// while the modules load, those reads are trapped, and any one of them fails the build with the
// stack that made it. koffi, a native addon that cannot be in a snapshot, is loaded on first use
// (src/mmap/sys/koffi.ts), so at run time.
import { startupSnapshot } from 'node:v8';
import { releaseGuard } from './snapshot-guard.js'; // first: its traps must be set before the others load
import { start } from './main.js';
import { writeAll } from './output.js';

/** The modules that the CLI loads on demand, loaded here so that the snapshot holds them. */
const preload = (): Promise<unknown[]> =>
  Promise.all([
    import('commander'),
    import('./program.js'),
    import('./commands/cat.js'),
    import('./commands/completion.js'),
    import('./commands/copy.js'),
    import('./commands/delete.js'),
    import('./commands/diff.js'),
    import('./commands/fill.js'),
    import('./commands/find.js'),
    import('./commands/flush.js'),
    import('./commands/hash.js'),
    import('./commands/hexdump.js'),
    import('./commands/info.js'),
    import('./commands/insert.js'),
    import('./commands/move.js'),
    import('./commands/patch-delta.js'),
    import('./commands/patch.js'),
    import('./commands/protect.js'),
    import('./commands/recover.js'),
    import('./commands/stamp.js'),
    import('./commands/transform.js'),
    import('./commands/unhex.js'),
    import('./commands/write.js'),
  ]);

/** What runs at each start of the executable: `--version` alone is answered without commander (as entry.ts does). */
function run(): void {
  const args = process.argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    try {
      writeAll(1, `${__MMAPX_VERSION__}\n`);
      return;
    } catch {
      // A closed pipe or a broken stdout: main.ts has the one error model for both.
    }
  }
  start();
}

if (startupSnapshot.isBuildingSnapshot()) {
  startupSnapshot.setDeserializeMainFunction(run);
  preload().then(releaseGuard, (err: unknown) => {
    releaseGuard();
    throw err;
  });
} else {
  run();
}
