// Build: one CommonJS bundle for the CLI (fast start, koffi kept external because it finds its
// native module with a dynamic require), the library as a CJS bundle with an ESM entry over it, and
// its .d.ts.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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

// Scan threads (src/edit/scan.ts) run their own small bundle, dist/scan-worker.cjs; each bundle that
// starts them is told where it is, relative to itself.
const scanWorker = (from) => ({ define: { ...cjsMeta.define, __MMAPX_SCAN_WORKER__: JSON.stringify(from) } });

await Promise.all([
  build({
    ...common,
    ...cjsMeta,
    plugins: [...common.plugins, mainAsSibling],
    entryPoints: [join(root, 'src/cli/entry.ts')],
    outfile: join(root, 'dist/cli.cjs'),
    format: 'cjs',
  }),
  build({ ...common, ...cjsMeta, ...scanWorker('./scan-worker.cjs'), entryPoints: [join(root, 'src/cli/main.ts')], outfile: join(root, 'dist/main.cjs'), format: 'cjs' }),
  build({ ...common, ...cjsMeta, entryPoints: [join(root, 'src/edit/scan-worker.ts')], outfile: join(root, 'dist/scan-worker.cjs'), format: 'cjs' }),
  // keepNames: users see the classes' own names (`Mmap`, not esbuild's `_Mmap`) in stack traces and logs.
  build({ ...common, ...cjsMeta, ...scanWorker('../scan-worker.cjs'), keepNames: true, entryPoints: [join(root, 'src/index.ts')], outfile: join(root, 'dist/lib/index.cjs'), format: 'cjs' }),
]);

// The ES module entry re-exports the CommonJS build instead of being a second bundle: one copy of the
// library per process however it is loaded, so one MmapError class (instanceof works across
// `import` and `require`), one count of live maps and one SIGBUS guard state.
const names = Object.keys(createRequire(import.meta.url)(join(root, 'dist/lib/index.cjs'))).sort();
writeFileSync(
  join(root, 'dist/lib/index.mjs'),
  `// The library's ES module entry: the CommonJS build (./index.cjs), re-exported by name.\nimport lib from './index.cjs';\nexport const { ${names.join(', ')} } = lib;\n`,
);

execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.lib.json')], { stdio: 'inherit' });
writeFileSync(join(root, 'dist/lib/index.d.ts'), "export * from './types/index.js';\n");
