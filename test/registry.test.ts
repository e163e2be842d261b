// The package through a real npm registry, the way users get it: a local verdaccio on 127.0.0.1
// (test/helpers/registry.mjs), `npm publish` of this checkout to it (with koffi and its platform
// package, the one dependency), then from an empty folder with an empty npm cache, a temporary
// HOME and user config: `npx mmapx`, `npm install -g`, the installed CLI on a real file, `man mmapx`.
//
// Nothing may come from outside: the registry has no uplinks, and every npm run goes through a
// proxy that only counts and refuses (npm's noproxy lets 127.0.0.1 through), so a fetch from
// elsewhere fails here as it would on CI, and the test names it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWN_BUNDLE } from '../src/cli/argv.js';
import { ROOT, requireBuild } from './helpers/child.js';
import { isolatedNpmEnv, type LocalRegistry, packageDir, type Result, shown, startLocalRegistry } from './helpers/local-registry.js';
import { tmpDir } from './helpers/tmp.js';

const work = tmpDir('mmapx-registry-');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
const has = (cmd: string) => process.env.PATH?.split(':').some((d) => d !== '' && existsSync(join(d, cmd))) ?? false;

/** Runs a command to its end without blocking this process (the proxy trap answers meanwhile). */
function run(cmd: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeout?: number }): Promise<Result> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 60_000);
    child.on('error', (e) => (stderr += `${e.message}\n`));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      done({ command: [cmd, ...args].join(' '), status: status ?? (signal === null ? null : 128), stdout, stderr });
    });
  });
}

// The registry and its proxy trap (test/helpers/local-registry.ts), and what every npm run shares.
let reg: LocalRegistry | undefined;
const registryLog = () => reg?.log() ?? '';
const outside = () => reg?.outside ?? [];
/** The registry's URL (with the trailing slash npm writes) and the trap's. */
let url = '';
let proxyUrl = '';

/**
 * The environment of an npm run with its own HOME, user config, global config and cache under
 * `home`: none of the caller's npm settings (npm_* variables from `npm test` included), this
 * Node first on PATH, the local registry, and the trap as proxy for anything but 127.0.0.1.
 */
function npmEnv(home: string, proxy: string): NodeJS.ProcessEnv {
  return {
    ...isolatedNpmEnv(home, proxy),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_CONFIG_HOME: join(home, '.config'),
    // Global installs and the global bin npx looks in first: the test's own, empty.
    npm_config_prefix: join(home, 'prefix'),
    npm_config_registry: url,
    npm_config_fetch_retries: '0',
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_loglevel: 'warn',
  };
}
/** `npm ...` with `env`, in `cwd`; fails the test with what npm printed unless it succeeds. */
async function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Result> {
  const r = await run('npm', args, { cwd, env, timeout: 120_000 });
  expect(r.status, `${shown(r)}--- the registry's log\n${registryLog()}`).toBe(0);
  return r;
}

/** koffi as installed here, and the platform package that carries its native code. */
function koffiFolders(): string[] {
  const koffi = packageDir('koffi', ROOT, 'npm ci installs it');
  const own = JSON.parse(readFileSync(join(koffi, 'package.json'), 'utf8')) as { version: string };
  // The package pins koffi exactly (test/pack.test.ts checks it): the published one must be that.
  expect(own.version).toBe(pkg.dependencies.koffi);
  return [koffi, packageDir(`@koromix/koffi-${process.platform}-${process.arch}`, koffi, 'npm ci installs it')];
}

beforeAll(async () => {
  requireBuild();
  reg = await startLocalRegistry(join(work, 'registry'));
  ({ url, proxyUrl } = reg);
  const token = reg.token;
  const home = join(work, 'publisher');
  const env = npmEnv(home, proxyUrl);
  writeFileSync(join(home, '.npmrc'), `//${new URL(url).host}/:_authToken=${token}\n`);
  // koffi and its native package first, then this checkout (--tag: a pre-release version would
  // otherwise need one, and npx looks for latest). Were npm to publish elsewhere, it would have
  // to go through the trap, which refuses: nothing leaves this machine.
  await Promise.all(koffiFolders().map((dir) => npm(['publish', dir, '--registry', url], work, env)));
  await npm(['publish', ROOT, '--tag', 'latest', '--registry', url], work, env);
  expect(outside()).toEqual([]);
}, 180_000);

