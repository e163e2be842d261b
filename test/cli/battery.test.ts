// Hostile and bad input, across every command: each case must print exactly one stderr line (no
// stack trace), exit with the documented status, and leave the target file byte-identical.
// Permission cases run as the unprivileged user `nobody` when the suite runs as root (root ignores
// file modes); read-only and noexec filesystems run in a private mount namespace where possible.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { BIN, PINNED_ENV, type Run, fingerprint, mmapx, runCommand } from '../helpers/cli.js';
import { inMountNamespace, mountNamespaces } from '../helpers/mountns.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-battery-');
chmodSync(dir, 0o755); // reachable by `nobody`
const f = (name: string) => join(dir, name);
const ROOT_USER = process.getuid?.() === 0;
const canDrop = ROOT_USER && spawnSync('setpriv', ['--version']).status === 0;

let server: ReturnType<typeof createServer> | undefined;
beforeAll(async () => {
  requireBuild();
  writeFileSync(f('data.bin'), Buffer.concat([Buffer.from('Hello, world!\n'), Buffer.from([0, 1, 2, 0xff])]));
  writeFileSync(f('empty.bin'), '');
  writeFileSync(f('noread.bin'), 'secret bytes');
  chmodSync(f('noread.bin'), 0o200);
  writeFileSync(f('nowrite.bin'), 'read-only bytes');
  chmodSync(f('nowrite.bin'), 0o444);
  mkdirSync(f('adir'));
  execFileSync('mkfifo', [f('fifo')]);
  symlinkSync(f('loop-b'), f('loop-a'));
  symlinkSync(f('loop-a'), f('loop-b'));
  // Patch files, good and bad (see the patch/recover/diff/find rows).
  writeFileSync(f('bad-digit.patch'), '0x10: 90\n0x1: 65 6z -> 45 4c\n');
  writeFileSync(f('bad-statement.patch'), '# a comment\n0x0: 48\nreplace 48 with 68\n');
  writeFileSync(f('anchor-none.patch'), 'find de ad be ef: 00 00 00 00\n');
  writeFileSync(f('anchor-twice.patch'), 'find 6c 6c: 4c 4c\nfind 6c: 4c\n');
  writeFileSync(f('truncated.ips'), Buffer.concat([Buffer.from('PATCH'), Buffer.from([0, 0, 2, 0, 4, 0xbe, 0xef])]));
  writeFileSync(f('bad-header.ips'), Buffer.concat([Buffer.from('PATCX'), Buffer.from([0, 0, 2, 0, 1, 0xbe]), Buffer.from('EOF')]));
  writeFileSync(f('garbage.hex'), 'garbage here\n');
  writeFileSync(f('overlap.patch'), '0x1: 65 6c -> 45 4c\n0x2: 6c 6c -> 4c 4c\n');
  writeFileSync(f('past-end.patch'), '0x10: 02 ff -> 02 fe\n0x12: 41\n');
  writeFileSync(f('size-2e64.patch'), 'size after 18446744073709551617\n');
  // Patches that change nothing, and a plain dump (xxd -p).
  writeFileSync(f('empty.patch'), '');
  writeFileSync(f('comments.patch'), '# mmapx diff: turns a into b\n\n');
  writeFileSync(f('no-record.ips'), 'PATCHEOF');
  writeFileSync(f('plain.hex'), '48656c6c6f2c20776f726c64210a\n');
  // Range statements of a patch (see the stamp rows).
  writeFileSync(f('xor-nohash.patch'), 'xor 0:4 5a\n');
  writeFileSync(f('xor-otherhash.patch'), `xor 0:4 5a -> sha256 ${'0'.repeat(64)}\n`);
  writeFileSync(f('fill-past-end.patch'), 'fill 0x10:8 00\n');
  writeFileSync(f('stamp-3-times.patch'), 'stamp "l" -> "L"\n');
  writeFileSync(f('stamp-too-long.patch'), 'stamp "Hello" -> "Goodbye"\n');
  writeFileSync(f('insert.patch'), 'insert 0 00\n');
  // insert and delete statements (see the rows at the end of the list).
  writeFileSync(f('shift-overlap.patch'), 'delete 2:4\n0x3: 6c -> 4c\n');
  writeFileSync(f('shift-deletes-overlap.patch'), 'delete 2:4\ndelete 4..8\n');
  writeFileSync(f('shift-insert-inside.patch'), 'delete 2:4\ninsert 3: 00\n');
  writeFileSync(f('shift-guard.patch'), '0x0: 48 -> 68\ndelete 7:5: 00 00 00 00 00\n');
  writeFileSync(f('shift-past-end.patch'), 'delete 0x10:4\n');
  writeFileSync(f('shift-insert-nothing.patch'), 'insert 4:\n');
  writeFileSync(f('shift-size-after.patch'), 'size after 0x12\ninsert 0: "x"\n');
  // File lists for --files-from.
  writeFileSync(f('files.list'), `${f('data.bin')}\n`);
  writeFileSync(f('nul.list'), `${f('data.bin')}\nbad\0name\n`);
  server = createServer().listen(f('sock'));
  await new Promise((r) => server?.once('listening', r));
});
afterAll(() => server?.close());

interface Case {
  args: string[];
  status: 1 | 2 | 3;
  line: RegExp;
  /** Run as `nobody` (only where that is possible; the case is skipped elsewhere). */
  nobody?: boolean;
  /** Files that must be byte-identical afterwards (default: every regular file named in args). */
  files?: string[];
  /** Standard input (default: an empty pipe). */
  input?: string;
}

const D = f('data.bin');
const E = f('empty.bin');
const ANY = (cmd: string, tail: string) => new RegExp(`^mmapx: ${cmd}: .*${tail}$`);

