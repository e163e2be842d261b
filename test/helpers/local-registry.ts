// A local npm registry for the tests that install mmapx the way users get it (test/registry.test.ts
// on Linux, test/wine/npm-shims.test.ts under Wine): verdaccio on 127.0.0.1 with no uplinks, in a
// child process (test/helpers/registry.mjs), a publishing user made through its API, and a proxy
// trap that takes every connection npm would make elsewhere, notes its first line and closes it
// (npm's noproxy lets 127.0.0.1 through), so that a fetch from outside fails here as on CI and the
// test can name it.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { ROOT } from './child.js';

/** A command's end: what it printed and its status (128 for a signal). */
export interface Result {
  command: string;
  status: number | null;
  stdout: string;
  stderr: string;
}

/** For assertion messages: the command and what it printed. */
export const shown = (r: Result) => `$ ${r.command}\nstatus ${r.status}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

export interface LocalRegistry {
  /** The registry's URL, with the trailing slash npm writes. */
  readonly url: string;
  /** The proxy trap's URL, for npm_config_proxy and npm_config_https_proxy. */
  readonly proxyUrl: string;
  /** The first line of each connection the trap got: a fetch that was headed elsewhere. */
  readonly outside: readonly string[];
  /** The token of the publishing user `ci`. */
  readonly token: string;
  /** What the registry printed, for failure messages. */
  log(): string;
  /** Stops the trap and the registry (the registry ends when its standard input does). */
  close(): Promise<void>;
}

/** Starts the trap and the registry, its storage in `dir`, and makes the publishing user. */
export async function startLocalRegistry(dir: string): Promise<LocalRegistry> {
  const outside: string[] = [];
  const trap: Server = createServer((socket) => {
    socket.once('data', (d) => {
      outside.push(d.toString('latin1').split('\r\n')[0] ?? '');
      socket.destroy();
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  const address = trap.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy trap has no port');

  mkdirSync(dir, { recursive: true });
  let log = '';
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'test/helpers/registry.mjs'), dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (log += s));
  const close = async () => {
    trap.close();
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.on('exit', done));
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout?.setEncoding('utf8').on('data', (s: string) => {
        out += s;
        const line = /^(\{.*\})\n/.exec(out);
        if (line) resolve((JSON.parse(line[1] as string) as { port: number }).port);
      });
      child.on('exit', (code) => reject(new Error(`the registry exited (status ${code}) before it listened:\n${log}`)));
    });
    const url = `http://127.0.0.1:${port}/`;
    const res = await fetch(`${url}-/user/org.couchdb.user:ci`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci', password: 'ci-password' }),
    });
    const { token } = (await res.json()) as { token?: string };
    if (typeof token !== 'string') throw new Error(`adduser: status ${res.status}\n${log}`);
    return { url, proxyUrl: `http://127.0.0.1:${address.port}`, outside, token, log: () => log, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * This process's environment without the caller's npm settings (npm_* variables from `npm test`
 * included) and proxies, and without the variables `more` matches.
 */
export function withoutNpmSettings(more?: RegExp): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|no_proxy$|https?_proxy$|all_proxy$)/i.test(k) && !(more?.test(k) ?? false)));
}

/**
 * The environment of a Linux npm run with its own HOME, user config, global config and cache under
 * `home` (made here): none of the caller's npm settings (see {@link withoutNpmSettings}), this Node
 * first on PATH, and `proxy` (the trap) for anything but 127.0.0.1.
 */
export function isolatedNpmEnv(home: string, proxy: string): NodeJS.ProcessEnv {
  mkdirSync(home, { recursive: true });
  return {
    ...withoutNpmSettings(),
    PATH: [dirname(process.execPath), process.env.PATH].filter((d) => d !== undefined && d !== '').join(':'),
    HOME: home,
    npm_config_userconfig: join(home, '.npmrc'),
    npm_config_globalconfig: join(home, 'global.npmrc'),
    npm_config_cache: join(home, 'npm-cache'),
    npm_config_proxy: proxy,
    npm_config_https_proxy: proxy,
    npm_config_noproxy: '127.0.0.1',
  };
}

/** The folder of package `name` as node resolves it from `from` (a package's folder). */
export function packageDir(name: string, from: string, missing: string): string {
  // Not require.resolve(`${name}/package.json`): koffi's "exports" does not expose it.
  const found = createRequire(join(from, 'package.json'))
    .resolve.paths(name)
    ?.map((p) => join(p, name))
    .find((p) => existsSync(join(p, 'package.json')));
  if (found === undefined) throw new Error(`${name} is not installed (${missing})`);
  return found;
}
