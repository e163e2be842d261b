// The loop of the commands that run the patch engine over their files (patch, stamp): one file, or
// a dry run, file after file; several files in batches that share their syncs (src/edit/batch.ts),
// whose outcomes arrive later. src/cli/multi.ts prints the files' results in order.
import { PatchBatch } from '../edit/batch.js';
import { Later } from '../edit/later.js';
import { type PatchJob, type PatchOutcome, patchOne } from '../edit/patch.js';
import { Timer } from '../edit/timing.js';
import type { Context, Result } from './context.js';
import { eachFile, files, type Tally, type Targets, took } from './multi.js';

/**
 * Patches each file of `t` with `job`. `view(path, fileTimer)` is called once a file's patch has
 * been planned (its outcome may still be on its way, in a batch) and returns the renderer of its
 * outcome; `total` makes the line after a several-file run. `timer` times a single file.
 */
export function eachPatched(
  ctx: Context,
  t: Targets,
  job: PatchJob,
  timer: Timer,
  view: (path: string, fileTimer: Timer) => (outcome: PatchOutcome) => Result,
  total: (tally: Tally) => string,
): Promise<Result> {
  if (!t.several || job.dryRun) {
    return eachFile(
      ctx,
      t,
      async (path) => {
        ctx.path = path;
        const fileTimer = t.several ? new Timer() : timer;
        const outcome = await patchOne(path, job, fileTimer);
        return view(path, fileTimer)(outcome);
      },
      { total },
    );
  }
  const batch = new PatchBatch(job);
  return eachFile(
    ctx,
    t,
    async (path) => {
      ctx.path = path;
      const fileTimer = new Timer({ sumOfPhases: true });
      const r = await batch.join(path, fileTimer);
      const show = view(path, fileTimer);
      return r instanceof Later ? r.map(show) : show(r);
    },
    { total, batch },
  );
}

/** `patched 998 files, 2 already applied, 0 failed in 123 ms`: the total line of patch over several files (native patches and deltas). */
export function totalLine(t: Tally, dryRun: boolean): string {
  const already = `${t.status.already ?? 0} already applied, ${t.failed} failed${took(t)}`;
  return dryRun ? `dry run: ${files(t.status['dry-run'] ?? 0)} would change, ${already}` : `patched ${files(t.status.applied ?? 0)}, ${already}`;
}

/** In a several-file run each line of a file's output names the file: `fw.bin: FAILED ...`. */
export function named(text: string, path: string, several: boolean): string {
  return several ? text.replace(/^(?=.)/gm, `${path}: `) : text;
}
