// mmapx cat and mmapx hash through the built CLI: cat's bytes against Buffer slices, dd, head -c
// and tail -c; hash's lines against sha256sum, sha1sum and md5sum, and its digests against
// node:crypto and zlib.crc32 over the same slices. The big subject (40 MiB and a bit) spans three
// of the 16 MiB windows the commands read through, so ranges cross window edges.
import { createHash, randomFillSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, expectSuccess, fingerprint, mmapx, PINNED_ENV } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-cathash-');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const MiB = 1024 * 1024;
const WINDOW = 16 * MiB;

const BIG = join(dir, 'big.bin');
const big = Buffer.alloc(40 * MiB + 123);
randomFillSync(big);
let n = 0;
function file(content: Uint8Array | string): string {
  const p = join(dir, `f${n++}.bin`);
  writeFileSync(p, content);
  return p;
}
/** Runs `script` under sh, with the built CLI as $M; returns stdout as bytes. */
function sh(script: string, env: Record<string, string> = {}) {
  return spawnSync('sh', ['-c', script], { env: { ...PINNED_ENV, M: `${process.execPath} ${BIN}`, ...env }, maxBuffer: 1 << 30 });
}

beforeAll(() => {
  requireBuild();
  writeFileSync(BIG, big);
});

/** RANGE as typed, and the slice of `big` it means. */
const RANGES: [string | undefined, number, number][] = [
  [undefined, 0, big.length],
  ['0:0', 0, 0],
  ['100:1000', 100, 1100],
  ['0x10..0x20', 0x10, 0x20],
  [':256', 0, 256],
  ['..4K', 0, 4096],
  ['-5000..', big.length - 5000, big.length],
  ['-0..', big.length, big.length],
  [`${WINDOW - 10}:20`, WINDOW - 10, WINDOW + 10],
  [`${WINDOW - 1}..${2 * WINDOW + 1}`, WINDOW - 1, 2 * WINDOW + 1],
  ['16M..32M', WINDOW, 2 * WINDOW],
  [`1..-1`, 1, big.length - 1],
  [`-${2 * WINDOW + 7}..-3`, big.length - 2 * WINDOW - 7, big.length - 3],
  ['40M..', 40 * MiB, big.length],
];

