// Edits on a full filesystem (a 2 MiB tmpfs, mounted in a mount namespace of its own so that
// nothing outlives the test): the blocks an edit will write are reserved before the file changes,
// so a full filesystem refuses the edit with one line, the file byte-identical and no journal
// left, with or without the journal:
// - insert: the journal's staging slot, and (FALLOC_FL_KEEP_SIZE) the bytes the insert adds.
//   Before, the journaled insert stopped at its first step with the file half shifted (and
//   `recover` short of room as well), and `--no-journal` left it grown and half shifted;
// - patch: hunks into holes of a sparse file, or past its end, and a patch's inserts (as for
//   insert). Before, the writes stopped at the first hole without a block, and rolling back needed
//   blocks too: the journal stayed, and `recover` failed the same way; `--no-journal` left the
//   file grown and partly written;
// - transform: its journal's staging slot, and a range in holes where zeros change (xor ff).
// Skipped where no mount namespace can be made (no unshare, or no right to mount).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, PINNED_ENV } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-full-fs-');

/** Runs in the namespace: mounts the tmpfs, runs each case, prints one JSON object. */
const DRIVER = `
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const { createHash, randomBytes } = require('node:crypto');
const { join } = require('node:path');
const [dir, bin, scratch] = process.argv.slice(1);
const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'mmapx-test', dir]);
if (m.status !== 0) {
  console.log(JSON.stringify({ skip: 'cannot mount a tmpfs: ' + String(m.stderr).trim() }));
  process.exit(0);
}
const a = join(dir, 'a.bin');
const filler = join(dir, 'filler');
const sha = () => createHash('sha256').update(fs.readFileSync(a)).digest('hex');
/** Fills the filesystem, then leaves free KiB. */
function leave(free) {
  fs.rmSync(filler, { force: true });
  const fd = fs.openSync(filler, 'w');
  const block = Buffer.alloc(4096);
  let size = 0;
  try {
    for (;;) size += fs.writeSync(fd, block);
  } catch {}
  fs.ftruncateSync(fd, Math.max(0, size - free * 1024));
  fs.closeSync(fd);
}
const run = (args, input) => {
  const before = sha();
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input, env: JSON.parse(process.env.PINNED) });
  return { status: r.status, stderr: r.stderr, same: sha() === before, size: fs.statSync(a).size, names: fs.readdirSync(dir).sort() };
};
const out = {};
fs.writeFileSync(a, randomBytes(1000000));
leave(100);
out.insertJournaled = run(['insert', a, '10', '00112233']);
leave(0);
out.insertUnjournaled = run(['insert', a, '10', '--no-journal', 'ab'.repeat(8192)]);
out.patchGrowUnjournaled = run(['patch', a, '--patch', '-', '--format', 'plain', '--seek', '1100000', '--grow', '--no-journal'], 'cd'.repeat(20000));
leave(1100);
out.insertRoom = run(['insert', a, '10', '00112233']);
out.insertRoom.inserted = fs.readFileSync(a).subarray(10, 14).toString('hex');
leave(100);
const shiftPatch = join(scratch, 'insert.patch');
fs.writeFileSync(shiftPatch, 'insert 10: 00112233\\n');
out.patchShift = run(['patch', a, '--patch', shiftPatch]);
fs.rmSync(a);
fs.rmSync(filler);
fs.closeSync(fs.openSync(a, 'w'));
fs.truncateSync(a, 16 * 1024 * 1024);
leave(40);
const edits = [];
for (let i = 1; i <= 100; i++) edits.push('--edit', String(i * 150000) + ':00=01');
out.patchHoles = run(['patch', a, ...edits]);
leave(1500);
out.transformHoles = run(['transform', a, '1M..1900K', 'xor', 'ff']);
console.log(JSON.stringify(out));
`;

interface Case {
  status: number | null;
  stderr: string;
  same: boolean;
  size: number;
  names: string[];
  inserted?: string;
}

type Report = Record<'insertJournaled' | 'insertUnjournaled' | 'patchGrowUnjournaled' | 'insertRoom' | 'patchShift' | 'patchHoles' | 'transformHoles', Case>;

