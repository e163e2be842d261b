// `mmapx hash` of a 1 GiB file of random bytes (128 MiB with --quick), warm cache, against the
// coreutils tools for the same algorithm (sha256sum, sha1sum, md5sum) and, for crc32, a Python
// loop over zlib.crc32 in 1 MiB reads. Every digest is checked against the peer's first. Ratios
// are peer time / mmapx time from the same interleaved run.
import { spawnSync } from 'node:child_process';
import { BIN, NODE, fmt, has, interleave, randomFile, scratch, table, warm } from '../lib.mjs';

const PY_CRC32 = `
import sys, zlib
c = 0
with open(sys.argv[1], 'rb') as f:
    for b in iter(lambda: f.read(1 << 20), b''):
        c = zlib.crc32(b, c)
print('%08x' % c)
`;

export async function run({ quick }) {
  const MiB = 1 << 20;
  const size = quick ? 128 * MiB : 1024 * MiB;
  const dir = scratch();
  const file = randomFile(dir, size);
  warm(file);
  const pairs = [];
  for (const [algo, tool] of [
    ['sha256', 'sha256sum'],
    ['sha1', 'sha1sum'],
    ['md5', 'md5sum'],
  ]) {
    if (has(tool)) pairs.push({ algo, peer: { name: tool, cmd: tool, args: [file] } });
  }
  if (has('python3')) pairs.push({ algo: 'crc32', peer: { name: 'python3 zlib.crc32', cmd: 'python3', args: ['-c', PY_CRC32, file] } });
  const cases = [];
  for (const { algo, peer } of pairs) {
    const mine = { name: `mmapx hash --algo ${algo}`, cmd: NODE, args: [BIN, 'hash', file, '--algo', algo] };
    const ours = spawnSync(mine.cmd, mine.args, { encoding: 'utf8' }).stdout.split(' ')[0];
    const theirs = spawnSync(peer.cmd, peer.args, { encoding: 'utf8' }).stdout.trim().split(' ')[0];
    if (ours !== theirs) throw new Error(`${algo}: mmapx says ${ours}, ${peer.name} says ${theirs}`);
    cases.push({ ...mine, capture: true }, { ...peer, capture: true });
  }
  const runs = quick ? 3 : 7;
  const t = interleave(cases, runs, { warmup: 1 });
  const mib = size / MiB;
  console.log(`${mib} MiB file, median of ${runs} interleaved runs, warm cache`);
  const rows = [];
  const ratios = {};
  for (let i = 0; i < cases.length; i += 2) {
    const [mine, peer] = [cases[i], cases[i + 1]];
    ratios[`${peer.name} / ${mine.name}`] = t[peer.name] / t[mine.name];
    for (const c of [mine, peer])
      rows.push({
        case: c.name,
        median: fmt.ms(t[c.name]),
        throughput: fmt.mibs(mib / (t[c.name] / 1000)),
        'peer / mmapx': c === peer ? fmt.ratio(t[peer.name] / t[mine.name]) : '',
      });
  }
  table(rows, ['case', 'median', 'throughput', 'peer / mmapx']);
  return { size, runs, medianMs: t, ratios };
}
