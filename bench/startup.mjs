// Start-up time of the standalone executable and of the npm bundle, each as a ratio against
// `node -e 0` of the same Node, measured in the same run (rounds interleave every command, so
// drift hits all alike). Whole process wall time, median of N runs after warm-up.
//
//   npm run build && npm run pkg && node bench/startup.mjs [--runs 40] [--json]
//
// The environment is pinned (no NODE_OPTIONS, no NODE_EXTRA_CA_CERTS: the latter alone costs
// Node 20 tens of milliseconds), and the executable's module cache is warm, as after a first run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { root } from '../scripts/esbuild-options.mjs';
import { seaNode } from '../scripts/sea-node.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '40' }, json: { type: 'boolean', default: false } } });
const runs = Number(values.runs);
const WARMUP = 3;

const sea = join(root, 'dist', `mmapx-linux-${process.arch}`);
const bin = join(root, 'bin/mmapx.js');
for (const f of [sea, join(root, 'dist/cli.cjs')]) {
  if (!existsSync(f)) {
    console.error(`${relative(root, f)} is missing: run "npm run build && npm run pkg" first`);
    process.exit(2);
  }
}

const work = mkdtempSync(join(tmpdir(), 'mmapx-bench-'));
const file = join(work, 'target.bin');
writeFileSync(file, Buffer.alloc(4096));
const env = { PATH: '/usr/bin:/bin', HOME: work, LANG: 'C', MMAPX_CACHE_DIR: join(work, 'cache') };
// --no-sync: the msync is disk latency, not start-up (and the page is only dirtied, never flushed).
const write8 = ['write', file, '0', '0011223344556677', '--no-sync'];

const node24 = seaNode(process.arch);
const version = (node) => spawnSync(node, ['--version'], { encoding: 'utf8', env }).stdout.trim();
const nodes = [
  { id: 'node24', path: node24, version: version(node24) },
  { id: 'machine', path: process.execPath, version: process.version },
];

/** What is measured; `base` names the `node -e 0` it is compared with. */
const cases = [];
for (const n of nodes) {
  cases.push({ name: `node ${n.version} -e 0`, base: n.id, cmd: [n.path, '-e', '0'], baseline: true });
  if (n.id === 'node24') {
    cases.push({ name: 'executable --version', base: n.id, cmd: [sea, '--version'] });
    cases.push({ name: 'executable write 8 bytes', base: n.id, cmd: [sea, ...write8] });
  }
  cases.push({ name: `npm bundle on ${n.version}: --version`, base: n.id, cmd: [n.path, bin, '--version'] });
  cases.push({ name: `npm bundle on ${n.version}: write 8 bytes`, base: n.id, cmd: [n.path, bin, ...write8] });
}

function once(cmd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')}: status ${r.status}: ${r.stderr}`);
  return ms;
}

const samples = cases.map(() => []);
for (let round = 0; round < WARMUP + runs; round++) {
  cases.forEach((c, i) => {
    const ms = once(c.cmd);
    if (round >= WARMUP) samples[i].push(ms);
  });
}
rmSync(work, { recursive: true, force: true });

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const results = cases.map((c, i) => {
  const s = samples[i].sort((a, b) => a - b);
  return { name: c.name, node: nodes.find((n) => n.id === c.base).version, median: quantile(s, 0.5), min: s[0], p90: quantile(s, 0.9) };
});
const baseOf = (c) => results[cases.findIndex((b) => b.baseline && b.base === c.base)].median;
results.forEach((r, i) => {
  r.ratio = r.median / baseOf(cases[i]);
});

if (values.json) {
  const round2 = (x) => Math.round(x * 100) / 100;
  const out = results.map((r) => ({ ...r, median: round2(r.median), min: round2(r.min), p90: round2(r.p90), ratio: round2(r.ratio) }));
  console.log(JSON.stringify({ benchmark: 'startup', unit: 'ms', runs, platform: `${process.platform}-${process.arch}`, results: out }, null, 2));
} else {
  const w = Math.max(...results.map((r) => r.name.length));
  console.log(`start-up, whole process, ${runs} runs after ${WARMUP} warm-up (${process.platform}-${process.arch})`);
  console.log(`${'command'.padEnd(w)}  median ms   min ms   p90 ms  ratio vs node -e 0 of the same Node`);
  for (const r of results) {
    const ratio = `${r.ratio.toFixed(2)}x`;
    console.log(`${r.name.padEnd(w)}  ${r.median.toFixed(1).padStart(9)}  ${r.min.toFixed(1).padStart(7)}  ${r.p90.toFixed(1).padStart(7)}  ${ratio.padStart(6)}`);
  }
}
