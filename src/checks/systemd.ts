/**
 * The `systemd` check: `systemctl [--user] show -p LoadState -p ActiveState -p Result <unit>`.
 * Healthy when the unit is "active" (or "reloading", which is active too); otherwise the state it
 * is in and why it got there (Result=exit-code, start-limit-hit …). A unit systemd does not know
 * is not an error to systemctl (exit 0, LoadState=not-found, ActiveState=inactive), so the check
 * says "not found" itself: a typo in `unit:` must not read as a service that is merely stopped.
 */
import { timedOutAfter } from '../common/deadline.js';
import { parseShow, runSystemctl } from '../supervisors/systemctl.js';
import type { SystemdCheckSpec } from './schema.js';
import type { Check, CheckOutcome } from './types.js';

const HEALTHY_STATES = new Set(['active', 'reloading']);

/** The check's verdict on `systemctl show` output. */
export function judgeUnit(unit: string, stdout: string): { ok: true; detail: string } | { ok: false; error: string } {
  const { LoadState: load, ActiveState: state, Result: result } = parseShow(stdout);
  if (load === 'not-found') return { ok: false, error: `not found: systemd has no unit ${unit} (LoadState=not-found)` };
  if (state !== undefined && HEALTHY_STATES.has(state)) return { ok: true, detail: `ActiveState=${state}` };
  const why = result && result !== 'success' ? `, Result=${result}` : '';
  return { ok: false, error: `ActiveState=${state || 'unknown'}${why}` };
}

/** The `systemd` check type. */
export const systemdChecker: Check<SystemdCheckSpec> = {
  type: 'systemd',
  cost: 2,

  describe(spec) {
    return `systemd ${spec.user ? '--user ' : ''}${spec.unit}`;
  },

  async run(spec, ctx): Promise<CheckOutcome> {
    const started = ctx.deps.now();
    const shown = await runSystemctl(ctx.deps, spec.user, ['show', '-p', 'LoadState', '-p', 'ActiveState', '-p', 'Result', spec.unit], {
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
      user: 'check',
    });
    const latencyMs = ctx.deps.now() - started;
    if (shown.ok) return { latencyMs, ...judgeUnit(spec.unit, shown.stdout) };
    if (shown.timedOut || (ctx.signal.aborted && !shown.notFound)) return { ok: false, latencyMs, error: timedOutAfter(ctx.timeoutMs) };
    return { ok: false, latencyMs, error: shown.error };
  },
};
