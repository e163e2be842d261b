// A local npm registry for the package tests (test/registry.test.ts): verdaccio, run in a process
// of its own so that the test can block on npm's child processes while the registry answers them.
//
//   node test/helpers/registry.mjs DIR
//
// Listens on 127.0.0.1 on a port the system picks and prints {"port": N} as one line on stdout
// once it accepts connections. Its config, storage and users are in DIR. No uplinks: a package
// that was not published here is a 404, never a fetch from elsewhere. Anyone may read; a user
// created through the registry's own API (PUT /-/user/org.couchdb.user:NAME) may publish, with a
// signed token (JWT) so that a request costs no password hash. Logs at level warn go to stderr.
// Stops when its standard input ends: the test closes it in afterAll, and a test process that dies
// closes it too, so no registry outlives its test.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node registry.mjs DIR');
  process.exit(2);
}
// verdaccio is CommonJS; its programmatic entry builds the app and returns an unstarted server.
const { runServer } = createRequire(import.meta.url)('verdaccio');
const everyone = { access: '$all', publish: '$authenticated', unpublish: '$authenticated' };
const server = await runServer({
  self_path: join(dir, 'config.yaml'),
  storage: join(dir, 'storage'),
  auth: { htpasswd: { file: join(dir, 'htpasswd') } },
  security: { api: { legacy: false, jwt: { sign: { expiresIn: '1h' } } }, web: { sign: { expiresIn: '1h' } } },
  uplinks: {},
  packages: { '@*/*': everyone, '**': everyone },
  web: { enable: false },
  middlewares: { audit: { enabled: false } },
  log: { type: 'stderr', format: 'json', level: 'warn' },
});

function stop() {
  server.close(() => process.exit(0));
  // npm keeps its connections alive; closing them lets close() finish at once.
  server.closeAllConnections?.();
}
process.stdin.on('end', stop).resume();
process.on('SIGTERM', stop);

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
