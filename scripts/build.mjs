// Build: one CommonJS bundle for the CLI (fast start, koffi kept external because it finds its
// native module with a dynamic require), the library as a CJS bundle with an ESM entry over it, and
// its declarations: one file per export condition (.d.mts for `import`, .d.cts for `require`), so
// that the types describe what each condition loads at run time.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { assertAscii, cjsMeta, cliMinify, common, OWN_BUNDLE, onlyCommand, pkg, root } from './esbuild-options.mjs';

/**
 * The library's entries: one per subpath export of package.json, each a namespace of the one
 * library bundle `dist/lib/bundle.cjs` (src/lib.ts), so that all entries share one copy of the
 * library: one MmapError class, one count of live maps, one SIGBUS guard state. Each gets
 * `dist/lib/<out>.cjs` (its namespace of the bundle), `<out>.mjs` (ESM names over it), `<out>.d.cts`
 * / `<out>.d.mts` (its declarations per condition) and `<out>.d.ts` (for resolvers that ignore
 * `exports`). To add one: a line here, its namespace in src/lib.ts, its exports entry in
 * package.json in the same shape (checked below), and its source in tsconfig.lib.json's `include`.
 */
const LIB_ENTRIES = [
  { subpath: '.', source: 'src/index.ts', out: 'index', namespace: 'mmap' },
  { subpath: './edit', source: 'src/edit/index.ts', out: 'edit', namespace: 'edit' },
];

/** What package.json's `exports` must say for an entry: each condition's types next to its code. */
function exportsEntry(out) {
  return {
    import: { types: `./dist/lib/${out}.d.mts`, default: `./dist/lib/${out}.mjs` },
    require: { types: `./dist/lib/${out}.d.cts`, default: `./dist/lib/${out}.cjs` },
  };
}

const pkgExports = pkg.exports ?? {};
for (const { subpath, out } of LIB_ENTRIES) {
  const want = JSON.stringify(exportsEntry(out));
  if (JSON.stringify(pkgExports[subpath]) !== want) {
    throw new Error(`package.json: exports[${JSON.stringify(subpath)}] must be ${want} (scripts/build.mjs LIB_ENTRIES)`);
  }
}

rmSync(join(root, 'dist'), { recursive: true, force: true });
mkdirSync(join(root, 'dist/lib'), { recursive: true });

// The CLI is a tiny entry that answers `--version` alone (so that it costs what starting Node costs,
// with no big bundle to parse), and main.cjs with everything else, loaded otherwise (or a small
// command's own bundle, below).
const mainAsSibling = {
  name: 'main-as-sibling',
  setup(b) {
    b.onResolve({ filter: /^\.\/main\.js$/ }, () => ({ path: './main.cjs', external: true }));
  },
};

// The small commands run from a bundle of their own, dist/main-<command>.cjs (OWN_BUNDLE and
// onlyCommand in esbuild-options.mjs, shared with the executable's build).
const ownBundles = OWN_BUNDLE.map((command) => `main-${command}.cjs`);
for (const file of ownBundles) {
  if (!pkg.files.includes(`dist/${file}`)) throw new Error(`package.json: "files" must list dist/${file} (src/cli/argv.ts OWN_BUNDLE)`);
}

// Scan threads (src/edit/scan.ts) run their own small bundle, dist/scan-worker.cjs; each bundle that
// starts them is told where it is, relative to itself.
const scanWorker = (from) => ({ define: { ...cjsMeta.define, __MMAPX_SCAN_WORKER__: JSON.stringify(from) } });

