// mmapx completion bash|zsh|fish: print a completion script made from the program's definitions.
import { bashScript, completionSpec, fishScript, zshScript } from '../completion.js';
import type { Context, Result } from '../context.js';

export default async function completion(ctx: Context, args: unknown[]): Promise<Result> {
  const [shell] = args as ['bash' | 'zsh' | 'fish'];
  if (!ctx.program) throw new Error('completion needs the program definition');
  const spec = completionSpec(ctx.program);
  const script = shell === 'bash' ? bashScript(spec) : shell === 'zsh' ? zshScript(spec) : fishScript(spec);
  return { stdout: script, showSummary: false, json: { shell, script } };
}