describe('mmapx cat', () => {
  it.each(RANGES)('cat %s is the slice', (range, start, end) => {
    const r = mmapx(['cat', BIG, ...(range === undefined ? [] : [range])]);
    expectSuccess(r);
    expect(r.stderr).toBe('');
    expect(r.stdoutBytes.length).toBe(end - start);
    expect(r.stdoutBytes.equals(big.subarray(start, end))).toBe(true);
  });

  it('random_ranges_are_the_slice', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: big.length }), fc.integer({ min: 0, max: 3 * MiB }), (start, len) => {
        const length = Math.min(len, big.length - start);
        const r = mmapx(['cat', BIG, `${start}:${length}`]);
        expectSuccess(r);
        expect(r.stdoutBytes.equals(big.subarray(start, start + length))).toBe(true);
      }),
      { numRuns: 12 },
    );
  });

  it('equals_dd_head_c_and_tail_c', () => {
    const peer = (script: string) => sh(script).stdout;
    const ours = (range: string) => mmapx(['cat', BIG, range]).stdoutBytes;
    const skip = WINDOW - 4096 + 5;
    const count = WINDOW + 12345;
    expect(ours(`${skip}:${count}`).equals(peer(`dd if='${BIG}' bs=1M skip=${skip} count=${count} iflag=skip_bytes,count_bytes status=none`))).toBe(true);
    expect(ours(':1000000').equals(peer(`head -c 1000000 '${BIG}'`))).toBe(true);
    expect(ours('-3000000..').equals(peer(`tail -c 3000000 '${BIG}'`))).toBe(true);
    expect(ours(`${skip}..`).equals(peer(`tail -c +${skip + 1} '${BIG}'`))).toBe(true);
  });

  it.each([
    ['0:50M', /range 0:50M ends past the end of the file \(size \d+\)$/],
    ['41M:1', /range 41M:1 starts past the end of the file \(size \d+\)$/],
    ['41M..', /range 41M\.\. ends before it starts \(size \d+\)$/],
    ['-50M..', /range -50M\.\. starts before the start of the file \(size \d+\)$/],
    ['0x10:zz', /bad range "0x10:zz": 'z' at position 5 is not a decimal digit$/],
    ['9..3', /bad range "9\.\.3": END 3 is before START 9$/],
    ['0:', /bad range "0:": missing length after ':'/],
  ])('bad range %s: exit 2, one line, nothing on stdout', (range, line) => {
    const r = mmapx(['cat', BIG, range]);
    expectFailure(r, 2, new RegExp(`^mmapx: cat: ${BIG}: ${line.source}`));
    expect(r.stdoutBytes.length).toBe(0);
  });

  it('an_empty_file_gives_nothing_and_any_range_past_it_is_an_error', () => {
    const p = file('');
    const r = mmapx(['cat', p]);
    expectSuccess(r);
    expect(r.stdoutBytes.length).toBe(0);
    expectFailure(mmapx(['cat', p, '0:1']), 2, `mmapx: cat: ${p}: range 0:1 ends past the end of the file (size 0)`);
  });

  it.skipIf(!has('script'))('refuses_a_terminal_unless_force_and_says_how', () => {
    const p = file('binary\0bytes');
    const run = (args: string) =>
      spawnSync('script', ['-qec', `${process.execPath} ${BIN} ${args}`, '/dev/null'], { encoding: 'latin1', env: { ...PINNED_ENV, TERM: 'xterm' } });
    const refused = run(`cat ${p}`);
    expect(refused.status).toBe(2);
    // On a pty, stderr and stdout are the same terminal: the one line is all there is.
    expect(refused.stdout.replace(/\r\n/g, '\n')).toBe(
      `mmapx: cat: ${p}: refusing to write binary data to a terminal: redirect standard output (> FILE, | xxd), use -o FILE, or --force\n`,
    );
    const forced = run(`cat ${p} --force`);
    expect(forced.status).toBe(0);
    expect(forced.stdout).toBe('binary\0bytes');
    const out = join(dir, 'from-tty.bin');
    const toFile = run(`cat ${p} 0:6 -o ${out}`);
    expect(toFile.status).toBe(0);
    expect(readFileSync(out, 'latin1')).toBe('binary');
  });

  it('a_closed_pipe_ends_quietly_with_status_0', () => {
    const p = join(dir, 'sparse2g.bin');
    const fd = openSync(p, 'w');
    ftruncateSync(fd, 2 * 1024 ** 3);
    writeSync(fd, 'mmapx', 0);
    closeSync(fd);
    const r = spawnSync('bash', ['-c', `$M cat ${p} 0:1G | head -c 10 | od -An -c; echo "status \${PIPESTATUS[0]}"`], {
      encoding: 'utf8',
      env: { ...PINNED_ENV, M: `${process.execPath} ${BIN}` },
    });
    expect(r.stdout.replace(/ +/g, ' ')).toBe(' m m a p x \\0 \\0 \\0 \\0 \\0\nstatus 0\n');
    expect(r.stderr).toBe('');
  });

  it('o_writes_the_file_whole_and_json_reports_it', () => {
    const out = join(dir, 'part.bin');
    writeFileSync(out, 'old contents, replaced');
    const r = mmapx(['--json', 'cat', BIG, `${WINDOW - 3}:7`, '-o', out]);
    expectSuccess(r);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).sort()).toEqual(['command', 'file', 'length', 'offset', 'ok', 'output', 'timings']);
    expect(j).toMatchObject({ command: 'cat', ok: true, file: BIG, offset: WINDOW - 3, length: 7, output: out });
    expect(typeof j.timings.total).toBe('number');
    expect(readFileSync(out).equals(big.subarray(WINDOW - 3, WINDOW + 4))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('mmapx-tmp'))).toEqual([]);
  });

  it('refuses_json_without_o_and_an_output_that_is_the_input', () => {
    const p = file('keep me');
    const before = fingerprint(p);
    const j = mmapx(['--json', 'cat', p]);
    expect(j.status).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({
      command: 'cat',
      ok: false,
      exitCode: 2,
      error: { message: '--json needs -o FILE: without it, standard output carries the bytes' },
    });
    expectFailure(mmapx(['cat', p, '-o', p]), 2, `mmapx: cat: ${p}: -o ${p} is the file being read`);
    expect(fingerprint(p)).toBe(before);
    const missing = join(dir, 'never-written.bin');
    expectFailure(mmapx(['cat', p, '0:100', '-o', missing]), 2, /ends past the end of the file \(size 7\)$/);
    expect(existsSync(missing)).toBe(false);
  });

  it('stats_reports_bytes_speed_and_phases', () => {
    const r = mmapx(['cat', BIG, '1K:1K', '--stats']);
    expectSuccess(r);
    expect(r.stderr).toMatch(
      new RegExp(`^copied 1024 bytes \\(\\d+ MiB/s\\) of ${BIG} 0x400\\.\\.0x800 in [\\d.]+ ms: parse [\\d.]+, open [\\d.]+, ffi [\\d.]+, copy [\\d.]+\\n$`),
    );
  });

  it('devices_need_force_and_an_explicit_range', () => {
    expectFailure(mmapx(['cat', '/dev/zero', '0:4K']), 1, 'mmapx: cat: /dev/zero: is a character device: refusing to map it without --force');
    const r = mmapx(['cat', '/dev/zero', '0:4K', '--force']);
    expectSuccess(r);
    expect(r.stdoutBytes.equals(Buffer.alloc(4096))).toBe(true);
    for (const range of [[], ['-16..'], ['0..-1'], ['4K..']]) {
      expectFailure(
        mmapx(['cat', '/dev/zero', ...range, '--force']),
        1,
        'mmapx: cat: /dev/zero: the size of a device is unknown here: give an explicit length or range',
      );
    }
  });

  it.skipIf(!has('/usr/bin/time'))('memory_stays_flat_on_a_big_file', () => {
    // 256 MiB: 16 of the 16 MiB windows, 2.5 times the limit below (a command that held the file
    // whole would pass it).
    const size = 256 * MiB;
    const p = join(dir, 'sparse256m.bin');
    const fd = openSync(p, 'w');
    ftruncateSync(fd, size);
    closeSync(fd);
    const peak = (script: string) => {
      const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', env: { ...PINNED_ENV, M: `${process.execPath} ${BIN}` } });
      expect(r.status, r.stderr).toBe(0);
      return { out: r.stdout, maxRssKiB: Number(r.stderr.trim().split('\n').pop()) };
    };
    const c = peak(`/usr/bin/time -f %M $M cat ${p} | wc -c`);
    expect(c.out.trim()).toBe(String(size));
    expect(c.maxRssKiB).toBeLessThan(100 * 1024);
    const h = peak(`/usr/bin/time -f %M $M hash ${p} --algo crc32`);
    const zeros = Buffer.alloc(16 * MiB);
    let crc = 0;
    for (let i = 0; i < size / zeros.length; i++) crc = crc32(zeros, crc);
    expect(h.out).toBe(`${crc.toString(16).padStart(8, '0')}  ${p}\n`);
    expect(h.maxRssKiB).toBeLessThan(100 * 1024);
  });
});

