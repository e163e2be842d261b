import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest, longest first (seconds of a full run on two workers of an idle
 * machine: truncation 32, scale 31, pack 25 with its npm install, stdin 17, cat-hash 15, registry 10-15
 * with its npm publishes, battery 13,
 * dump-peers 12, hexdump 11, repeat-options 11, progress 10). They start before all others: vitest
 * orders by the durations it cached from an earlier run, and CI's first run on a clean checkout has
 * none (it orders by file size there, and a long file that starts last keeps one worker busy alone
 * at the end).
 */
const LONGEST = [
  'test/cli/truncation.test.ts',
  'test/cli/scale.test.ts',
  'test/pack.test.ts',
  'test/cli/stdin.test.ts',
  'test/cli/cat-hash.test.ts',
  'test/registry.test.ts',
  'test/cli/battery.test.ts',
  'test/format/dump-peers.test.ts',
  'test/cli/hexdump.test.ts',
  'test/cli/repeat-options.test.ts',
  'test/cli/progress.test.ts',
];

/**
 * Files that need a module registry of their own (vi.mock replaces a module for the whole file).
 * All others share their worker's: a fresh process and registry per file cost about 0.2 s of CPU
 * each (Node's start, vitest's runtime, the imports again), 8% of the suite's CPU for 125 files,
 * and the tests' own state is in their files, temporary directories and child processes.
 */
const ISOLATED = ['test/format/exe-elf.test.ts', 'test/mmap/windows-race.test.ts'];

/**
 * npm's CLI and shims, and the CLI on a Windows console, on Windows Node under Wine: run by .ci/win-x64 alone (on Linux Node, with
 * MMAPX_WINE_NODE set once its Wine prefix is ready), never by npm test.
 */
const WINE = process.env.MMAPX_WINE_NODE ? [] : ['test/wine/**'];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONGEST.indexOf(relative(f.project.config.root, f.moduleId).replaceAll('\\', '/'));
      return i < 0 ? LONGEST.length : i;
    };
    // A stable sort: the others keep vitest's order.
    return sorted
      .map((f, i) => [f, i] as const)
      .sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1])
      .map(([f]) => f);
  }
}

export default defineConfig({
  define: {
    __MMAPX_VERSION__: JSON.stringify(process.env.npm_package_version ?? '0.0.0-test'),
    __MMAPX_SEA__: 'false',
    __MMAPX_SCAN_WORKER__: JSON.stringify('../../dist/scan-worker.cjs'),
  },
  test: {
    projects: [
      { extends: true, test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: [...ISOLATED, ...WINE], isolate: false } },
      { extends: true, test: { name: 'isolated', include: ISOLATED } },
    ],
    // Timeouts catch hangs, not slowness: CI machines are shared and noisy, and a test that
    // spawns the CLI a hundred times can take minutes when they are loaded.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tests create big sparse files and spawn the CLI; two workers match the machine.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
  },
});
