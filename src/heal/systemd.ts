/**
 * The `systemd` restarter: `systemctl [--user] restart <unit>`, then what systemd says of the
 * unit afterwards (ActiveState, SubState, NRestarts) as the outcome's facts, whether the
 * restart worked or not. Both calls share the restart's budget; never a shell.
 */
import type { SystemdRestartSpec } from '../manifest/schema.js';
import { parseShow, runSystemctl } from './systemctl.js';
import type { RestartContext, Restarter } from './types.js';

/** The unit properties kept as facts of a restart. */
export const SYSTEMD_FACTS = ['ActiveState', 'SubState', 'NRestarts'] as const;

/** ActiveState, SubState and NRestarts of the unit, or undefined when systemctl would not say. */
async function unitFacts(spec: SystemdRestartSpec, ctx: RestartContext, left: () => number, budgetMs: number): Promise<Record<string, string> | undefined> {
  const args = ['show', ...SYSTEMD_FACTS.flatMap((name) => ['-p', name]), spec.unit];
  const shown = await runSystemctl(ctx.deps, spec.user, args, { timeoutMs: left(), budgetMs, signal: ctx.signal, who: 'restarter' });
  if (!shown.ok) {
    ctx.deps.logger.warn({ service: ctx.service, error: shown.error }, 'could not read the unit state after a restart');
    return undefined;
  }
  const properties = parseShow(shown.stdout);
  const facts: Record<string, string> = {};
  for (const name of SYSTEMD_FACTS) if (properties[name] !== undefined) facts[name] = properties[name];
  return facts;
}

/** The `systemd` restart type. */
export const systemdRestarter: Restarter<SystemdRestartSpec> = {
  type: 'systemd',

  describe(spec) {
    return `systemd: ${spec.user ? '--user ' : ''}${spec.unit}`;
  },

  async restart(spec, ctx) {
    const budgetMs = Math.min(spec.timeout, ctx.timeoutMs);
    const deadline = ctx.deps.now() + budgetMs;
    const left = (): number => Math.max(0, deadline - ctx.deps.now());
    const restarted = await runSystemctl(ctx.deps, spec.user, ['restart', spec.unit], { timeoutMs: left(), budgetMs, signal: ctx.signal, who: 'restarter' });
    const missing = !restarted.ok && restarted.notFound === true;
    const facts = left() > 0 && !missing ? await unitFacts(spec, ctx, left, budgetMs) : undefined;
    const withFacts = facts ? { facts } : {};
    return restarted.ok
      ? { ok: true, detail: `systemctl ${spec.user ? '--user ' : ''}restart ${spec.unit}`, ...withFacts }
      : { ok: false, error: restarted.error, ...withFacts };
  },
};
