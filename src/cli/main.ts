// Entry point of the CLI. The only place that decides the exit status; every error ends here as
// one line on stderr (plus a stack with --debug), and a closed stdout pipe ends quietly with 0.
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type ExitCode, MmapxError } from '../errors.js';
import { MmapError } from '../mmap/errors.js';
import { Context, type Result } from './context.js';
import { failureReport, report } from './envelope.js';
import { classify, errorLine, oneLine } from './errors.js';
import { refuseLossyArguments } from './utf8.js';
import { BrokenPipe, jsonLine, STDIO, writeAll } from './output.js';
import { createProgress } from './progress.js';
import { threadsFromEnv } from '../edit/threads.js';

function printResult(ctx: Context, r: Result): ExitCode {
  const code = r.exitCode ?? EXIT_OK;
  if (r.printed) return code;
  const failed = r.error !== undefined && code !== EXIT_OK;
  if (ctx.globals.json) {
    const error = failed ? { message: r.error!, code: r.errorCode ?? null, path: ctx.path ?? null } : undefined;
    ctx.stdout(jsonLine(report(ctx.command, code, r.json, ctx.warningsJson(), error)));
  } else {
    if (r.stdout) ctx.stdout(r.stdout);
    if (r.summary && r.showSummary && !ctx.globals.quiet) ctx.stderr(`${oneLine(r.summary, ctx.path)}\n`);
  }
  if (failed) ctx.stderr(`${errorLine({ exitCode: code, message: r.error!, code: r.errorCode }, ctx.command, ctx.path)}\n`);
  return code;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<ExitCode> {
  // Loaded here, not at the top, so that the --version fast path never evaluates them.
  const [{ CommanderError }, { buildProgram, commandOf, markNegatives, NEGATIVE_MARK }] = await Promise.all([import('commander'), import('./program.js')]);
  const ctx = new Context({ json: false, quiet: false, color: 'auto', debug: argv.includes('--debug') }, STDIO, env);
  let result: Result | undefined;
  let commanderMessage: string | undefined;
  const program = buildProgram(
    ctx,
    (r) => {
      result = r;
    },
    commandOf(argv),
  );
  // Route commander's own messages through our error model (one line, exit 2).
  const configure = (cmd: typeof program): void => {
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: (s) => ctx.stdout(s),
      writeErr: (s) => ctx.stderr(s),
      outputError: (s) => {
        commanderMessage = s;
      },
    });
    cmd.commands.forEach(configure);
  };
  configure(program);
  ctx.emit = (r) => {
    printResult(ctx, r);
  };
  program.hook('preAction', (_root, actionCommand) => {
    const g = program.opts();
    Object.assign(ctx.globals, { json: !!g.json, quiet: !!g.quiet, color: g.color, debug: !!g.debug, progress: g.progress !== false });
    ctx.command = actionCommand.name();
    threadsFromEnv(env); // a bad MMAPX_THREADS is a usage error for every command
    refuseLossyArguments(argv); // a name that is not UTF-8 would name another file
    ctx.progress = createProgress(ctx.globals, env, (text) => writeAll(ctx.streams.stderrFd, text));
  });

  try {
    await program.parseAsync(markNegatives(argv));
    if (!result) return EXIT_OK;
    return printResult(ctx, result);
  } catch (err) {
    if (err instanceof BrokenPipe) return EXIT_OK;
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
      // `mmapx help write` shows the help asked for (status 0); `mmapx` alone and `mmapx help bogus`
      // show it instead of an answer (commander's exit code 1 there), which is the usage error below.
      if (err.code === 'commander.help' && err.exitCode === 0) return EXIT_OK;
      const sub = program.commands.find((c) => argv.slice(2).some((a) => a === c.name() || c.aliases().includes(a)));
      // Under --json every failure is one object on stdout, usage errors included. The parse may
      // have stopped before it reached --json, so the arguments (up to '--') tell too.
      const dashes = argv.indexOf('--', 2);
      const json = program.opts().json === true || argv.slice(2, dashes < 0 ? undefined : dashes).includes('--json');
      const usageJson = (message: string): void => {
        if (json) ctx.stdout(jsonLine(failureReport(sub?.name() ?? null, EXIT_USAGE, {}, { message, code: null, path: null })));
      };
      if (err.code === 'commander.help' || err.code === 'commander.executeSubCommandAsync') {
        try {
          const named = argv.slice(2).filter((a) => !a.startsWith('-') && a !== 'help');
          const unknown = sub === undefined && named.length > 0 ? `unknown command '${named.at(-1)}' (see 'mmapx --help')` : undefined;
          usageJson(sub ? `missing arguments (see 'mmapx ${sub.name()} --help')` : (unknown ?? "no command given (see 'mmapx --help')"));
          // `mmapx help bogus`: after the help, the line that says what was wrong, as `mmapx bogus` gives.
          if (unknown !== undefined && !json) ctx.stderr(`${errorLine({ exitCode: EXIT_USAGE, message: unknown, code: undefined }, undefined, undefined)}\n`);
        } catch {
          // stdout is gone; the status still tells.
        }
        return EXIT_USAGE;
      }
      const text = (commanderMessage ?? err.message)
        .trim()
        .replace(/^error: /, '')
        .replaceAll(NEGATIVE_MARK, '');
      const where = sub ? `mmapx ${sub.name()} --help` : 'mmapx --help';
      try {
        usageJson(`${text} (see '${where}')`);
        ctx.stderr(`${errorLine({ exitCode: EXIT_USAGE, message: `${text} (see '${where}')`, code: undefined }, sub?.name(), undefined)}\n`);
      } catch {
        // stderr is gone too; the status still tells.
      }
      return EXIT_USAGE;
    }
    const failure = classify(err);
    const path = (err instanceof MmapError || err instanceof MmapxError) && err.path !== undefined ? err.path : ctx.path;
    try {
      if (ctx.globals.json) {
        ctx.stdout(
          jsonLine(
            failureReport(ctx.command, failure.exitCode, ctx.warningsJson(), { message: failure.message, code: failure.code ?? null, path: path ?? null }),
          ),
        );
      }
      ctx.stderr(`${errorLine(failure, ctx.command, path)}\n`);
      if (ctx.globals.debug && err instanceof Error && err.stack) ctx.stderr(`${err.stack}\n`);
    } catch (e) {
      if (!(e instanceof BrokenPipe)) throw e;
    }
    return failure.exitCode;
  } finally {
    // Whatever happened, the terminal is left without a progress line.
    try {
      ctx.progress.end();
    } catch {
      // stderr is gone; nothing to erase.
    }
  }
}

/** Runs the CLI on this process's arguments and environment, and sets its exit status. */
function start(): void {
  main(process.argv, process.env).then(
    (code) => {
      // Not process.exit(code), though it would end a big patch 20-30 ms sooner (no wait for the
      // background compile jobs): on Node 24 an exit while such a job runs can deadlock in the
      // platform's shutdown (the main thread joins a V8 worker that waits for it; nodejs/node
      // issue 54918). It hung `mmapx cat` at exit twice in one CI rehearsal, and again on demand.
      process.exitCode = code;
    },
    (err: unknown) => {
      // Only a failure of the error path itself lands here.
      process.stderr.write(`mmapx: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = EXIT_FAILED;
    },
  );
}

start();
