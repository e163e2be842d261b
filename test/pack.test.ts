// The published package: `npm pack`, install the tarball into an empty folder elsewhere, and use it
// the way users do (library import from ESM and CJS, types, the CLI); npx and npm install -g from a
// registry are test/registry.test.ts's.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { OWN_BUNDLE } from '../src/cli/argv.js';
import { ROOT, requireBuild } from './helpers/child.js';
import { tmpDir } from './helpers/tmp.js';

const work = tmpDir('mmapx-pack-');
const consumer = join(work, 'consumer');
let tarball = '';
const npm = (args: string[], cwd: string) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });

/** What every tsc run of the consumer projects shares: the target, Node's types from this checkout. */
const TSC_ENV = ['--target', 'es2022', '--lib', 'es2023,esnext.disposable', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules/@types')];

/** tsc --strict with Node's module resolution (nodenext), run in the consumer project. */
function tscNodenext(args: string[]) {
  return spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', ...TSC_ENV, ...args],
    { cwd: consumer, encoding: 'utf8' },
  );
}

/** use.ts: the package's types as a TypeScript consumer sees them, read-only views included. */
const USE_TS = `import { createHash } from 'node:crypto';
       import { MmapMut, MmapOptions, windows, type Mmap, type ReadonlyUint8Array } from 'mmapx';
       const m: MmapMut = new MmapOptions().len(8).mapAnon();
       const bytes: Uint8Array = m.bytes;
       bytes.set([1]);
       const ro: Mmap = m.makeReadOnly();
       export const n: number = bytes.length + ro.length;
       // Reading is fine, copies are ordinary arrays, and a cast is the explicit way to a read-only API.
       const view: ReadonlyUint8Array = ro.bytes;
       export const sum: number = view.reduce((a, b) => a + b, 0) + view[0]! + view.subarray(1).length;
       view.slice().fill(1);
       Buffer.from(view).fill(2);
       createHash('sha256').update(view as Uint8Array);
       for (const w of windows(0)) w.bytes.at(0);
       // @ts-expect-error read-only maps expose read-only bytes
       ro.bytes[0] = 1;
       // @ts-expect-error no set
       ro.bytes.set([1]);
       // @ts-expect-error no fill
       ro.bytes.fill(1);
       // @ts-expect-error no copyWithin
       ro.bytes.copyWithin(0, 1);
       // @ts-expect-error no reverse
       ro.bytes.reverse();
       // @ts-expect-error no sort
       ro.bytes.sort();
       // @ts-expect-error a subarray is read-only too
       ro.bytes.subarray(1).fill(1);
       // @ts-expect-error callbacks get the read-only array
       ro.bytes.forEach((_v, _i, all) => all.fill(0));
       // @ts-expect-error not assignable to Uint8Array without a cast
       export const widened: Uint8Array = ro.bytes;
       for (const w of windows(0)) {
         // @ts-expect-error windows are read-only maps
         w.bytes.fill(0);
       }`;

/** The ```ts blocks of the README's editing API section (start: where the section starts, or -1). */
function readmeExamples(): { start: number; blocks: string[] } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Library: editing API');
  if (start < 0) return { start, blocks: [] };
  const end = readme.indexOf('\n## ', start + 1);
  return { start, blocks: [...readme.slice(start, end).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string) };
}
const exampleName = (k: number) => `examples/example${k + 1}.mts`;

