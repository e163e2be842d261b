// A patch costs what it changes. (1) One guarded 8-byte hunk (`--edit OFFSET:OLD=NEW`, default
// options: the undo journal, the syncs, no whole-file hash) at 10 GiB of a 16 GiB sparse file vs
// at 512 KiB of a 1 MiB file: the ratio must not depend on the file size (target <= 1.05x).
// (2) The same hunk with `--hash` (sha256 of the file before and after, one read for both) into a
// 1 GiB file of random bytes, warm cache, vs one `sha256sum` of that file (target <= 1.3x).
import { closeSync, ftruncateSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, NODE, fmt, has, interleave, randomFile, scratch, table, warm } from '../lib.mjs';

const X = 'deadbeefcafef00d';
const Y = '0011223344556677';

/** A guarded hunk of 8 bytes at `offset` that flips between X and Y, so each run really writes. */
function flipping(name, file, offset, extra = []) {
  const c = { name, cmd: NODE, args: [] };
  // The 8 bytes there now (zeros in the sparse and the zero-filled files).
  const fd = openSync(file, 'r');
  const now = Buffer.alloc(8);
  readSync(fd, now, 0, 8, offset);
  closeSync(fd);
  let state = now.toString('hex');
  c.before = () => {
    const to = state === X ? Y : X;
    c.args = [BIN, '-q', 'patch', file, '--edit', `${offset}:${state}=${to}`, ...extra];
    state = to;
  };
  return c;
}

export async function run({ quick }) {
  const dir = scratch();
  const big = join(dir, 'big16g.bin');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, 16 * 1024 ** 3);
  closeSync(fd);
  const small = join(dir, 'small1m.bin');
  writeFileSync(small, Buffer.alloc(1 << 20));
  const runs = quick ? 11 : 31;
  const cost = [flipping('patch, 1 MiB file at 512K', small, 512 * 1024), flipping('patch, 16 GiB sparse file at 10G', big, 10 * 1024 ** 3)];
  const t = interleave(cost, runs);
  const sizeRatio = t['patch, 16 GiB sparse file at 10G'] / t['patch, 1 MiB file at 512K'];
  table(
    cost.map((c) => ({ case: c.name, median: fmt.ms(t[c.name]) })),
    ['case', 'median'],
  );
  console.log(`\none guarded hunk, 16 GiB sparse / 1 MiB: ${fmt.ratio(sizeRatio)} (target <= 1.05x), median of ${runs} interleaved runs`);

  const ratios = { sizeIndependence: sizeRatio };
  const medianMs = { ...t };
  if (has('sha256sum')) {
    const size = quick ? 256 << 20 : 1 << 30;
    const file = randomFile(dir, size);
    warm(file);
    const hashRuns = quick ? 3 : 7;
    const cases = [flipping('patch --hash (sha256 before and after)', file, size >> 1, ['--hash']), { name: 'sha256sum', cmd: 'sha256sum', args: [file] }];
    const h = interleave(cases, hashRuns, { warmup: 1 });
    Object.assign(medianMs, h);
    ratios.hashVsSha256sum = h['patch --hash (sha256 before and after)'] / h.sha256sum;
    console.log('');
    table(
      cases.map((c) => ({ case: c.name, median: fmt.ms(h[c.name]), 'vs sha256sum': fmt.ratio(h[c.name] / h.sha256sum) })),
      ['case', 'median', 'vs sha256sum'],
    );
    console.log(
      `\npatch --hash of ${size / 2 ** 20} MiB / sha256sum: ${fmt.ratio(ratios.hashVsSha256sum)} (target <= 1.3x), median of ${hashRuns} interleaved runs, warm cache`,
    );
  }
  return { runs, medianMs, ratios };
}
