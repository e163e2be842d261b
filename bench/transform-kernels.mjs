#!/usr/bin/env node
// Micro-benchmark of the transform kernels (src/format/transform.ts) alone, in process: each op
// rewrites a buffer of --mib MiB in windows of --window MiB (as the engine feeds them), best of
// --runs. The kernels are bundled with esbuild into a temp dir and imported.
//
//   node bench/transform-kernels.mjs [--mib 256] [--window 1] [--runs 3] [--ops 'xor 5a,add 3 u32le'] [--js]
//
// xor, and, or and not run in their WebAssembly SIMD kernel's memory (as the engine feeds them);
// --js runs every op on a plain buffer (the JS kernels).
//
// Rates are GB (10^9 bytes) per second of CPU time (user + system of this process), which stays
// meaningful on a shared, loaded machine; the wall-clock rate is shown too. Each op runs in its
// own child process, so that no kernel's loop is compiled for another op's closures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    mib: { type: 'string', default: '256' },
    window: { type: 'string', default: '1' },
    runs: { type: 'string', default: '3' },
    ops: { type: 'string' },
    child: { type: 'string' },
    module: { type: 'string' },
    js: { type: 'boolean', default: false },
  },
});

const OPS = [
  'xor 5a',
  'xor deadbeef',
  'xor 0102030405',
  'and f0',
  'or 0f',
  'not',
  'add 3 u8',
  'add 3 u16le',
  'add 3 u32be',
  'add 3 u64le',
  'sub 7 u16be',
  'rol 3 u8',
  'rol 5 u16le',
  'ror 7 u32le',
  'rol 13 u64be',
  'shl 3 u8',
  'shr 9 u64le',
  'swap16',
  'swap32',
  'swap64',
  'bswap - u64',
  'reverse',
  'reverse - u32',
];

if (args.child !== undefined) {
  // One op: "OP [ARG|-] [UNIT]".
  const { parseTransform } = await import(args.module);
  const [op, arg, unit] = args.child.split(' ');
  const t = parseTransform(op, arg === undefined || arg === '-' ? undefined : arg, unit);
  const size = Number(args.mib) << 20;
  const window = Number(args.window) << 20;
  // In the kernel's own memory when it has one (the WebAssembly SIMD kernels of xor/and/or/not,
  // as the engine reads windows into it), unless --js asks for the JS kernels on a plain buffer.
  const buf = (t.window && args.js !== true ? t.window(size) : new Uint8Array(size)).fill(0x11);
  let wall = 0;
  let cpu = 0;
  for (let r = 0; r < Number(args.runs); r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let at = 0; at < size; at += window) t.apply(buf.subarray(at, at + window), at);
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    wall = Math.max(wall, size / dt / 1e9);
    cpu = Math.max(cpu, size / ((c.user + c.system) / 1e6) / 1e9);
  }
  console.log(`${t.text.padEnd(20)} ${cpu.toFixed(2).padStart(6)} GB/s CPU ${wall.toFixed(2).padStart(6)} GB/s wall`);
} else {
  const { build } = await import('esbuild');
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const tmp = mkdtempSync(join(tmpdir(), 'mmapx-bench-'));
  try {
    const out = join(tmp, 'transform.mjs');
    await build({ entryPoints: [join(root, 'src/format/transform.ts')], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'warning' });
    console.log(`transform kernels over ${args.mib} MiB in ${args.window} MiB windows, best of ${args.runs}`);
    for (const op of args.ops ? args.ops.split(',') : OPS) {
      const self = fileURLToPath(import.meta.url);
      const run = spawnSync(
        process.execPath,
        [
          self,
          '--child',
          op.trim(),
          '--module',
          pathToFileURL(out).href,
          '--mib',
          args.mib,
          '--window',
          args.window,
          '--runs',
          args.runs,
          ...(args.js ? ['--js'] : []),
        ],
        { encoding: 'utf8' },
      );
      process.stdout.write(run.status === 0 ? run.stdout : `${op}: failed: ${run.stderr}\n`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
