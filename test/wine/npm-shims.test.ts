// Windows x64 under Wine: npm's own CLI, run by Windows Node, installs mmapx from a local registry
// (`npm install -g`, `npx`), and the shims npm writes (mmapx.cmd) run it. Run by .ci/win-x64 on
// Linux Node (the registry, verdaccio, runs on Linux: test/helpers/registry.mjs) once its Wine
// prefix is set up; it sets MMAPX_WINE_NODE (Windows node.exe) and MMAPX_WINE_NPM (npm's package,
// unpacked), and vitest.config.mts leaves this folder out of every other run.
//
// Nothing may come from outside: the registry has no uplinks and every npm run has a proxy that
// only counts and refuses (npm's noproxy lets 127.0.0.1 through), as in test/registry.test.ts.
// Windows Node's standard output and error go to files: it dies (EBADF) on a Unix pipe.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, requireBuild } from '../helpers/child.js';
import { mmapx } from '../helpers/cli.js';
import { isolatedNpmEnv, type LocalRegistry, packageDir, type Result, shown, startLocalRegistry, withoutNpmSettings } from '../helpers/local-registry.js';
import { tmpDir } from '../helpers/tmp.js';

const NODE = process.env.MMAPX_WINE_NODE ?? '';
const NPM = process.env.MMAPX_WINE_NPM ?? '';
const work = tmpDir('mmapx-wine-npm-');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
/** A Unix path as Windows programs under Wine see it (drive Z: is the Unix root). */
const win = (path: string) => `Z:${path.replaceAll('/', '\\')}`;

/** Runs a command to its end without blocking this process, its output in files (see above). */
function run(cmd: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeout?: number }): Promise<Result> {
  const out = join(work, `out-${process.hrtime.bigint()}`);
  const fds = [openSync(`${out}.1`, 'w'), openSync(`${out}.2`, 'w')];
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', fds[0], fds[1]] });
    let error = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 120_000);
    child.on('error', (e) => (error += `${e.message}\n`));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      for (const fd of fds) closeSync(fd);
      // Windows programs end their lines with CRLF.
      const read = (f: string) => readFileSync(f, 'utf8').replaceAll('\r\n', '\n');
      done({
        command: [cmd, ...args].join(' '),
        status: status ?? (signal === null ? null : 128),
        stdout: read(`${out}.1`),
        stderr: read(`${out}.2`) + error,
      });
    });
  });
}

// The registry and its proxy trap (test/helpers/local-registry.ts).
let reg: LocalRegistry | undefined;
const registryLog = () => reg?.log() ?? '';
const outside = () => reg?.outside ?? [];
let url = '';
let proxyUrl = '';

/** Linux npm's environment for publishing: its own HOME, config and cache, none of the caller's. */
function linuxEnv(home: string): NodeJS.ProcessEnv {
  return { ...isolatedNpmEnv(home, proxyUrl), npm_config_loglevel: 'warn' };
}

/**
 * The environment of npm under Wine: a user's own config, global config, cache and global prefix
 * under `home` (Windows paths), the local registry, the trap as proxy, Windows Node on the Windows
 * PATH (WINEPATH: koffi's install script and the shims run `node`), and the keep-alive preload
 * Wine needs (test/helpers/wine-keepalive.cjs says why).
 */
function wineEnv(home: string): NodeJS.ProcessEnv {
  mkdirSync(home, { recursive: true });
  return {
    ...withoutNpmSettings(/^(node_options|mmapx_.*)$/i),
    WINEPATH: win(dirname(NODE)),
    NODE_OPTIONS: `--require ${win(join(ROOT, 'test/helpers/wine-keepalive.cjs'))}`,
    npm_config_userconfig: win(join(home, 'npmrc')),
    npm_config_globalconfig: win(join(home, 'global-npmrc')),
    npm_config_cache: win(join(home, 'npm-cache')),
    npm_config_prefix: win(join(home, 'prefix')),
    npm_config_registry: url,
    npm_config_proxy: proxyUrl,
    npm_config_https_proxy: proxyUrl,
    npm_config_noproxy: '127.0.0.1',
    npm_config_fetch_retries: '0',
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_loglevel: 'warn',
  };
}