const sums = { sha256: 'sha256sum', sha1: 'sha1sum', md5: 'md5sum' } as const;
const digestOf = (algo: string, bytes: Uint8Array) =>
  algo === 'crc32' ? crc32(bytes).toString(16).padStart(8, '0') : createHash(algo).update(bytes).digest('hex');

describe('mmapx hash', () => {
  for (const [algo, tool] of Object.entries(sums)) {
    it.skipIf(!has(tool))(`--algo ${algo} prints what ${tool} prints`, () => {
      for (const p of [BIG, file(''), file('abc')]) {
        const ours = mmapx(['hash', p, '--algo', algo]);
        expectSuccess(ours);
        expect(ours.stdout).toBe(spawnSync(tool, [p], { encoding: 'utf8' }).stdout);
      }
    });
  }

  it.skipIf(!has('sha256sum'))('sha256_is_the_default', () => {
    expect(mmapx(['hash', BIG]).stdout).toBe(spawnSync('sha256sum', [BIG], { encoding: 'utf8' }).stdout);
  });

  it.each(['sha256', 'sha1', 'md5', 'crc32'])('--algo %s of ranges is the digest of the slice', (algo) => {
    for (const [range, start, end] of RANGES) {
      const r = mmapx(['hash', BIG, '--algo', algo, ...(range === undefined ? [] : ['--range', range])]);
      expectSuccess(r);
      expect(r.stdout, `${algo} ${range}`).toBe(`${digestOf(algo, big.subarray(start, end))}  ${BIG}\n`);
    }
  });

  it('crc32_is_the_standard_crc_32_as_zlib_and_gzip_compute_it', () => {
    // The check value of CRC-32/ISO-HDLC ("123456789"), and the empty input.
    expect(mmapx(['hash', file('123456789'), '--algo', 'crc32']).stdout).toMatch(/^cbf43926 {2}/);
    expect(mmapx(['hash', file(''), '--algo', 'crc32']).stdout).toMatch(/^00000000 {2}/);
    // A small value keeps its leading zeros.
    expect(mmapx(['hash', file(Buffer.from([0x9d])), '--algo', 'crc32']).stdout).toMatch(/^[0-9a-f]{8} {2}/);
    if (has('gzip')) {
      const p = file(big.subarray(0, 3 * MiB));
      const trailer = sh(`gzip -c '${p}' | tail -c 8`).stdout;
      const fromGzip = trailer.readUInt32LE(0).toString(16).padStart(8, '0');
      expect(mmapx(['hash', p, '--algo', 'crc32']).stdout).toBe(`${fromGzip}  ${p}\n`);
    }
  });

  it.skipIf(!has('sha256sum'))('paths_with_newlines_and_backslashes_are_escaped_as_sha256sum_does', () => {
    for (const name of ['new\nline.bin', 'back\\slash.bin', 'cr\rhere.bin']) {
      const p = join(dir, name);
      writeFileSync(p, name);
      const ours = mmapx(['hash', p]);
      expectSuccess(ours);
      expect(ours.stdout).toBe(spawnSync('sha256sum', [p], { encoding: 'utf8' }).stdout);
      expect(ours.stdout.startsWith('\\')).toBe(true);
    }
  });

  it('check_passes_with_0_and_fails_with_3', () => {
    const range = `${WINDOW - 100}:200`;
    const want = digestOf('sha256', big.subarray(WINDOW - 100, WINDOW + 100));
    const ok = mmapx(['hash', BIG, '--range', range, '--check', want]);
    expectSuccess(ok);
    expect(ok.stdout).toBe(`${want}  ${BIG}\n`);
    expect(ok.stderr).toBe('');
    expectSuccess(mmapx(['hash', BIG, '--range', range, '--check', `0x${want.toUpperCase()}`]));
    const other = `${want.slice(0, -1)}${want.endsWith('0') ? '1' : '0'}`;
    const bad = mmapx(['hash', BIG, '--range', range, '--check', other]);
    expectFailure(bad, 3, `mmapx: hash: ${BIG}: sha256 of 0xffff9c..0x1000064 is ${want}, expected ${other}`);
    expect(bad.stdout).toBe(`${want}  ${BIG}\n`);
    const crc = digestOf('crc32', big.subarray(0, 10));
    expectSuccess(mmapx(['hash', BIG, '--range', ':10', '--algo', 'crc32', '--check', crc]));
    expectFailure(mmapx(['hash', BIG, '--range', ':11', '--algo', 'crc32', '--check', crc]), 3, /crc32 of 0x0\.\.0xb is [0-9a-f]{8}, expected /);
  });

  it.each([
    [['--check', 'abc'], 'bad sha256 digest "abc": 3 hex digits, but sha256 digests have 64 (or a prefix of at least 12)'],
    [['--algo', 'md5', '--check', `${'0'.repeat(31)}g`], `bad md5 digest "${'0'.repeat(31)}g": 'g' at position 31 is not a hex digit`],
    [['--algo', 'crc32', '--check', '0x1234'], 'bad crc32 digest "0x1234": 4 hex digits, but crc32 digests have 8'],
    [['--check', 'a'.repeat(65)], /: bad sha256 digest "a+"…: 65 hex digits, but sha256 digests have 64 \(or a prefix of at least 12\)$/],
    [['--range', '0:1G'], /: range 0:1G ends past the end of the file \(size \d+\)$/],
    [['--range', 'x'], /: bad range "x": 'x' at position 0 is not a decimal digit/],
    [['--algo', 'sha3-512'], /'sha3-512' is invalid/],
  ])('bad input %j: exit 2, one line, nothing on stdout', (args, message) => {
    const r = mmapx(['hash', BIG, ...(args as string[])]);
    expect(r.status, r.dump).toBe(2);
    expect(r.stdout).toBe('');
    const line = r.stderr.replace(/\n$/, '');
    expect(line).not.toContain('\n');
    if (typeof message === 'string') expect(line).toBe(`mmapx: hash: ${BIG}: ${message}`);
    else expect(line).toMatch(message);
  });

  it('json_has_the_documented_keys', () => {
    const r = mmapx(['--json', 'hash', BIG, '--range', '-1M..', '--algo', 'md5']);
    expectSuccess(r);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).sort()).toEqual(['algo', 'command', 'digest', 'expected', 'file', 'length', 'matched', 'offset', 'ok', 'prefix', 'timings']);
    expect(j).toMatchObject({
      command: 'hash',
      ok: true,
      file: BIG,
      algo: 'md5',
      digest: digestOf('md5', big.subarray(-MiB)),
      offset: big.length - MiB,
      length: MiB,
      expected: null,
      matched: null,
    });
    expect(Object.keys(j.timings)).toEqual(['parse', 'open', 'ffi', 'hash', 'total']);
    const wrong = '0'.repeat(32);
    const failed = mmapx(['--json', 'hash', BIG, '--range', '-1M..', '--algo', 'md5', '--check', wrong]);
    expect(failed.status).toBe(3);
    expect(JSON.parse(failed.stdout)).toMatchObject({
      ok: false,
      exitCode: 3,
      expected: wrong,
      matched: false,
      digest: j.digest,
      error: { message: expect.stringContaining(`expected ${wrong}`) },
    });
    expect(JSON.parse(mmapx(['--json', 'hash', BIG, '--range', ':0', '--check', digestOf('sha256', Buffer.alloc(0))]).stdout)).toMatchObject({
      ok: true,
      length: 0,
      matched: true,
    });
  });

  it('stats_reports_bytes_speed_and_phases', () => {
    const r = mmapx(['hash', BIG, '--range', '0:1M', '--stats']);
    expectSuccess(r);
    expect(r.stderr).toMatch(
      new RegExp(
        `^hashed 1048576 bytes \\(\\d+ MiB/s\\) of ${BIG} 0x0\\.\\.0x100000 with sha256 in [\\d.]+ ms: parse [\\d.]+, open [\\d.]+, ffi [\\d.]+, hash [\\d.]+\\n$`,
      ),
    );
  });

  it('devices_need_force_and_an_explicit_range', () => {
    expectFailure(mmapx(['hash', '/dev/zero', '--range', '0:1M']), 1, 'mmapx: hash: /dev/zero: is a character device: refusing to map it without --force');
    expect(mmapx(['hash', '/dev/zero', '--range', '0:1M', '--force']).stdout).toBe(`${digestOf('sha256', Buffer.alloc(MiB))}  /dev/zero\n`);
    expectFailure(mmapx(['hash', '/dev/zero', '--force']), 1, 'mmapx: hash: /dev/zero: the size of a device is unknown here: give an explicit length or range');
  });
});
