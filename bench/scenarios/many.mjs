// Many files in one run: the same 4-byte guarded edit applied to 1,000 small files (4 KiB each;
// 100 with --quick) by one `mmapx patch --edit OFF:OLD=NEW --files-from LIST` run, against a bash
// loop of `printf '\xNN...' | dd of=FILE bs=1 seek=OFF conv=notrunc status=none` over the same
// files (target: the one run at least 2x faster), the same loop with conv=fdatasync (as durable
// as mmapx's write-back), and a loop of one `mmapx patch FILE --edit ...` per file (start-up
// paid per file; timed on a slice of the files and scaled, like the slow peers of hexdump).
//
// Every case has its own copy of the files and flips their 4 bytes between OLD and NEW on each
// run, so that every run really changes every file (mmapx would otherwise say "already applied").
// mmapx keeps its undo journal per file unless the row says --no-journal; the one run commits the
// files in batches of 128 whose journal syncs, file syncs and journal removals are done together
// (see src/edit/batch.ts). On a disk-backed temp dir the syncs still weigh
// (MMAPX_BENCH_DIR=/dev/shm shows the CPU cost alone). The per-file cost of the one run is
// (run of N files - run of 1 file) / (N - 1).
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, NODE, fmt, has, interleave, scratch, table } from '../lib.mjs';

const SIZE = 4096;
const OFF = 0x100;
const A = Buffer.from('74050000', 'hex');
const B = Buffer.from('eb059090', 'hex');
const esc = (buf) => [...buf].map((x) => `\\x${x.toString(16).padStart(2, '0')}`).join('');

/** `count` files of SIZE random bytes holding A at OFF, in a directory of their own; returns the list file. */
function makeFiles(dir, name, count) {
  const sub = join(dir, name);
  mkdirSync(sub);
  const buf = Buffer.alloc(SIZE);
  const paths = [];
  for (let i = 0; i < count; i++) {
    randomFillSync(buf);
    A.copy(buf, OFF);
    const p = join(sub, `f${String(i).padStart(4, '0')}.bin`);
    writeFileSync(p, buf);
    paths.push(p);
  }
  const list = join(dir, `${name}.list`);
  writeFileSync(list, `${paths.join('\n')}\n`);
  return list;
}

/** A case whose files flip between A and B on each run; `args(from, to)` builds the command. */
function flipping(name, cmd, args) {
  let state = A;
  const c = { name, cmd, args: [] };
  c.before = () => {
    const from = state;
    state = state === A ? B : A;
    c.args = args(from.toString('hex'), state.toString('hex'), state);
  };
  return c;
}

export async function run({ quick }) {
  const count = quick ? 100 : 1000;
  const slice = quick ? 10 : 50;
  const dir = scratch();
  const edit = (from, to) => ['--edit', `${OFF}:${from}=${to}`];
  const mmapxRun = (label, list, extra = []) => flipping(label, NODE, (from, to) => [BIN, '-q', 'patch', '--files-from', list, ...edit(from, to), ...extra]);
  // bash reads the list and runs the loop; $1 is the list, $2 the printf escapes.
  const loop = (body) => `while IFS= read -r f; do ${body}; done < "$1"`;
  const ddLoop = (label, list, conv) =>
    flipping(label, 'bash', (_from, _to, bytes) => [
      '-c',
      loop(`printf "$2" | dd of="$f" bs=1 seek=${OFF} conv=${conv} status=none`),
      'bash',
      list,
      esc(bytes),
    ]);

  const cases = [
    mmapxRun(`mmapx patch --files-from (${count} files, one run)`, makeFiles(dir, 'one-run', count)),
    mmapxRun(`mmapx patch --files-from --no-journal (${count} files)`, makeFiles(dir, 'no-journal', count), ['--no-journal']),
    mmapxRun('mmapx patch --files-from (1 file)', makeFiles(dir, 'one-file', 1)),
  ];
  if (has('dd') && has('bash')) {
    cases.push(ddLoop(`bash loop: printf | dd conv=notrunc (${count} files)`, makeFiles(dir, 'dd', count), 'notrunc'));
    cases.push(ddLoop(`bash loop: printf | dd conv=notrunc,fdatasync (${count} files)`, makeFiles(dir, 'dd-sync', count), 'notrunc,fdatasync'));
  }
  const perFile = `bash loop: mmapx patch FILE --edit (${slice} files)`;
  if (has('bash')) {
    const list = makeFiles(dir, 'per-file', slice);
    cases.push(flipping(perFile, 'bash', (from, to) => ['-c', loop(`"$2" "$3" -q patch "$f" --edit "$4"`), 'bash', list, NODE, BIN, `${OFF}:${from}=${to}`]));
  }
  const runs = quick ? 3 : 7;
  const t = interleave(cases, runs, { warmup: 1 });
  // The per-file loop ran on a slice: scale it to the same number of files.
  if (t[perFile] !== undefined) t[perFile] = (t[perFile] * count) / slice;

  const mine = t[cases[0].name];
  const rows = cases.map((c) => ({
    case: c.name === perFile ? `${c.name}, scaled to ${count}` : c.name,
    median: fmt.ms(t[c.name]),
    'per file': c.name.includes('(1 file)') ? '' : `${(t[c.name] / count).toFixed(3)} ms`,
    'peer / one run': fmt.ratio(t[c.name] / mine),
  }));
  const fsType = spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).stdout.trim() || 'unknown';
  console.log(`${count} files of ${SIZE} bytes in ${dir} (${fsType}), a 4-byte guarded edit at ${OFF}, median of ${runs} interleaved runs`);
  table(rows, ['case', 'median', 'per file', 'peer / one run']);
  const perFileMs = (mine - t['mmapx patch --files-from (1 file)']) / (count - 1);
  console.log(`\nper-file cost inside one run (with the journal): ${perFileMs.toFixed(3)} ms`);
  const dd = t[`bash loop: printf | dd conv=notrunc (${count} files)`];
  if (dd !== undefined) console.log(`printf | dd loop / one mmapx run: ${fmt.ratio(dd / mine)} (target >= 2x)`);
  const ratios = {};
  for (const c of cases.slice(1)) ratios[c.name] = t[c.name] / mine;
  return { count, size: SIZE, fsType, runs, medianMs: t, perFileMs, ratios };
}
