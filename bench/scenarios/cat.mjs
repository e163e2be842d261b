// `mmapx cat FILE SKIP:LEN` of a 1 GiB range (64 MiB with --quick) out of a bigger file of random
// bytes, warm cache, into a pipe (`| cat >/dev/null`, the same consumer for everyone: /dev/null
// itself would let mmapx skip reading the pages, since it writes straight from the map), against
// `dd bs=1M skip= count= iflag=skip_bytes,count_bytes` and `tail -c +N | head -c LEN`. Every
// command's output is checked to be the same bytes first. Ratios are peer time / mmapx time.
import { spawnSync } from 'node:child_process';
import { BIN, NODE, fmt, has, interleave, randomFile, scratch, table, warm } from '../lib.mjs';

export async function run({ quick }) {
  const MiB = 1 << 20;
  const length = quick ? 64 * MiB : 1024 * MiB;
  const skip = length / 4 + 12345; // not page-aligned, so the first window starts mid-page
  const size = skip + length + MiB;
  const dir = scratch();
  const file = randomFile(dir, size);
  warm(file);
  const mm = `"${NODE}" "${BIN}" cat "${file}" ${skip}:${length}`;
  const commands = { 'mmapx cat': mm };
  if (has('dd')) commands['dd bs=1M skip_bytes,count_bytes'] = `dd if="${file}" bs=1M skip=${skip} count=${length} iflag=skip_bytes,count_bytes status=none`;
  if (has('tail') && has('head')) commands['tail -c +N | head -c LEN'] = `tail -c +${skip + 1} "${file}" | head -c ${length}`;

  // Same bytes from everyone (sha256sum of each output).
  const sums = Object.entries(commands).map(([name, cmd]) => [name, spawnSync('sh', ['-c', `${cmd} | sha256sum`], { encoding: 'utf8' }).stdout.split(' ')[0]]);
  for (const [name, sum] of sums) {
    if (sum !== sums[0][1]) throw new Error(`${name} gave other bytes than mmapx cat (${sum} vs ${sums[0][1]})`);
  }

  const cases = Object.entries(commands).map(([name, cmd]) => ({ name, cmd: 'sh', args: ['-c', `${cmd} | cat >/dev/null`] }));
  const runs = quick ? 3 : 9;
  const t = interleave(cases, runs, { warmup: 1 });
  const mine = t['mmapx cat'];
  const mib = length / MiB;
  console.log(`${mib} MiB range at offset ${skip} of a ${(size / MiB).toFixed(0)} MiB file, into a pipe, median of ${runs} interleaved runs, warm cache`);
  table(
    cases.map((c) => ({
      case: c.name,
      median: fmt.ms(t[c.name]),
      throughput: fmt.mibs(mib / (t[c.name] / 1000)),
      'peer / mmapx': fmt.ratio(t[c.name] / mine),
    })),
    ['case', 'median', 'throughput', 'peer / mmapx'],
  );
  const ratios = {};
  for (const c of cases.slice(1)) ratios[c.name] = t[c.name] / mine;
  return { length, skip, size, runs, medianMs: t, ratios };
}
