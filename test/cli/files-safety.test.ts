// The CLI's checks around a file that changes under a command: replaced while written, and a
// range the core refuses because the file shrank since it was opened.
import { renameSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OperationError } from '../../src/errors.js';
import { assertSameFile, openFile, shrankSinceOpen } from '../../src/edit/files.js';
import { MmapError } from '../../src/mmap/errors.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();

describe('files changing under a command', () => {
  it('a_file_renamed_over_or_deleted_is_no_longer_the_same_file', () => {
    const p = join(dir, 'same.bin');
    writeFileSync(p, 'one');
    const f = openFile(p, { write: true });
    try {
      expect(() => assertSameFile(f)).not.toThrow();
      writeFileSync(join(dir, 'other.bin'), 'two');
      renameSync(join(dir, 'other.bin'), p);
      expect(() => assertSameFile(f)).toThrow(new OperationError('the file was replaced or deleted while being written: the bytes went to the old file'));
      unlinkSync(p);
      expect(() => assertSameFile(f)).toThrow(OperationError);
    } finally {
      f.close();
    }
  });

  it('a_range_error_after_a_shrink_is_a_truncation_and_others_stay_as_they_are', () => {
    const p = join(dir, 'shrink.bin');
    writeFileSync(p, Buffer.alloc(8192));
    const f = openFile(p, { write: false });
    try {
      const range = new MmapError('ERR_OUT_OF_RANGE', 'range offset 0 length 8192 ends past the end of the file (size 8192)');
      const other = new Error('x');
      expect(shrankSinceOpen(f, range, 'read')).toBe(range);
      expect(shrankSinceOpen(f, other, 'read')).toBe(other);
      truncateSync(p, 100);
      const e = shrankSinceOpen(f, range, 'read') as MmapError;
      expect([e.code, e.message]).toEqual(['ERR_TRUNCATED', `${p}: the file shrank to 100 bytes while being read (it had 8192 when opened)`]);
      expect(shrankSinceOpen(f, other, 'read')).toBe(other);
    } finally {
      f.close();
    }
  });
});