/** A user's folders: an empty one to work in, and a home with an empty npm cache. */
function user(name: string): { dir: string; home: string; env: NodeJS.ProcessEnv } {
  const dir = join(work, name, 'cwd');
  mkdirSync(dir, { recursive: true });
  const home = join(work, name, 'home');
  return { dir, home, env: wineEnv(home) };
}

const wine = (args: string[], cwd: string, env: NodeJS.ProcessEnv) => run('wine', args, { cwd, env });
/** npm's own CLI (npm-cli.js or npx-cli.js) on Windows Node under Wine. */
const npmCli = (script: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) => wine([NODE, win(join(NPM, 'bin', script)), ...args], cwd, env);

/**
 * Whether Wine's cmd.exe goes on after a `goto` to a label that does not exist, with `||`: npm's
 * .cmd shims run node that way (`endLocal & goto #_undefined_# 2>NUL || title ... & node ...`, so
 * that the batch file ends with node's exit status). Windows' cmd.exe runs the `||` part; Wine
 * 8.0's ends the batch there, so the shim runs nothing and exits 0.
 */
let gotoProbe: Promise<boolean> | undefined;
function cmdRunsShims(cwd: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  gotoProbe ??= (async () => {
    writeFileSync(join(cwd, 'probe.cmd'), '@ECHO off\r\ngoto #_undefined_# 2>NUL || echo ran\r\n');
    const r = await wine(['cmd', '/d', '/c', 'probe.cmd'], cwd, env);
    return r.stdout === 'ran\n';
  })();
  return gotoProbe;
}
const NO_GOTO =
  "Wine's cmd.exe ends a batch file at `goto #_undefined_# 2>NUL || ...` without running the `||` command, and npm's mmapx.cmd runs node that way (it prints nothing and exits 0 under Wine)";

beforeAll(async () => {
  requireBuild();
  expect(existsSync(NODE), 'MMAPX_WINE_NODE: Windows node.exe (.ci/win-x64 sets it)').toBe(true);
  expect(existsSync(join(NPM, 'bin', 'npm-cli.js')), "MMAPX_WINE_NPM: npm's package (.ci/win-x64 sets it)").toBe(true);
  reg = await startLocalRegistry(join(work, 'registry'));
  ({ url, proxyUrl } = reg);
  const token = reg.token;
  const home = join(work, 'publisher');
  const env = linuxEnv(home);
  writeFileSync(join(home, '.npmrc'), `//${new URL(url).host}/:_authToken=${token}\n`);
  // koffi, its Windows x64 package (which .ci/win-x64 unpacked beside the Linux one) and this
  // checkout, published by Linux npm.
  const koffi = packageDir('koffi', ROOT, '.ci/win-x64 unpacks the win32 one');
  const publish = async (folder: string) => {
    const r = await run('npm', ['publish', folder, '--tag', 'latest', '--registry', url], { cwd: work, env });
    expect(r.status, `${shown(r)}--- the registry's log\n${registryLog()}`).toBe(0);
  };
  await Promise.all([koffi, packageDir('@koromix/koffi-win32-x64', koffi, '.ci/win-x64 unpacks the win32 one')].map(publish));
  await publish(ROOT);
  expect(outside()).toEqual([]);
}, 180_000);

afterAll(async () => {
  await reg?.close();
});

