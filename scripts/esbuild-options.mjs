// esbuild options shared by the npm build (scripts/build.mjs) and the standalone executable
// (scripts/build-sea.mjs), so both bundle the same sources the same way.
import { readFileSync } from 'node:fs';
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
 * commander requires node:child_process when it loads, only to run executable subcommands, which
 * mmapx has none of; loading it (with net and stream) is most of the CLI's start-up cost. Here it
 * gets a stand-in that loads the real module on first use.
 */
const lazyChildProcess = {
  name: 'mmapx-lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'mmapx-lazy' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'mmapx-lazy' }, () => ({
      contents: `let real;
module.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] });
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
  plugins: [lazyChildProcess],
};

/** CJS outputs have no import.meta.url; sys/koffi.ts needs it for createRequire. */
export const cjsMeta = {
  banner: { js: 'var __mmapx_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  define: { ...common.define, 'import.meta.url': '__mmapx_import_meta_url' },
};
