// The published package: `npm pack`, install the tarball into an empty folder elsewhere, and use it
// the way users do (library import from ESM and CJS, types, and the CLI through npx).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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
    expect(list).toContain('package/dist/lib/index.mjs');
    expect(list).toContain('package/dist/lib/index.cjs');
    expect(list).toContain('package/dist/lib/index.d.ts');
    expect(list).toContain('package/LICENSE');
    expect(list).toContain('package/README.md');
    expect(list.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toBe(false);
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

  it('the_types_check_in_a_typescript_consumer', () => {
    writeFileSync(
      join(consumer, 'use.ts'),
      `import { MmapMut, MmapOptions, type Mmap } from 'mmapx';
       const m: MmapMut = new MmapOptions().len(8).mapAnon();
       const bytes: Uint8Array = m.bytes;
       const ro: Mmap = m.makeReadOnly();
       export const n: number = bytes.length + ro.length;
       // @ts-expect-error read-only maps expose read-only bytes
       ro.bytes[0] = 1;`,
    );
    const tsc = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2023,esnext.disposable', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules/@types'), 'use.ts'],
      { cwd: consumer, encoding: 'utf8' },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});
