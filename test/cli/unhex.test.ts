// mmapx unhex through the built CLI, in few spawns (the dialects are covered in-process in
// test/format/unhex.test.ts, the engine in test/edit/unhex.test.ts): standard input one byte at
// a time and through a socket; -o replacing a file (mode kept, holes sparse, --json naming the
// dialect); a bad dump (one line with line and column, exit 2, the target byte-identical, no
// temporary file left); a terminal refused.
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectFailure, mmapx } from '../helpers/cli.js';
import { fed } from '../helpers/stdin.js';
import { hasScript, inTerminal, sh } from '../helpers/terminal.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-cli-unhex-');
const f = (name: string): string => join(dir, name);

// "Hello, world!\n" 00 01 02 ff + 40 x 00 + "tail" as xxd -b writes it (cols 6).
const DATA = Buffer.concat([Buffer.from('Hello, world!\n'), Buffer.from([0, 1, 2, 0xff]), Buffer.alloc(40), Buffer.from('tail')]);
function bitsDump(data: Buffer): string {
  const lines: string[] = [];
  for (let o = 0; o < data.length; o += 6) {
    const line = data.subarray(o, o + 6);
    const groups = [...line].map((b) => b.toString(2).padStart(8, '0')).join(' ');
    const ascii = [...line].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${o.toString(16).padStart(8, '0')}: ${groups.padEnd(6 * 9 - 1)}  ${ascii}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('standard input', () => {
  it('a dump arriving one byte at a time (no DUMP argument) and through a socket (-): the same bytes on stdout', async () => {
    const dump = Buffer.from(bitsDump(DATA));
    const slow = await fed(dir, '1-byte pipe', dump, ['unhex', '--stats']);
    expect(slow.status, slow.dump).toBe(0);
    expect(slow.stdoutBytes.equals(DATA), slow.dump).toBe(true);
    expect(slow.stderr, slow.dump).toMatch(/^wrote 62 bytes .* from standard input \(xxd -b dump, 11 lines\)/);
    const socket = await fed(dir, 'slow socket', dump, ['unhex', '-']);
    expect(socket.status, socket.dump).toBe(0);
    expect(socket.stdoutBytes.equals(DATA), socket.dump).toBe(true);
  });
});

describe('-o FILE', () => {
  it('replaces the file whole, keeping its mode; a jump is a sparse hole; --json names the dialect', () => {
    const out = f('out.bin');
    writeFileSync(out, 'old contents');
    chmodSync(out, 0o600);
    const dump = f('sparse.hex');
    writeFileSync(dump, '00000000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|\n*\n00000030  41  |A|\n10000000  42  |B|\n10000001\n');
    const r = mmapx(['--json', 'unhex', dump, '-o', out]);
    expect(r.status, r.dump).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      command: 'unhex',
      ok: true,
      format: 'canonical',
      radix: 16,
      length: 0x10000001,
      data: 50,
      sparse: true,
      output: out,
    });
    const st = statSync(out);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.size).toBe(0x10000001);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024);
    const bytes = readFileSync(out);
    expect(bytes.subarray(0, 0x31).toString()).toBe(`${'ABCDEFGHIJKLMNOP'.repeat(3)}A`);
    expect(bytes.subarray(0x10000000).toString()).toBe('B');
  });

  it('a bad dump: one line with its line and column, exit 2, the target byte-identical, no temporary file', () => {
    const out = f('keep.bin');
    writeFileSync(out, 'precious');
    const dump = f('bad.hex');
    writeFileSync(dump, '00000000: 4865 6c6c  Hell\n00000004: 6g6f  o\n');
    const before = readdirSync(dir).sort();
    expectFailure(mmapx(['unhex', dump, '-o', out]), 2, `mmapx: unhex: ${dump} line 2, col 12: 'g' is not a hex digit`);
    expect(readFileSync(out, 'latin1')).toBe('precious');
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});

describe.skipIf(!hasScript())('a terminal', () => {
  it('is refused on standard output unless --force', () => {
    const dump = f('t.hex');
    writeFileSync(dump, '4142\n');
    const r = inTerminal(['unhex', dump]);
    expect(r.status, r.dump).toBe(2);
    expect(r.screen, r.dump).toEqual(['mmapx: unhex: refusing to write binary data to a terminal: redirect standard output (> FILE), use -o FILE, or --force']);
    const forced = inTerminal(['unhex', dump, '--force'], { redirect: `2> ${sh(f('err.txt'))}` });
    expect(forced.status, forced.dump).toBe(0);
    expect(forced.screen, forced.dump).toEqual(['AB']);
  });
});
