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
  // keepNames: users see the classes' own names (`Mmap`, not esbuild's `_Mmap`) in stack traces and logs.
  build({ ...common, ...cjsMeta, keepNames: true, entryPoints: [join(root, 'src/lib.ts')], outfile: join(root, 'dist/lib/bundle.cjs'), format: 'cjs' }),
]);

// The package's entries over the one library bundle (see src/lib.ts): `mmapx` is its `mmap`
// namespace, `mmapx/edit` its `edit` namespace.
const ENTRIES = [
  { name: 'index', namespace: 'mmap', types: './types/index.js' },
  { name: 'edit', namespace: 'edit', types: './types/edit/index.js' },
];
for (const e of ENTRIES) {
  writeFileSync(
    join(root, `dist/lib/${e.name}.cjs`),
    `'use strict';\n// The library's ${e.name === 'index' ? 'main' : e.name} entry: the ${e.namespace} part of the one bundle.\nmodule.exports = require('./bundle.cjs').${e.namespace};\n`,
  );
}

// The ES module entries re-export the CommonJS build instead of being a second bundle: one copy of
// the library per process however it is loaded, so one MmapError class (instanceof works across
// `import` and `require`), one count of live maps and one SIGBUS guard state.
for (const e of ENTRIES) {
  const names = Object.keys(createRequire(import.meta.url)(join(root, `dist/lib/${e.name}.cjs`))).sort();
  writeFileSync(
    join(root, `dist/lib/${e.name}.mjs`),
    `// The library's ES module entry: the CommonJS build (./${e.name}.cjs), re-exported by name.\nimport lib from './${e.name}.cjs';\nexport const { ${names.join(', ')} } = lib;\n`,
  );
}

execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.lib.json')], { stdio: 'inherit' });
for (const e of ENTRIES) writeFileSync(join(root, `dist/lib/${e.name}.d.ts`), `export * from '${e.types}';\n`);
