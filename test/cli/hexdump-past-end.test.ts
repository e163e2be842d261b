// `hexdump -s N` past the end of the file: the peer of each format decides (hexdump -C prints the
// offset line of the end, xxd and xxd -p print nothing, xxd -i an empty array), status 0, the
// same bytes as the installed tool. Before the start stays a usage error (xxd: "cannot seek").
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, expectSuccess, mmapx, PINNED_ENV } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-past-end-');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
/** Each dump format and the peer invocation it must equal. */
const PEERS = [
  { format: 'canonical', tool: 'hexdump', args: ['-C'] },
  { format: 'xxd', tool: 'xxd', args: [] },
  { format: 'plain', tool: 'xxd', args: ['-p'] },
  { format: 'c', tool: 'xxd', args: ['-i'] },
] as const;
// DUMP-FORMATS' s.bin: "Hello, world!\n" 00 01 02 ff, 40 zeros, "tail" (62 bytes); and an empty file.
const FILES = {
  's.bin': Buffer.concat([Buffer.from('Hello, world!\n'), Buffer.from([0, 1, 2, 0xff]), Buffer.alloc(40), Buffer.from('tail')]),
  'e.bin': Buffer.alloc(0),
};
beforeAll(() => {
  requireBuild();
  for (const [name, bytes] of Object.entries(FILES)) writeFileSync(join(dir, name), bytes);
});

const CASES = PEERS.flatMap((p) =>
  Object.entries(FILES).flatMap(([name, bytes]) =>
    [bytes.length, bytes.length + 100].flatMap((s) => [[], ['-n', '4']].map((n) => ({ ...p, name, s, n: n as string[] }))),
  ),
);

const PEERS_INSTALLED = has('xxd') && has('hexdump');
if (!PEERS_INSTALLED) console.warn('NOTICE: xxd or hexdump is not installed: the differential past-the-end tests are skipped');

describe.skipIf(!PEERS_INSTALLED)('hexdump -s past the end matches the peer of the format', () => {
  it.each(CASES.map((c) => [`${c.format} ${c.name} -s ${c.s} ${c.n.join(' ')}`, c] as const))('%s', (_title, c) => {
    // Relative paths, as typed: xxd -i names the array after the path.
    const r = mmapx(['hexdump', c.name, '-f', c.format, '-s', String(c.s), ...c.n], { cwd: dir });
    expectSuccess(r);
    expect(r.stderr, r.dump).toBe('');
    const peer = spawnSync(c.tool, [...c.args, '-s', String(c.s), ...(c.n.length ? [c.tool === 'xxd' ? '-l' : '-n', c.n[1]!] : []), c.name], {
      cwd: dir,
      env: PINNED_ENV,
    });
    expect(peer.status).toBe(0);
    expect(r.stdout, r.dump).toBe(peer.stdout.toString('latin1'));
  });
});

describe('hexdump -s past the end, mmapx formats', () => {
  it('json says where the dump starts: the end, with no bytes', () => {
    const r = mmapx(['--json', 'hexdump', join(dir, 's.bin'), '-s', '1000']);
    expectSuccess(r);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, offset: 62, length: 0, hex: '' });
    const lines = mmapx(['hexdump', join(dir, 's.bin'), '-f', 'json', '-s', '1000']);
    expectSuccess(lines);
    expect(lines.stdout).toBe('');
  });

  it('before the start is still a usage error', () => {
    expectFailure(mmapx(['hexdump', join(dir, 's.bin'), '-s', '-63']), 2, /^mmapx: hexdump: .*offset -63 is before the start of the file \(size 62\)$/);
  });
});
