// The published package: `npm pack`, install the tarball into an empty folder elsewhere, and use it
// the way users do (library import from ESM and CJS, types, and the CLI through npx).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, requireBuild } from './helpers/child.js';
import { tmpDir } from './helpers/tmp.js';

const work = tmpDir('mmapx-pack-');
const consumer = join(work, 'consumer');
let tarball = '';
const npm = (args: string[], cwd: string) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });

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
    expect(list).toContain('package/dist/scan-worker.cjs'); // the scan threads' program (src/edit/scan-worker.ts)
    expect(list).toContain('package/dist/lib/index.mjs');
    expect(list).toContain('package/dist/lib/index.cjs');
    expect(list).toContain('package/dist/lib/index.d.ts');
    expect(list).toContain('package/LICENSE');
    expect(list).toContain('package/README.md');
    expect(list.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toBe(false);
    // Neither the standalone executable nor its build files, whatever dist/ holds.
    expect(list.filter((f) => /^package\/dist\/(mmapx-|sea\/)/.test(f))).toEqual([]);
    // A backstop: the bundles, types, README and manual pack to about 200 KB; a stray executable,
    // sourcemap or data file would be several times that.
    expect(statSync(tarball).size).toBeLessThan(300_000);
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
    writeFileSync(
      join(consumer, 'use.ts'),
      `import { createHash } from 'node:crypto';
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
       }`,
    );
    const tsc = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2023,esnext.disposable', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules/@types'), 'use.ts'],
      { cwd: consumer, encoding: 'utf8' },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  // npx with nothing installed: the tarball's CLI, run from an empty folder. One line per command.
  const NPX_CASES: [args: string[], check: (r: { stdout: string; stderr: string }, dir: string) => void][] = [
    [['--version'], (r) => expect(r.stdout).toBe(`${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`)],
    [['write', 'f.bin', '6', '574f'], (r, dir) => {
      expect(r.stderr).toMatch(/^wrote 2 bytes/);
      expect(readFileSync(join(dir, 'f.bin'), 'utf8')).toBe('hello WOrld!');
    }],
  ];

  it.each(NPX_CASES)('npx_runs_the_tarball_cli_in_an_empty_folder: %j', (args, check) => {
    const dir = join(work, `npx-${args[0]}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'f.bin'), 'hello world!');
    const r = spawnSync('npx', ['--yes', '--prefer-offline', `--package=${tarball}`, '--', 'mmapx', ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false' },
      timeout: 120_000,
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    check(r, dir);
  }, 120_000);
});
