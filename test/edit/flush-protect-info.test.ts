// The engine's flush, protect and info as a library user calls them (mmapx/edit), in-process.
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flushFile, InputError, inspectFile, OperationError, protectFile } from '../../src/edit/index.js';
import { journalPath } from '../../src/edit/journal.js';
import { tryLockFile } from '../../src/mmap/index.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-edit-');
let n = 0;
function file(bytes = 10_000): string {
  const p = join(dir, `f${n++}.bin`);
  writeFileSync(p, Buffer.alloc(bytes, 7));
  return p;
}

describe('flushFile', () => {
  it('syncs_the_whole_pages_around_a_range_given_as_text_or_object', async () => {
    const p = file();
    const a = await flushFile(p, { range: '4096:100' });
    const b = await flushFile(p, { range: { offset: 4096, length: 100 } });
    expect(a.synced).toEqual({ offset: 4096n, length: 4096, pages: 1 });
    expect(b.synced).toEqual(a.synced);
    expect(a.range).toEqual({ offset: 4096n, length: 100n });
    const all = await flushFile(p, { range: { offset: -16 } });
    expect(all.range).toEqual({ offset: 9984n, length: 16n });
  });

  it('reports_progress_and_timings_through_the_seams', async () => {
    const phases: string[] = [];
    const laps: string[] = [];
    await flushFile(file(), { progress: { phase: (l) => phases.push(l), update: () => {} }, clock: { lap: (l) => laps.push(l) } });
    expect(phases).toEqual([expect.stringMatching(/^flush .*f\d+\.bin$/)]);
    expect(laps).toEqual(['open', 'ffi', 'cachestat', 'map', 'msync', 'cachestat']);
  });

  it('bad_ranges_and_files_are_typed_errors_with_the_path', async () => {
    const p = file();
    await expect(flushFile(p, { range: '5' })).rejects.toBeInstanceOf(InputError);
    await expect(flushFile(p, { range: { offset: 1.5 } })).rejects.toBeInstanceOf(InputError);
    await expect(flushFile(p, { range: { offset: 0, length: 1, end: 2 } })).rejects.toThrow(/not both/);
    const d = join(dir, 'a-dir');
    mkdirSync(d);
    const err = await flushFile(d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationError);
    expect((err as OperationError).code).toBe('EISDIR');
  });
});

describe('inspectFile', () => {
  it('says_what_the_file_is_and_which_modes_work', async () => {
    const p = file(5000);
    const i = await inspectFile(p, { range: '0:4096' });
    expect(i.size).toBe(5000n);
    expect(i.range).toEqual({ offset: 0n, length: 4096n });
    expect(i.totalPages).toBe(1);
    expect(i.modes.r).toEqual({ ok: true, reason: null });
    expect(i.modes.w.ok).toBe(true);
  });

  it('hears_about_a_pending_journal_only_through_the_callback', async () => {
    const p = file();
    writeFileSync(journalPath(p), 'x');
    const heard: [string, string][] = [];
    await inspectFile(p, { onPendingJournal: (f, j) => heard.push([f, j]) });
    expect(heard).toEqual([[p, journalPath(p)]]);
    await expect(inspectFile(p)).resolves.toBeDefined(); // no callback: nothing said, no failure
  });

  it('waits_for_a_lock_without_blocking_the_event_loop_and_stops_on_abort', async () => {
    const p = file();
    const holder = openSync(p, 'r+');
    try {
      expect(tryLockFile(holder, 'exclusive')).toBe('locked');
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const started = Date.now();
      const err = await inspectFile(p, { lockWait: 30, signal: AbortSignal.timeout(200) }).catch((e: unknown) => e);
      clearInterval(timer);
      expect((err as Error).name).toBe('TimeoutError');
      expect(Date.now() - started).toBeLessThan(20_000); // stopped by the signal, not the 30 s wait
      expect(ticks).toBeGreaterThan(3); // timers ran while it waited
      const busy = await inspectFile(p, { lockWait: 0 }).catch((e: unknown) => e);
      expect(busy).toBeInstanceOf(OperationError);
      expect((busy as Error).message).toMatch(/^locked by another /);
    } finally {
      closeSync(holder);
    }
    await expect(inspectFile(p, { lockWait: 0 })).resolves.toBeDefined();
  });
});

describe('protectFile', () => {
  it('holds_the_verified_mapping_while_the_callback_runs', async () => {
    const p = file();
    const seen = await protectFile(p, 'ro', { range: '0:4096' }, (m) => {
      const line = readFileSync('/proc/self/maps', 'latin1')
        .split('\n')
        .find((l) => l.startsWith(`${m.address.start.toString(16)}-`));
      return { perms: m.perms, read: m.read, line };
    });
    expect(seen.perms).toBe('r--s');
    expect(seen.read).toBe(true);
    expect(seen.line).toMatch(/ r--s /);
    const none = await protectFile(p, 'none', {}, (m) => [m.perms, m.read]);
    expect(none).toEqual(['---s', null]);
  });
});
