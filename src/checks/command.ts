/**
 * The `command` check: a program (argv, never a shell) that must exit 0 within the attempt's
 * budget. It runs in `cwd`, resolved against the manifest's folder (the folder itself when absent).
 */
import { resolve } from 'node:path';
import { timedOutAfter } from '../common/deadline.js';
import type { CommandCheckSpec } from './schema.js';
import type { Check, CheckOutcome } from './types.js';

/** Shows argv as one would type it, quoting what needs quotes. */
function showArgv(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(' ');
}

/** The `command` check type. */
export const commandChecker: Check<CommandCheckSpec> = {
  type: 'command',
  cost: 4,

  describe(spec) {
    return `command ${showArgv(spec.run)}`;
  },

  async run(spec, ctx): Promise<CheckOutcome> {
    const started = ctx.deps.now();
    const result = await ctx.deps.exec(spec.run, {
      timeoutMs: ctx.timeoutMs,
      cwd: resolve(ctx.baseDir, spec.cwd ?? '.'),
      signal: ctx.signal,
    });
    const latencyMs = ctx.deps.now() - started;
    if (result.exitCode === 0 && result.failure === undefined) return { ok: true, latencyMs, detail: 'exit 0' };
    // The budget ran out (exec's own timer or the attempt's signal, whichever fired first).
    if (result.timedOut || (ctx.signal.aborted && !result.notFound)) {
      return { ok: false, latencyMs, error: timedOutAfter(ctx.timeoutMs) };
    }
    return { ok: false, latencyMs, error: result.failure ?? `exit ${result.exitCode ?? 'unknown'}` };
  },
};
