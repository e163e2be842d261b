// Runs a shell script in a private mount namespace (root only), so a test can mount a noexec or
// read-only tmpfs that vanishes with the process. `$MMAPX` in the script runs the built CLI (or
// the command given).
import { spawnSync } from 'node:child_process';
import { BIN } from './cli.js';

let available: boolean | undefined;

/** True where `unshare -m` and tmpfs mounts work (root in a capable sandbox). */
export function mountNamespaces(): boolean {
  if (available === undefined) {
    const r = spawnSync('unshare', ['-m', 'sh', '-c', 'd=$(mktemp -d) && mount -t tmpfs tmpfs "$d" && umount "$d"; rc=$?; rmdir "$d"; exit $rc'], {
      encoding: 'utf8',
    });
    available = r.status === 0;
  }
  return available;
}

export function inMountNamespace(script: string, mmapx = `${process.execPath} ${BIN}`): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('unshare', ['-m', 'sh', '-c', `d=$(mktemp -d) || exit 99\n${script}`], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', MMAPX: mmapx },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
