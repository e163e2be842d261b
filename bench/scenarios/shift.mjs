// `mmapx delete` of 4 KiB at the start of a 1 GiB file against `dd` + `truncate` doing the same
// shift (dd if=f of=f bs=1M skip=N seek=0 conv=notrunc iflag=skip_bytes oflag=seek_bytes, then
// truncate -s -N): block-aligned (4096: mmapx moves extents) and not (4097: mmapx copies through
// maps, journaled, staged), with the ratios and each command's peak RSS (GNU time's maxrss, which
// counts mapped file pages). Each run starts after a sync (no run pays for the writeback of the one
// before); mmapx fsyncs before it exits, so dd with conv=fsync is shown too. Target: aligned delete
// >= 1.5x faster than dd + truncate. Without
// --quick, also the peak RSS of an unaligned delete and insert on a 4 GiB file (target <= 100 MiB).
// MMAPX_BENCH_SHIFT_SIZE=256M (or 1G, 4G) sets the size of the first file.
import { spawnSync } from 'node:child_process';
import { ftruncateSync, openSync, closeSync, statSync, unlinkSync } from 'node:fs';
import { BENCH_ENV, BIN, NODE, fmt, has, median, randomFile, scratch, table, warm } from '../lib.mjs';

function size(text) {
  const m = /^(\d+)([KMG]?)$/i.exec(text);
  if (!m) throw new Error(`bad size ${text}`);
  return Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase()];
}

/** Runs `sh -c script` under GNU time: wall ms and peak RSS in KiB. */
function timed(script) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', 'sh', '-c', script], { env: BENCH_ENV, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr}`);
  const kib = Number(r.stderr.trim().split('\n').at(-1));
  return { ms, kib };
}

const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

export async function run({ quick }) {
  const dir = scratch();
  const bytes = size(process.env.MMAPX_BENCH_SHIFT_SIZE ?? (quick ? '256M' : '1G'));
  const f = randomFile(dir, bytes, 'shift.bin');
  warm(f);
  const runs = quick ? 3 : 5;
  const regrow = () => {
    // Each delete shortens the file: give it its size back (zeros at the end) before the next run.
    const fd = openSync(f, 'r+');
    ftruncateSync(fd, bytes);
    closeSync(fd);
  };
  const mm = (n) => `${q(NODE)} ${q(BIN)} -q delete ${q(f)} 0:${n}`;
  const dd = (n) => `dd if=${q(f)} of=${q(f)} bs=1M skip=${n} seek=0 conv=notrunc iflag=skip_bytes oflag=seek_bytes status=none && truncate -s -${n} ${q(f)}`;
  const cases = [
    { name: 'mmapx delete 0:4096', script: mm(4096) },
    { name: 'dd + truncate 4096', script: dd(4096), peer: true },
    { name: 'mmapx delete 0:4097', script: mm(4097) },
    { name: 'dd + truncate 4097', script: dd(4097), peer: true },
    // mmapx fsyncs the file before its journal goes (the shift is durable when it exits); dd does not.
    { name: 'dd,fsync + truncate 4097', script: dd(4097).replace('conv=notrunc', 'conv=notrunc,fsync'), peer: true },
  ].filter((c) => !c.peer || has('dd'));
  const times = Object.fromEntries(cases.map((c) => [c.name, []]));
  const rss = Object.fromEntries(cases.map((c) => [c.name, 0]));
  for (let i = 0; i < runs + 1; i++) {
    for (const c of cases) {
      regrow();
      // Every command starts from a clean page cache state: no run pays for the previous one's writeback.
      spawnSync('sync');
      const r = timed(c.script);
      if (i > 0) times[c.name].push(r.ms);
      rss[c.name] = Math.max(rss[c.name], r.kib);
    }
  }
  const t = Object.fromEntries(cases.map((c) => [c.name, median(times[c.name])]));
  const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;
  table(
    cases.map((c) => ({ case: c.name, median: fmt.ms(t[c.name]), 'peak RSS': mib(rss[c.name]) })),
    ['case', 'median', 'peak RSS'],
  );
  const ratios = {};
  for (const n of [4096, 4097]) {
    const peer = t[`dd + truncate ${n}`];
    if (peer) {
      ratios[n] = peer / t[`mmapx delete 0:${n}`];
      console.log(`dd + truncate / mmapx delete, ${n} bytes of ${bytes} at the start: ${fmt.ratio(ratios[n])} faster${n === 4096 ? ' (target >= 1.5x)' : ''}`);
    }
  }
  const result = { size: bytes, runs, medianMs: t, peakRssKiB: rss, ratios };
  if (!quick) {
    // Flat memory on a larger file: one unaligned delete and one unaligned insert of 4 GiB.
    unlinkSync(f);
    const big = randomFile(dir, 4 * 1024 ** 3, 'shift4g.bin');
    const del = timed(`${q(NODE)} ${q(BIN)} -q delete ${q(big)} 1001:4097`);
    const ins = timed(`${q(NODE)} ${q(BIN)} -q insert ${q(big)} 1001 --fill 0x5a --length 4097`);
    if (statSync(big).size !== 4 * 1024 ** 3) throw new Error('the 4 GiB file did not get its size back');
    console.log(`4 GiB, unaligned: delete ${fmt.ms(del.ms)} peak RSS ${mib(del.kib)}; insert ${fmt.ms(ins.ms)} peak RSS ${mib(ins.kib)} (target <= 100 MiB)`);
    result.rss4g = { deleteKiB: del.kib, insertKiB: ins.kib, deleteMs: del.ms, insertMs: ins.ms };
    unlinkSync(big);
  }
  return result;
}