/** The story's program (see its test): recover, guarded patches and a streamed dump through mmapx/edit. */
const STORY = 'story/story.mts';
const STORY_MTS = `import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dump, OperationError, patchFile, recover } from 'mmapx/edit';

const [img, sha] = process.argv.slice(2) as [string, string];
const fix = [{ offset: 0x1000, expect: Uint8Array.of(0x00, 0x10), bytes: Uint8Array.of(0xeb, 0xfe) }];

// A journal of an interrupted patch blocks patching until recover rolls the file back.
await assert.rejects(patchFile(img, fix), (e: unknown) => e instanceof OperationError && /journal/.test(e.message));
const report = await recover(img);
assert.ok(report.status === 'restored' || report.status === 'incomplete-removed', report.status);
assert.equal(createHash('sha256').update(readFileSync(img)).digest('hex'), sha);

const applied = await patchFile(img, fix);
assert.equal(applied.status, 'applied');
assert.equal((await patchFile(img, fix)).status, 'already');

const wrong = img + '.other';
writeFileSync(wrong, Buffer.alloc(8192, 0x11));
const failed = await patchFile(wrong, fix);
assert.ok(failed.status === 'failed');
const hunk = failed.failedHunks[0]!;
const found: number[] = [...hunk.found];
assert.deepEqual([hunk.offset, [...hunk.expected], found], [0x1000n, [0x00, 0x10], [0x11, 0x11]]);
assert.deepEqual(readFileSync(wrong), Buffer.alloc(8192, 0x11));

let text = '';
for await (const chunk of dump(img, 'xxd', { offset: 0x1000, length: 16 })) text += chunk;
assert.equal(text, '00001000: ebfe 0000 0000 0000 0000 0000 0000 0000  ................\\n');
console.log('story ok');
`;

let checked: { programs: string[]; diagnostics: string[] } | undefined;
/**
 * ONE tsc --strict (nodenext) run over the consumer's programs (use.ts, the README's examples, the
 * story), emitted under out/ by their path from the consumer: the programs' names and the
 * diagnostics, each with its continuation lines. Most of a run is reading @types/node and the
 * package's declarations, the same for the three: one run instead of three saves about 7 s of CPU.
 */
function checkConsumerPrograms(): { programs: string[]; diagnostics: string[] } {
  if (checked !== undefined) return checked;
  const sources: [string, string][] = [
    ['use.ts', USE_TS],
    ...readmeExamples().blocks.map((code, k): [string, string] => [exampleName(k), code]),
    [STORY, STORY_MTS],
  ];
  for (const [name, text] of sources) {
    mkdirSync(join(consumer, name, '..'), { recursive: true });
    writeFileSync(join(consumer, name), text);
  }
  const programs = sources.map(([name]) => name);
  const tsc = tscNodenext(['--outDir', 'out', '--rootDir', '.', ...programs]);
  const diagnostics = `${tsc.stdout}${tsc.stderr}`.split(/\n(?=\S)/).filter((d) => d.trim() !== '');
  // A tsc that died saying nothing must not pass for one that found nothing.
  if (diagnostics.length === 0 && tsc.status !== 0) diagnostics.push(`tsc: status ${tsc.status}, signal ${tsc.signal}, ${tsc.error?.message ?? 'no output'}`);
  checked = { programs, diagnostics };
  return checked;
}

/**
 * What tsc said that concerns the consumer's programs `files` (named from the consumer): their
 * diagnostics and those about any other file (the package's declarations) or about none. Only the
 * diagnostics of the other programs are left out: each test answers for its own.
 */
function diagnosticsOf(files: string[]): string {
  const { programs, diagnostics } = checkConsumerPrograms();
  return diagnostics
    .filter((d) => {
      const about = /^(\S+?)\(\d+,\d+\): /.exec(d)?.[1];
      return about === undefined || files.includes(about) || !programs.includes(about);
    })
    .join('\n');
}

beforeAll(() => {
  requireBuild();
  const out = JSON.parse(npm(['pack', '--json', '--pack-destination', work], ROOT)) as [{ filename: string }];
  tarball = join(work, out[0].filename);
  execFileSync('mkdir', ['-p', consumer]);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  npm(['install', tarball], consumer);
}, 120_000);