/**
 * The driver's report, run under `unshare --mount` (as root), else `unshare --mount
 * --map-root-user`: skipped only where neither namespace can be made or the tmpfs cannot be
 * mounted; a driver that fails otherwise fails the tests.
 */
function inNamespace(): { skip: string } | { error: string } | Report {
  if (process.platform !== 'linux') return { skip: 'not Linux' };
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt, { recursive: true });
  const tries = process.getuid?.() === 0 ? [['--mount'], ['--mount', '--map-root-user']] : [['--mount', '--map-root-user']];
  const flags = tries.find((f) => spawnSync('unshare', [...f, 'true']).status === 0);
  if (flags === undefined) return { skip: 'no mount namespace can be made here (unshare --mount, with or without --map-root-user)' };
  const r = spawnSync('unshare', [...flags, process.execPath, '-e', DRIVER, mnt, BIN, dir], {
    encoding: 'utf8',
    env: { ...PINNED_ENV, PINNED: JSON.stringify(PINNED_ENV) },
    timeout: 60_000,
  });
  if (r.status !== 0) return { error: `the driver failed (status ${r.status}): ${r.stderr}` };
  return JSON.parse(r.stdout);
}

const report = inNamespace();
if ('skip' in report) console.log(`full-filesystem tests skipped: ${report.skip}`);

/** A refusal: status 1, the one line, the file byte-identical and its size kept, no journal. */
function refused(c: Case, what: RegExp, size: number, names = ['a.bin', 'filler']): void {
  expect(c.status, c.stderr).toBe(1);
  expect(c.stderr).toMatch(what);
  expect(c.stderr.split('\n')).toHaveLength(2);
  expect(c.same).toBe(true);
  expect(c.size).toBe(size);
  expect(c.names).toEqual(names);
}

describe.skipIf('skip' in report)('edits on a full filesystem', () => {
  const r = report as Report;

  it('the_driver_ran', () => {
    expect('error' in report ? report.error : '').toBe('');
  });

  it('a_journaled_insert_without_room_for_its_staging_slot_changes_nothing_and_leaves_no_journal', () => {
    refused(
      r.insertJournaled,
      /^mmapx: insert: .*no space left on the filesystem for the journal's staging slot \(999990 bytes\): nothing changed; free some space and run it again \(ENOSPC\)$/m,
      1000000,
    );
  });

  it('an_insert_without_the_journal_and_without_room_for_its_bytes_changes_nothing', () => {
    refused(r.insertUnjournaled, /^mmapx: insert: .*no space left on the filesystem for the 8192 bytes the file grows by: nothing changed/m, 1000000);
  });

  it('a_patch_past_the_end_without_the_journal_and_without_room_changes_nothing', () => {
    refused(
      r.patchGrowUnjournaled,
      /^mmapx: patch: .*no space left on the filesystem for the 20000 bytes to write at 0x10c8e0 \(past the end of the file\): nothing changed/m,
      1000000,
    );
  });

  it('a_patch_into_holes_of_a_sparse_file_without_room_changes_nothing_and_leaves_no_journal', () => {
    refused(
      r.patchHoles,
      /^mmapx: patch: .*no space left on the filesystem for the 1 byte to write at 0x[0-9a-f]+ \(in a hole of the file\): nothing changed/m,
      16 * 1024 * 1024,
    );
  });

  it('a_patch_with_an_insert_without_room_for_its_staging_slot_changes_nothing_and_leaves_no_journal', () => {
    refused(r.patchShift, /^mmapx: patch: .*no space left on the filesystem for the journal's staging slot \(999994 bytes\): nothing changed/m, 1000004);
  });

  it('a_transform_that_fills_holes_without_room_changes_nothing_and_leaves_no_journal', () => {
    refused(
      r.transformHoles,
      /^mmapx: transform: .*no space left on the filesystem for the 897024 bytes to write at 0x100000 \(in a hole of the file\): nothing changed/m,
      16 * 1024 * 1024,
    );
  });

  it('with_room_the_same_insert_goes_through', () => {
    expect(r.insertRoom.status, r.insertRoom.stderr).toBe(0);
    expect(r.insertRoom.size).toBe(1000004);
    expect(r.insertRoom.inserted).toBe('00112233');
    expect(r.insertRoom.names).toEqual(['a.bin', 'filler']);
  });
});
