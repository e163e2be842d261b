// The dumps of issue 19 against their peers in one run, interleaved, warm page cache, output to
// /dev/null, ratios printed (> 1x: mmapx is faster):
// - `hexdump -f od -v` vs `od -A x -t x1z -v`, `-f hexdump-x -v` vs `hexdump -x -v`, `-f xxd -b`
//   vs `xxd -b` (random bytes);
// - `unhex` vs `xxd -r` (an xxd dump of random bytes back into a file);
// - `hash` of a pipe vs `sha256sum` of the same pipe;
// - `hexdump -f xxd` and `hexdump` (-C) into a pipe to `cat > /dev/null` vs `xxd` and `hexdump -C`
//   into the same (issue 13: a pipe, not /dev/null, is where a dump usually goes);
// - `diff --format side` vs `cmp -l` on a 16 GiB sparse pair with three differences (holes both
//   files share are skipped);
// and the peak RSS of `write --stdin` of 100 MiB through a pipe (was 356 MiB before streaming).
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_ENV, BIN, NODE, fmt, has, interleave, randomFile, scratch, table, warm } from '../lib.mjs';

const MiB = 1024 * 1024;

export async function run({ quick }) {
  const dir = scratch();
  const size = (quick ? 16 : 64) * MiB;
  const random = randomFile(dir, size);
  warm(random);
  const runs = quick ? 1 : 3;
  const rows = [];
  const ratios = {};
  /** Times mmapx and its peer interleaved; the ratio is peer time over mmapx time. */
  const pair = (label, ours, peer, opts = {}) => {
    if (!has(peer.cmd)) return console.log(`${label}: ${peer.cmd} is not installed, skipped`);
    const t = interleave(
      [
        { name: 'mmapx', ...ours, ...opts },
        { name: 'peer', ...peer, ...opts },
      ],
      runs,
      { warmup: 1 },
    );
    ratios[label] = t.peer / t.mmapx;
    rows.push({ case: label, mmapx: fmt.ms(t.mmapx), peer: fmt.ms(t.peer), ratio: fmt.ratio(ratios[label]) });
  };
  const sh = (script) => ({ cmd: 'sh', args: ['-c', script] });
  const M = `"${NODE}" "${BIN}"`;

  pair('hexdump -f od -v / od -A x -t x1z -v', sh(`${M} hexdump -f od -v ${random} > /dev/null`), sh(`od -A x -t x1z -v ${random} > /dev/null`));
  pair('hexdump -f hexdump-x -v / hexdump -x -v', sh(`${M} hexdump -f hexdump-x -v ${random} > /dev/null`), sh(`hexdump -x -v ${random} > /dev/null`));
  pair('hexdump -f xxd -b / xxd -b', sh(`${M} hexdump -f xxd -b ${random} > /dev/null`), sh(`xxd -b ${random} > /dev/null`));

  if (has('xxd')) {
    const dump = join(dir, 'random.xxd');
    spawnSync('sh', ['-c', `xxd ${random} > ${dump}`]);
    warm(dump);
    pair('unhex / xxd -r', sh(`${M} unhex ${dump} -o ${dir}/out1.bin`), sh(`xxd -r ${dump} ${dir}/out2.bin`));
  }
  if (has('xxd')) pair('hexdump -f xxd | cat / xxd | cat', sh(`${M} hexdump -f xxd ${random} | cat > /dev/null`), sh(`xxd ${random} | cat > /dev/null`));
  if (has('hexdump')) pair('hexdump | cat / hexdump -C | cat', sh(`${M} hexdump ${random} | cat > /dev/null`), sh(`hexdump -C ${random} | cat > /dev/null`));
  pair('hash of a pipe / sha256sum of a pipe', sh(`cat ${random} | ${M} hash > /dev/null`), sh(`cat ${random} | sha256sum > /dev/null`));

  // 16 GiB sparse pair, three single-byte differences.
  const a = join(dir, 'a16g.bin');
  const b = join(dir, 'b16g.bin');
  for (const [path, byte] of [
    [a, 1],
    [b, 2],
  ]) {
    const fd = openSync(path, 'w');
    for (const at of [4096, 8 * 1024 ** 3, 16 * 1024 ** 3 - 10]) writeSync(fd, Buffer.from([byte]), 0, 1, at);
    ftruncateSync(fd, 16 * 1024 ** 3);
    closeSync(fd);
  }
  // cmp reads every byte of 32 GiB: once, not interleaved (minutes), and only outside --quick.
  const sideMs = interleave([{ name: 'side', ...sh(`${M} diff ${a} ${b} --format side > /dev/null`) }], runs, { warmup: 1 }).side;
  if (!quick && has('cmp')) {
    const cmpMs = interleave([{ name: 'cmp', ...sh(`cmp -l ${a} ${b} > /dev/null; true`) }], 1, { warmup: 0 }).cmp;
    ratios['diff --format side / cmp -l (16 GiB sparse)'] = cmpMs / sideMs;
    rows.push({ case: 'diff --format side / cmp -l (16 GiB sparse)', mmapx: fmt.ms(sideMs), peer: fmt.ms(cmpMs), ratio: fmt.ratio(cmpMs / sideMs) });
  } else {
    rows.push({ case: 'diff --format side (16 GiB sparse)', mmapx: fmt.ms(sideMs) });
  }
  table(rows, ['case', 'mmapx', 'peer', 'ratio']);

  let writeRssMiB;
  if (has('/usr/bin/time')) {
    const target = join(dir, 'target100.bin');
    writeFileSync(target, Buffer.alloc(0));
    spawnSync('truncate', ['-s', '100M', target]);
    const r = spawnSync('sh', ['-c', `head -c 104857600 ${random} | /usr/bin/time -f %M ${M} write ${target} 0 --stdin -q`], {
      encoding: 'utf8',
      env: BENCH_ENV,
    });
    writeRssMiB = Number(r.stderr.trim().split('\n').pop()) / 1024;
    console.log(`\nwrite --stdin of ${Math.min(100, size / MiB)} MiB through a pipe: peak RSS ${writeRssMiB.toFixed(0)} MiB`);
  }
  return { ratios, writeRssMiB };
}
