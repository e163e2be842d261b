// The built CLI's typed find and patch: --u32le V (and the other types of write), TYPE:VALUE as
// the PATTERN and in patch --find/--replace, --align N; offsets compared with a Python `struct`
// scan (one python3 process for every case). The scan itself is tested case by case in
// test/edit/find-typed.test.ts; this file checks the options reach it.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { mmapx } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-cli-find-typed-');

/** Offsets of every (overlapping) match of each packed value at multiples of its alignment. */
const PYTHON = `
import json, struct, sys
out = []
for line in sys.stdin:
    c = json.loads(line)
    needle = struct.pack(c['fmt'], float(c['value']) if c['fmt'][-1] in 'fd' else int(c['value'], 0))
    data = open(c['path'], 'rb').read()
    at, i = [], data.find(needle)
    while i >= 0:
        if i % c['align'] == 0: at.append(i)
        i = data.find(needle, i + 1)
    out.append(at)
print(json.dumps(out))
`;

const python = spawnSync('python3', ['--version']).status === 0;
const hex = (offsets: number[]): string => offsets.map((o) => `0x${o.toString(16)}\n`).join('');

/** A file of pseudo-random bytes with `value` (packed by Python's struct) planted at `at`. */
function planted(name: string, size: number, fmt: string, value: string, at: number[]): string {
  const path = join(dir, name);
  const script = `import struct, sys
data = bytearray((i * 7919 + 13) % 251 for i in range(${size}))
fmt, s = '${fmt}', '${value}'
v = struct.pack(fmt, float(s) if fmt[-1] in 'fd' else int(s, 0))
for a in ${JSON.stringify(at)}: data[a:a + len(v)] = v
open(sys.argv[1], 'wb').write(data)`;
  const run = spawnSync('python3', ['-c', script, path], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return path;
}

function pythonScan(cases: { path: string; fmt: string; value: string; align: number }[]): number[][] {
  const run = spawnSync('python3', ['-c', PYTHON], { input: cases.map((c) => JSON.stringify(c)).join('\n'), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as number[][];
}

describe.skipIf(!python)('find and patch with typed values and --align (against Python struct)', () => {
  let a = '';
  let b = '';
  let want: number[][] = [];
  beforeAll(() => {
    requireBuild();
    // 0xdeadbeef at aligned and unaligned offsets, twice overlapping a run of its own bytes.
    a = planted('a.bin', 4099, '<I', '0xdeadbeef', [0, 6, 64, 130, 1024, 1027, 4095]);
    b = planted('b.bin', 777, '>d', '3.5', [3, 16, 400, 769]);
    want = pythonScan([
      { path: a, fmt: '<I', value: '0xdeadbeef', align: 1 },
      { path: a, fmt: '<I', value: '0xdeadbeef', align: 4 },
      { path: b, fmt: '>d', value: '3.5', align: 1 },
      { path: b, fmt: '>d', value: '3.5', align: 8 },
      { path: a, fmt: '>H', value: '0xbead', align: 2 },
      { path: b, fmt: '>H', value: '0xbead', align: 2 },
    ]);
  });

  it('find --u32le V [--align N], TYPE:VALUE as the PATTERN, --count, --json, several files', () => {
    expect(want[0]!.length).toBeGreaterThan(want[1]!.length); // the alignment drops some
    expect(want[1]!.length).toBeGreaterThan(0);
    expect(mmapx(['find', a, '--u32le', '0xdeadbeef']).stdout).toBe(hex(want[0]!));
    expect(mmapx(['find', a, '--u32le', '0xdeadbeef', '--align', '4']).stdout).toBe(hex(want[1]!));
    expect(mmapx(['find', a, 'u32le:3735928559', '--align', '4', '--count']).stdout).toBe(`${want[1]!.length}\n`);
    expect(mmapx(['find', b, 'f64be:3.5']).stdout).toBe(hex(want[2]!));
    const json = JSON.parse(mmapx(['--json', 'find', b, '--f64be', '3.5', '--align', '8']).stdout);
    expect(json).toMatchObject({ ok: true, pattern: 'f64be:3.5', matches: want[3], count: want[3]!.length, align: 8 });
    // With a typed option every argument is a FILE; a file without a match makes the status 3.
    expect(want[4]!.length).toBeGreaterThan(0);
    expect(want[5]).toEqual([]);
    const both = mmapx(['find', a, b, '--u16be', '0xbead', '--align', '2']);
    expect(both.stdout).toBe(want[4]!.map((o) => `${a}:0x${o.toString(16)}\n`).join(''));
    expect(both.status).toBe(3);
  });

  it('patch --find u32le:V --replace u32le:W --align 4 --all rewrites the aligned matches only, then says already', () => {
    const copy = join(dir, 'a-patched.bin');
    writeFileSync(copy, readFileSync(a));
    const r = mmapx(['patch', copy, '--find', 'u32le:0xdeadbeef', '--replace', 'u32le:0xcafebabe', '--align', '4', '--all']);
    expect(r.status).toBe(0);
    const expected = Buffer.from(readFileSync(a));
    for (const at of want[1]!) expected.writeUInt32LE(0xcafebabe, at);
    expect(readFileSync(copy)).toEqual(expected);
    // The unaligned matches are still there, and a second run finds the aligned ones applied.
    expect(mmapx(['find', copy, '--u32le', '0xdeadbeef', '--count']).stdout).toBe(`${want[0]!.length - want[1]!.length}\n`);
    const again = mmapx(['patch', copy, '--find', 'u32le:0xdeadbeef', '--replace', 'u32le:0xcafebabe', '--align', '4', '--all']);
    expect(again.status).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/already applied/);
    expect(readFileSync(copy)).toEqual(expected);
  });
});

if (!python) it.skip('python3 is not installed: the typed find differential of the CLI is skipped', () => {});
