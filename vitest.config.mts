import { defineConfig } from 'vitest/config';

export default defineConfig({
  define: {
    __MMAPX_VERSION__: JSON.stringify(process.env.npm_package_version ?? '0.0.0-test'),
    __MMAPX_SEA__: 'false',
    __MMAPX_SCAN_WORKER__: JSON.stringify('../../dist/scan-worker.cjs'),
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Timeouts catch hangs, not slowness: CI machines are shared and noisy, and a test that
    // spawns the CLI a hundred times can take minutes when they are loaded.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tests create big sparse files and spawn the CLI; two workers match the machine.
    maxWorkers: 2,
  },
});
