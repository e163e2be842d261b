// esbuild options shared by the npm build (scripts/build.mjs) and the standalone executable
// (scripts/build-sea.mjs), so both bundle the same sources the same way.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Build-time constants; `sea` selects how src/mmap/sys/koffi.ts obtains koffi. */
export function defines({ sea = false } = {}) {
  return {
    __MMAPX_VERSION__: JSON.stringify(pkg.version),
    __MMAPX_SEA__: JSON.stringify(sea),
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
  // Our own sources: hashing (crypto) and scan threads (worker_threads, os, sea) serve some runs
  // of some commands, but load with every command that imports them: about 4 ms of a `write`
  // that needs none of them.
  src: ['crypto', 'worker_threads', 'os', 'sea'],
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
