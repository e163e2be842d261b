// The pipe calls of src/mmap/sys/pipe.ts on FIFOs of this test's own (in-process).
import { spawnSync } from 'node:child_process';
import { closeSync, constants as fsc, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { growPipe, pipeCapacity, waitWritable } from '../../src/mmap/sys/pipe.js';
import { tmpDir } from '../helpers/tmp.js';
import { WINDOWS } from '../helpers/platform.js';

const dir = tmpDir();
let n = 0;
function fifo(): number {
  const p = join(dir, `f${n++}`);
  expect(spawnSync('mkfifo', [p]).status).toBe(0);
  return openSync(p, fsc.O_RDWR | fsc.O_NONBLOCK); // both ends in one descriptor: no wait for a peer
}
const pipeMax = Number(readFileSync('/proc/sys/fs/pipe-max-size', 'utf8'));

// Windows: no mkfifo, and no pipe capacity to read (pipeCapacity says undefined there).
describe.skipIf(WINDOWS)('pipe capacity', () => {
  it('is_read_grown_and_never_shrunk', () => {
    const fd = fifo();
    try {
      const before = pipeCapacity(fd);
      expect(before).toBeGreaterThan(0);
      const target = Math.min(pipeMax, 1 << 20);
      const after = growPipe(fd, target);
      expect(after).toBeGreaterThanOrEqual(Math.max(target, before as number));
      expect(pipeCapacity(fd)).toBe(after);
      expect(growPipe(fd, 4096)).toBe(after); // asked for less: left as it is
      expect(pipeCapacity(fd)).toBe(after);
    } finally {
      closeSync(fd);
    }
  });

  it('is_undefined_for_what_is_no_pipe', () => {
    const p = join(dir, 'regular');
    writeFileSync(p, 'x');
    const fd = openSync(p, 'r+');
    try {
      expect(pipeCapacity(fd)).toBeUndefined();
      expect(growPipe(fd, 1 << 20)).toBeUndefined();
    } finally {
      closeSync(fd);
    }
  });

  it('wait_for_room_returns_at_once_when_there_is_room_and_checks_its_argument', () => {
    const fd = fifo();
    try {
      waitWritable(fd);
      expect(writeSync(fd, Buffer.from('abc'))).toBe(3);
      waitWritable(fd);
    } finally {
      closeSync(fd);
    }
    expect(() => waitWritable(-1)).toThrow(/fd must be/);
  });
});