// biome-ignore format: a table, one case per line
const CASES: Record<string, Case> = {
  // missing, wrong kinds of file
  'write: missing file': { args: ['write', f('missing'), '0', '00'], status: 1, line: ANY('write', 'no such file or directory \\(ENOENT\\)') },
  'flush: missing file': { args: ['flush', f('missing')], status: 1, line: ANY('flush', '\\(ENOENT\\)') },
  'protect: missing file': { args: ['protect', f('missing'), 'ro'], status: 1, line: ANY('protect', '\\(ENOENT\\)') },
  'info: missing file': { args: ['info', f('missing')], status: 1, line: ANY('info', '\\(ENOENT\\)') },
  'hexdump: missing file': { args: ['hexdump', f('missing')], status: 1, line: ANY('hexdump', '\\(ENOENT\\)') },
  'write: directory': { args: ['write', f('adir'), '0', '00'], status: 1, line: ANY('write', 'is a directory \\(EISDIR\\)') },
  'flush: directory': { args: ['flush', f('adir')], status: 1, line: ANY('flush', 'is a directory \\(EISDIR\\)') },
  'hexdump: directory': { args: ['hexdump', f('adir')], status: 1, line: ANY('hexdump', 'is a directory \\(EISDIR\\)') },
  'info: directory': { args: ['info', f('adir')], status: 1, line: ANY('info', 'is a directory \\(EISDIR\\)') },
  'write: FIFO, even with --force': { args: ['write', f('fifo'), '0', '00', '--force'], status: 1, line: ANY('write', 'is a FIFO: it has no bytes to map \\(ENODEV\\)') },
  'hexdump: FIFO': { args: ['hexdump', f('fifo')], status: 1, line: ANY('hexdump', 'is a FIFO: it has no bytes to map \\(ENODEV\\)') },
  'info: FIFO': { args: ['info', f('fifo'), '--force'], status: 1, line: ANY('info', 'is a FIFO: it has no bytes to map \\(ENODEV\\)') },
  'write: socket': { args: ['write', f('sock'), '0', '00'], status: 1, line: ANY('write', 'is a socket: it has no bytes to map \\(ENODEV\\)') },
  'hexdump: socket': { args: ['hexdump', f('sock')], status: 1, line: ANY('hexdump', 'is a socket: it has no bytes to map \\(ENODEV\\)') },
  'write: /dev/zero': { args: ['write', '/dev/zero', '0', '00'], status: 1, line: ANY('write', 'is a character device: refusing to map it without --force') },
  'hexdump: /dev/zero': { args: ['hexdump', '/dev/zero'], status: 1, line: ANY('hexdump', 'is a character device: refusing to map it without --force') },
  'hexdump: /dev/zero --force without a length': { args: ['hexdump', '/dev/zero', '--force'], status: 1, line: ANY('hexdump', 'the size of a device is unknown here: give an explicit length or range') },
  'info: /proc/self/maps': { args: ['info', '/proc/self/maps'], status: 1, line: ANY('info', 'is on procfs: its files cannot be memory-mapped \\(use --force to try anyway\\)') },
  'hexdump: /proc/self/maps': { args: ['hexdump', '/proc/self/maps'], status: 1, line: ANY('hexdump', 'is on procfs.*') },
  'flush: /proc/self/maps --force': { args: ['flush', '/proc/self/maps', '--force'], status: 1, line: ANY('flush', 'cannot be memory-mapped .*\\(ENODEV\\)') },
  'write: /sys file': { args: ['write', '/sys/kernel/mm/transparent_hugepage/enabled', '0', '00'], status: 1, line: ANY('write', '(is on sysfs.*|\\(EACCES\\)|\\(ENOENT\\)|\\(EROFS\\))') },
  'info: symlink loop': { args: ['info', f('loop-a')], status: 1, line: ANY('info', '\\(ELOOP\\)') },
  'write: symlink loop': { args: ['write', f('loop-a'), '0', '00'], status: 1, line: ANY('write', '\\(ELOOP\\)') },
  // permissions
  'hexdump: no read permission': { args: ['hexdump', f('noread.bin')], status: 1, line: ANY('hexdump', 'permission denied \\(EACCES\\)'), nobody: true },
  'info: no read permission': { args: ['info', f('noread.bin')], status: 1, line: ANY('info', 'permission denied \\(EACCES\\)'), nobody: true },
  'protect ro: no read permission': { args: ['protect', f('noread.bin'), 'ro'], status: 1, line: ANY('protect', 'permission denied: mode ro needs read permission \\(EACCES\\)'), nobody: true },
  'write: no write permission': { args: ['write', f('nowrite.bin'), '0', '00'], status: 1, line: ANY('write', 'permission denied \\(EACCES\\)'), nobody: true },
  'flush: no write permission': { args: ['flush', f('nowrite.bin')], status: 1, line: ANY('flush', 'permission denied \\(EACCES\\)'), nobody: true },
  'protect rw: no write permission': { args: ['protect', f('nowrite.bin'), 'rw'], status: 1, line: ANY('protect', 'permission denied: mode rw needs read and write permission \\(EACCES\\)'), nobody: true },
  // zero-length files and huge or malformed numbers
  'write: zero-length file': { args: ['write', E, '0', '00'], status: 2, line: ANY('write', 'writing 1 byte at 0x0 ends past the end of the file \\(size 0x0\\); use --grow to extend it') },
  'hexdump: zero-length file before the start': { args: ['hexdump', E, '-s', '-1'], status: 2, line: ANY('hexdump', 'offset -1 is before the start of the file \\(size 0\\)') },
  'write: offset 2^63': { args: ['write', D, '9223372036854775808', '00'], status: 2, line: ANY('write', 'out of the signed 64-bit range.*') },
  'write: offset 2^63-1': { args: ['write', D, '9223372036854775807', '00'], status: 2, line: ANY('write', 'offset 9223372036854775807 is past the end of the file \\(size 18\\)') },
  'write: offset -2^63': { args: ['write', D, '-9223372036854775808', '00'], status: 2, line: ANY('write', 'offset -9223372036854775808 is before the start of the file \\(size 18\\)') },
  'hexdump: offset -2^63-1': { args: ['hexdump', D, '-s', '-9223372036854775809'], status: 2, line: ANY('hexdump', 'out of the signed 64-bit range.*') },
  'write: offset 1e30': { args: ['write', D, '1e30', '00'], status: 2, line: ANY('write', 'bad offset "1e30": .*exponents are not supported\\)') },
  'hexdump: length 1e30': { args: ['hexdump', D, '-n', '1e30'], status: 2, line: ANY('hexdump', 'bad length "1e30".*') },
  'flush: range past the end': { args: ['flush', D, '--range', '0:1T'], status: 2, line: ANY('flush', 'range 0:1T ends past the end of the file \\(size 18\\)') },
  'flush: --no-progress, range past the end': { args: ['--no-progress', 'flush', D, '--range', '0:1T'], status: 2, line: ANY('flush', 'range 0:1T ends past the end of the file \\(size 18\\)') },
  'hexdump: --progress (only --no-progress exists)': { args: ['--progress', 'hexdump', D], status: 2, line: /^mmapx: hexdump: unknown option '--progress' \(Did you mean --no-progress\?\)/ },
  'find: --no-progress=1 (takes no value)': { args: ['find', D, '00', '--no-progress=1'], status: 2, line: /^mmapx: find: unknown option '--no-progress=1'/ },
  'info: range ending before it starts': { args: ['info', D, '--range', '9..3'], status: 2, line: ANY('info', '.*9\\.\\.3.*') },
  'protect: range with garbage': { args: ['protect', D, 'ro', '--range', '0x10:zz'], status: 2, line: ANY('protect', 'bad range "0x10:zz".*') },
  // malformed data
  'write: odd hex': { args: ['write', D, '0', 'abc'], status: 2, line: ANY('write', 'bad hex data "abc": odd number of hex digits') },
  'write: stray character': { args: ['write', D, '0', 'de:ad:bx'], status: 2, line: ANY('write', "bad hex data \"de:ad:bx\": 'x' at position 7 is not a hex digit") },
  'write: empty hex argument': { args: ['write', D, '0', ''], status: 2, line: ANY('write', 'bad hex data "".*') },
  'write: bad escape': { args: ['write', D, '0', '--text', '\\q'], status: 2, line: ANY('write', 'unknown escape.*') },
  'write: two data sources': { args: ['write', D, '0', '00', '--stdin'], status: 2, line: ANY('write', 'conflicting data sources: hex arguments and --stdin; give exactly one') },
  'write: u16 overflow': { args: ['write', D, '0', '--u16le', '65536'], status: 2, line: ANY('write', '65536 does not fit in u16le.*') },
  'write: float garbage': { args: ['write', D, '0', '--f32le', '1.2.3'], status: 2, line: ANY('write', '.*1\\.2\\.3.*') },
  'write: guard mismatch': { args: ['write', D, '0', '00', '--expect', 'ff'], status: 3, line: ANY('write', 'bytes at 0x0 are 48, expected ff; nothing written') },
  // wrong formats and options
  'hexdump: unknown format': { args: ['hexdump', D, '-f', 'hexedit'], status: 2, line: ANY('hexdump', ".*'hexedit' is invalid.*") },
  'hexdump: xxd columns > 256': { args: ['hexdump', D, '-f', 'xxd', '-c', '1000'], status: 2, line: ANY('hexdump', 'invalid number of columns 1000 \\(max\\. 256\\)') },
  'hexdump: -a with canonical': { args: ['hexdump', D, '-a'], status: 2, line: ANY('hexdump', '-a/--autoskip only applies to --format xxd, not canonical') },
  'hexdump: --name with xxd': { args: ['hexdump', D, '-f', 'xxd', '--name', 'x'], status: 2, line: ANY('hexdump', '--name only applies to --format c, not xxd') },
  'protect: unknown mode': { args: ['protect', D, 'rwx'], status: 2, line: ANY('protect', ".*'rwx' is invalid.*") },
  'completion: unknown shell': { args: ['completion', 'tcsh'], status: 2, line: ANY('completion', ".*'tcsh' is invalid.*") },
  'global: unknown command': { args: ['frobnicate', D], status: 2, line: /^mmapx: unknown command 'frobnicate'/ },
  'global: bad --color': { args: ['--color', 'sometimes', 'info', D], status: 2, line: /^mmapx: .*'sometimes' is invalid/ },
  'global: bad --wait': { args: ['--wait', 'soon', 'info', D], status: 2, line: /^mmapx: .*--wait/ },
  'write: missing offset': { args: ['write', D], status: 2, line: ANY('write', "missing required argument 'offset'.*") },
  // options given twice: a usage error unless repeatable (the whole matrix: repeat-options.test.ts)
  'write: --expect twice': { args: ['write', D, '0', '00', '--expect', '48', '--expect', 'ff'], status: 2, line: ANY('write', "option '--expect <hex>' given more than once \\(it takes one value\\).*") },
  'patch: --count twice': { args: ['patch', D, '--find', '6c', '--replace', '4c', '--count', '1', '--count', '3'], status: 2, line: ANY('patch', "option '--count <n>' given more than once.*") },
  'patch: --find without its --replace': { args: ['patch', D, '--find', '6c', '--replace', '4c', '--find', '6f'], status: 2, line: ANY('patch', '--find and --replace go in pairs: 2 --find but 1 --replace') },
  'hexdump: -n then --length': { args: ['hd', D, '-n', '1', '--length', '2'], status: 2, line: ANY('hexdump', "option '-n, --length <n>' given more than once.*") },
  'hash: --algo twice': { args: ['hash', D, '--algo', 'md5', '--algo', 'sha1'], status: 2, line: ANY('hash', "option '--algo <algo>' given more than once.*") },
  'global: --color always then never': { args: ['--color', 'always', 'info', D, '--color', 'never'], status: 2, line: ANY('info', "option '--color <when>' given more than once.*") },
  // -0 is the end of the file for every offset: a write there needs --grow, like any write past the end
  'patch: --edit at -0 without --grow': { args: ['patch', D, '--edit', '-0=00'], status: 2, line: ANY('patch', '--edit #1: the change at 0x12\\.\\.0x13 ends past the end of the file \\(size 0x12\\); growing the file needs --grow') },
  // patch: malformed patches, guards, sizes, files
  'patch: bad hex digit names line and column': { args: ['patch', D, f('bad-digit.patch')], status: 2, line: ANY('patch', "bad-digit\\.patch line 2, col 10: 'z' is not a hex digit") },
  'patch: unknown statement names line and column': {
    args: ['patch', D, f('bad-statement.patch')],
    status: 2,
    line: ANY('patch', "bad-statement\\.patch line 3, col 1: expected 'OFFSET: bytes', 'find PATTERN: bytes', 'size \\.\\.\\.' or 'sha256 \\.\\.\\.'"),
  },
  'patch: anchor matching nothing': { args: ['patch', D, f('anchor-none.patch')], status: 3, line: ANY('patch', '1 guard failed, nothing written: .*line 1: find de ad be ef matched nothing; expected once') },
  'patch: anchors matching more than once': {
    args: ['patch', D, f('anchor-twice.patch')],
    status: 3,
    line: ANY('patch', '1 guard failed, nothing written: .*line 2: find 6c matched 3 times at 0x2, 0x3, 0xa; expected once'),
  },
  'patch: truncated IPS': { args: ['patch', D, f('truncated.ips'), '--format', 'ips'], status: 2, line: ANY('patch', 'truncated\\.ips byte 0x5: record 1 is truncated: 4 data bytes announced, 2 present') },
  'patch: IPS with a bad header': { args: ['patch', D, f('bad-header.ips'), '--format', 'ips'], status: 2, line: ANY('patch', "bad-header\\.ips byte 0x0: not an IPS patch: no 'PATCH' header") },
  'patch: native text as IPS': { args: ['patch', D, f('overlap.patch'), '--format', 'ips'], status: 2, line: ANY('patch', "overlap\\.patch byte 0x0: not an IPS patch: no 'PATCH' header") },
  'patch: --format xxd with garbage': {
    args: ['patch', D, f('garbage.hex'), '--format', 'xxd'],
    status: 2,
    line: ANY('patch', "garbage\\.hex line 1, col 1: neither an xxd line 'OFFSET: hex' nor a hexdump -C line 'OFFSET  hh hh'"),
  },
  'patch: overlapping hunks': { args: ['patch', D, f('overlap.patch')], status: 2, line: ANY('patch', 'overlap\\.patch line 1 and .*overlap\\.patch line 2 overlap at 0x2\\.\\.0x3') },
  'patch: hunk past the end without --grow': {
    args: ['patch', D, f('past-end.patch')],
    status: 2,
    line: ANY('patch', 'past-end\\.patch line 2: the change at 0x12\\.\\.0x13 ends past the end of the file \\(size 0x12\\); growing the file needs --grow'),
  },
  'patch: --find with wildcards only': { args: ['patch', D, '--find', '?? ?? ??', '--replace', '00 00 00'], status: 2, line: ANY('patch', "--find '\\?\\? \\?\\? \\?\\?', col 1: the pattern has no fixed byte") },
  'patch: --replace of another length': { args: ['patch', D, '--find', '48 65', '--replace', '00'], status: 2, line: ANY('patch', '--replace has 1 byte\\(s\\) but --find has 2: a replacement keeps the length') },
  'patch: missing patch file': { args: ['patch', D, f('nosuch.patch')], status: 1, line: ANY('patch', 'cannot read the patch .*nosuch\\.patch: no such file or directory \\(ENOENT\\)') },
  'patch: zero-length file': { args: ['patch', E, '--edit', '0=00'], status: 2, line: ANY('patch', '--edit #1: the change at 0x0\\.\\.0x1 ends past the end of the file \\(size 0x0\\); growing the file needs --grow') },
  'patch: offset 2^63': { args: ['patch', D, '--edit', '9223372036854775808=00'], status: 2, line: ANY('patch', "--edit '9223372036854775808=00', col 1: .* is out of the signed 64-bit range .*") },
  'patch: offset -2^63': { args: ['patch', D, '--edit', '-9223372036854775808=00'], status: 2, line: ANY('patch', '--edit #1: offset -0x8000000000000000 is before the start of the file \\(size 0x12\\)') },
  'patch: offset 1e30': { args: ['patch', D, '--edit', '1e30=00'], status: 2, line: ANY('patch', "--edit '1e30=00', col 2: '1e30' is not an offset .*exponents are not supported\\)\\)") },
  'patch: /dev/zero': { args: ['patch', '/dev/zero', '--edit', '0=00'], status: 1, line: ANY('patch', 'is a character device: refusing to map it without --force') },
  'patch: /proc/self/maps': { args: ['patch', '/proc/self/maps', '--edit', '0=00'], status: 1, line: ANY('patch', 'is on procfs: its files cannot be memory-mapped \\(use --force to try anyway\\)') },
  'patch: symlink loop': { args: ['patch', f('loop-a'), '--edit', '0=00'], status: 1, line: ANY('patch', '\\(ELOOP\\)') },
  'patch: no write permission': { args: ['patch', f('nowrite.bin'), '--edit', '0=00'], status: 1, line: ANY('patch', 'permission denied \\(EACCES\\)'), nobody: true },
  // impossible sizes (test/cli/sizes.test.ts has the whole table): refused before any work, not hung
  'patch: --edit 2^63-2 --grow': { args: ['patch', D, '--edit', '0x7ffffffffffffffe=11', '--grow'], status: 2, line: ANY('patch', '--edit #1: the change at 0x7ffffffffffffffe\\.\\.0x7fffffffffffffff would grow the file past the largest size mmapx gives a file .*') },
  'patch: --edit 2^63-2 --grow --dry-run': { args: ['patch', D, '--edit', '0x7ffffffffffffffe=11', '--grow', '--dry-run'], status: 2, line: ANY('patch', '.* would grow the file past the largest size mmapx gives a file .*') },
  'patch: size after 2^64+1 --dry-run': { args: ['patch', D, f('size-2e64.patch'), '--grow', '--dry-run'], status: 2, line: ANY('patch', 'size-2e64\\.patch line 1, col 12: .* is out of the signed 64-bit range .*') },
  'write: --grow to 2^53+1': { args: ['write', D, '9007199254740992', '11', '--grow'], status: 2, line: ANY('write', 'writing 1 byte at 0x20000000000000 would grow the file to 0x20000000000001 bytes, past the largest size mmapx gives a file .*') },
  'write: --grow to 2^63-1': { args: ['write', D, '0x7ffffffffffffffe', '11', '--grow'], status: 2, line: ANY('write', '.* past the largest size mmapx gives a file .*') },
  'write: --fill --length 10^30 --grow': { args: ['write', D, '0', '--fill', '0', '--length', '1000000000000000000000000000000', '--grow'], status: 2, line: ANY('write', 'bad length .* out of the signed 64-bit range.*') },
  // recover
  'recover: missing file': { args: ['recover', f('missing')], status: 1, line: ANY('recover', 'no such file or directory \\(ENOENT\\)') },
  'recover: directory': { args: ['recover', f('adir')], status: 1, line: ANY('recover', 'is a directory \\(EISDIR\\)') },
  'recover: FIFO': { args: ['recover', f('fifo')], status: 1, line: ANY('recover', 'is a FIFO: it has no bytes to map \\(ENODEV\\)') },
  'recover: no FILE': { args: ['recover'], status: 2, line: ANY('recover', "missing required argument 'file' \\(see 'mmapx recover --help'\\)") },
  'recover: --files-from a missing list': { args: ['recover', D, '--files-from', f('no.list')], status: 2, line: ANY('recover', 'cannot read --files-from .*no\\.list: no such file or directory \\(ENOENT\\)') },
  'recover: a NUL in the --files-from list': { args: ['recover', '--files-from', f('nul.list')], status: 2, line: ANY('recover', '--files-from .*nul\\.list line 2: a path cannot contain a NUL byte'), files: [D] },
  // diff
  'diff: directory': { args: ['diff', f('adir'), D], status: 1, line: ANY('diff', 'is a directory \\(EISDIR\\)') },
  'diff: FIFO': { args: ['diff', D, f('fifo')], status: 1, line: ANY('diff', '.*fifo: is a FIFO: it has no bytes to map \\(ENODEV\\)') },
  'diff: missing file': { args: ['diff', D, f('missing')], status: 1, line: ANY('diff', '.*missing: no such file or directory \\(ENOENT\\)') },
  'diff: /dev/zero': { args: ['diff', '/dev/zero', D], status: 1, line: ANY('diff', 'is a character device: refusing to map it without --force') },
  'diff: no read permission': { args: ['diff', f('noread.bin'), D], status: 1, line: ANY('diff', '.*noread\\.bin: permission denied \\(EACCES\\)'), nobody: true },
  'diff: bad --coalesce': { args: ['diff', D, D, '--coalesce', '-3'], status: 2, line: ANY('diff', '--coalesce -3 must be 0\\.\\.1000000') },
  // find
  'find: empty pattern': { args: ['find', D, ''], status: 2, line: ANY('find', 'bad hex pattern "": empty') },
  'find: bad hex': { args: ['find', D, 'zz'], status: 2, line: ANY('find', 'bad hex pattern "zz": \'z\' at position 0 is not a hex digit or \'\\?\'') },
  'find: odd hex': { args: ['find', D, '1 2 3'], status: 2, line: ANY('find', 'bad hex pattern "1 2 3": odd number of hex digits .*') },
  'find: --max -1': { args: ['find', D, '48', '--max', '-1'], status: 2, line: ANY('find', '--max -1 must be at least 1') },
  'find: range past the end': { args: ['find', D, '48', '--range', '0:1T'], status: 2, line: ANY('find', 'range 0:1T ends past the end of the file \\(size 18\\)') },
  'find: zero-length file': { args: ['find', E, '00'], status: 3, line: ANY('find', 'no match for 00') },
  'find: socket': { args: ['find', f('sock'), '00'], status: 1, line: ANY('find', 'is a socket: it has no bytes to map \\(ENODEV\\)') },
  'find: /proc/self/maps': { args: ['find', '/proc/self/maps', '00'], status: 1, line: ANY('find', 'is on procfs: .*') },
  'find: no read permission': { args: ['find', f('noread.bin'), '00'], status: 1, line: ANY('find', 'permission denied \\(EACCES\\)'), nobody: true },
  // cat
  'cat: missing file': { args: ['cat', f('missing')], status: 1, line: ANY('cat', 'no such file or directory \\(ENOENT\\)') },
  'cat: directory': { args: ['cat', f('adir')], status: 1, line: ANY('cat', 'is a directory \\(EISDIR\\)') },
  'cat: FIFO, even with --force': { args: ['cat', f('fifo'), '--force'], status: 1, line: ANY('cat', 'is a FIFO: it has no bytes to map \\(ENODEV\\)') },
  'cat: /dev/zero': { args: ['cat', '/dev/zero', '0:16'], status: 1, line: ANY('cat', 'is a character device: refusing to map it without --force') },
  'cat: /proc/self/maps': { args: ['cat', '/proc/self/maps'], status: 1, line: ANY('cat', 'is on procfs: .*') },
  'cat: range past the end': { args: ['cat', D, '0:1T'], status: 2, line: ANY('cat', 'range 0:1T ends past the end of the file \\(size 18\\)') },
  'cat: range before the start': { args: ['cat', D, '-19..'], status: 2, line: ANY('cat', 'range -19\\.\\. starts before the start of the file \\(size 18\\)') },
  'cat: zero-length file, a range': { args: ['cat', E, '0:1'], status: 2, line: ANY('cat', 'range 0:1 ends past the end of the file \\(size 0\\)') },
  'cat: range with garbage': { args: ['cat', D, '1..x'], status: 2, line: ANY('cat', 'bad range "1\\.\\.x".*') },
  'cat: --json without -o': { args: ['--json', 'cat', D], status: 2, line: ANY('cat', '--json needs -o FILE: without it, standard output carries the bytes') },
  'cat: -o is the input': { args: ['cat', D, '-o', D], status: 2, line: ANY('cat', '-o .*data\\.bin is the file being read') },
  'cat: -o in a missing directory': { args: ['cat', D, '-o', f('nodir/out.bin')], status: 1, line: ANY('cat', 'cannot write .*nodir/out\\.bin: no such file or directory \\(ENOENT\\)'), files: [D] },
  'cat: no read permission': { args: ['cat', f('noread.bin')], status: 1, line: ANY('cat', 'permission denied \\(EACCES\\)'), nobody: true },
  // hash
  'hash: missing file': { args: ['hash', f('missing')], status: 1, line: ANY('hash', 'no such file or directory \\(ENOENT\\)') },
  'hash: socket': { args: ['hash', f('sock')], status: 1, line: ANY('hash', 'is a socket: it has no bytes to map \\(ENODEV\\)') },
  'hash: /dev/zero --force without a range': { args: ['hash', '/dev/zero', '--force'], status: 1, line: ANY('hash', 'the size of a device is unknown here: give an explicit length or range') },
  'hash: /dev/zero --force, a range from the end': { args: ['hash', '/dev/zero', '--force', '--range', '-16..'], status: 1, line: ANY('hash', 'the size of a device is unknown here: .*') },
  'hash: unknown --algo': { args: ['hash', D, '--algo', 'sha3'], status: 2, line: ANY('hash', ".*'sha3' is invalid.*") },
  'hash: --check too short': { args: ['hash', D, '--check', 'abcd'], status: 2, line: ANY('hash', 'bad sha256 digest "abcd": 4 hex digits, but sha256 digests have 64 \\(or a prefix of at least 12\\)') },
  'hash: --check not hex': { args: ['hash', D, '--algo', 'crc32', '--check', 'zzzzzzzz'], status: 2, line: ANY('hash', 'bad crc32 digest "zzzzzzzz": \'z\' at position 0 is not a hex digit') },
  'hash: --check mismatch': { args: ['hash', D, '--algo', 'crc32', '--check', '00000000'], status: 3, line: ANY('hash', 'crc32 of 0x0\\.\\.0x12 is [0-9a-f]{8}, expected 00000000') },
  'hash: range past the end': { args: ['hash', D, '--range', '16:3'], status: 2, line: ANY('hash', 'range 16:3 ends past the end of the file \\(size 18\\)') },
  'hash: no read permission': { args: ['hash', f('noread.bin')], status: 1, line: ANY('hash', 'permission denied \\(EACCES\\)'), nobody: true },
  // special files as outputs (-o): never replaced; what cannot be written is refused (devices, FIFOs
  // and symlinks written through: test/cli/special-files.test.ts, with device nodes of its own)
  'cat: -o a directory': { args: ['cat', D, '0:4', '-o', f('adir')], status: 1, line: ANY('cat', 'cannot write .*adir: is a directory \\(EISDIR\\)') },
  'diff: -o a socket': { args: ['diff', D, E, '-o', f('sock')], status: 1, line: ANY('diff', 'cannot write .*sock: is a socket \\(ENXIO\\)') },
  'cat: -o a symlink loop': { args: ['cat', D, '0:4', '-o', f('loop-a')], status: 1, line: ANY('cat', 'cannot write .*loop-a: .*\\(ELOOP\\)') },
  // procfs inputs with --force: read by read(2), or refused in one line where the size is needed first
  'hash: procfs --force, a range from the end': { args: ['hash', '/proc/self/status', '--force', '--range', '-4..'], status: 1, line: ANY('hash', 'range -4\\.\\. counts from the end, but the size of a procfs file is only known by reading it: .*') },
  'find: procfs --force, a range from the end': { args: ['find', '/proc/version', '00', '--force', '--range', '..-1'], status: 1, line: ANY('find', 'range \\.\\.-1 counts from the end, .*') },
  'cat: procfs --force, a range past its end': { args: ['cat', '/proc/version', '0:1M', '--force'], status: 2, line: ANY('cat', 'the range 0x0\\.\\.0x100000 ends past the end of the file \\(the file ended at 0x[0-9a-f]+ when read\\)') },
  'hexdump: procfs --force, -s past its end': { args: ['hexdump', '/proc/version', '-s', '1M', '--force'], status: 2, line: ANY('hexdump', 'offset 0x100000 is past the end of the file .*') },
  'diff: procfs --force': { args: ['diff', '/proc/version', D, '--force'], status: 1, line: ANY('diff', 'is on procfs: its size is only known by reading it to the end, which this command cannot do; .*') },
  'patch: procfs --force': { args: ['patch', '/proc/version', '--edit', '0=00', '--force'], status: 1, line: ANY('patch', 'is on procfs: its size is only known by reading it to the end, .*') },
  'find: /dev/zero --force, a range from the end': { args: ['find', '/dev/zero', '00', '--force', '--range', '-16..'], status: 1, line: ANY('find', 'the size of a device is unknown here: give an explicit length or range') },
  // several files: what cannot be told apart, lists that cannot be read, errors before any file
  'patch: two files and --edit': {
    args: ['patch', D, E, '--edit', '0=00'],
    status: 2,
    line: ANY('patch', 'two arguments with --edit: is .*empty\\.bin a second FILE or a PATCH file\\? Give the patch file with --patch PATCH, or the files with --files-from LIST; nothing was changed'),
  },
  'patch: three files without --patch': { args: ['patch', D, E, f('nowrite.bin')], status: 2, line: ANY('patch', '3 arguments and no --patch: give the patch file with --patch PATCH \\(every argument is then a FILE\\); nothing was changed') },
  'patch: --files-from a missing list': { args: ['patch', '--files-from', f('no.list'), '--edit', '0=00'], status: 2, line: ANY('patch', 'cannot read --files-from .*no\\.list: no such file or directory \\(ENOENT\\)') },
  'patch: --files-from - and --patch -': { args: ['patch', D, '--files-from', '-', '--patch', '-'], status: 2, line: ANY('patch', '--files-from - and --patch - both read standard input: give one of them a file') },
  'patch: several files and a malformed --edit': { args: ['patch', D, E, f('nowrite.bin'), '--edit', '0=zz'], status: 2, line: ANY('patch', "--edit '0=zz', col 3: .*") },
  'info: an empty --files-from and no FILE': { args: ['info', '--files-from', E], status: 2, line: ANY('info', 'no files: --files-from .*empty\\.bin lists no path, and no FILE was given') },
  'find: a NUL in the --files-from list': { args: ['find', '--files-from', f('nul.list'), '48'], status: 2, line: ANY('find', '--files-from .*nul\\.list line 2: a path cannot contain a NUL byte') },
  'find: a FILE and no PATTERN': { args: ['find', D], status: 2, line: ANY('find', "missing required argument 'pattern' \\(see 'mmapx find --help'\\)") },
  'find: several files and a bad pattern': { args: ['find', D, E, 'zz'], status: 2, line: ANY('find', 'bad hex pattern "zz": .*') },
  'hexdump: several files, xxd columns > 256': { args: ['hexdump', D, E, '-f', 'xxd', '-c', '1000'], status: 2, line: ANY('hexdump', 'invalid number of columns 1000 \\(max\\. 256\\)') },
  'write: --files-from - and --stdin': { args: ['write', '--files-from', '-', '0', '--stdin'], status: 2, line: ANY('write', '--files-from - and --stdin both read standard input: give one of them a file'), files: [D] },
  // patches that change nothing (a truncated download), plain dumps (xxd -p)
  'patch: empty patch file': { args: ['patch', D, f('empty.patch')], status: 2, line: ANY('patch', 'the patch .*empty\\.patch is empty: refusing a patch that changes nothing .*; --allow-empty accepts it') },
  'patch: /dev/null as the patch': { args: ['patch', D, '/dev/null'], status: 2, line: ANY('patch', 'the patch /dev/null is empty: refusing .*') },
  'patch: comments only': { args: ['patch', D, f('comments.patch')], status: 2, line: ANY('patch', 'the patch .*comments\\.patch has no hunk: refusing .*') },
  'patch: IPS without records': { args: ['patch', D, f('no-record.ips'), '--format', 'ips'], status: 2, line: ANY('patch', 'the patch .*no-record\\.ips has no record: refusing .*') },
  'patch: empty dump': { args: ['patch', D, f('empty.patch'), '--format', 'xxd'], status: 2, line: ANY('patch', 'the patch .*empty\\.patch is empty: refusing .*') },
  'patch: empty standard input': { args: ['patch', D, '-'], status: 2, line: ANY('patch', 'the patch on standard input is empty: refusing .*'), input: '' },
  'patch: several files, empty --patch': { args: ['patch', '--patch', f('empty.patch'), D, E], status: 2, line: /^mmapx: patch: the patch .*empty\.patch is empty: refusing .*/ },
  'patch: xxd -p dump as --format xxd': { args: ['patch', D, f('plain.hex'), '--format', 'xxd'], status: 2, line: ANY('patch', 'plain\\.hex line 1, col 1: hex digits with no offset: a plain dump \\(xxd -p\\) is applied with --format plain, .*') },
  'patch: --seek without --format plain': { args: ['patch', D, f('comments.patch'), '--seek', '4'], status: 2, line: ANY('patch', '--seek 4 only goes with --format plain: .*') },
  'patch: plain dump past the end': { args: ['patch', D, f('plain.hex'), '--format', 'plain', '--seek', '-1'], status: 2, line: ANY('patch', '.*plain\\.hex line 1: .*') },
  'write: --stdin, empty standard input': { args: ['write', D, '0', '--stdin'], status: 2, line: ANY('write', 'standard input was empty: nothing to write'), input: '' },
  'write: --files-from - and data -': { args: ['write', '--files-from', '-', '0', '-'], status: 2, line: ANY('write', '--files-from - and - both read standard input: give one of them a file'), files: [D], input: `${f('data.bin')}\n` },
  // `-` is standard input for the commands that only read (here a socket, as Node's spawn gives it).
  'hexdump: - given twice': { args: ['hexdump', '-', '-'], status: 2, line: ANY('hexdump', '- \\(standard input\\) is given more than once: it can only be read once'), input: 'ab' },
  'hexdump: --files-from - and the FILE -': { args: ['hexdump', '--files-from', '-', '-'], status: 2, line: ANY('hexdump', '--files-from - and the FILE - both read standard input: give one of them a file'), input: 'ab' },
  'hexdump: -s from the end of a pipe': { args: ['hexdump', '-', '-s', '-4'], status: 2, line: ANY('hexdump', 'range -4\\.\\. counts from the end, but standard input is a socket: its end is only known by reading it; .*'), input: 'abcdef' },
  'cat: - with a range past its end': { args: ['cat', '-', '2:10'], status: 2, line: ANY('cat', 'the range 0x2\\.\\.0xc ends past the end of standard input \\(it ended at 0x6 when read\\)'), input: 'abcdef' },
  'find: - with a range from the end': { args: ['find', '-', '61', '--range', '..-1'], status: 2, line: ANY('find', 'range \\.\\.-1 counts from the end, but standard input is a socket: .*'), input: 'abcdef' },
  'diff: - as OLD and NEW': { args: ['diff', '-', '-'], status: 2, line: ANY('diff', 'OLD and NEW are both - \\(standard input\\): it can only be read once'), input: 'ab' },
  'write: - as the FILE': { args: ['write', '-', '0', '00'], status: 2, line: ANY('write', '- \\(standard input\\) is only read: a command that changes a file needs its name \\(a file called - is \\./-\\)'), input: 'ab' },
  'patch: - as the FILE': { args: ['patch', '-', '--edit', '0=00'], status: 2, line: ANY('patch', '- \\(standard input\\) is only read: .*'), input: 'ab' },
  'write: --file longer than the file without --grow': { args: ['write', D, '4', '--file', f('files.list')], status: 2, line: ANY('write', 'the data \\(--file .*files\\.list\\) is longer than the 14 bytes the file holds from offset 4 on: use --grow to extend it; nothing was written') },
  'write: --files-from without an OFFSET': { args: ['write', '--files-from', f('files.list')], status: 2, line: ANY('write', "missing required argument 'offset' \\(see 'mmapx write --help'\\)"), files: [D] },
  // typed find and patch values, --align
  'find: typed value that does not fit': { args: ['find', D, '--u8', '300'], status: 2, line: ANY('find', '300 does not fit in u8 \\(0\\.\\.255\\)') },
  'find: two typed values': { args: ['find', D, '--u32le', '1', '--u16be', '2'], status: 2, line: /^mmapx: find: give one value to find: --u16be and --u32le$/ },
  'find: --text and a typed value': { args: ['find', D, '--text', '--u8', '1'], status: 2, line: /^mmapx: find: --text and --u8 exclude each other: give one pattern$/ },
  'find: TYPE:VALUE without a byte order': { args: ['find', D, 'u32:1'], status: 2, line: ANY('find', 'bad typed value "u32:1": u32 needs its byte order \\(u32le or u32be\\)') },
  'find: --align 0': { args: ['find', D, '48', '--align', '0'], status: 2, line: ANY('find', '--align 0 must be at least 1') },
  'find: a typed value at no aligned offset': { args: ['find', D, '--u8', '0x65', '--align', '2'], status: 3, line: ANY('find', 'no match for u8:0x65 \\(aligned to 2\\)') },
  'patch: typed --replace of another length': { args: ['patch', D, '--find', 'u16le:0x6548', '--replace', 'u32le:1'], status: 2, line: ANY('patch', '--replace has 4 byte\\(s\\) but --find has 2: a replacement keeps the length') },
  'patch: --align without --find': { args: ['patch', D, '--edit', '0=00', '--align', '2'], status: 2, line: ANY('patch', '--align only goes with --find/--replace') },
  'patch: typed --find at no aligned offset': { args: ['patch', D, '--find', 'u16be:0x6c6c', '--replace', '4c4c', '--align', '4'], status: 3, line: ANY('patch', 'find 6c 6c \\(aligned to 4\\) matched nothing; expected once') },
  // stamp: placeholders matching 0 or too many times, values that do not fit, bad hex
  'stamp: placeholder matching nothing': { args: ['stamp', D, '--text', '--placeholder', 'Goodbye', '--value', 'x'], status: 3, line: ANY('stamp', 'nothing written: the placeholder "Goodbye" \\(7 bytes\\) matched nothing; expected once, and "x" padded to 7 bytes is not there either: .*') },
  'stamp: placeholder matching 3 times': { args: ['stamp', D, '--placeholder', '6c', '--value', '4c'], status: 3, line: ANY('stamp', 'nothing written: the placeholder "l" \\(1 byte\\) matched 3 times at 0x2, 0x3, 0xa; expected once') },
  'stamp: placeholder matching 3 times, --count 2': { args: ['stamp', D, '--placeholder', '6c', '--value', '4c', '--count', '2'], status: 3, line: ANY('stamp', 'matched 3 times at 0x2, 0x3, 0xa; expected 2 times') },
  'stamp: value too long': { args: ['stamp', D, '--text', '--placeholder', 'Hello', '--value', 'Hello!'], status: 2, line: ANY('stamp', 'the value has 6 bytes but the placeholder has 5: the value does not fit') },
  'stamp: value and terminator too long': { args: ['stamp', D, '--text', '--placeholder', 'Hello', '--value', 'Howdy', '--terminate'], status: 2, line: ANY('stamp', 'the value and its NUL terminator need 6 bytes \\(value 5\\) but the placeholder has 5: .*') },
  'stamp: bad hex placeholder': { args: ['stamp', D, '--placeholder', '6z', '--value', '00'], status: 2, line: ANY('stamp', "--placeholder: bad hex data .*'z'.* \\(give --text for text\\)") },
  'stamp: odd hex value': { args: ['stamp', D, '--placeholder', '6c6c', '--value', '4c4'], status: 2, line: ANY('stamp', '--value: bad hex data .*odd.*') },
  'stamp: --count 0': { args: ['stamp', D, '--placeholder', '6c', '--value', '4c', '--count', '0'], status: 2, line: ANY('stamp', '--count 0 must be 1 to 1000000') },
  'stamp: bad --pad': { args: ['stamp', D, '--placeholder', '6c', '--value', '4c', '--pad', 'tab'], status: 2, line: ANY('stamp', '--pad tab: give 00, space, or one byte as two hex digits') },
  'stamp: no --value': { args: ['stamp', D, '--placeholder', '6c'], status: 2, line: ANY('stamp', "missing required option '--value' \\(see 'mmapx stamp --help'\\)") },
  'patch: xor statement without its hash': { args: ['patch', D, f('xor-nohash.patch')], status: 2, line: ANY('patch', 'xor-nohash\\.patch line 1, col 11: xor needs the SHA-256 of the range after it, .*') },
  'patch: xor statement with another result': { args: ['patch', D, f('xor-otherhash.patch')], status: 3, line: ANY('patch', 'guard failed, nothing written: .*xor-otherhash\\.patch line 1: xor 5a of 0:4 would give sha256 [0-9a-f]{64}, expected 0{64} .*') },
  'patch: fill statement past the end': { args: ['patch', D, f('fill-past-end.patch')], status: 2, line: ANY('patch', 'fill-past-end\\.patch line 1: fill: range 0x10:8 ends past the end of the file \\(size 0x12\\)') },
  'patch: stamp statement matching 3 times': { args: ['patch', D, f('stamp-3-times.patch')], status: 3, line: ANY('patch', '.*stamp-3-times\\.patch line 1: find 6c matched 3 times at 0x2, 0x3, 0xa; expected once') },
  'patch: stamp statement too long': { args: ['patch', D, f('stamp-too-long.patch')], status: 2, line: ANY('patch', 'stamp-too-long\\.patch line 1, col 7: the value has 7 bytes but the placeholder has 5: the value does not fit') },
  'patch: insert statement without its colon': { args: ['patch', D, f('insert.patch')], status: 2, line: ANY('patch', "insert\\.patch line 1, col 12: expected 'insert OFFSET: bytes' .*") },
  'stamp: missing file': { args: ['stamp', f('missing.bin'), '--placeholder', '6c', '--value', '4c'], status: 1, line: ANY('stamp', '\\(ENOENT\\)'), files: [D] },
  // the range overwrites: fill, copy, move, transform
  'fill: a range past the end': { args: ['fill', D, '10:20', '--pattern', '00'], status: 2, line: ANY('fill', 'range 10:20 ends past the end of the file \\(size 18\\)') },
  'fill: a zero-length range': { args: ['fill', D, '4:0', '--pattern', '00'], status: 2, line: ANY('fill', 'the fill range at 0x4 is empty \\(0 bytes\\): nothing to do') },
  'fill: a bad pattern': { args: ['fill', D, '0:4', '--pattern', '0g'], status: 2, line: ANY('fill', "bad hex data \"0g\": 'g' at position 1 is not a hex digit") },
  'fill: an odd-length pattern': { args: ['fill', D, '0:4', '--pattern', '123'], status: 2, line: ANY('fill', 'bad hex data "123": odd number of hex digits') },
  'fill: no --pattern': { args: ['fill', D, '0:4'], status: 2, line: ANY('fill', '--pattern HEX is required .*') },
  'fill: --expect that differs': { args: ['fill', D, '0:4', '--pattern', '00', '--expect', '00000000'], status: 3, line: ANY('fill', 'guard failed, nothing written: --expect: bytes at 0x0 are 48 65 6c 6c, expected 00 00 00 00') },
  'fill: --expect shorter than the range': { args: ['fill', D, '0:4', '--pattern', '00', '--expect', '0000'], status: 2, line: ANY('fill', 'the guard has 2 bytes but the range has 4: they must cover the same bytes') },
  'fill: --expect-sha256 not a digest': { args: ['fill', D, '0:4', '--pattern', '00', '--expect-sha256', 'abc'], status: 2, line: ANY('fill', '--expect-sha256 must be 64 hex digits of SHA-256, not "abc"') },
  'fill: --expect-result-sha256 that differs': { args: ['fill', D, '0:4', '--pattern', '00', '--expect-result-sha256', '0'.repeat(64)], status: 3, line: ANY('fill', 'guard failed, nothing written: --expect-result-sha256: the file would have sha256 [0-9a-f]{64}, expected 0{64}') },
  'copy: a source past the end': { args: ['copy', D, '10:10', '0'], status: 2, line: ANY('copy', 'range 10:10 ends past the end of the file \\(size 18\\)') },
  'copy: a destination past the end': { args: ['copy', D, '0:4', '16'], status: 2, line: ANY('copy', 'copying 4 bytes to 0x10 ends past the end of the file \\(size 0x12\\): copy never grows a file; extend it first \\(mmapx write --grow\\)') },
  'copy: a zero-length source': { args: ['copy', D, '0:0', '1'], status: 2, line: ANY('copy', 'the source range at 0x0 is empty \\(0 bytes\\): nothing to do') },
  'copy: --from a missing file': { args: ['copy', D, '0:4', '0', '--from', f('missing')], status: 1, line: ANY('copy', '--from .*missing: no such file or directory \\(ENOENT\\)') },
  'copy: --from twice': { args: ['copy', D, '0:4', '0', '--from', D, '--from', E], status: 2, line: ANY('copy', "option '--from <other>' given more than once .*") },
  'move: a fill that is no byte': { args: ['move', D, '0:4', '2', '--fill', '256'], status: 2, line: ANY('move', '--fill 256 is not a byte \\(00\\.\\.ff\\)') },
  'move: a destination past the end': { args: ['move', D, '0:4', '15'], status: 2, line: ANY('move', 'moving 4 bytes to 0xf ends past the end of the file \\(size 0x12\\): move never grows a file') },
  'move: no destination': { args: ['move', D, '0:4'], status: 2, line: ANY('move', "missing required argument 'dst-offset' \\(see 'mmapx move --help'\\)"), files: [D] },
  'transform: an odd key length': { args: ['transform', D, '0:4', 'xor', '123'], status: 2, line: ANY('transform', 'bad xor key "123": odd number of hex digits') },
  'transform: a range of part of a unit': { args: ['transform', D, '0:3', 'add', '1', '--unit', 'u16le'], status: 2, line: ANY('transform', 'the range 0:3 is 3 bytes, not a whole number of 2-byte units \\(add 1 \\(u16le\\)\\): 1 left over') },
  'transform: an unknown op': { args: ['transform', D, '0:4', 'frob'], status: 2, line: ANY('transform', 'unknown transform "frob" \\(expected one of xor, .*\\)') },
  'transform: a missing argument': { args: ['transform', D, '0:4', 'add'], status: 2, line: ANY('transform', 'add needs a number \\(as in add 3\\)') },
  'transform: a unit the op does not take': { args: ['transform', D, '0:4', 'xor', '5a', '--unit', 'u32le'], status: 2, line: ANY('transform', 'xor works byte by byte: --unit u32le does not apply \\(only u8\\)') },
  'transform: a rotate too far': { args: ['transform', D, '0:4', 'rol', '8'], status: 2, line: ANY('transform', 'bad rol count "8": must be 0\\.\\.7 for u8') },
  'transform: a value that does not fit': { args: ['transform', D, '0:4', 'add', '256'], status: 2, line: ANY('transform', 'bad add value "256": does not fit in u8 .*') },
  'transform: an empty range of an empty file': { args: ['transform', E, '0:0', 'not'], status: 2, line: ANY('transform', 'the transform range at 0x0 is empty \\(0 bytes\\): nothing to do') },
  'transform: a missing file': { args: ['transform', f('missing'), '0:4', 'not'], status: 1, line: ANY('transform', 'no such file or directory \\(ENOENT\\)') },
  // insert and delete: ranges and offsets past the end, nothing to do, guards, impossible sizes
  'delete: range past the end': { args: ['delete', D, '10:20'], status: 2, line: ANY('delete', 'range 10:20 ends past the end of the file \\(size 18\\)') },
  'delete: range starting past the end': { args: ['delete', D, '0x20:1'], status: 2, line: ANY('delete', 'range 0x20:1 starts past the end of the file \\(size 0x12\\)') },
  'delete: zero-length range': { args: ['delete', D, '4:0'], status: 2, line: ANY('delete', 'the range at 0x4 is empty \\(0 bytes\\): nothing to delete') },
  'delete: empty file': { args: ['delete', E, '0:1'], status: 2, line: ANY('delete', 'range 0:1 ends past the end of the file \\(size 0\\)') },
  'delete: --expect differs': { args: ['delete', D, '0:2', '--expect', '0000'], status: 3, line: ANY('delete', 'bytes at 0x0 are 48 65, expected 00 00; nothing changed') },
  'delete: --expect of another length': { args: ['delete', D, '0:2', '--expect', '48'], status: 2, line: ANY('delete', 'the guard has 1 byte but the range has 2 bytes: it must be the bytes being deleted') },
  'delete: --expect-result-sha256 differs': { args: ['delete', D, '0:1', '--expect-result-sha256', '0'.repeat(64)], status: 3, line: ANY('delete', 'the file would have sha256 [0-9a-f]{64}, expected 0{64}; nothing changed') },
  'delete: no RANGE': { args: ['delete', D], status: 2, line: ANY('delete', "missing required argument 'range' \\(see 'mmapx delete --help'\\)") },
  'delete: missing file': { args: ['delete', f('missing'), '0:1'], status: 1, line: ANY('delete', 'no such file or directory \\(ENOENT\\)') },
  'delete: FIFO': { args: ['delete', f('fifo'), '0:1', '--force'], status: 1, line: ANY('delete', 'is a FIFO: it has no bytes to map \\(ENODEV\\)') },
  'insert: offset past the end': { args: ['insert', D, '19', '00'], status: 2, line: ANY('insert', 'offset 19 is past the end of the file \\(size 18\\)') },
  'insert: no data': { args: ['insert', D, '0'], status: 2, line: ANY('insert', 'no data: give hex bytes, or one of .*') },
  'insert: --fill without --length': { args: ['insert', D, '0', '--fill', '0'], status: 2, line: ANY('insert', '--fill needs --length N') },
  'insert: past the largest size': { args: ['insert', D, '0', '--fill', '0', '--length', '0x1ffffffffffff6'], status: 2, line: ANY('insert', 'inserting 9007199254740982 bytes would grow the file to .* past the largest size mmapx gives a file .*') },
  'insert: --expect differs': { args: ['insert', D, '0', 'aa', '--expect', '0000'], status: 3, line: ANY('insert', 'bytes at 0x0 are 48 65, expected 00 00; nothing changed') },
  'insert: --expect past the end': { args: ['insert', D, '17', 'aa', '--expect', '0000'], status: 3, line: ANY('insert', 'expected 00 00 at 0x11: the file ends at 0x12') },
  'insert: bad --expect-result-sha256': { args: ['insert', D, '0', 'aa', '--expect-result-sha256', 'abc'], status: 2, line: ANY('insert', '--expect-result-sha256 must be 64 hex digits of SHA-256, not "abc"') },
  'insert: bad hex': { args: ['insert', D, '0', 'zz'], status: 2, line: ANY('insert', '.*zz.*') },
  'insert: --files-from without an OFFSET': { args: ['insert', '--files-from', f('files.list')], status: 2, line: ANY('insert', "missing required argument 'offset' \\(see 'mmapx insert --help'\\)"), files: [D] },
  // patch files with insert and delete statements: conflicts name both lines, guards exit 3
  'patch: a hunk overlapping a deleted range': { args: ['patch', D, f('shift-overlap.patch')], status: 2, line: ANY('patch', 'shift-overlap\\.patch line 1 and .*shift-overlap\\.patch line 2: the change at 0x3\\.\\.0x4 overlaps the deleted range 0x2\\.\\.0x6 \\(at 0x3\\)') },
  'patch: two deleted ranges overlapping': { args: ['patch', D, f('shift-deletes-overlap.patch')], status: 2, line: ANY('patch', 'line 1 and .*line 2: the deleted ranges overlap at 0x4\\.\\.0x6') },
  'patch: an insert inside a deleted range': { args: ['patch', D, f('shift-insert-inside.patch')], status: 2, line: ANY('patch', 'line 1 and .*line 2: the insert at 0x3 is inside the deleted range 0x2\\.\\.0x6') },
  'patch: the guard of a delete differs': { args: ['patch', D, f('shift-guard.patch')], status: 3, line: ANY('patch', 'guard failed, nothing written: .*shift-guard\\.patch line 2: delete at 0x7 expected 00 00 00 00 00, found 77 6f 72 6c 64') },
  'patch: a delete past the end': { args: ['patch', D, f('shift-past-end.patch')], status: 2, line: ANY('patch', 'shift-past-end\\.patch line 1: delete: range 0x10:4 ends past the end of the file \\(size 0x12\\)') },
  'patch: an insert of 0 bytes': { args: ['patch', D, f('shift-insert-nothing.patch')], status: 2, line: ANY('patch', 'shift-insert-nothing\\.patch line 1, col 10: no bytes to insert') },
  'patch: size after other than the shifts give': { args: ['patch', D, f('shift-size-after.patch')], status: 3, line: ANY('patch', 'guard failed, nothing written: .*line 1: size after 0x12, but the inserts and deletes give 0x13 \\(from 0x12\\)') },
};

