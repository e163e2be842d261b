// Start-up: `mmapx --version` and a small `write` as ratios against `node -e 0` of the same Node,
// for the npm bundle on this machine's Node and on Node 24, and for the standalone executable
// (built by `npm run pkg`; its rows are skipped when it is not there). Rounds interleave every
// command so that drift on a shared machine hits all alike.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seaNode } from '../../scripts/sea-node.mjs';
import { BENCH_ENV, BIN, NODE, ROOT, fmt, interleave, scratch, table } from '../lib.mjs';

export async function run({ quick }) {
  const dir = scratch();
  const file = join(dir, 'target.bin');
  writeFileSync(file, Buffer.alloc(4096));
  const env = { ...BENCH_ENV, MMAPX_CACHE_DIR: join(dir, 'cache') };
  // --no-sync: the msync is disk latency, not start-up.
  const write8 = ['write', '-q', '--no-sync', file, '0', '0011223344556677'];
  const sea = join(ROOT, 'dist', `mmapx-linux-${process.arch}`);
  const node24 = seaNode(process.arch);
  const groups = [
    { node: NODE, label: `node ${process.version}`, sea: false },
    { node: node24, label: 'node 24', sea: existsSync(sea) },
  ];
  const cases = [];
  for (const g of groups) {
    cases.push({ name: `${g.label} -e 0`, base: `${g.label} -e 0`, cmd: g.node, args: ['-e', '0'], env });
    cases.push({ name: `${g.label}: mmapx --version`, base: `${g.label} -e 0`, cmd: g.node, args: [BIN, '--version'], env });
    cases.push({ name: `${g.label}: mmapx write 8 bytes`, base: `${g.label} -e 0`, cmd: g.node, args: [BIN, ...write8], env });
    if (g.sea) {
      cases.push({ name: 'executable --version', base: `${g.label} -e 0`, cmd: sea, args: ['--version'], env });
      cases.push({ name: 'executable write 8 bytes', base: `${g.label} -e 0`, cmd: sea, args: write8, env });
    }
  }
  if (!groups[1].sea) console.log('(standalone executable not built: run "npm run pkg" to include it)');
  const t = interleave(cases, quick ? 15 : 40, { warmup: 3 });
  const rows = cases.map((c) => ({ case: c.name, median: fmt.ms(t[c.name]), 'vs node -e 0 (same Node)': fmt.ratio(t[c.name] / t[c.base]) }));
  table(rows, ['case', 'median', 'vs node -e 0 (same Node)']);
  return { medianMs: t, ratios: Object.fromEntries(cases.map((c) => [c.name, t[c.name] / t[c.base]])) };
}
