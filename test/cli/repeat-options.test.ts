// An option given twice is either repeatable by design (marked "(repeatable)" in --help, every
// occurrence counts) or a usage error naming it (exit 2); a flag without a value may repeat. The
// cases are generated from the program's own option definitions, so a new option is covered the
// day it is added: in-process for every option of every command (and the global options), both
// ways, and through the built CLI for every option that takes a value.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, CommanderError, type Option } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { Context } from '../../src/cli/context.js';
import { buildProgram, isRepeatable } from '../../src/cli/program.js';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, expectSuccess, fingerprint, mmapx } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

/** A program whose actions do nothing and whose errors throw instead of printing. */
function parser(): Command {
  const program = buildProgram(new Context({ json: false, quiet: false, color: 'never', debug: false }, { stdoutFd: 1, stderrFd: 2 }, {}), () => {});
  const quiet = (c: Command): void => {
    c.exitOverride();
    c.configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
    c.commands.forEach(quiet);
  };
  quiet(program);
  for (const c of program.commands) c.action(() => {});
  return program;
}

const PROGRAM = parser();
const COMMANDS = PROGRAM.commands.filter((c) => c.name() !== 'help');
const takesValue = (o: Option): boolean => o.required || o.optional;
/** Two different valid-looking values for an option (parsers only check choices and --wait). */
const values = (o: Option): [string, string] => (o.argChoices ? [o.argChoices[0]!, o.argChoices[1]!] : ['1', '2']);
const flagOf = (o: Option): string => (o.long ?? o.short)!;
const occurrence = (o: Option, v: string): string[] => (takesValue(o) ? [flagOf(o), v] : [flagOf(o)]);

/** Positional arguments that satisfy the command's grammar (commander only counts them). */
function positionals(c: Command, file: string): string[] {
  return c.registeredArguments.flatMap((a) => {
    if (a.argChoices) return [a.argChoices[0]!];
    switch (a.name()) {
      case 'offset':
        return ['0'];
      case 'hex':
        return ['00'];
      case 'range':
        return ['0:1'];
      default:
        return c.name() === 'find' ? [file, '00'] : [file];
    }
  });
}

interface Case {
  /** `global` for the program's own options. */
  where: string;
  option: Option;
  /** argv after `node mmapx` with the option given `times` times. */
  argv: (times: 1 | 2, file: string) => string[];
  command: Command;
}

const CASES: Case[] = [
  // The global options, before the command and again after it (commander takes them anywhere).
  ...PROGRAM.options
    .filter((o) => o.long !== '--version')
    .map((option): Case => {
      const [a, b] = values(option);
      return {
        where: 'global',
        option,
        command: PROGRAM,
        argv: (times, file) => [...occurrence(option, a), 'info', file, ...(times === 2 ? occurrence(option, b) : [])],
      };
    }),
  ...COMMANDS.flatMap((command) =>
    command.options.map((option): Case => {
      const [a, b] = values(option);
      return {
        where: command.name(),
        option,
        command,
        argv: (times, file) => [command.name(), ...positionals(command, file), ...occurrence(option, a), ...(times === 2 ? occurrence(option, b) : [])],
      };
    }),
  ),
];

function parse(argv: string[]): { error?: CommanderError; program: Command } {
  const program = parser();
  try {
    program.parse(argv, { from: 'user' });
    return { program };
  } catch (err) {
    if (err instanceof CommanderError) return { error: err, program };
    throw err;
  }
}

/** The parsed value of `option` in the command that owns it. */
function optionValue(program: Command, c: Case): unknown {
  const cmd = c.where === 'global' ? program : program.commands.find((x) => x.name() === c.where)!;
  return cmd.opts()[c.option.attributeName()];
}

