/**
 * The `launchd` check: `launchctl print <domain>/<label>`. Healthy when launchd knows the job
 * and it has a pid (and its state, when printed, is "running"). Without a configured domain
 * it asks `gui/<uid>`, then `user/<uid>` when the gui domain does not exist here (exit 112 or
 * 125: a Mac nobody is logged in to at the screen).
 */
import { timedOutAfter } from '../common/deadline.js';
import { LAUNCHCTL_EXIT, printedFields, printedPid, printJob } from '../supervisors/launchctl.js';
import type { LaunchdCheckSpec } from './schema.js';
import type { Check, CheckOutcome } from './types.js';

/** Reads `launchctl print` output: healthy with a pid, else why not. */
function judge(target: string, output: string): { ok: true; detail: string } | { ok: false; error: string } {
  const fields = printedFields(output);
  const pid = printedPid(output);
  const state = fields.state;
  if (pid !== undefined && (state === undefined || state === 'running')) return { ok: true, detail: `pid ${pid}` };
  const lastExit = fields['last exit code'];
  const why = [`state = ${state ?? 'unknown'}`, ...(lastExit !== undefined ? [`last exit code = ${lastExit}`] : [])].join(', ');
  return { ok: false, error: `${target} is loaded but not running (${why})` };
}

/** The `launchd` check type. */
export const launchdChecker: Check<LaunchdCheckSpec> = {
  type: 'launchd',
  cost: 2,

  describe(spec) {
    return `launchd ${spec.domain ? `${spec.domain}/` : ''}${spec.label}`;
  },

  async run(spec, ctx): Promise<CheckOutcome> {
    const started = ctx.deps.now();
    const { target, printed } = await printJob(ctx.deps, spec.label, spec.domain, { timeoutMs: ctx.timeoutMs, signal: ctx.signal, user: 'check' });
    const latencyMs = ctx.deps.now() - started;
    if (printed.ok) return { latencyMs, ...judge(target, printed.stdout) };
    if (printed.timedOut || (ctx.signal.aborted && !printed.notFound)) return { ok: false, latencyMs, error: timedOutAfter(ctx.timeoutMs) };
    if (printed.exitCode === LAUNCHCTL_EXIT.noSuchService) return { ok: false, latencyMs, error: `not loaded: launchd has no ${target}` };
    return { ok: false, latencyMs, error: printed.error };
  },
};
