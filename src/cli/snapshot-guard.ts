// The check behind src/cli/sea-snapshot.ts: while the executable's startup snapshot is made, every
// read of state that belongs to the run (environment, arguments, working directory, standard
// streams, user, CPUs, temporary and home directories, the SEA's assets, native modules) is
// trapped and remembered with the stack that made it; {@link releaseGuard} puts everything back and
// fails the build if any was made. Only the snapshot's bundle imports this module (it must be
// imported first, so that the traps are set before any other module loads).
import { startupSnapshot } from 'node:v8';

/** One trapped read: what was read and the first frames of the stack that read it. */
const reads: string[] = [];
const restores: (() => void)[] = [];

function record(what: string): void {
  const stack = (new Error().stack ?? '').split('\n').slice(3, 9).join('\n');
  // Node's own warnings (the SEA's experimental warning when the blob is made) go to stderr.
  if (!stack.includes('(node:internal/process/warning:')) reads.push(`${what}\n${stack}`);
}

/** Replaces `obj[key]` (a data property) with a getter that records the read and returns the value. */
function trapValue(obj: object, key: string, what: string): void {
  const desc = Object.getOwnPropertyDescriptor(obj, key);
  if (desc === undefined || !desc.configurable) return;
  Object.defineProperty(obj, key, {
    configurable: true,
    enumerable: desc.enumerable ?? true,
    get() {
      record(what);
      return desc.get ? desc.get.call(obj) : desc.value;
    },
  });
  restores.push(() => Object.defineProperty(obj, key, desc));
}

/** Replaces the functions `keys` of `obj` with ones that record each call. */
function trapCalls(obj: Record<string, unknown>, keys: readonly string[], where: string): void {
  for (const key of keys) {
    const fn = obj[key];
    if (typeof fn !== 'function') continue;
    obj[key] = function (this: unknown, ...args: unknown[]) {
      record(`${where}.${key}()`);
      return (fn as (...a: unknown[]) => unknown).apply(this, args);
    };
    restores.push(() => {
      obj[key] = fn;
    });
  }
}

function setTraps(): void {
  for (const key of ['env', 'argv', 'execArgv', 'stdin', 'stdout', 'stderr']) trapValue(process, key, `process.${key}`);
  trapCalls(process as unknown as Record<string, unknown>, ['cwd', 'getuid', 'geteuid', 'getgid', 'umask', 'dlopen', 'emitWarning'], 'process');
  // The modules themselves, not the bundle's stand-ins for them (scripts/esbuild-options.mjs LAZY_BUILTINS).
  const module = (id: string) => process.getBuiltinModule(id) as unknown as Record<string, unknown>;
  trapCalls(module('node:os'), ['availableParallelism', 'cpus', 'tmpdir', 'homedir', 'userInfo', 'totalmem', 'freemem', 'hostname', 'release'], 'os');
  trapCalls(module('node:sea'), ['isSea', 'getAsset', 'getRawAsset', 'getAssetAsBlob'], 'sea');
}

/**
 * Puts back what the traps replaced.
 * @throws Error naming every read made since the traps were set, with its stack.
 */
export function releaseGuard(): void {
  for (const restore of restores.splice(0).reverse()) restore();
  if (reads.length > 0) {
    throw new Error(`the snapshot's modules read run-time state when they loaded (make these reads lazy):\n${reads.join('\n')}`);
  }
}

if (startupSnapshot.isBuildingSnapshot()) setTraps();
