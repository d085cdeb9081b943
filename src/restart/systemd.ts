/**
 * The `systemd` restarter: `systemctl [--user] restart <unit>`, then what systemd says of the
 * unit afterwards (ActiveState, SubState, NRestarts, Result) as the outcome's facts, whether the
 * restart worked or not. Every call shares the restart's budget; never a shell.
 *
 * A unit whose start limit was hit (systemd.unit(5) StartLimitIntervalSec=/StartLimitBurst=)
 * refuses every start until the window ends — an hour, for a unit that asks for one — and a
 * plain restart would fail every scan until then. When the restart fails because of it, heal
 * runs `systemctl reset-failed <unit>` and restarts it once more, and says so in the report.
 * Heal's own cooldown and hourly cap still bound how often that happens.
 *
 * systemd says Result=start-limit-hit only when the unit had not failed already: it sets a
 * result only over "success", so a service that crashed and is then refused keeps
 * Result=signal (or exit-code), and systemctl words the refusal after that. What always tells a
 * refusal (seen on systemd 252): the unit's conditions were checked for this start and passed,
 * yet it never left the inactive state — ConditionTimestampMonotonic is later than
 * InactiveExitTimestampMonotonic — because the start limit is tested right after the conditions.
 */
import type { SystemdRestartSpec } from './schema.js';
import { parseShow, runSystemctl, type SystemctlResult } from '../supervisors/systemctl.js';
import type { RestartContext, RestartOutcome, Restarter } from './types.js';

/** The unit properties kept as facts of a restart. */
export const SYSTEMD_FACTS = ['ActiveState', 'SubState', 'NRestarts', 'Result'] as const;

/** systemd's Result= when a start was refused by the unit's start limit. */
export const START_LIMIT_HIT = 'start-limit-hit';

/** What tells a start refused before the unit left the inactive state (see the file's comment). */
const REFUSAL_PROPERTIES = ['ConditionResult', 'AssertResult', 'ConditionTimestampMonotonic', 'InactiveExitTimestampMonotonic'] as const;

/** Every property the restarter asks systemd for after a restart. */
export const SHOWN_PROPERTIES = [...SYSTEMD_FACTS, ...REFUSAL_PROPERTIES] as const;

/**
 * Whether a failed restart was refused by the unit's start limit: systemd says so, or the
 * unit's conditions passed for this start but it never became active (pure, on `show` output).
 */
export function refusedByStartLimit(properties: Readonly<Record<string, string>>): boolean {
  if (properties['Result'] === START_LIMIT_HIT) return true;
  const checked = Number(properties['ConditionTimestampMonotonic'] ?? 0);
  const left = Number(properties['InactiveExitTimestampMonotonic'] ?? 0);
  return properties['ActiveState'] === 'failed' && properties['ConditionResult'] === 'yes' && properties['AssertResult'] === 'yes' && checked > left;
}

/** What `systemctl show` said after a restart: the facts kept, and whether the start limit refused it. */
type Shown = { facts: Record<string, string>; refused: boolean };

/** systemctl calls that share one budget. */
type Session = {
  systemctl(...args: string[]): Promise<SystemctlResult>;
  left(): number;
};

function session(spec: SystemdRestartSpec, ctx: RestartContext): Session {
  const budgetMs = Math.min(spec.timeout, ctx.timeoutMs);
  const deadline = ctx.deps.now() + budgetMs;
  const left = (): number => Math.max(0, deadline - ctx.deps.now());
  return {
    systemctl: (...args) => runSystemctl(ctx.deps, spec.user, args, { timeoutMs: left(), budgetMs, signal: ctx.signal, user: 'restarter' }),
    left,
  };
}

/** The unit's state after a restart, or undefined when systemctl would not say (or there is no time left to ask). */
async function unitState(spec: SystemdRestartSpec, ctx: RestartContext, run: Session): Promise<Shown | undefined> {
  if (run.left() <= 0) return undefined;
  const shown = await run.systemctl('show', ...SHOWN_PROPERTIES.flatMap((name) => ['-p', name]), spec.unit);
  if (!shown.ok) {
    ctx.deps.logger.warn({ service: ctx.service, error: shown.error }, 'could not read the unit state after a restart');
    return undefined;
  }
  const properties = parseShow(shown.stdout);
  const facts: Record<string, string> = {};
  for (const name of SYSTEMD_FACTS) if (properties[name] !== undefined) facts[name] = properties[name];
  return { facts, refused: refusedByStartLimit(properties) };
}

const withFacts = (facts: Record<string, string> | undefined): { facts?: Record<string, string> } => (facts ? { facts } : {});

/** After a restart refused by the start limit: `reset-failed`, then one more restart. */
async function afterStartLimit(spec: SystemdRestartSpec, ctx: RestartContext, run: Session, refused: string): Promise<RestartOutcome> {
  const reset = await run.systemctl('reset-failed', spec.unit);
  if (!reset.ok) return { ok: false, error: `${refused}; refused by its start limit, and systemctl reset-failed failed too: ${reset.error}` };
  const again = await run.systemctl('restart', spec.unit);
  const facts = (await unitState(spec, ctx, run))?.facts;
  const flag = spec.user ? '--user ' : '';
  if (!again.ok) return { ok: false, error: `${refused}; refused by its start limit: after systemctl ${flag}reset-failed the restart failed again: ${again.error}`, ...withFacts(facts) };
  return {
    ok: true,
    detail: `systemctl ${flag}restart ${spec.unit} (refused by its start limit), systemctl ${flag}reset-failed ${spec.unit}, systemctl ${flag}restart ${spec.unit}`,
    note: `its start limit was hit: ran systemctl ${flag}reset-failed ${spec.unit} and restarted it once`,
    ...withFacts(facts),
  };
}

/** The `systemd` restart type. */
export const systemdRestarter: Restarter<SystemdRestartSpec> = {
  type: 'systemd',

  describe(spec) {
    return `systemd: ${spec.user ? '--user ' : ''}${spec.unit}`;
  },

  async restart(spec, ctx) {
    const run = session(spec, ctx);
    const restarted = await run.systemctl('restart', spec.unit);
    if (!restarted.ok && restarted.notFound) return { ok: false, error: restarted.error };
    const state = await unitState(spec, ctx, run);
    if (restarted.ok) return { ok: true, detail: `systemctl ${spec.user ? '--user ' : ''}restart ${spec.unit}`, ...withFacts(state?.facts) };
    if (state?.refused && !restarted.timedOut && run.left() > 0) return afterStartLimit(spec, ctx, run, restarted.error);
    return { ok: false, error: restarted.error, ...withFacts(state?.facts) };
  },
};
