// Start-up (issue 13 §2): every command that does little work, as a ratio against `node -e 0` of
// the same Node, for the npm package on this machine's Node, on Node 22 and on Node 24 (installed
// from npm into .cache/ the first time), and for the standalone executable against the Node it
// embeds (built by `npm run pkg`; its column is skipped when it is not there). Rounds interleave
// every case of every Node so that drift on a shared machine hits all alike. The target: at most
// 1.15x on every Node, at most 1.0x for the executable.
//
// The npm package keeps V8's compiled code in a cache directory (src/cli/codecache.ts): the bench
// uses a fresh one, made by the warm-up runs, as a user's second and later runs find it.
import { writeFileSync, writeSync, openSync, closeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { npmNode, seaNode } from '../../scripts/sea-node.mjs';
import { BENCH_ENV, BIN, NODE, ROOT, fmt, interleave, scratch, table } from '../lib.mjs';

export async function run({ quick }) {
  const dir = scratch();
  const file = join(dir, 'target.bin');
  writeFileSync(file, Buffer.alloc(4096));
  const env = { ...BENCH_ENV, MMAPX_CACHE_DIR: join(dir, 'cache') };
  // Each patch run finds byte 0 at 00 and makes it 01: a real one-hunk patch with its journal.
  const resetByte = () => {
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.of(0), 0, 1, 0);
    closeSync(fd);
  };
  const commands = [
    { name: '--version', args: ['--version'] },
    // --no-sync: the msync is disk latency, not start-up.
    { name: 'write 8 bytes', args: ['write', '-q', '--no-sync', file, '0', '0011223344556677'] },
    { name: 'flush', args: ['flush', file] },
    { name: 'protect ro', args: ['protect', file, 'ro'] },
    { name: 'info', args: ['info', file] },
    { name: 'hash of 4 KiB', args: ['hash', file] },
    { name: 'hexdump of 64 bytes', args: ['hexdump', file, '-n', '64'] },
    { name: 'patch of one hunk', args: ['patch', '-q', file, '--edit', '0:00=01'], before: resetByte },
  ];
  const major = process.versions.node.split('.')[0];
  const node24 = seaNode(process.arch);
  const groups = [{ label: `node ${process.version}`, node: NODE }];
  if (major !== '22') groups.push({ label: 'node 22', node: npmNode('22') });
  if (major !== '24') groups.push({ label: 'node 24', node: node24 });
  const sea = join(ROOT, 'dist', `mmapx-linux-${process.arch}`);
  if (existsSync(sea)) groups.push({ label: 'executable', node: node24, sea });
  else console.log('(standalone executable not built: run "npm run pkg" to include it)');

  const cases = [];
  for (const g of groups) {
    const base = `${g.label}: node -e 0`;
    if (!g.sea) cases.push({ name: base, group: g.label, command: 'node -e 0', cmd: g.node, args: ['-e', '0'], env });
    g.base = g.sea ? `node 24: node -e 0` : base;
    for (const c of commands) {
      const cmd = g.sea ? g.sea : g.node;
      const args = g.sea ? c.args : [BIN, ...c.args];
      cases.push({ name: `${g.label}: ${c.name}`, group: g.label, command: c.name, cmd, args, env, before: c.before });
    }
  }
  // The executable's base is Node 24's `node -e 0`: make sure it is measured.
  if (groups.some((g) => g.sea) && !cases.some((c) => c.name === 'node 24: node -e 0')) {
    cases.push({ name: 'node 24: node -e 0', group: 'node 24', command: 'node -e 0', cmd: node24, args: ['-e', '0'], env });
  }
  const t = interleave(cases, quick ? 10 : 30, { warmup: 3 });
  const rows = ['node -e 0', ...commands.map((c) => c.name)].map((command) => {
    const row = { command };
    for (const g of groups) {
      const ms = t[`${g.label}: ${command}`];
      row[g.label] = ms === undefined ? '' : `${fmt.ratio(ms / t[g.base])} (${fmt.ms(ms)})`;
    }
    return row;
  });
  table(rows, ['command', ...groups.map((g) => g.label)]);
  const ratios = {};
  for (const g of groups) for (const c of commands) ratios[`${g.label}: ${c.name}`] = t[`${g.label}: ${c.name}`] / t[g.base];
  return { medianMs: t, ratios };
}