afterAll(async () => {
  await reg?.close();
});

describe('npm registry', () => {
  /** A user's folders: an empty one to work in, and a HOME with an empty npm cache. */
  function user(name: string): { dir: string; env: NodeJS.ProcessEnv } {
    const dir = join(work, name, 'cwd');
    mkdirSync(dir, { recursive: true });
    return { dir, env: npmEnv(join(work, name, 'home'), proxyUrl) };
  }

  it('the_published_tarball_holds_what_files_lists_and_everything_its_programs_load', async () => {
    const doc = (await (await fetch(`${url}mmapx`)).json()) as {
      'dist-tags': Record<string, string>;
      versions: Record<string, { dependencies: Record<string, string>; bin: Record<string, string>; man: string[]; dist: { tarball: string } }>;
    };
    expect(doc['dist-tags'].latest).toBe(pkg.version);
    const meta = doc.versions[pkg.version]!;
    expect(meta.dependencies).toEqual({ koffi: pkg.dependencies.koffi });
    expect(meta.bin).toEqual({ mmapx: 'bin/mmapx.js' });
    expect(meta.man).toEqual(['man/mmapx.1']);
    // The tarball npm downloads, from the registry, listed by tar.
    expect(meta.dist.tarball.startsWith(url)).toBe(true);
    const tgz = join(work, 'published.tgz');
    writeFileSync(tgz, Buffer.from(await (await fetch(meta.dist.tarball)).arrayBuffer()));
    const tar = await run('tar', ['-tzf', tgz], { cwd: work, env: process.env });
    expect(tar.status, shown(tar)).toBe(0);
    const list = tar.stdout
      .split('\n')
      .filter((f) => f !== '' && !f.endsWith('/'))
      .map((f) => f.replace(/^package\//, ''));
    // Only what "files" names (plus what npm always ships), nothing else.
    const shipped = /^(bin\/[^/]+|dist\/(cli|main(-[a-z]+)?|scan-worker)\.cjs|dist\/lib\/.+|man\/[^/]+|README\.md|LICENSE|package\.json)$/;
    expect(list.filter((f) => !shipped.test(f))).toEqual([]);
    for (const f of [
      'bin/mmapx.js',
      'dist/cli.cjs',
      'dist/main.cjs',
      ...OWN_BUNDLE.map((command) => `dist/main-${command}.cjs`),
      'dist/scan-worker.cjs',
      'dist/lib/index.cjs',
      'dist/lib/index.mjs',
      'dist/lib/edit.cjs',
      'dist/lib/edit.mjs',
      'man/mmapx.1',
      'README.md',
      'LICENSE',
      'package.json',
    ]) {
      expect(list, f).toContain(f);
    }
    // Every file a shipped program loads by a relative name (require, import, new URL) is shipped.
    const x = await run('tar', ['-xzf', tgz, '-C', work], { cwd: work, env: process.env });
    expect(x.status, shown(x)).toBe(0);
    const missing: string[] = [];
    for (const f of list.filter((f) => /\.[cm]?js$/.test(f))) {
      const text = readFileSync(join(work, 'package', f), 'utf8');
      for (const m of text.matchAll(/["'](\.\.?\/[\w./-]+\.[cm]?js)["']/g)) {
        const target = posix.join(posix.dirname(f), m[1] as string);
        if (!list.includes(target)) missing.push(`${f} -> ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('npx_runs_mmapx_from_the_registry_in_an_empty_folder_with_an_empty_cache', async () => {
    const { dir, env } = user('npx');
    const npx = (args: string[]) => run('npx', ['--yes', '--registry', url, ...args], { cwd: dir, env, timeout: 120_000 });
    const version = await npx(['mmapx', '--version']);
    expect(version.status, shown(version)).toBe(0);
    expect(version.stdout).toBe(`${pkg.version}\n`);
    // npx installed it from the registry into its cache (not a copy found elsewhere).
    const npxCache = join(env.npm_config_cache as string, '_npx');
    const copies = readdirSync(npxCache).filter((d) => existsSync(join(npxCache, d, 'node_modules/mmapx/package.json')));
    expect(copies).toHaveLength(1);
    writeFileSync(join(dir, 'f.bin'), 'hello world!');
    // The README's other form (--package), with the cache the first run filled.
    const dump = await npx(['--package=mmapx', '--', 'mmapx', 'hexdump', 'f.bin']);
    expect(dump.status, shown(dump)).toBe(0);
    expect(dump.stdout).toBe('00000000  68 65 6c 6c 6f 20 77 6f  72 6c 64 21              |hello world!|\n0000000c\n');
    expect(outside()).toEqual([]);
  });

  // npm install -g from the registry, into a prefix of the test's own.
  let installed: Promise<{ prefix: string; env: NodeJS.ProcessEnv; dir: string }> | undefined;
  function installGlobally() {
    installed ??= (async () => {
      const { dir, env } = user('global');
      const prefix = join(work, 'global', 'prefix');
      await npm(['install', '-g', '--prefix', prefix, '--registry', url, 'mmapx'], dir, env);
      return { prefix, env: { ...env, PATH: `${join(prefix, 'bin')}:${env.PATH}` }, dir };
    })();
    return installed;
  }

  it('npm_install_g_puts_a_cli_on_the_prefix_bin_that_writes_and_patches_a_file', async () => {
    const { prefix, env, dir } = await installGlobally();
    expect(realpathSync(join(prefix, 'bin', 'mmapx'))).toBe(realpathSync(join(prefix, 'lib/node_modules/mmapx/bin/mmapx.js')));
    const mmapx = (args: string[]) => run('mmapx', args, { cwd: dir, env });
    const version = await mmapx(['--version']);
    expect(version.stdout, shown(version)).toBe(`${pkg.version}\n`);
    const file = join(dir, 'f.bin');
    writeFileSync(file, 'hello world!');
    const write = await mmapx(['write', 'f.bin', '6', '574f']);
    expect(write.status, shown(write)).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('hello WOrld!');
    writeFileSync(join(dir, 'fix.patch'), '0x0: 68 -> 48\n0xb: 21 -> 3f\n');
    const patch = await mmapx(['patch', 'f.bin', 'fix.patch']);
    expect(patch.status, shown(patch)).toBe(0);
    expect(patch.stderr).toMatch(/^patched f\.bin: 2 hunks applied/);
    expect(readFileSync(file, 'utf8')).toBe('Hello WOrld?');
    const again = await mmapx(['patch', 'f.bin', 'fix.patch']);
    expect(again.status, shown(again)).toBe(0);
    expect(again.stderr).toMatch(/^already applied/);
    expect(readdirSync(dir).sort()).toEqual(['f.bin', 'fix.patch']); // no journal left behind
    expect(outside()).toEqual([]);
  });

  if (!has('man')) it.skip('man is not installed: the manual npm installed is not rendered', () => {});
  it.skipIf(!has('man'))('man_renders_the_manual_npm_installed_under_the_prefix', async () => {
    const { prefix, env, dir } = await installGlobally();
    const page = join(prefix, 'share/man/man1/mmapx.1');
    expect(realpathSync(page)).toBe(realpathSync(join(prefix, 'lib/node_modules/mmapx/man/mmapx.1')));
    const man = await run('man', ['-M', join(prefix, 'share/man'), 'mmapx'], {
      cwd: dir,
      env: { ...env, MANWIDTH: '80', MAN_KEEP_FORMATTING: '', MANPAGER: 'cat', PAGER: 'cat', LANG: 'C', LC_ALL: 'C' },
    });
    expect(man.status, shown(man)).toBe(0);
    expect(man.stdout).toMatch(/^NAME\n\s+mmapx - edit and inspect files in place through memory maps$/m);
    expect(man.stdout).toMatch(/^EXIT STATUS$/m);
  });
});
