// Build: one CommonJS bundle for the CLI (fast start, koffi kept external because it finds its
// native module with a dynamic require), the library as ESM + CJS bundles, and its .d.ts.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cjsMeta, common, root } from './esbuild-options.mjs';

rmSync(join(root, 'dist'), { recursive: true, force: true });
mkdirSync(join(root, 'dist/lib'), { recursive: true });

// The CLI is two files: a tiny entry that answers `--version` alone (so that it costs what starting
// Node costs, with no big bundle to parse), and main.cjs with everything else, loaded otherwise.
const mainAsSibling = {
  name: 'main-as-sibling',
  setup(b) {
    b.onResolve({ filter: /^\.\/main\.js$/ }, () => ({ path: './main.cjs', external: true }));
  },
};

await Promise.all([
  build({
    ...common,
    ...cjsMeta,
    plugins: [...common.plugins, mainAsSibling],
    entryPoints: [join(root, 'src/cli/entry.ts')],
    outfile: join(root, 'dist/cli.cjs'),
    format: 'cjs',
  }),
  build({ ...common, ...cjsMeta, entryPoints: [join(root, 'src/cli/main.ts')], outfile: join(root, 'dist/main.cjs'), format: 'cjs' }),
  build({ ...common, ...cjsMeta, entryPoints: [join(root, 'src/index.ts')], outfile: join(root, 'dist/lib/index.cjs'), format: 'cjs' }),
  build({ ...common, entryPoints: [join(root, 'src/index.ts')], outfile: join(root, 'dist/lib/index.mjs'), format: 'esm' }),
]);

execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.lib.json')], { stdio: 'inherit' });
writeFileSync(join(root, 'dist/lib/index.d.ts'), "export * from './types/index.js';\n");
