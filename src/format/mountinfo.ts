// /proc/self/mountinfo, parsed (proc(5)): which mount a file lives on and its flags. Pure.

export interface Mount {
  /** major:minor of the filesystem's device, as in st_dev. */
  major: number;
  minor: number;
  /** Root of the mount within its filesystem, and where it is mounted. */
  root: string;
  mountPoint: string;
  /** Per-mount options: rw/ro, noexec, nosuid, nodev, relatime, ... */
  options: string[];
  fsType: string;
  source: string;
  /** Per-superblock options. */
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as octal: `\040`. */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f.length < sep + 4) continue;
    const [major, minor] = (f[2] ?? '0:0').split(':').map(Number) as [number, number];
    mounts.push({
      major,
      minor,
      root: unescapeOctal(f[3] ?? ''),
      mountPoint: unescapeOctal(f[4] ?? ''),
      options: (f[5] ?? '').split(','),
      fsType: f[sep + 1] ?? '',
      source: unescapeOctal(f[sep + 2] ?? ''),
      superOptions: (f[sep + 3] ?? '').split(','),
    });
  }
  return mounts;
}

/**
 * The mount that holds `realPath`: the one with the longest mount point that is a prefix of the
 * path (the later one on a tie, as mounts stack). Prefers mounts of device major:minor when given.
 */
export function findMount(mounts: Mount[], realPath: string, dev?: { major: number; minor: number }): Mount | undefined {
  let best: Mount | undefined;
  for (const m of mounts) {
    const mp = m.mountPoint;
    if (!(mp === '/' || realPath === mp || realPath.startsWith(`${mp}/`))) continue;
    if (best && mp.length < best.mountPoint.length) continue;
    if (best && mp.length === best.mountPoint.length && dev && m.major !== dev.major && best.major === dev.major) continue;
    best = m;
  }
  return best;
}
