// Build: one CommonJS bundle for the CLI (fast start, koffi kept external because it finds its
// native module with a dynamic require), the library as ESM + CJS bundles, and its .d.ts.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
rmSync(join(root, 'dist'), { recursive: true, force: true });
mkdirSync(join(root, 'dist/lib'), { recursive: true });

// commander loads node:child_process at start-up (~5 ms) only to spawn executable subcommands,
// which mmapx never has: hand it a stand-in that loads the real module on first use.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) =>
      args.importer.includes(`${'node_modules'}/commander/`) ? { path: 'lazy-child-process', namespace: 'mmapx' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'mmapx' }, () => ({
      contents: 'module.exports = { get spawn() { return require("node:child_process").spawn; } };',
      loader: 'js',
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['koffi'],
  define: { __MMAPX_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
  legalComments: 'none',
};
// CJS outputs have no import.meta.url; sys/koffi.ts needs it for createRequire.
const cjsMeta = {
  banner: { js: 'var __mmapx_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  define: { ...common.define, 'import.meta.url': '__mmapx_import_meta_url' },
};

await Promise.all([
  build({
    ...common,
    ...cjsMeta,
    plugins: [lazyChildProcess],
    entryPoints: [join(root, 'src/cli/main.ts')],
    outfile: join(root, 'dist/cli.cjs'),
    format: 'cjs',
  }),
  build({ ...common, ...cjsMeta, entryPoints: [join(root, 'src/index.ts')], outfile: join(root, 'dist/lib/index.cjs'), format: 'cjs' }),
  build({ ...common, entryPoints: [join(root, 'src/index.ts')], outfile: join(root, 'dist/lib/index.mjs'), format: 'esm' }),
]);

execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.lib.json')], { stdio: 'inherit' });
writeFileSync(join(root, 'dist/lib/index.d.ts'), "export * from './types/index.js';\n");
