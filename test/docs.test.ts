// The manual page and the shell completions are checked against the program's own definitions,
// so neither can drift from the code.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { bashScript, completionSpec, fishScript, zshScript } from '../src/cli/completion.js';
import { Context } from '../src/cli/context.js';
import { buildProgram } from '../src/cli/program.js';
import { ROOT, requireBuild } from './helpers/child.js';
import { mmapx } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const MAN = join(ROOT, 'man', 'mmapx.1');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const program = buildProgram(new Context({ json: false, quiet: false, color: 'never', debug: false }, { stdoutFd: 1, stderrFd: 2 }, {}), () => {});
/** The page's text with roff escapes for '-' undone. */
const page = readFileSync(MAN, 'utf8').replace(/\\-/g, '-');

describe('manual page', () => {
  it.skipIf(!has('groff'))('renders_with_groff_without_warnings', () => {
    const r = spawnSync('groff', ['-ww', '-man', '-Tutf8', '-z', MAN], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!has('mandoc'))('passes_mandoc_lint', () => {
    const r = spawnSync('mandoc', ['-Tlint', MAN], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!has('man'))('renders_with_man_l', () => {
    const r = spawnSync('man', ['-l', MAN], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', MAN_KEEP_FORMATTING: '' } });
    expect(r.status).toBe(0);
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'EXIT STATUS', 'ENVIRONMENT', 'EXAMPLES', 'SEE ALSO']) {
      expect(r.stdout).toMatch(new RegExp(`^${section}$`, 'm'));
    }
  });

  it('names_every_command_and_every_option', () => {
    const missing: string[] = [];
    for (const o of program.options) if (o.long && !page.includes(o.long)) missing.push(o.long);
    for (const c of program.commands) {
      if (c.name() === 'help') continue;
      if (!page.includes(`mmapx ${c.name()}`)) missing.push(`command ${c.name()}`);
      for (const o of c.options) {
        if (o.long && !page.includes(o.long)) missing.push(`${c.name()} ${o.long}`);
        if (o.short && !page.includes(o.short)) missing.push(`${c.name()} ${o.short}`);
      }
      for (const a of c.registeredArguments) for (const choice of a.argChoices ?? []) if (!page.includes(choice)) missing.push(`${c.name()} ${choice}`);
    }
    expect(missing).toEqual([]);
  });

  it('is_installed_by_npm_through_package_json', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.man).toContain('man/mmapx.1');
  });
});

describe('shell completion', () => {
  const dir = tmpDir();
  beforeAll(() => requireBuild());

  function bashComplete(...words: string[]): string[] {
    const script = join(dir, 'mmapx.bash');
    writeFileSync(script, mmapx(['completion', 'bash']).stdout);
    const quoted = words.map((w) => `'${w}'`).join(' ');
    const r = spawnSync(
      'bash',
      ['-c', `source '${script}'; COMP_WORDS=(${quoted}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _mmapx; printf '%s\\n' "\${COMPREPLY[@]}"`],
      { encoding: 'utf8', cwd: dir },
    );
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean);
  }

  it('bash_completes_commands_options_and_values', () => {
    expect(bashComplete('mmapx', 'wr')).toEqual(['write']);
    expect(bashComplete('mmapx', 'he')).toEqual(['hexdump']);
    expect(bashComplete('mmapx', 'hexdump', '--for')).toEqual(['--format', '--force']);
    expect(bashComplete('mmapx', 'hexdump', 'f.bin', '--format', '')).toEqual([
      'canonical',
      'xxd',
      'plain',
      'c',
      'json',
      'hexyl',
      'od',
      'hexdump-x',
      'hexdump-d',
      'hexdump-o',
      'hexdump-c',
      'hexdump-b',
    ]);
    expect(bashComplete('mmapx', 'hd', '-f', 'hexdump-')).toEqual(['hexdump-x', 'hexdump-d', 'hexdump-o', 'hexdump-c', 'hexdump-b']);
    expect(bashComplete('mmapx', 'hd', '-f', 'x')).toEqual(['xxd']);
    expect(bashComplete('mmapx', 'patch', 'f.bin', '--format', '')).toEqual([
      'native',
      'xxd',
      'plain',
      'ips',
      'ihex',
      'srec',
      'ips32',
      'ups',
      'bps',
      'vcdiff',
      'bsdiff',
    ]);
    expect(bashComplete('mmapx', 'write', '--te')).toEqual(['--text']);
    expect(bashComplete('mmapx', '--color', 'a')).toEqual(['auto', 'always']);
    expect(bashComplete('mmapx', 'protect', 'f.bin', 'e')).toEqual(['exec']);
    expect(bashComplete('mmapx', 'protect', '--range', '0:1', 'f.bin', 'r')).toEqual(['ro', 'rw']);
    expect(bashComplete('mmapx', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('every_command_and_option_is_in_the_bash_script', () => {
    const script = mmapx(['completion', 'bash']).stdout;
    for (const c of program.commands) {
      if (c.name() === 'help') continue;
      expect(script).toContain(c.name());
      for (const o of c.options) if (o.long) expect(script).toContain(o.long);
    }
  });

  it.skipIf(!has('zsh'))('zsh_script_parses_and_loads', () => {
    const file = join(dir, '_mmapx');
    writeFileSync(file, mmapx(['completion', 'zsh']).stdout);
    expect(spawnSync('zsh', ['-n', file]).status).toBe(0);
    const r = spawnSync('zsh', ['-c', `autoload -U compinit; compinit -u -D; source '${file}'; whence -w _mmapx`], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('_mmapx: function');
  });

  it('scripts_parse_whatever_the_descriptions_hold', () => {
    // Quotes, brackets, colons, backslashes and shell syntax in descriptions stay text in each shell.
    const hostile = `it's [a] "b": c\\d $(false) \`false\` ; x`;
    const p = new Command('mmapx').description(hostile).option('--zz <v>', hostile);
    p.command('cmd').description(hostile).option('-q, --qq', hostile);
    const spec = completionSpec(p);
    const shells = [
      ['bash', bashScript(spec), ['-n']],
      ['zsh', zshScript(spec), ['-n']],
      ['fish', fishScript(spec), ['--no-execute']],
    ] as const;
    for (const [shell, script, check] of shells) {
      if (!has(shell)) continue;
      const file = join(dir, `hostile.${shell}`);
      writeFileSync(file, script);
      const r = spawnSync(shell, [...check, file], { encoding: 'utf8' });
      expect(r.status, `${shell}: ${r.stderr}`).toBe(0);
    }
    if (has('zsh')) {
      // Loaded, the zsh function lists the option with its description whole.
      const file = join(dir, 'hostile.zsh');
      const r = spawnSync('zsh', ['-c', `autoload -U compinit; compinit -u -D; source '${file}'; whence -w _mmapx`], { encoding: 'utf8' });
      expect(r.stdout.trim(), r.stderr).toBe('_mmapx: function');
    }
  });

  it.skipIf(!has('fish'))('fish_completes_commands_and_options', () => {
    const file = join(dir, 'mmapx.fish');
    writeFileSync(file, mmapx(['completion', 'fish']).stdout);
    const r = spawnSync('fish', ['-c', `source '${file}'; complete -C 'mmapx he'; complete -C 'mmapx hexdump --for'; complete -C 'mmapx hexdump --format '`], {
      encoding: 'utf8',
    });
    expect(r.stdout).toMatch(/^hexdump\t/m);
    expect(r.stdout).toMatch(/^--format\t/m);
    expect(r.stdout).toMatch(/^canonical\t/m);
  });
});
