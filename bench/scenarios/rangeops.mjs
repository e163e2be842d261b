// The range overwrites (fill/copy/move/transform share one engine, src/edit/overwrite.ts):
// `transform xor` over 1 GiB in GB/s, with and without the undo journal, and `copy` of 512 MiB
// within the file against `dd conv=notrunc,fdatasync` doing the same copy, in one run. The disk's
// own write speed (dd from /dev/zero with fdatasync) is measured beside them: an in-place change
// that is durable before the command returns cannot be faster than writing its bytes. One more
// run of each mmapx case with --json shows where the time goes (journal, write, writeback,
// fdatasync, cleanup). --quick: 256 MiB and 128 MiB.
//
// Every run changes the bytes it covers: xor 5a alternates the range between two states, and
// the copies alternate their source between two different regions, so that no run is "already".
//
// The peer of the xor: python3 doing the same xor in place, as fast as plain Python does it (each
// 8 MiB read with os.pread, xored as one big integer, written back with os.pwrite, one fdatasync),
// so that the ratio says how the default `mmapx transform` (journaled, crash-safe) compares with
// an unguarded script.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BENCH_ENV, BIN, NODE, fmt, has, interleave, randomFile, scratch, table } from '../lib.mjs';

const MiB = 1024 * 1024;

export async function run({ quick }) {
  const dir = scratch();
  const H = (quick ? 128 : 512) * MiB; // a copy's length
  const X = (quick ? 256 : 1024) * MiB; // the xor's range
  // Three regions of H random bytes (sources A and B, destination C), and the xor range from 0.
  const size = Math.max(3 * H, X);
  const file = randomFile(dir, size, 'range.bin');
  const runs = quick ? 1 : 3;
  const warmup = 1;
  const xorArgs = (journal, sync = true) => [
    BIN,
    '-q',
    'transform',
    file,
    `0:${X}`,
    'xor',
    '5a',
    ...(journal ? [] : ['--no-journal']),
    ...(sync ? [] : ['--no-sync']),
  ];
  let flip = false;
  const cases = [
    { name: `mmapx transform xor ${X / MiB} MiB, no journal`, cmd: NODE, args: xorArgs(false) },
    { name: `mmapx transform xor ${X / MiB} MiB, journal (default options)`, cmd: NODE, args: xorArgs(true) },
    // In the page cache only: what the edit itself costs, without waiting for the disk.
    { name: `mmapx transform xor ${X / MiB} MiB, no journal, --no-sync`, cmd: NODE, args: xorArgs(false, false) },
    {
      name: `mmapx copy ${H / MiB} MiB, journal`,
      cmd: NODE,
      args: [],
      before() {
        flip = !flip;
        this.args = [BIN, '-q', 'copy', file, `${flip ? 0 : H}:${H}`, String(2 * H)];
      },
    },
    {
      name: `mmapx copy ${H / MiB} MiB, no journal`,
      cmd: NODE,
      args: [],
      before() {
        flip = !flip;
        this.args = [BIN, '-q', 'copy', file, `${flip ? 0 : H}:${H}`, String(2 * H), '--no-journal'];
      },
    },
  ];
  const PY_XOR = [
    'import os, sys',
    'path, n = sys.argv[1], int(sys.argv[2])',
    'fd = os.open(path, os.O_RDWR)',
    'W = 8 << 20',
    'key = int.from_bytes(bytes([0x5a]) * W, "little")',
    'off = 0',
    'while off < n:',
    '    m = min(W, n - off)',
    '    k = key if m == W else int.from_bytes(bytes([0x5a]) * m, "little")',
    '    b = os.pread(fd, m, off)',
    '    os.pwrite(fd, (int.from_bytes(b, "little") ^ k).to_bytes(m, "little"), off)',
    '    off += m',
    'os.fdatasync(fd)',
  ].join('\n');
  const pyName = `python3 xor in place ${X / MiB} MiB, fdatasync (no journal)`;
  if (has('python3')) cases.push({ name: pyName, cmd: 'python3', args: ['-c', PY_XOR, file, String(X)] });
  if (has('dd')) {
    cases.push(
      {
        name: `dd conv=notrunc,fdatasync copy ${H / MiB} MiB`,
        cmd: 'dd',
        args: [],
        before() {
          flip = !flip;
          this.args = [
            `if=${file}`,
            `of=${file}`,
            'bs=1M',
            `skip=${flip ? 0 : H}`,
            `seek=${2 * H}`,
            `count=${H}`,
            'iflag=skip_bytes,count_bytes',
            'oflag=seek_bytes',
            'conv=notrunc,fdatasync',
            'status=none',
          ];
        },
      },
      {
        name: `dd if=/dev/zero ${X / MiB} MiB, fdatasync (the disk)`,
        cmd: 'dd',
        args: ['if=/dev/zero', `of=${join(dir, 'disk.bin')}`, 'bs=1M', `count=${X / MiB}`, 'conv=fdatasync', 'status=none'],
      },
    );
  }
  const t = interleave(cases, runs, { warmup });
  const gbs = (bytes, ms) => `${(bytes / 1e9 / (ms / 1000)).toFixed(2)} GB/s`;
  const rows = cases.map((c) => {
    const bytes = c.name.includes('copy') ? H : X;
    return { case: c.name, median: fmt.ms(t[c.name]), rate: gbs(bytes, t[c.name]) };
  });
  table(rows, ['case', 'median', 'rate']);
  const ratios = {};
  const dd = t[`dd conv=notrunc,fdatasync copy ${H / MiB} MiB`];
  if (dd) {
    ratios.copyJournalVsDd = t[`mmapx copy ${H / MiB} MiB, journal`] / dd;
    ratios.copyNoJournalVsDd = t[`mmapx copy ${H / MiB} MiB, no journal`] / dd;
    console.log(`\nmmapx copy / dd: journal ${fmt.ratio(ratios.copyJournalVsDd)}, no journal ${fmt.ratio(ratios.copyNoJournalVsDd)} (time; lower is faster)`);
  }
  const xorNo = t[`mmapx transform xor ${X / MiB} MiB, no journal`];
  const xorJ = t[`mmapx transform xor ${X / MiB} MiB, journal (default options)`];
  const xorMem = t[`mmapx transform xor ${X / MiB} MiB, no journal, --no-sync`];
  console.log(
    `transform xor over ${X / MiB} MiB: ${gbs(X, xorNo)} without the journal, ${gbs(X, xorJ)} with it, ${gbs(X, xorMem)} with --no-sync (target >= 1 GB/s)`,
  );
  if (t[pyName]) {
    ratios.xorDefaultVsPython = xorJ / t[pyName];
    ratios.xorNoJournalVsPython = xorNo / t[pyName];
    console.log(
      `mmapx transform xor / python3: default ${fmt.ratio(ratios.xorDefaultVsPython)}, no journal ${fmt.ratio(ratios.xorNoJournalVsPython)} (time; lower is faster)`,
    );
  }
  // Where the time goes: one more run of each with --json.
  const phases = {};
  for (const [name, args] of [
    ['xor, no journal', xorArgs(false)],
    ['xor, journal', xorArgs(true)],
    ['xor, no journal, --no-sync', xorArgs(false, false)],
  ]) {
    const r = spawnSync(NODE, [BIN, '--json', ...args.slice(2)], { env: BENCH_ENV, encoding: 'utf8' });
    if (r.status === 0) phases[name] = JSON.parse(r.stdout).timings;
  }
  for (const [name, p] of Object.entries(phases)) {
    console.log(
      `  ${name}: ${Object.entries(p)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', ')} ms`,
    );
  }
  return {
    runs,
    medianMs: t,
    ratios,
    xorGBs: { noJournal: X / 1e9 / (xorNo / 1000), journal: X / 1e9 / (xorJ / 1000), noSync: X / 1e9 / (xorMem / 1000) },
    phases,
  };
}