function runAs(c: Case): Run {
  if (!c.nobody) return mmapx(c.args, { input: c.input ?? '' });
  return runCommand(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, BIN], c.args, { env: PINNED_ENV });
}

describe('hostile and bad input', () => {
  it('has at least 60 cases across every command (with the filesystem cases below)', () => {
    expect(Object.keys(CASES).length + 4).toBeGreaterThanOrEqual(60);
    const command = (c: Case) => c.args.find((a) => !a.startsWith('-') && !/^\d|^(sometimes|soon)$/.test(a));
    const commands = new Set(Object.values(CASES).map(command));
    for (const cmd of ['write', 'flush', 'protect', 'info', 'hexdump', 'completion', 'patch', 'recover', 'diff', 'find', 'cat', 'hash'])
      expect(commands).toContain(cmd);
    // The commands of the undo journal and the scans have their own share.
    expect(Object.values(CASES).filter((c) => ['patch', 'recover', 'diff', 'find'].includes(command(c)!)).length).toBeGreaterThanOrEqual(15);
  });

  for (const [name, c] of Object.entries(CASES)) {
    it.skipIf(c.nobody && ROOT_USER && !canDrop)(name, () => {
      const files = c.files ?? c.args.filter((a) => a.startsWith(dir) && /\.bin$/.test(a));
      const before = files.map((p) => fingerprint(p));
      const r = runAs(c);
      expect(r.signal, r.dump).toBeNull();
      expect(r.status, r.dump).toBe(c.status);
      const lines = r.stderr.split('\n');
      expect(lines.length === 2 && lines[1] === '', `exactly one stderr line\n${r.dump}`).toBe(true);
      expect(lines[0], r.dump).toMatch(c.line);
      expect(r.stderr, r.dump).not.toMatch(/\n\s+at |Error:/);
      expect(files.map((p) => fingerprint(p))).toEqual(before);
    });
  }
});

