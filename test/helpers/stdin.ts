// Feeds the built CLI's standard input the way real producers do: late, in parts, one byte at a
// time, through a shell pipe (a FIFO), through Node's own child stdio (a socket), and through a
// pipe whose descriptor is non-blocking. The producers wait between writes; nothing here times
// the CLI.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, PINNED_ENV, type Run } from './cli.js';

/**
 * How the input arrives:
 * - `slow pipe`: a shell pipe; the producer writes nothing for 300 ms, then half, then 200 ms later the rest.
 * - `1-byte pipe`: a shell pipe; the producer writes nothing for 300 ms, then one byte per write(2), 2 ms apart.
 * - `slow socket`: Node's `spawn` with stdio 'pipe' (a socket pair), written like `slow pipe`.
 * - `non-blocking pipe`: `1-byte pipe`, but fd 0 has O_NONBLOCK before mmapx reads it.
 */
export type Feed = 'slow pipe' | '1-byte pipe' | 'slow socket' | 'non-blocking pipe';
export const FEEDS: readonly Feed[] = ['slow pipe', '1-byte pipe', 'slow socket', 'non-blocking pipe'];

const PRODUCER = `// Writes the file argv[2] to fd 1: 'slow' or 'bytes' (see test/helpers/stdin.ts).
const { readFileSync, writeSync } = require('node:fs');
const data = readFileSync(process.argv[2]);
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
(async () => {
  if (process.argv[3] === 'slow') {
    await wait(300);
    writeSync(1, data.subarray(0, data.length >> 1));
    await wait(200);
    writeSync(1, data.subarray(data.length >> 1));
  } else {
    await wait(300);
    for (let i = 0; i < data.length; i++) {
      writeSync(1, data.subarray(i, i + 1));
      await wait(2);
    }
  }
})();
`;

// libuv sets O_NONBLOCK on a pipe when process.stdin is first touched; the file description is
// shared with whoever else holds the pipe. The preload does that before mmapx runs, and says so
// on stderr (which the tests check to be one line) if fd 0 did not become non-blocking.
const NONBLOCK = `void process.stdin;
const flags = Number.parseInt(/flags:\\s*([0-7]+)/.exec(require('node:fs').readFileSync('/proc/self/fdinfo/0', 'utf8'))[1], 8);
if ((flags & 0o4000) === 0) process.stderr.write('nonblock preload: fd 0 is still blocking\\n');
`;

function result(args: string[], status: number | null, signal: NodeJS.Signals | null, out: Buffer, err: Buffer, how: string): Run {
  const stdout = out.toString('utf8');
  const stderr = err.toString('utf8');
  return {
    args,
    status,
    signal,
    stdout,
    stderr,
    stdoutBytes: out,
    dump: `$ ${how} | mmapx ${args.join(' ')}\n-> status ${status} signal ${signal}\n--- stdout\n${stdout.slice(0, 2000)}\n--- stderr\n${stderr.slice(0, 2000)}`,
  };
}

let fedRuns = 0;
/** The producer's and the preload's scripts in `dir`, written once (concurrent runs share them). */
const scriptsWritten = new Set<string>();

/**
 * Runs mmapx `args` with `input` fed as `feed` says. `dir` holds the producer's scripts and the
 * payload (one payload file per run, so that runs may go on at the same time: the producers
 * mostly wait, and a test file can run its cases concurrently).
 */
export async function fed(dir: string, feed: Feed, input: Uint8Array, args: string[]): Promise<Run> {
  if (feed === 'slow socket') return viaSocket(input, args);
  const payload = join(dir, `stdin-payload-${fedRuns++}`);
  writeFileSync(payload, input);
  const producer = join(dir, 'stdin-producer.cjs');
  const preload = join(dir, 'stdin-nonblock.cjs');
  if (!scriptsWritten.has(dir)) {
    writeFileSync(producer, PRODUCER);
    writeFileSync(preload, NONBLOCK);
    scriptsWritten.add(dir);
  }
  const mode = feed === 'slow pipe' ? 'slow' : 'bytes';
  const node = feed === 'non-blocking pipe' ? [process.execPath, '-r', preload] : [process.execPath];
  // sh -c SCRIPT sh NODE PRODUCER PAYLOAD MODE -- MMAPX-ARGV...: the producer's own errors
  // (EPIPE when mmapx stops reading early) go nowhere; the pipeline's status is mmapx's.
  const script = 'node="$1" producer="$2" payload="$3" mode="$4"; shift 5; "$node" "$producer" "$payload" "$mode" 2>/dev/null | "$@"';
  const child = spawn('sh', ['-c', script, 'sh', process.execPath, producer, payload, mode, '--', ...node, BIN, ...args], {
    env: PINNED_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collect(child, args, `${feed} producer`);
}

/** What a started pipeline printed and how it ended; killed (SIGKILL, as spawnSync's timeout) after 60 s. */
function collect(child: ChildProcess, args: string[], how: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve(result(args, status, signal, Buffer.concat(out), Buffer.concat(err), how));
    });
  });
}

function viaSocket(input: Uint8Array, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: PINNED_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // mmapx may stop reading early (an error): EPIPE is expected then
    const half = input.length >> 1;
    const t1 = setTimeout(() => {
      child.stdin.write(input.subarray(0, half));
      t2 = setTimeout(() => child.stdin.end(input.subarray(half)), 200);
    }, 300);
    let t2: NodeJS.Timeout | undefined;
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(t1);
      clearTimeout(t2);
      resolve(result(args, status, signal, Buffer.concat(out), Buffer.concat(err), 'slow socket producer'));
    });
  });
}
