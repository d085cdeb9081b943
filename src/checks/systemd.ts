/**
 * The `systemd` check: `systemctl [--user] show -p ActiveState --value <unit>`. Healthy when
 * the unit is "active" (or "reloading", which is active too); otherwise the state it is in.
 */
import { runSystemctl } from '../heal/systemctl.js';
import type { SystemdCheckSpec } from '../manifest/schema.js';
import { timedOutAfter } from './port.js';
import type { Check, CheckOutcome } from './types.js';

const HEALTHY_STATES = new Set(['active', 'reloading']);

/** The `systemd` check type. */
export const systemdChecker: Check<SystemdCheckSpec> = {
  type: 'systemd',

  describe(spec) {
    return `systemd ${spec.user ? '--user ' : ''}${spec.unit}`;
  },

  async run(spec, ctx): Promise<CheckOutcome> {
    const started = ctx.deps.now();
    const shown = await runSystemctl(ctx.deps, spec.user, ['show', '-p', 'ActiveState', '--value', spec.unit], {
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
      who: 'check',
    });
    const latencyMs = ctx.deps.now() - started;
    if (shown.ok) {
      const state = shown.stdout.trim();
      return HEALTHY_STATES.has(state) ? { ok: true, latencyMs, detail: `ActiveState=${state}` } : { ok: false, latencyMs, error: `ActiveState=${state || 'unknown'}` };
    }
    if (shown.timedOut || (ctx.signal.aborted && !shown.notFound)) return { ok: false, latencyMs, error: timedOutAfter(ctx.timeoutMs) };
    return { ok: false, latencyMs, error: shown.error };
  },
};
