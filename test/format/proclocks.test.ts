import { describe, expect, it } from 'vitest';
import { describeHolders } from '../../src/edit/lock.js';
import { flockHolders, parseProcLocks } from '../../src/format/proclocks.js';

// As Linux 6.x prints it (fs/locks.c lock_get_status), incl. a waiter and an OFD lock.
const SAMPLE = `1: FLOCK  ADVISORY  WRITE 4242 fe:00:2146375 0 EOF
1: -> FLOCK  ADVISORY  WRITE 4300 fe:00:2146375 0 EOF
2: FLOCK  ADVISORY  READ 5001 fe:00:99 0 EOF
3: FLOCK  ADVISORY  READ 5002 fe:00:99 0 EOF
4: POSIX  ADVISORY  WRITE 6000 fe:00:99 0 EOF
5: OFDLCK ADVISORY  READ -1 00:1a:77 0 EOF
6: LEASE  ACTIVE    READ 7000 103:02:123456 0 EOF
7: FLOCK  ADVISORY  READ 8000 00:2c:555 0 EOF
garbage line
`;

describe('/proc/locks', () => {
  it('parses_holders_waiters_and_devices', () => {
    const locks = parseProcLocks(SAMPLE);
    expect(locks).toHaveLength(8);
    expect(locks[0]).toEqual({ type: 'FLOCK', access: 'WRITE', pid: 4242, major: 0xfe, minor: 0, inode: 2146375n, waiting: false });
    expect(locks[1]).toMatchObject({ pid: 4300, waiting: true });
    expect(locks[5]).toMatchObject({ type: 'OFDLCK', pid: -1, major: 0, minor: 0x1a, inode: 77n });
    expect(locks[6]).toMatchObject({ type: 'LEASE', major: 0x103, minor: 2 });
  });

  it('finds_flock_holders_of_one_file_without_waiters_self_or_posix_locks', () => {
    const locks = parseProcLocks(SAMPLE);
    expect(flockHolders(locks, { major: 0xfe, minor: 0, inode: 2146375n })).toEqual([4242]);
    expect(flockHolders(locks, { major: 0xfe, minor: 0, inode: 99n })).toEqual([5001, 5002]);
    expect(flockHolders(locks, { major: 0xfe, minor: 0, inode: 99n }, 5001)).toEqual([5002]);
    expect(flockHolders(locks, { major: 0xfe, minor: 0, inode: 1n })).toEqual([]);
  });

  it('falls_back_to_the_inode_when_the_device_differs_as_on_overlayfs', () => {
    const locks = parseProcLocks(SAMPLE);
    expect(flockHolders(locks, { major: 0, minor: 0x40, inode: 555n })).toEqual([8000]);
  });

  it('names_the_holders', () => {
    const mmapx = (p: number) => p < 100;
    const name = (p: number) => (p === 500 ? 'flock' : undefined);
    expect(describeHolders([42], mmapx, name)).toBe('locked by another mmapx (pid 42)');
    expect(describeHolders([42, 43], mmapx, name)).toBe('locked by another mmapx (pids 42, 43)');
    expect(describeHolders([500], mmapx, name)).toBe('locked by another process (pid 500: flock)');
    expect(describeHolders([42, 501], mmapx, name)).toBe('locked by another process (pids 42, 501)');
    expect(describeHolders([], mmapx, name)).toBe('locked by another process');
  });
});
