// Under --json every failure prints exactly one JSON object on stdout, usage errors that
// commander finds included (unknown option, bad choice, missing argument, option given twice,
// unknown command): the same keys as every other failure, {command, ok:false, exitCode,
// error:{message, code, path}}, and still one line on stderr. Generated across the commands.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { Context } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/program.js';
import { requireBuild } from '../helpers/child.js';
import { type Run, fingerprint, mmapx } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const program = buildProgram(new Context({ json: false, quiet: false, color: 'never', debug: false }, { stdoutFd: 1, stderrFd: 2 }, {}), () => {});
const COMMANDS = program.commands.filter((c) => c.name() !== 'help');
const dir = tmpDir('mmapx-json-errors-');
const D = join(dir, 'data.bin');
beforeAll(() => {
  requireBuild();
  writeFileSync(D, 'Hello, world!\n');
});

/** Asserts one JSON failure object on stdout with the documented keys, and one stderr line. */
function expectJsonFailure(r: Run, command: string | null, exitCode: number, message: RegExp, stderrLines = 1): void {
  expect(r.status, r.dump).toBe(exitCode);
  const lines = r.stdout.split('\n');
  expect(lines.length, `one JSON line expected\n${r.dump}`).toBe(2);
  expect(lines[1], r.dump).toBe('');
  const o = JSON.parse(lines[0]!);
  expect(Object.keys(o), r.dump).toEqual(['command', 'ok', 'exitCode', 'error']);
  expect(Object.keys(o.error), r.dump).toEqual(['message', 'code', 'path']);
  expect(o.command, r.dump).toBe(command);
  expect(o.ok, r.dump).toBe(false);
  expect(o.exitCode, r.dump).toBe(exitCode);
  expect(o.error.message, r.dump).toMatch(message);
  if (stderrLines === 1) expect(r.stderr.split('\n').length, `one stderr line expected\n${r.dump}`).toBe(2);
}

function firstValueOption(c: Command) {
  return c.options.find((o) => o.required);
}

interface Case {
  name: string;
  args: string[];
  command: string | null;
  message: RegExp;
  /** `mmapx` without a command prints the usage on stderr, as without --json. */
  usage?: true;
}

const CASES: Case[] = [
  { name: 'unknown command', args: ['--json', 'bogus'], command: null, message: /^unknown command 'bogus'/ },
  { name: 'no command', args: ['--json'], command: null, message: /no command given/, usage: true },
  { name: 'help for an unknown command', args: ['--json', 'help', 'bogus'], command: null, message: /^unknown command 'bogus'/, usage: true },
  {
    name: 'bad global choice before --json',
    args: ['--color', 'bogus', '--json', 'info', D],
    command: 'info',
    message: /'--color <when>' argument 'bogus' is invalid/,
  },
  {
    name: 'global option twice',
    args: ['--json', '--wait', '1', 'info', D, '--wait', '2'],
    command: 'info',
    message: /'--wait <seconds>' given more than once/,
  },
  { name: 'issue 16: hd -f bogus', args: ['--json', 'hd', '-f', 'bogus', D], command: 'hexdump', message: /argument 'bogus' is invalid/ },
  { name: 'issue 16: hd --bogus', args: ['--json', 'hd', '--bogus', D], command: 'hexdump', message: /^unknown option '--bogus'/ },
  ...COMMANDS.flatMap((c): Case[] => {
    const name = c.name();
    const out: Case[] = [
      { name: `${name}: unknown option`, args: ['--json', name, '--bogus-option', D], command: name, message: /unknown option '--bogus-option'/ },
    ];
    // No arguments at all: commander's "missing required argument", or the command's own usage error
    // (not hexdump's nor hash's: with no FILE they read standard input, here not a terminal; see
    // stdin.test.ts and hash-sums.test.ts).
    if (name !== 'hexdump' && name !== 'hash') out.push({ name: `${name}: no arguments`, args: ['--json', name], command: name, message: /./ });
    const v = firstValueOption(c);
    if (v) {
      const flag = (v.long ?? v.short)!;
      const [a, b] = v.argChoices ? [v.argChoices[0]!, v.argChoices[1]!] : ['1', '2'];
      out.push({ name: `${name}: ${flag} twice`, args: ['--json', name, D, flag, a, flag, b], command: name, message: /given more than once/ });
    }
    for (const o of c.options.filter((x) => x.argChoices)) {
      out.push({ name: `${name}: ${o.long} bogus`, args: ['--json', name, D, o.long!, 'bogus'], command: name, message: /argument 'bogus' is invalid/ });
    }
    for (const a of c.registeredArguments.filter((x) => x.argChoices)) {
      const before = c.registeredArguments.indexOf(a);
      out.push({
        name: `${name}: <${a.name()}> bogus`,
        args: ['--json', name, ...Array(before).fill(D), 'bogus'],
        command: name,
        message: /value 'bogus' is invalid/,
      });
    }
    return out;
  }),
];

describe('every failure under --json prints one JSON object', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const before = fingerprint(D);
    expectJsonFailure(mmapx(c.args), c.command, 2, c.message, c.usage ? 0 : 1);
    expect(fingerprint(D)).toBe(before);
  });

  it('the same keys as a failure found by the command itself', () => {
    const r = mmapx(['--json', 'hd', join(dir, 'missing.bin')]);
    expectJsonFailure(r, 'hexdump', 1, /no such file or directory/);
  });
});
