// `mmapx write` of 8 bytes: at 10 GiB into a 16 GiB sparse file vs into a 1 MiB file (the cost must
// not depend on the file size), against `dd conv=notrunc` doing the same write. (Start-up against
// `node -e 0` is the startup scenario.)
import { ftruncateSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, NODE, fmt, has, interleave, scratch, table } from '../lib.mjs';

export async function run({ quick }) {
  const dir = scratch();
  const big = join(dir, 'big16g.bin');
  const small = join(dir, 'small1m.bin');
  const data = join(dir, 'data8.bin');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, 16 * 1024 ** 3);
  closeSync(fd);
  writeFileSync(small, Buffer.alloc(1 << 20));
  writeFileSync(data, Buffer.from('deadbeefcafef00d', 'hex'));
  const G10 = String(10 * 1024 ** 3);
  const runs = quick ? 15 : 40;
  const cases = [
    { name: 'node -e 0', cmd: NODE, args: ['-e', '0'] },
    { name: 'mmapx write 1 MiB file', cmd: NODE, args: [BIN, '-q', 'write', small, '512K', 'deadbeefcafef00d'] },
    { name: 'mmapx write 16 GiB file at 10 GiB', cmd: NODE, args: [BIN, '-q', 'write', big, '10G', 'deadbeefcafef00d'] },
    { name: 'mmapx write --no-sync at 10 GiB', cmd: NODE, args: [BIN, '-q', 'write', '--no-sync', big, '10G', 'cafef00ddeadbeef'] },
  ];
  if (has('dd')) {
    cases.push(
      {
        name: 'dd conv=notrunc at 10 GiB',
        cmd: 'dd',
        args: [`if=${data}`, `of=${big}`, 'bs=8', 'count=1', `seek=${G10}`, 'oflag=seek_bytes', 'conv=notrunc', 'status=none'],
      },
      {
        name: 'dd conv=notrunc,fdatasync at 10 GiB',
        cmd: 'dd',
        args: [`if=${data}`, `of=${big}`, 'bs=8', 'count=1', `seek=${G10}`, 'oflag=seek_bytes', 'conv=notrunc,fdatasync', 'status=none'],
      },
    );
  }
  // Alternate the written value so that every run really writes (and msyncs) a change.
  let flip = false;
  for (const c of cases) {
    if (c.name.startsWith('mmapx write')) {
      const base = c.args.slice(0, -1);
      c.before = () => {
        flip = !flip;
        c.args = [...base, flip ? 'deadbeefcafef00d' : '0011223344556677'];
      };
    }
  }
  const t = interleave(cases, runs);
  const node = t['node -e 0'];
  const rows = cases.map((c) => ({ case: c.name, median: fmt.ms(t[c.name]), 'vs node -e 0': fmt.ratio(t[c.name] / node) }));
  table(rows, ['case', 'median', 'vs node -e 0']);
  const sizeRatio = t['mmapx write 16 GiB file at 10 GiB'] / t['mmapx write 1 MiB file'];
  console.log(`\nwrite at 10 GiB of 16 GiB / write into 1 MiB: ${fmt.ratio(sizeRatio)} (target <= 1.05x)`);
  if (t['dd conv=notrunc at 10 GiB']) {
    console.log(
      `mmapx write / dd conv=notrunc: ${fmt.ratio(t['mmapx write 16 GiB file at 10 GiB'] / t['dd conv=notrunc at 10 GiB'])} (dd has no runtime to start)`,
    );
  }
  return { runs, medianMs: t, ratios: { sizeIndependence: sizeRatio, writeVsNode: t['mmapx write 1 MiB file'] / node } };
}