await Promise.all([
  build({
    ...common,
    ...cjsMeta,
    ...cliMinify,
    plugins: [...common.plugins, mainAsSibling],
    entryPoints: [join(root, 'src/cli/entry.ts')],
    outfile: join(root, 'dist/cli.cjs'),
    format: 'cjs',
  }),
  build({
    ...common,
    ...cjsMeta,
    ...scanWorker('./scan-worker.cjs'),
    ...cliMinify,
    entryPoints: [join(root, 'src/cli/main.ts')],
    outfile: join(root, 'dist/main.cjs'),
    format: 'cjs',
  }),
  ...OWN_BUNDLE.map((command, i) =>
    build({
      ...common,
      ...cjsMeta,
      ...scanWorker('./scan-worker.cjs'),
      ...cliMinify,
      plugins: [...common.plugins, onlyCommand(command)],
      entryPoints: [join(root, 'src/cli/main.ts')],
      outfile: join(root, 'dist', ownBundles[i]),
      format: 'cjs',
    }),
  ),
  build({
    ...common,
    ...cjsMeta,
    ...cliMinify,
    entryPoints: [join(root, 'src/edit/scan-worker.ts')],
    outfile: join(root, 'dist/scan-worker.cjs'),
    format: 'cjs',
  }),
  // keepNames: users see the classes' own names (`Mmap`, not esbuild's `_Mmap`) in stack traces and logs.
  build({
    ...common,
    ...cjsMeta,
    ...scanWorker('../scan-worker.cjs'),
    keepNames: true,
    entryPoints: [join(root, 'src/lib.ts')],
    outfile: join(root, 'dist/lib/bundle.cjs'),
    format: 'cjs',
  }),
]);

for (const file of ['cli.cjs', 'main.cjs', ...ownBundles, 'scan-worker.cjs', 'lib/bundle.cjs']) assertAscii(join(root, 'dist', file));

// Each entry's CommonJS module: the names of its namespace of the bundle, as getters, marked
// `__esModule` as esbuild marks a bundle's exports (so no default import is made up for it).
for (const { out, namespace } of LIB_ENTRIES) {
  writeFileSync(
    join(root, `dist/lib/${out}.cjs`),
    `'use strict';
// The library's entry ${JSON.stringify(out)}: the ${namespace} namespace of the one bundle (./bundle.cjs).
const ns = require('./bundle.cjs').${namespace};
Object.defineProperty(exports, '__esModule', { value: true });
for (const name of Object.keys(ns)) Object.defineProperty(exports, name, { enumerable: true, get: () => ns[name] });
`,
  );
}

// The ES module entries re-export the CommonJS build instead of being a second bundle: one copy of the
// library per process however it is loaded, so one MmapError class (instanceof works across
// `import` and `require`), one count of live maps and one SIGBUS guard state.
for (const { out } of LIB_ENTRIES) {
  const names = Object.keys(createRequire(import.meta.url)(join(root, `dist/lib/${out}.cjs`))).sort();
  writeFileSync(
    join(root, `dist/lib/${out}.mjs`),
    `// The library's ES module entry: the CommonJS build (./${out}.cjs), re-exported by name.\nimport lib from './${out}.cjs';\nexport const { ${names.join(', ')} } = lib;\n`,
  );
}

execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.lib.json')], { stdio: 'inherit' });
// Declarations per condition. The package is not "type": "module", so a .d.ts is read as CommonJS
// everywhere: served to `import`, it let TypeScript accept `import mmapx from 'mmapx'` (the default
// of a CommonJS module), which the ES module entry above does not have. A .d.mts is an ES module:
// named exports only, as at run time. The .d.cts and .d.ts describe the CommonJS bundle, which
// esbuild marks `__esModule`: declared, that marker is what tells TypeScript (esModuleInterop) not
// to make up a default import there either; at run time it would be undefined.
for (const { source, out } of LIB_ENTRIES) {
  const types = `./types/${source.replace(/^src\//, '').replace(/\.ts$/, '.js')}`;
  if (!existsSync(join(root, 'dist/lib', types.replace(/\.js$/, '.d.ts')))) {
    throw new Error(`no declarations for ${source}: add it to tsconfig.lib.json's include`);
  }
  const esm = `export * from '${types}';\n`;
  const cjs = `${esm}export declare const __esModule: true;\n`;
  writeFileSync(join(root, `dist/lib/${out}.d.mts`), esm);
  writeFileSync(join(root, `dist/lib/${out}.d.cts`), cjs);
  writeFileSync(join(root, `dist/lib/${out}.d.ts`), cjs);
}
