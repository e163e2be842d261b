#!/usr/bin/env node
// Micro-benchmark of the dump engine (src/format/dump) against xxd, hexdump -C and od, in one run.
//
//   node bench/dump-engine.mjs [--mib 64] [--window 16] [--runs 3] [--formats a,b] [--no-peers]
//
// The engine is bundled with esbuild into a temp dir and imported. Inputs: --mib MiB of random
// bytes, and as much "mostly zeros" (zeros with one random byte every 64 KiB). Each engine case is
// pushed in windows of --window MiB and timed with a sink that drops the chunks (pure formatting)
// and with a sink that fs.writeSync()s them to /dev/null (what a CLI pays at least); best of --runs.
// The peers read the same bytes from a temp file, stdout on /dev/null, once each.
//
// Rates are MiB of input per second of CPU time (user + system: this process for the engine, the
// child for a peer, from /proc/self/stat), which stays meaningful on a shared, loaded machine;
// the wall-clock rate of the /dev/null run is shown too. "vs peer" = engine(/dev/null) / peer.
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const { values: args } = parseArgs({
  options: {
    mib: { type: 'string', default: '64' },
    window: { type: 'string', default: '16' },
    runs: { type: 'string', default: '3' },
    formats: { type: 'string' },
    'no-peers': { type: 'boolean', default: false },
  },
});
const MiB = 1 << 20;
const size = Number(args.mib) * MiB;
const windowSize = Number(args.window) * MiB;
const runs = Number(args.runs);

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(join(tmpdir(), 'mmapx-bench-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

await build({
  entryPoints: [join(root, 'src/format/dump/index.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: join(tmp, 'dump.mjs'),
  logLevel: 'warning',
});
const { createDumper } = await import(pathToFileURL(join(tmp, 'dump.mjs')).href);

const random = Buffer.allocUnsafe(size);
randomFillSync(random);
const zeros = Buffer.alloc(size);
for (let i = 12345; i < size; i += 65536) zeros[i] = 1 + (random[i] % 255);

// Colours as a CLI would pass them (16-colour SGR, chalk-style close).
const colors = {
  null: { open: '\x1b[90m', close: '\x1b[39m' },
  asciiPrintable: { open: '\x1b[36m', close: '\x1b[39m' },
  asciiWhitespace: { open: '\x1b[32m', close: '\x1b[39m' },
  asciiOther: { open: '\x1b[35m', close: '\x1b[39m' },
  nonAscii: { open: '\x1b[33m', close: '\x1b[39m' },
};

// 256-colour codes as hexyl-like palettes use them: longer strings, 32-byte slots in the kernel.
const colors256 = {
  null: { open: '\x1b[38;5;242m', close: '\x1b[0m' },
  asciiPrintable: { open: '\x1b[38;5;6m', close: '\x1b[0m' },
  asciiWhitespace: { open: '\x1b[38;5;2m', close: '\x1b[0m' },
  asciiOther: { open: '\x1b[38;5;5m', close: '\x1b[0m' },
  nonAscii: { open: '\x1b[38;5;3m', close: '\x1b[0m' },
};

const cases = [
  { name: 'canonical', data: 'random', opts: { format: 'canonical' }, peer: ['hexdump', '-C'] },
  { name: 'canonical colour', data: 'random', opts: { format: 'canonical', colors } },
  { name: 'canonical colour256', data: 'random', opts: { format: 'canonical', colors: colors256 } },
  { name: 'canonical -v', data: 'random', opts: { format: 'canonical', squeeze: false } },
  { name: 'xxd', data: 'random', opts: { format: 'xxd' }, peer: ['xxd'] },
  { name: 'xxd -g1', data: 'random', opts: { format: 'xxd', group: 1 }, peer: ['xxd', '-g1'] },
  { name: 'xxd colour', data: 'random', opts: { format: 'xxd', colors } },
  { name: 'plain', data: 'random', opts: { format: 'plain' }, peer: ['xxd', '-p'] },
  { name: 'c', data: 'random', opts: { format: 'c', name: 'in.bin' }, peer: ['xxd', '-i'] },
  { name: 'json', data: 'random', opts: { format: 'json' } },
  { name: 'od (random)', data: 'random', peer: ['od'] },
  { name: 'canonical squeezed', data: 'zeros', opts: { format: 'canonical' }, peer: ['hexdump', '-C'] },
  { name: 'xxd -a', data: 'zeros', opts: { format: 'xxd', autoskip: true }, peer: ['xxd', '-a'] },
  { name: 'od (zeros)', data: 'zeros', peer: ['od'] },
];
const only = args.formats?.split(',');
if (only) for (const name of only) if (!cases.some((c) => c.name === name)) throw new Error(`unknown case '${name}'`);

/** Seconds of CPU (user + system) used so far by this process. */
function cpuSelf() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Seconds of CPU used by waited-for children so far (cutime + cstime, in clock ticks of 1/100 s). */
function cpuChildren() {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

/** Run one dump; returns { cpu, wall } seconds. */
function runEngine(opts, data, sink) {
  const d = createDumper({ start: 0n, ...opts }, sink);
  const c = cpuSelf();
  const t = process.hrtime.bigint();
  for (let i = 0; i < data.length; i += windowSize) d.push(data.subarray(i, i + windowSize));
  d.end();
  return { cpu: cpuSelf() - c, wall: Number(process.hrtime.bigint() - t) / 1e9 };
}

const files = {};
function fileFor(kind) {
  if (!files[kind]) {
    files[kind] = join(tmp, `${kind}.bin`);
    writeFileSync(files[kind], kind === 'random' ? random : zeros);
  }
  return files[kind];
}

function runPeer(argv, kind) {
  const file = fileFor(kind);
  const devnull = openSync('/dev/null', 'w');
  const c = cpuChildren();
  const r = spawnSync(argv[0], [...argv.slice(1), file], { stdio: ['ignore', devnull, 'inherit'] });
  const s = cpuChildren() - c;
  closeSync(devnull);
  if (r.error || r.status !== 0) return undefined;
  return s;
}

const rate = (s) => (s === undefined ? '-' : (size / MiB / s).toFixed(0));
const devnull = openSync('/dev/null', 'w');
let outBytes = 0;
const drop = (chunk) => {
  outBytes += chunk.length;
};
const toNull = (chunk) => {
  writeSync(devnull, chunk);
};

console.log(`node ${process.version}, ${size / MiB} MiB per input, windows of ${windowSize / MiB} MiB, best of ${runs}; MiB/s of CPU time`);
const selected = cases.filter((c) => !only || only.includes(c.name));
// Engine runs go round-robin over the cases, so that a burst of load elsewhere on the machine
// hits one run of many cases rather than every run of one case.
const results = new Map();
for (const c of selected) if (c.opts) runEngine(c.opts, (c.data === 'random' ? random : zeros).subarray(0, 4 * MiB), drop); // warm-up
for (let r = 0; r < runs; r++) {
  for (const c of selected) {
    if (!c.opts) continue;
    const data = c.data === 'random' ? random : zeros;
    const res = results.get(c) ?? { engine: undefined, toDevNull: undefined, out: 0 };
    outBytes = 0;
    const e = runEngine(c.opts, data, drop);
    res.out = outBytes;
    const n = runEngine(c.opts, data, toNull);
    if (!res.engine || e.cpu < res.engine.cpu) res.engine = e;
    if (!res.toDevNull || n.cpu < res.toDevNull.cpu) res.toDevNull = n;
    results.set(c, res);
  }
}
console.log(['case'.padEnd(20), 'data'.padEnd(6), 'engine', '/dev/null', '(wall)', 'out/in', 'peer'.padEnd(10), 'peer', 'vs peer'].join('  '));
for (const c of selected) {
  const { engine, toDevNull, out } = results.get(c) ?? {};
  const peer = c.peer && !args['no-peers'] ? runPeer(c.peer, c.data) : undefined;
  const vs = peer !== undefined && toDevNull !== undefined ? `${(peer / toDevNull.cpu).toFixed(1)}x` : '';
  console.log(
    [
      c.name.padEnd(20),
      c.data.padEnd(6),
      rate(engine?.cpu).padStart(6),
      rate(toDevNull?.cpu).padStart(9),
      rate(toDevNull?.wall).padStart(6),
      (out ? (out / size).toFixed(2) : '').padStart(6),
      (c.peer ? c.peer.join(' ') : '').padEnd(10),
      rate(peer).padStart(4),
      vs.padStart(7),
    ].join('  '),
  );
}
closeSync(devnull);
