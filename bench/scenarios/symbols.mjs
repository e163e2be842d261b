// `mmapx info --symbols` of a ~100 MiB ELF with 100k symbols (10k and 10 MiB with --quick) against
// `nm` in the same interleaved run (both print names as stored), and `info --symbols -C` against
// `nm -C` (both demangle the C++ names). The ELF is synthetic (bench/exe-gen.mjs: half C names, half
// mangled C++ names), written to a scratch directory and removed at exit; the symbol counts of
// both tools are checked first. Ratios are mmapx time / peer time (the target: within 2x).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { writeSymbolElf } from '../exe-gen.mjs';
import { BIN, NODE, fmt, has, interleave, scratch, table, warm } from '../lib.mjs';

export async function run({ quick }) {
  if (!has('nm')) {
    console.log('skipped: nm (binutils) is not installed');
    return { skipped: 'nm not installed' };
  }
  const count = quick ? 10_000 : 100_000;
  const textSize = (quick ? 10 : 100) << 20;
  const dir = scratch();
  const file = join(dir, 'symbols.elf');
  const { size, count: symbols } = writeSymbolElf(file, { count, textSize });
  warm(file);
  const mine = { name: 'mmapx info --symbols', cmd: NODE, args: [BIN, 'info', file, '--symbols'], capture: true };
  const nm = { name: 'nm', cmd: 'nm', args: [file], capture: true };
  const nmC = { name: 'nm -C', cmd: 'nm', args: ['-C', file], capture: true };
  const mineC = { name: 'mmapx info --symbols -C', cmd: NODE, args: [BIN, 'info', file, '--symbols', '-C'], capture: true };
  // Both list every function (nm leaves out the file symbol that mmapx lists).
  const ours = spawnSync(NODE, [BIN, '--json', 'info', file, '--symbols'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const listed = JSON.parse(ours.stdout).symbols.length;
  const theirs = spawnSync('nm', [file], { encoding: 'utf8', maxBuffer: 1 << 30 })
    .stdout.trimEnd()
    .split('\n').length;
  if (listed !== symbols || theirs !== symbols - 1) throw new Error(`mmapx lists ${listed} symbols, nm ${theirs}; the file has ${symbols}`);
  const cases = [mine, nm, mineC, nmC];
  const runs = quick ? 3 : 7;
  const t = interleave(cases, runs, { warmup: 1 });
  console.log(`${(size / (1 << 20)).toFixed(0)} MiB ELF, ${symbols} symbols, median of ${runs} interleaved runs, warm cache`);
  const ratios = { 'mmapx / nm': t[mine.name] / t[nm.name], 'mmapx -C / nm -C': t[mineC.name] / t[nmC.name] };
  const peerOf = new Map([
    [nm, mine],
    [nmC, mineC],
  ]);
  table(
    cases.map((c) => ({ case: c.name, median: fmt.ms(t[c.name]), 'mmapx / this': peerOf.has(c) ? fmt.ratio(t[peerOf.get(c).name] / t[c.name]) : '' })),
    ['case', 'median', 'mmapx / this'],
  );
  return { size, symbols, runs, medianMs: t, ratios };
}