describe('npm package', () => {
  it('the_tarball_holds_the_bundle_library_types_and_manual_but_no_sources_or_tests', () => {
    const list = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(list).toContain('package/bin/mmapx.js');
    expect(list).toContain('package/dist/cli.cjs');
    expect(list).toContain('package/dist/main.cjs');
    // The small commands' own bundles (src/cli/argv.ts OWN_BUNDLE), and no other CLI bundle.
    for (const command of OWN_BUNDLE) expect(list).toContain(`package/dist/main-${command}.cjs`);
    expect(list.filter((f) => /^package\/dist\/main-/.test(f)).sort()).toEqual(OWN_BUNDLE.map((c) => `package/dist/main-${c}.cjs`).sort());
    expect(list).toContain('package/dist/scan-worker.cjs'); // the scan threads' program (src/edit/scan-worker.ts)
    expect(list).toContain('package/dist/lib/index.mjs');
    expect(list).toContain('package/dist/lib/index.cjs');
    expect(list).toContain('package/dist/lib/index.d.ts');
    expect(list).toContain('package/dist/lib/index.d.mts');
    expect(list).toContain('package/dist/lib/index.d.cts');
    expect(list).toContain('package/dist/lib/edit.cjs');
    expect(list).toContain('package/dist/lib/edit.mjs');
    expect(list).toContain('package/dist/lib/edit.d.ts');
    expect(list).toContain('package/dist/lib/edit.d.mts');
    expect(list).toContain('package/dist/lib/edit.d.cts');
    expect(list).toContain('package/LICENSE');
    expect(list).toContain('package/README.md');
    expect(list.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toBe(false);
    // Neither the standalone executable nor its build files, whatever dist/ holds.
    expect(list.filter((f) => /^package\/dist\/(mmapx-|sea\/)/.test(f))).toEqual([]);
    // A backstop: the CLI's bundles (the whole program and the small commands' own), the library
    // bundle (it carries the editing engine), the scan worker, types, README and manual pack to
    // about 1.2 MB; a stray executable (tens of MB), sourcemap or data file would be several times that.
    expect(statSync(tarball).size).toBeLessThan(1_500_000);
    const pkg = JSON.parse(readFileSync(join(consumer, 'node_modules/mmapx/package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies)).toEqual(['koffi']);
    expect(pkg.dependencies.koffi).toMatch(/^\d+\.\d+\.\d+$/); // pinned exactly
  });

  it('import_mmap_mut_from_mmapx_in_esm_and_cjs', () => {
    const file = join(work, 'lib.bin');
    writeFileSync(file, 'abcdef');
    const esm = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { openSync } from 'node:fs';
         import { MmapMut, MmapOptions, Mmap } from 'mmapx';
         const fd = openSync(process.argv[1], 'r+');
         const m = MmapMut.mapMut(fd); m.bytes[0] = 0x41; m.flush(); m.unmap();
         const r = new MmapOptions().offset(1).len(2).map(fd);
         console.log(typeof Mmap, Buffer.from(r.bytes).toString());`,
        file,
      ],
      { cwd: consumer, encoding: 'utf8' },
    );
    expect(esm.stderr).toBe('');
    expect(esm.stdout).toBe('function bc\n');
    const cjs = spawnSync(process.execPath, ['-e', `const { MmapMut } = require('mmapx'); console.log(MmapMut.mapAnon(10).length)`], {
      cwd: consumer,
      encoding: 'utf8',
    });
    expect(cjs.stdout).toBe('10\n');
    expect(readFileSync(file, 'utf8')).toBe('Abcdef');
  });

  it('one_mmap_error_class_serves_import_and_require_of_the_package', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
         import * as esm from 'mmapx';
         const cjs = createRequire(import.meta.url)('mmapx');
         const caught = (fn) => { try { fn(); } catch (e) { return e; } };
         const a = caught(() => esm.Mmap.map(-1));
         const b = caught(() => cjs.windows(0, { windowSize: 0 }));
         console.log(esm.MmapError === cjs.MmapError, a instanceof cjs.MmapError, b instanceof esm.MmapError, a.code, b.code, esm.Mmap.name);`,
      ],
      { cwd: consumer, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('true true true ERR_INVALID_ARG ERR_OUT_OF_RANGE Mmap\n');
  });

  it('the_types_check_in_a_typescript_consumer', () => {
    expect(diagnosticsOf(['use.ts'])).toBe('');
  }, 120_000); // tsc on a loaded machine takes tens of seconds

  // "Are the types wrong": each export condition's declarations must describe what that condition
  // loads. Consumers that use the named exports type-check and run; a default import, which neither
  // entry has at run time, is refused by tsc as it fails in node. Checked under moduleResolution
  // nodenext (as an ES module and as a CommonJS consumer) and bundler, then run with node.
  it('the_declarations_of_each_condition_match_what_it_loads_under_nodenext_and_bundler', () => {
    const dir = join(consumer, 'conditions');
    // Bundler resolution's sources and their output are ES modules ("type": "module" folders).
    for (const sub of ['bundler', 'out/bundler']) {
      mkdirSync(join(dir, sub), { recursive: true });
      writeFileSync(join(dir, sub, 'package.json'), JSON.stringify({ type: 'module' }));
    }
    const named = (from: string) => `${from}
      const m: MmapMut = new MmapOptionsClass().len(3).mapAnon();
      m.bytes.set([7, 8, 9]);
      const err: unknown = (() => { try { Mmap.map(-1); } catch (e) { return e; } })();
      console.log(m.length, m.bytes[1], err instanceof MmapError, (err as MmapError).code, typeof ns.windows);`;
    const files: Record<string, string> = {
      'esm.mts': named(`import { Mmap, MmapError, MmapMut, MmapOptions as MmapOptionsClass } from 'mmapx';
        import * as ns from 'mmapx';`),
      'cjs.cts': named(`import { Mmap, MmapError, MmapMut, MmapOptions as MmapOptionsClass } from 'mmapx';
        import ns = require('mmapx');`),
      'esm-default.mts': `import mmapx from 'mmapx';\nconsole.log(typeof mmapx.Mmap);`,
      'cjs-default.cts': `import mmapx from 'mmapx';\nconsole.log(typeof mmapx.Mmap);`,
      'bundler/use.ts': named(`import { Mmap, MmapError, MmapMut, MmapOptions as MmapOptionsClass } from 'mmapx';
        import * as ns from 'mmapx';`),
      'bundler/default.ts': `import mmapx from 'mmapx';\nconsole.log(typeof mmapx.Mmap);`,
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const tsc = (args: string[], names: string[]) => {
      const r = spawnSync(
        process.execPath,
        // skipLibCheck: the declarations themselves are checked by the test above; here only what
        // each consumer may import counts (and checking @types/node twice more is most of the cost).
        [join(ROOT, 'node_modules/typescript/bin/tsc'), '--strict', '--esModuleInterop', '--skipLibCheck', ...TSC_ENV, '--outDir', 'out', ...args, ...names],
        { cwd: dir, encoding: 'utf8' },
      );
      // One "file(line,col): error TSnnnn" per diagnostic; the JavaScript is emitted all the same.
      return [...(r.stdout + r.stderr).matchAll(/^(\S+)\(\d+,\d+\): error (TS\d+)/gm)].map((d) => `${d[1]} ${d[2]}`);
    };
    const run = (file: string) => spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8' });

    // nodenext: an .mts is an ES module, a .cts a CommonJS one; each resolves its own condition.
    expect(tsc(['--module', 'nodenext', '--moduleResolution', 'nodenext'], ['esm.mts', 'cjs.cts', 'esm-default.mts', 'cjs-default.cts'])).toEqual([
      'cjs-default.cts TS1192',
      'esm-default.mts TS1192',
    ]);
    for (const file of ['out/esm.mjs', 'out/cjs.cjs']) {
      const r = run(file);
      expect(r.stderr, file).toBe('');
      expect(r.stdout, file).toBe('3 8 true ERR_INVALID_ARG function\n');
    }
    // What tsc refused fails at run time too: no default export in either entry.
    expect(run('out/esm-default.mjs').stderr).toMatch(/SyntaxError: .*does not provide an export named 'default'/);
    expect(run('out/cjs-default.cjs').stderr).toMatch(/TypeError: Cannot read properties of undefined \(reading 'Mmap'\)/);

    // bundler: the `import` condition's declarations, for code a bundler (or node) then runs as ESM.
    expect(tsc(['--module', 'esnext', '--moduleResolution', 'bundler', '--rootDir', '.'], ['bundler/use.ts', 'bundler/default.ts'])).toEqual([
      'bundler/default.ts TS1192',
    ]);
    const r = run('out/bundler/use.js');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('3 8 true ERR_INVALID_ARG function\n');
    expect(run('out/bundler/default.js').stderr).toMatch(/SyntaxError: .*does not provide an export named 'default'/);
  }, 120_000);

  // npx, npm install -g and man with nothing installed: test/registry.test.ts, through a local registry.

  // The README's editing API section promises complete programs: each ```ts block there is
  // compiled with tsc --strict against the installed tarball's types and run with its code.
  it('the_editing_api_examples_of_the_readme_type_check_strictly_and_run_against_the_package', () => {
    const { start, blocks } = readmeExamples();
    expect(start).toBeGreaterThan(0);
    expect(blocks.length).toBeGreaterThanOrEqual(1);
    const names = blocks.map((_, k) => exampleName(k));
    expect(diagnosticsOf(names)).toBe('');
    for (const [k, name] of names.entries()) {
      const run = spawnSync(process.execPath, [join(consumer, 'out', name.replace(/\.mts$/, '.mjs'))], { cwd: consumer, encoding: 'utf8', timeout: 60_000 });
      expect(run.stderr, `${name}:\n${blocks[k]}`).toBe('');
      expect(run.status, name).toBe(0);
    }
  }, 120_000);

  // What a build script does with the editing API, from a fresh TypeScript project that installed
  // the tarball, without spawning anything: recover the journal a killed patch left, apply a
  // guarded patch, get "already applied" the second time, a typed failure naming the offset and
  // the bytes on the wrong file (left byte-identical), and a hexdump as a stream.
  it('a_typescript_project_recovers_patches_with_guards_and_streams_a_dump_through_the_package', async () => {
    const dir = join(consumer, 'story');
    mkdirSync(dir, { recursive: true });
    const img = join(dir, 'img.bin');
    const original = Buffer.alloc(32 << 20);
    for (let i = 0; i < original.length; i += 4096) original.writeUInt32LE(i, i);
    const lines: string[] = [];
    for (let k = 0; k < 20_000; k++) lines.push(`0x${(k * 1600 + 8).toString(16)}: 00 -> ff`);
    writeFileSync(join(dir, 'big.patch'), `${lines.join('\n')}\n`);
    const journal = join(dir, '.img.bin.mmapx-journal');
    // The tarball's CLI, killed with SIGKILL as soon as its journal exists (tried until one is caught).
    for (let attempt = 0; attempt < 8 && !existsSync(journal); attempt++) {
      writeFileSync(img, original);
      const child = spawn(process.execPath, [join(consumer, 'node_modules/mmapx/bin/mmapx.js'), 'patch', img, join(dir, 'big.patch')], { stdio: 'ignore' });
      const exited = new Promise((done) => child.on('exit', done));
      const pause = new Int32Array(new SharedArrayBuffer(4));
      while (child.exitCode === null && !existsSync(journal)) Atomics.wait(pause, 0, 0, 1);
      child.kill('SIGKILL');
      await exited;
    }
    expect(existsSync(journal), 'no journal was caught').toBe(true);
    const sha = createHash('sha256').update(original).digest('hex');
    expect(diagnosticsOf([STORY])).toBe('');
    const run = spawnSync(process.execPath, [join(consumer, 'out', STORY.replace(/\.mts$/, '.mjs')), img, sha], {
      cwd: consumer,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('story ok\n');
    expect(existsSync(journal)).toBe(false);
  }, 300_000);
});
