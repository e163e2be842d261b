// Advisory locks among mmapx processes: readers share, writers wait (--wait), and a writer that
// gives up names the holder's pid. Every scenario uses real concurrent processes.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, expectSuccess, fingerprint, mmapx } from '../helpers/cli.js';
import { type Started, flockHolders, sleep, start, startMmapx } from '../helpers/procs.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
beforeAll(() => requireBuild());
let n = 0;
function file(content: Uint8Array = Buffer.alloc(8192, 7)): string {
  const p = join(dir, `l${n++}.bin`);
  writeFileSync(p, content);
  return p;
}

const running: Started[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

/** `mmapx protect FILE ro --hold SECONDS`: holds a shared lock; resolves with its pid once holding. */
async function holdShared(p: string, seconds: number): Promise<{ pid: number; started: Started }> {
  const s = startMmapx(['protect', p, 'ro', '--hold', String(seconds)]);
  running.push(s);
  await s.printed('holding:');
  return { pid: s.child.pid as number, started: s };
}

describe('advisory locks', () => {
  it('a_writer_with_wait_0_fails_at_once_naming_the_readers_pid', async () => {
    const p = file();
    const before = fingerprint(p);
    const { pid } = await holdShared(p, 30);
    expect(flockHolders(p, 'READ')).toEqual([pid]);
    const t0 = performance.now();
    const r = mmapx(['--wait', '0', 'write', p, '0', 'ff']);
    expectFailure(r, 1, `mmapx: write: ${p}: locked by another mmapx (pid ${pid})`);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(fingerprint(p)).toBe(before);
    const j = JSON.parse(mmapx(['--json', '--wait', '0', 'write', p, '0', 'ff']).stdout);
    expect(j).toMatchObject({ ok: false, exitCode: 1, error: { message: `locked by another mmapx (pid ${pid})`, path: p } });
  });

  it('readers_share_the_lock', async () => {
    const p = file();
    await holdShared(p, 30);
    expectSuccess(mmapx(['--wait', '0', 'info', p]));
    expectSuccess(mmapx(['--wait', '0', 'flush', p]));
    expectSuccess(mmapx(['--wait', '0', 'protect', p, 'rw']));
  });

  it('a_writer_waits_for_the_reader_then_succeeds', async () => {
    const p = file();
    const { started } = await holdShared(p, 1);
    const t0 = performance.now();
    const w = startMmapx(['--wait', '20', 'write', p, '0', 'ff']);
    const r = await w.done;
    expectSuccess(r);
    expect((await started.done).status).toBe(0);
    expect(performance.now() - t0).toBeGreaterThan(300);
    expect(readFileSync(p)[0]).toBe(0xff);
  });

  it('a_writer_that_gives_up_says_how_long_it_waited', async () => {
    const p = file();
    const { pid } = await holdShared(p, 30);
    const t0 = performance.now();
    const r = mmapx(['--wait', '0.4', 'write', p, '0', 'ff']);
    expectFailure(r, 1, `mmapx: write: ${p}: locked by another mmapx (pid ${pid}): still locked after waiting 0.4 s (see --wait)`);
    expect(performance.now() - t0).toBeGreaterThan(400);
  });

  it('two_writers_one_fails_with_wait_0_and_one_waits_then_succeeds', async () => {
    // A big fill holds the exclusive lock for a while (longer if the machine is fast: retried bigger).
    const shm = statSync('/dev/shm', { throwIfNoEntry: false })?.isDirectory() ? '/dev/shm' : dir;
    for (let size = 256; ; size *= 2) {
      const p = join(shm, `mmapx-locks-${process.pid}-${n++}.bin`);
      writeFileSync(p, '');
      try {
        const a = startMmapx(['write', p, '0', '--fill', '0x55', '--length', `${size}M`, '--grow']);
        running.push(a);
        let seen = false;
        for (let i = 0; i < 1000 && !seen && a.child.exitCode === null; i++) {
          seen = flockHolders(p, 'WRITE').includes(a.child.pid as number);
          if (!seen) await sleep(2);
        }
        const b = startMmapx(['--wait', '0', 'write', p, '0', 'aa']);
        const c = startMmapx(['--wait', '60', 'write', p, '1', 'bb']);
        const [ra, rb, rc] = await Promise.all([a.done, b.done, c.done]);
        expectSuccess(ra);
        expectSuccess(rc);
        if (!seen || rb.status === 0) {
          if (size < 2048) continue; // A was done before B looked: try a longer write
          throw new Error(`could not catch the first writer holding its lock\n${rb.dump}`);
        }
        expectFailure(rb, 1, `mmapx: write: ${p}: locked by another mmapx (pid ${a.child.pid})`);
        // C wrote after A: its byte is there, A's fill everywhere else, and B changed nothing.
        const fd = readFileSync(p);
        expect([fd[0], fd[1], fd[2], fd.length]).toEqual([0x55, 0xbb, 0x55, size << 20]);
        return;
      } finally {
        spawnSync('rm', ['-f', p]);
      }
    }
  });

  it.skipIf(spawnSync('flock', ['--version']).status !== 0)('a_lock_of_another_program_is_named_as_such', async () => {
    const p = file();
    const f = start('flock', ['-s', p, 'sleep', '30'], 'flock', true);
    running.push(f);
    for (let i = 0; i < 500 && flockHolders(p, 'READ').length === 0; i++) await sleep(5);
    expectFailure(mmapx(['--wait', '0', 'write', p, '0', 'ff']), 1, `mmapx: write: ${p}: locked by another process (pid ${f.child.pid}: flock)`);
    // flock(2) locks only bind those who ask: a reader is not stopped by a shared lock.
    expectSuccess(mmapx(['--wait', '0', 'info', p]));
  });

  it('wait_must_be_a_number_of_seconds', () => {
    const p = file();
    for (const bad of ['x', '-1', '1s', '']) {
      expectFailure(mmapx(['--wait', bad, 'info', p]), 2, /--wait <seconds>' argument .* is invalid\. give a number of seconds \(0 = do not wait\)/);
    }
  });
});
