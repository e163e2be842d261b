// `mmapx diff --format cmp A B` of two files of random bytes that differ almost everywhere (1 GiB
// each; 64 MiB with --quick; MMAPX_BENCH_DIFF_MIB overrides), warm cache, into a pipe (`| cat
// >/dev/null`: GNU cmp notices a /dev/null stdout and stops at the first difference), against
// `cmp -l A B`, the peer whose output it reproduces byte for byte (checked first, on 4 MiB of the
// files). Also the native format (no peer). Each command's peak RSS comes from /usr/bin/time -f %M
// in the same run: the point is that it stays flat (target <= 100 MiB) however much differs.
// Ratios are peer time / mmapx time.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_ENV, BIN, NODE, fmt, has, interleave, randomFile, scratch, table, warm } from '../lib.mjs';

/** Peak RSS in MiB of `sh -c cmd` (the shell's largest child: the measured command). */
function peakRss(cmd) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', 'sh', '-c', `${cmd} | cat >/dev/null`], {
    encoding: 'utf8',
    env: BENCH_ENV,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return Number(r.stderr.trim().split('\n').pop()) / 1024;
}

function head(path, n, name, dir) {
  const buf = Buffer.alloc(n);
  const fd = openSync(path, 'r');
  readSync(fd, buf, 0, n, 0);
  closeSync(fd);
  const out = join(dir, name);
  writeFileSync(out, buf);
  return out;
}

export async function run({ quick }) {
  const MiB = 1 << 20;
  const size = Number(process.env.MMAPX_BENCH_DIFF_MIB ?? (quick ? 64 : 1024)) * MiB;
  const dir = scratch();
  const a = randomFile(dir, size, 'a.bin');
  const b = randomFile(dir, size, 'b.bin');
  warm(a);
  warm(b);

  // Same output as cmp -l, on the first 4 MiB.
  const a4 = head(a, Math.min(size, 4 * MiB), 'a4.bin', dir);
  const b4 = head(b, Math.min(size, 4 * MiB), 'b4.bin', dir);
  if (has('cmp')) {
    const ours = spawnSync(NODE, [BIN, 'diff', '--format', 'cmp', a4, b4], { env: BENCH_ENV, maxBuffer: 1 << 30 }).stdout;
    const theirs = spawnSync('cmp', ['-l', a4, b4], { env: BENCH_ENV, maxBuffer: 1 << 30 }).stdout;
    if (!ours.equals(theirs)) throw new Error('mmapx diff --format cmp and cmp -l disagree on the first 4 MiB');
  }

  const commands = { 'mmapx diff --format cmp': `"${NODE}" "${BIN}" diff --format cmp "${a}" "${b}"` };
  if (has('cmp')) commands['cmp -l'] = `cmp -l "${a}" "${b}"`;
  commands['mmapx diff (native)'] = `"${NODE}" "${BIN}" diff "${a}" "${b}"`;
  // The pipeline's status is cat's: cmp -l exits 1 when the files differ.
  const cases = Object.entries(commands).map(([name, cmd]) => ({ name, cmd: 'sh', args: ['-c', `${cmd} | cat >/dev/null`] }));
  const runs = quick ? 3 : 1;
  const t = interleave(cases, runs, { warmup: quick ? 1 : 0 });
  const rss = {};
  if (has('/usr/bin/time')) for (const [name, cmd] of Object.entries(commands)) rss[name] = peakRss(cmd);
  const mib = size / MiB;
  console.log(`two ${mib} MiB files of random bytes (differing in ~255 of 256 bytes), into a pipe, median of ${runs} interleaved run(s), warm cache`);
  const mine = t['mmapx diff --format cmp'];
  table(
    cases.map((c) => ({
      case: c.name,
      median: fmt.ms(t[c.name]),
      throughput: fmt.mibs(mib / (t[c.name] / 1000)),
      'peer / mmapx cmp': c.name === 'cmp -l' ? fmt.ratio(t[c.name] / mine) : '',
      'peak RSS': rss[c.name] === undefined ? 'n/a' : `${rss[c.name].toFixed(0)} MiB`,
    })),
    ['case', 'median', 'throughput', 'peer / mmapx cmp', 'peak RSS'],
  );
  const ratios = t['cmp -l'] === undefined ? {} : { 'cmp -l / mmapx diff --format cmp': t['cmp -l'] / mine };
  for (const [name, v] of Object.entries(rss)) if (name.startsWith('mmapx')) console.log(`peak RSS ${name}: ${v.toFixed(0)} MiB (target <= 100 MiB)`);
  return { sizeMiB: mib, runs, medianMs: t, ratios, peakRssMiB: rss };
}
