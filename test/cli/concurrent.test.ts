// Two `mmapx patch` processes at once on one file with overlapping hunks: the result is one of the
// two serial orders, never a mix, with the statuses of that order (a few rounds here; the long run
// is `node bench/concurrent.mjs 100`). And a journal seen while another patch holds the lock is
// that patch's own: a patch waiting for the lock must not take it for an interrupted one.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { concurrentRounds, SCENARIOS } from '../helpers/concurrent.mjs';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, expectSuccess, mmapx } from '../helpers/cli.js';
import { flockHolders, sleep, start, startMmapx } from '../helpers/procs.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-concurrent-');
beforeAll(() => requireBuild());
const ROUNDS = 3;

describe('concurrent patches', () => {
  for (const scenario of Object.keys(SCENARIOS)) {
    for (const wait of [undefined, 0]) {
      it(`${scenario}, --wait ${wait ?? 'default'}: every round is one serial order`, async () => {
        const r = await concurrentRounds({ scenario, rounds: ROUNDS, size: 16 << 20, wait, dir });
        console.log(`concurrent ${JSON.stringify({ scenario, wait: r.wait, tally: r.tally })}`);
        expect(r.failures, JSON.stringify(r.failures, null, 1)).toEqual([]);
        // The two orders differ, so the tally says which one each round was.
        const [ab, ba] = Object.values(r.orders);
        expect(ab!.hash !== ba!.hash || ab!.status.join() !== ba!.status.join()).toBe(true);
        if (wait === undefined) {
          // Waiting, the second always gets its turn: no round ends with a lock-out.
          expect(
            Object.keys(r.tally).every((k) => k.endsWith('then first') || k.endsWith('then second')),
            JSON.stringify(r.tally),
          ).toBe(true);
        }
      }, 60_000);
    }
  }

  it('with_wait_0_a_patch_that_finds_another_at_work_fails_naming_it_and_the_file_is_the_others_result', async () => {
    // The first patch is seen holding the lock before the second starts (a bigger file if the
    // first was done too soon); the second, guarded on the same old bytes, must fail at once.
    const shm = statSync('/dev/shm', { throwIfNoEntry: false })?.isDirectory() ? '/dev/shm' : dir;
    for (let size = 64 << 20; ; size *= 2) {
      const p = join(shm, `mmapx-concurrent-${process.pid}-${size}.bin`);
      const original = Buffer.alloc(size, 0x41);
      writeFileSync(p, original);
      try {
        // --hash: the first hashes the whole file under its lock, so that it is at work for a while
        // (a patch's own cost no longer grows with the file).
        const a = startMmapx(['patch', p, '--edit', '0x10:41414141=aaaaaaaa', '--hash']);
        let seen = false;
        for (let i = 0; i < 2000 && !seen && a.child.exitCode === null; i++) {
          seen = flockHolders(p, 'WRITE').includes(a.child.pid!);
          if (!seen) await sleep(1);
        }
        const b = startMmapx(['--wait', '0', 'patch', p, '--edit', '0x10:41414141=bbbbbbbb']);
        const [ra, rb] = await Promise.all([a.done, b.done]);
        expectSuccess(ra);
        if (!seen || rb.status !== 1) {
          // The first was done before the second looked: then the second saw its result (exit 3).
          expect(rb.status, rb.dump).toBe(3);
          if (size < 1 << 30) continue;
          throw new Error(`could not catch the first patch holding its lock\n${rb.dump}`);
        }
        expectFailure(rb, 1, `mmapx: patch: ${p}: locked by another mmapx (pid ${a.child.pid})`);
        const after = readFileSync(p);
        expect(after.subarray(0x10, 0x14).toString('hex')).toBe('aaaaaaaa');
        expect(after.subarray(0x14).equals(original.subarray(0x14))).toBe(true);
        return;
      } finally {
        rmSync(p, { force: true });
      }
    }
  }, 60_000);

  it.skipIf(spawnSync('flock', ['--version']).status !== 0)(
    'a_journal_present_while_another_holds_the_lock_does_not_stop_a_waiting_patch',
    async () => {
      // Stands in for a patch at work: it holds the exclusive lock with its journal beside the file,
      // then finishes (removes the journal, releases the lock).
      const p = join(dir, 'busy.bin');
      const j = join(dir, '.busy.bin.mmapx-journal');
      writeFileSync(p, Buffer.alloc(4096, 0x41));
      const holder = start('flock', ['-x', p, 'sh', '-c', `printf MMAPXJ > "${j}"; sleep 1; rm -f "${j}"`], 'flock', true);
      try {
        for (let i = 0; i < 500 && (flockHolders(p, 'WRITE').length === 0 || !existsSync(j)); i++) await sleep(5);
        expect(existsSync(j)).toBe(true);
        const patch = startMmapx(['--wait', '10', 'patch', p, '--edit', '0:41=42']);
        const r = await patch.done;
        expectSuccess(r);
        expect(r.stderr).toMatch(/^patched .*: 1 hunk applied/);
        expect(readFileSync(p)[0]).toBe(0x42);
      } finally {
        await holder.stop();
      }
    },
    30_000,
  );
});

// While one process holds a write lease on a file (mmapx does while it writes a patch's hunks with
// pwrite; Samba and NFS servers do too), an open with O_NONBLOCK by another fails with EWOULDBLOCK
// once it has begun to break the lease. That surfaced as "resource temporarily unavailable (EAGAIN)"
// from a concurrent patch; the open must wait for the holder to give the lease up instead.
describe('a file under another process write lease', () => {
  const python = spawnSync('python3', ['-c', 'import fcntl'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!python)('write, cat and patch wait for the lease to be given up, then do their work', async () => {
    const path = join(dir, 'leased.bin');
    writeFileSync(path, Buffer.alloc(64));
    // The holder: F_SETLEASE (1024) F_WRLCK, the break signal (SIGIO) ignored, given up 300 ms later.
    const holder = `
import fcntl, os, signal, sys, time
signal.signal(signal.SIGIO, signal.SIG_IGN)
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.fcntl(fd, 1024, fcntl.F_WRLCK)
except OSError as e:
    print('no lease', e, flush=True)
    sys.exit(0)
print('held', flush=True)
time.sleep(0.3)
fcntl.fcntl(fd, 1024, fcntl.F_UNLCK)
os.close(fd)
`;
    const run = async (args: string[]) => {
      const p = start('python3', ['-c', holder, path]);
      const held = await Promise.race([p.printed('held').then(() => true), p.done.then(() => false)]);
      if (!held) return undefined;
      const r = mmapx(args);
      expect((await p.done).status).toBe(0);
      return r;
    };
    const w = await run(['write', path, '0', 'aabb']);
    if (w === undefined) {
      console.log('lease test skipped: no write lease granted on the temporary directory');
      return;
    }
    expectSuccess(w);
    expect(w.stderr).toMatch(/^wrote 2 bytes at 0x0/);
    const c = await run(['cat', path, ':2']);
    expectSuccess(c!);
    expect(c!.stdoutBytes.toString('hex')).toBe('aabb');
    expectSuccess((await run(['patch', path, '--edit', '2=ccdd']))!);
    expect(readFileSync(path).subarray(0, 4).toString('hex')).toBe('aabbccdd');
  });
});