describe('option given twice, every option of every command (in-process, generated)', () => {
  it('covers_the_global_options_and_every_command', () => {
    expect(CASES.filter((c) => c.where === 'global').length).toBeGreaterThanOrEqual(5);
    expect(new Set(CASES.map((c) => c.where)).size).toBe(COMMANDS.filter((c) => c.options.length > 0).length + 1);
  });

  it.each(CASES.map((c) => [`${c.where} ${c.option.flags}`, c] as const))('%s: once is accepted', (_name, c) => {
    const { error, program } = parse(c.argv(1, 'f.bin'));
    expect(error?.message).toBeUndefined();
    const v = optionValue(program, c);
    if (isRepeatable(c.option)) expect(v).toEqual([values(c.option)[0]]);
    else if (takesValue(c.option)) expect(Array.isArray(v)).toBe(false);
  });

  it.each(CASES.map((c) => [`${c.where} ${c.option.flags}`, c] as const))('%s: twice is counted, harmless or a usage error', (_name, c) => {
    const { error, program } = parse(c.argv(2, 'f.bin'));
    if (isRepeatable(c.option)) {
      expect(error?.message).toBeUndefined();
      expect(optionValue(program, c)).toEqual(values(c.option));
    } else if (!takesValue(c.option)) {
      // A flag means the same thing however often it is given.
      expect(error?.message).toBeUndefined();
    } else {
      expect(error?.code).toBe('mmapx.repeatedOption');
      expect(error?.exitCode).toBe(2);
      expect(error?.message).toContain(`'${c.option.flags}' given more than once`);
    }
  });

  it('a_short_and_a_long_spelling_or_name_equals_value_count_as_the_same_option', () => {
    expect(parse(['hexdump', 'f', '-n', '1', '--length', '2']).error?.code).toBe('mmapx.repeatedOption');
    expect(parse(['hexdump', 'f', '-n1', '--length=2']).error?.code).toBe('mmapx.repeatedOption');
    expect(parse(['write', 'f', '0', '--expect=5a', '--expect', '58']).error?.code).toBe('mmapx.repeatedOption');
    expect(parse(['--color', 'always', 'hexdump', 'f', '--color=never']).error?.code).toBe('mmapx.repeatedOption');
  });

  it('help_marks_exactly_the_repeatable_options', () => {
    const all = [...PROGRAM.options, ...COMMANDS.flatMap((c) => c.options)];
    for (const o of all) expect(o.description.includes('(repeatable)'), o.flags).toBe(isRepeatable(o));
    const marked = COMMANDS.flatMap((c) => c.options.filter(isRepeatable).map((o) => `${c.name()} ${o.long}`));
    expect(marked).toEqual(['patch --edit', 'patch --find', 'patch --replace', 'hexdump --type']);
  });
});

