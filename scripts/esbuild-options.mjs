// esbuild options shared by the npm build (scripts/build.mjs) and the standalone executable
// (scripts/build-sea.mjs), so both bundle the same sources the same way.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/**
 * The hex-dump kernel's WebAssembly module, assembled from the sources (src/format/dump/kernel.ts
 * kernelBytes()) once per build, as base64: the bundles carry it instead of assembling it at
 * every run of `hexdump`.
 */
async function dumpKernel() {
  const { build } = await import('esbuild');
  const out = await build({
    stdin: { contents: "export { kernelBytes } from './src/format/dump/kernel.ts';", resolveDir: root, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    logLevel: 'warning',
  });
  const mod = { exports: {} };
  new Function('module', 'exports', 'require', out.outputFiles[0].text)(mod, mod.exports, createRequire(import.meta.url));
  return Buffer.from(mod.exports.kernelBytes()).toString('base64');
}
const DUMP_KERNEL = JSON.stringify(await dumpKernel());

/**
 * The commands that run from a bundle of their own, `main-<command>.cjs` (src/cli/argv.ts OWN_BUNDLE,
 * read from the source, which has no imports): the program with that one command's code, each
 * self-contained (no shared chunks: loading several files cost what the smaller parse saved). The
 * npm package ships them (scripts/build.mjs) and the executable carries them (scripts/build-sea.mjs).
 */
export const OWN_BUNDLE = await (async () => {
  const { transform } = await import('esbuild');
  const argvModule = { exports: {} };
  const source = readFileSync(join(root, 'src/cli/argv.ts'), 'utf8');
  new Function('module', 'exports', (await transform(source, { loader: 'ts', format: 'cjs' })).code)(argvModule, argvModule.exports);
  return argvModule.exports.OWN_BUNDLE;
})();

const programFile = join(root, 'src/cli/program.ts');

/**
 * The plugin that makes a bundle `command`'s own: the other commands' modules, which program.ts
 * would load for their actions, become a stub; buildProgram defines only the command that runs, so
 * the stub is never called.
 */
export const onlyCommand = (command) => ({
  name: 'only-command',
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\/[a-z-]+\.js$/ }, (args) => {
      const name = args.path.slice('./commands/'.length, -'.js'.length);
      return args.importer === programFile && name !== command ? { path: name, namespace: 'mmapx-other-command' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'mmapx-other-command' }, (args) => ({
      contents: `export default () => { throw new Error(${JSON.stringify(`the command ${args.path} is not in the bundle of ${command}`)}); };\n`,
      loader: 'js',
    }));
  },
});

/** Build-time constants; `sea` selects how src/mmap/sys/koffi.ts obtains koffi. */
export function defines({ sea = false } = {}) {
  return {
    __MMAPX_VERSION__: JSON.stringify(pkg.version),
    __MMAPX_SEA__: JSON.stringify(sea),
    __MMAPX_DUMP_KERNEL__: DUMP_KERNEL,
  };
}

/**
 * Built-in modules that a dependency requires when it loads but uses rarely or barely, replaced
 * for it by a stand-in that requires the real module on the first property read.
 */
const LAZY_BUILTINS = {
  // commander requires child_process only to run executable subcommands, which mmapx has none
  // of; loading it brings net and stream, about 6 ms of a 40 ms start.
  commander: ['child_process'],
  // koffi's own bundled code copies every export of util and fs (esbuild's __toESM), and reading
  // some of Node's lazy exports (util.parseArgs, util.diff...) loads some 35 modules, about 6 ms.
  // It calls util.deprecate and fs.existsSync. (Only the executable bundles koffi.)
  koffi: ['util', 'fs'],
  // chalk's supports-color imports node:process, and esbuild's __toESM then reads every own
  // property's descriptor; `title` is a native data property, whose descriptor calls libuv's
  // uv_get_process_title, which asserts and aborts Windows Node when the console's title is empty
  // (Wine's console, often; test/wine/console.test.ts). The stand-in has no descriptors to read.
  chalk: ['process'],
  // Our own sources: hashing (crypto; zlib for crc32 only), scan threads (worker_threads, os,
  // sea) and terminal checks of outputs (tty: `patch` imports the output module for one path
  // check) serve some runs of some commands, but load with every command that imports them: about
  // 4 ms of a `write` that needs none of them.
  src: ['crypto', 'zlib', 'worker_threads', 'os', 'sea', 'tty'],
};

const lazyBuiltins = {
  name: 'mmapx-lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      for (const [dep, modules] of Object.entries(LAZY_BUILTINS)) {
        const inDep = dep === 'src' ? args.importer.startsWith(join(root, 'src')) : new RegExp(`[\\\\/]node_modules[\\\\/]${dep}[\\\\/]`).test(args.importer);
        if (inDep && modules.includes(name)) return { path: name, namespace: 'mmapx-lazy' };
      }
      return undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'mmapx-lazy' }, (args) => ({
      // ESM importers reach it through esbuild's __toESM, which asks for __esModule (answered
      // without loading) and copies every own key as a getter: the keys are listed here, from the
      // Node that builds (they only name what exists; a getter loads the module when read).
      contents: `let real;
const keys = ${JSON.stringify(Object.getOwnPropertyNames(createRequire(import.meta.url)(`node:${args.path}`)))};
module.exports = new Proxy({}, {
  get: (_, key) => (key === '__esModule' ? undefined : (real ??= require(${JSON.stringify(`node:${args.path}`)}))[key]),
  ownKeys: () => keys,
});
`,
      loader: 'js',
    }));
  },
};

export const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['koffi'],
  define: defines(),
  logLevel: 'warning',
  legalComments: 'none',
  plugins: [lazyBuiltins],
};

/** CJS outputs have no import.meta.url; sys/koffi.ts needs it for createRequire. */
export const cjsMeta = {
  // import() of a file outside the bundle would go through Node's ESM loader (~30 ms at start-up);
  // in a CommonJS bundle it becomes a plain require.
  supported: { 'dynamic-import': false },
  banner: { js: 'var __mmapx_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  define: { ...common.define, 'import.meta.url': '__mmapx_import_meta_url' },
};

/**
 * The CLI's bundles (not the library's, which users read in stack traces and debuggers): no
 * comments or indentation, a third less to read and parse at every start (`node bench/run.mjs
 * startup`). Names are kept as they are (no renaming), so `--debug` stacks still name functions.
 */
export const cliMinify = { minifyWhitespace: true };

/**
 * Fails the build when an output has a byte outside ASCII. Node reads a script as UTF-8: an ASCII
 * file becomes a one-byte string on a fast path, while one non-ASCII character left in a comment
 * made the whole 944 KB bundle a two-byte string, decoded slowly (about 8 ms of every start on
 * Node 20).
 */
export function assertAscii(file) {
  const text = readFileSync(file, 'latin1');
  const found = /[\x80-\xff]/.exec(text);
  if (found) {
    const line = text.slice(0, found.index).split('\n').length;
    throw new Error(
      `${file}: a byte outside ASCII at line ${line} (0x${found[0].charCodeAt(0).toString(16)}): Node decodes such a script slowly; escape it or remove it`,
    );
  }
}