describe.skipIf(!canDrop)('read-only commands on a file the user cannot write', () => {
  it.each([[['hexdump', '-n', '4']], [['info']], [['find', '72']], [['protect', 'ro']], [['cat', '0:4']], [['hash', '--algo', 'md5']]])(
    '%j works as nobody on a 0444 file',
    (cmd) => {
      const target = f('nowrite.bin');
      const before = fingerprint(target);
      const [name, ...rest] = cmd as string[];
      const r = runCommand(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, BIN], [name as string, target, ...rest], {
        env: PINNED_ENV,
      });
      expect(r.status, r.dump).toBe(0);
      expect(r.stderr, r.dump).toBe('');
      expect(fingerprint(target)).toBe(before);
    },
  );
});

describe.skipIf(!mountNamespaces())('hostile filesystems', () => {
  const check = (script: string) => {
    const r = inMountNamespace(`mount -t tmpfs tmpfs "$d" && printf 'abcdefgh' > "$d/f" || exit 98\n${script}\nsha256sum < "$d/f"`);
    const [line, ...rest] = r.stderr.split('\n');
    expect(rest, r.stderr).toEqual(['']);
    return { line: line as string, out: r.stdout };
  };
  const ABC = '9c56cc51b374c3ba189210d5b6d4bf57790d351c96c47c02190ecf1e430635ab  -\n';

  it('write on a read-only filesystem', () => {
    const { line, out } = check('mount -o remount,ro "$d"; $MMAPX write "$d/f" 0 00; echo "status $?"');
    expect(line).toMatch(/^mmapx: write: .*\/f: read-only file system \(the file is on a read-only filesystem\) \(EROFS\)$/);
    expect(out).toBe(`status 1\n${ABC}`);
  });

  it('flush on a read-only filesystem', () => {
    const { line, out } = check('mount -o remount,ro "$d"; $MMAPX flush "$d/f"; echo "status $?"');
    expect(line).toMatch(/^mmapx: flush: .*\(EROFS\)$/);
    expect(out).toBe(`status 1\n${ABC}`);
  });

  it('patch on a read-only filesystem', () => {
    const { line, out } = check('mount -o remount,ro "$d"; $MMAPX patch "$d/f" --edit 0=41; echo "status $?"');
    expect(line).toMatch(/^mmapx: patch: .*\/f: read-only file system \(the file is on a read-only filesystem\) \(EROFS\)$/);
    expect(out).toBe(`status 1\n${ABC}`);
  });

  it('protect exec on a noexec filesystem', () => {
    const { line, out } = check('mount -o remount,noexec "$d"; $MMAPX protect "$d/f" exec; echo "status $?"');
    expect(line).toMatch(/^mmapx: protect: .*\/f: cannot map it executable: .* is mounted noexec \((EACCES|EPERM)\)$/);
    expect(out).toBe(`status 1\n${ABC}`);
  });
});