describe('option given twice, through the built CLI', () => {
  const dir = tmpDir('mmapx-repeat-');
  const D = join(dir, 'two.bin');
  beforeAll(() => {
    requireBuild();
    writeFileSync(D, 'XZ');
  });

  // Every option that takes a value and is not repeatable, of every command and the globals.
  const single = CASES.filter((c) => takesValue(c.option) && !isRepeatable(c.option));
  it.each(single.map((c) => [`${c.where} ${c.option.flags}`, c] as const))('%s twice: exit 2, one line naming it, file unchanged', (_name, c) => {
    const file = join(dir, `${c.where}-${c.option.attributeName()}.bin`);
    copyFileSync(D, file);
    const before = fingerprint(file);
    const r = mmapx(c.argv(2, file));
    const cmd = c.where === 'global' ? 'info' : c.command.name();
    const flags = c.option.flags.replace(/[[\]]/g, '\\$&');
    expectFailure(r, 2, new RegExp(`^mmapx: ${cmd}: option '${flags}' given more than once \\(it takes one value\\) \\(see 'mmapx ${cmd} --help'\\)$`));
    expect(r.stdout).toBe('');
    expect(fingerprint(file)).toBe(before);
  });

  it('write_expect_twice_is_refused_not_the_last_one_kept', () => {
    // Issue 16: the failing guard 5a vanished and the write happened.
    const before = fingerprint(D);
    expectFailure(mmapx(['write', D, '0', '00', '--expect', '5a', '--expect', '58']), 2, /^mmapx: write: option '--expect <hex>' given more than once/);
    expect(fingerprint(D)).toBe(before);
  });

  it('patch_find_replace_pairs_each_become_a_hunk', () => {
    const file = join(dir, 'pairs.bin');
    writeFileSync(file, 'XY');
    const r = mmapx(['--json', 'patch', file, '--find', '58', '--replace', '5a', '--find', '59', '--replace', '5b']);
    expectSuccess(r);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
    expect(mmapx(['cat', file]).stdout).toBe('Z[');
    // Applied twice: both hunks already hold their bytes.
    expectSuccess(mmapx(['patch', file, '--find', '58', '--replace', '5a', '--find', '59', '--replace', '5b']));
  });

  it('patch_find_replace_pairs_are_all_or_nothing', () => {
    const file = join(dir, 'half.bin');
    writeFileSync(file, 'XZ');
    const before = fingerprint(file);
    // The first pair matches, the second does not: nothing is written (issue 16 applied one of two).
    expectFailure(
      mmapx(['patch', file, '--find', '58', '--replace', '5a', '--find', '59', '--replace', '5b']),
      3,
      /^mmapx: patch: .*--find #2: find 59 matched nothing; expected once$/,
    );
    expect(fingerprint(file)).toBe(before);
  });

  it('patch_find_and_replace_counts_must_match', () => {
    const before = fingerprint(D);
    expectFailure(
      mmapx(['patch', D, '--find', '58', '--find', '5a', '--replace', '00']),
      2,
      /^mmapx: patch: .*--find and --replace go in pairs: 2 --find but 1 --replace$/,
    );
    expectFailure(
      mmapx(['patch', D, '--find', '58', '--replace', '00', '--replace', '01']),
      2,
      /^mmapx: patch: .*--find and --replace go in pairs: 1 --find but 2 --replace$/,
    );
    expect(fingerprint(D)).toBe(before);
  });

  it('patch_find_replace_pairs_that_overlap_are_refused', () => {
    const before = fingerprint(D);
    expectFailure(
      mmapx(['patch', D, '--find', '58', '--replace', '5a', '--find', '58', '--replace', '5b']),
      2,
      /^mmapx: patch: .*--find #1 and --find #2 overlap at 0x0\.\.0x1$/,
    );
    expect(fingerprint(D)).toBe(before);
  });

  it('patch_edit_twice_applies_both_edits', () => {
    const file = join(dir, 'edits.bin');
    writeFileSync(file, 'ab');
    expectSuccess(mmapx(['patch', file, '--edit', '0=41', '--edit', '1:62=42']));
    expect(mmapx(['cat', file]).stdout).toBe('AB');
  });

  it('patch_edit_60000_times_applies_every_edit', () => {
    // A long generated argument list (xargs): each occurrence is appended, not copied with the
    // ones before it (a copy per occurrence took minutes at this count). A hang is the timeout.
    const count = 60_000;
    const file = join(dir, 'many-edits.bin');
    writeFileSync(file, Buffer.alloc(count));
    const edits = Array.from({ length: count }, (_, i) => ['--edit', `${i}=${((i % 255) + 1).toString(16).padStart(2, '0')}`]).flat();
    const r = mmapx(['-q', 'patch', file, ...edits], { timeout: 90_000 });
    expect(r.signal, r.dump).toBeNull();
    expectSuccess(r);
    const want = Buffer.from(Array.from({ length: count }, (_, i) => (i % 255) + 1));
    expect(Buffer.compare(readFileSync(file), want)).toBe(0);
  });

  it('a_flag_given_twice_is_the_flag', () => {
    const r = mmapx(['-q', 'write', D, '0', '58', '-q', '--no-sync', '--no-sync']);
    expectSuccess(r);
    expect(r.stderr).toBe('');
  });
});