describe('npm under Wine', () => {
  // npm install -g from the registry, into a prefix of the test's own (C:-style path: Z:).
  let installed: Promise<{ prefix: string; dir: string; env: NodeJS.ProcessEnv }> | undefined;
  function installGlobally() {
    installed ??= (async () => {
      const { dir, home, env } = user('global');
      const prefix = join(home, 'prefix');
      const r = await npmCli('npm-cli.js', ['install', '-g', '--prefix', win(prefix), 'mmapx'], dir, env);
      expect(r.status, `${shown(r)}--- the registry's log\n${registryLog()}`).toBe(0);
      return { prefix, dir, env };
    })();
    return installed;
  }
  const hello = 'hello world!';
  /** The Linux CLI's dump of the file the Windows runs write: theirs must be byte-identical. */
  let linuxDump: string | undefined;
  function dump(): string {
    if (linuxDump === undefined) {
      const file = join(work, 'linux.bin');
      writeFileSync(file, 'hello WOrld!');
      const r = mmapx(['hexdump', file]);
      expect(r.status, r.dump).toBe(0);
      linuxDump = r.stdout;
    }
    return linuxDump;
  }

  it('npm_install_g_writes_the_cmd_ps1_and_sh_shims_and_the_package_from_the_registry', async () => {
    const { prefix } = await installGlobally();
    expect(readdirSync(prefix).sort()).toEqual(['mmapx', 'mmapx.cmd', 'mmapx.ps1', 'node_modules']);
    expect(readFileSync(join(prefix, 'mmapx.cmd'), 'utf8')).toContain('"%dp0%\\node_modules\\mmapx\\bin\\mmapx.js" %*');
    const installedPkg = JSON.parse(readFileSync(join(prefix, 'node_modules/mmapx/package.json'), 'utf8')) as { version: string };
    expect(installedPkg.version).toBe(pkg.version);
    // koffi's Windows x64 native code came with it, from the registry.
    expect(existsSync(join(prefix, 'node_modules/mmapx/node_modules/@koromix/koffi-win32-x64/package.json'))).toBe(true);
    expect(outside()).toEqual([]);
  });

  it('the_installed_cli_on_windows_node_writes_a_file_and_dumps_it_as_on_linux', async () => {
    const { prefix, dir, env } = await installGlobally();
    const cli = win(join(prefix, 'node_modules/mmapx/bin/mmapx.js'));
    const version = await wine([NODE, cli, '--version'], dir, env);
    expect(version.stdout, shown(version)).toBe(`${pkg.version}\n`);
    writeFileSync(join(dir, 'direct.bin'), hello);
    const write = await wine([NODE, cli, 'write', 'direct.bin', '6', '574f'], dir, env);
    expect(write.status, shown(write)).toBe(0);
    expect(readFileSync(join(dir, 'direct.bin'), 'utf8')).toBe('hello WOrld!');
    const hex = await wine([NODE, cli, 'hexdump', 'direct.bin'], dir, env);
    expect(hex.status, shown(hex)).toBe(0);
    expect(hex.stdout).toBe(dump());
  });

  it('mmapx_cmd_prints_the_version_writes_a_file_and_dumps_it_as_on_linux', async (ctx) => {
    const { prefix, dir, env } = await installGlobally();
    if (!(await cmdRunsShims(dir, env))) ctx.skip(NO_GOTO);
    const shim = win(join(prefix, 'mmapx.cmd'));
    const version = await wine(['cmd', '/d', '/c', shim, '--version'], dir, env);
    expect(version.stdout, shown(version)).toBe(`${pkg.version}\n`);
    writeFileSync(join(dir, 'shim.bin'), hello);
    const write = await wine(['cmd', '/d', '/c', shim, 'write', 'shim.bin', '6', '574f'], dir, env);
    expect(write.status, shown(write)).toBe(0);
    const hex = await wine(['cmd', '/d', '/c', shim, 'hexdump', 'shim.bin'], dir, env);
    expect(hex.stdout, shown(hex)).toBe(dump());
  });

  let npxRun: Promise<{ result: Result; home: string; dir: string; env: NodeJS.ProcessEnv }> | undefined;
  function npx() {
    npxRun ??= (async () => {
      const { dir, home, env } = user('npx');
      const result = await npmCli('npx-cli.js', ['--yes', '--registry', url, 'mmapx', '--version'], dir, env);
      return { result, home, dir, env };
    })();
    return npxRun;
  }

  it('npx_installs_mmapx_from_the_registry_into_its_empty_cache', async () => {
    const { result, home } = await npx();
    expect(result.status, `${shown(result)}--- the registry's log\n${registryLog()}`).toBe(0);
    const cache = join(home, 'npm-cache', '_npx');
    const copies = readdirSync(cache).filter((d) => existsSync(join(cache, d, 'node_modules/mmapx/package.json')));
    expect(copies).toHaveLength(1);
    expect(existsSync(join(cache, copies[0] as string, 'node_modules/.bin/mmapx.cmd'))).toBe(true);
    expect(outside()).toEqual([]);
  });

  it('npx_mmapx_prints_the_version', async (ctx) => {
    const { result, dir, env } = await npx();
    // npx runs the package's bin through its .cmd shim, with cmd.exe.
    if (!(await cmdRunsShims(dir, env))) ctx.skip(NO_GOTO);
    expect(result.stdout, shown(result)).toBe(`${pkg.version}\n`);
  });
});
