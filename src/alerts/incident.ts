/**
 * One service's alert keys through one scan, pure: what the manager (manager.ts) asks of each
 * service. Three keys:
 *
 * - "<service>/flapping" holds while the service flaps (policy/record.ts judges it). One notice at
 *   once, reminders per cooldown, one resolved notice once it is stable. While it is open, the
 *   service's down and healed notices fold into it (they still count).
 * - "<service>/down" is an incident. It notifies once the service failed `threshold` of the last
 *   `window` scans (in a row by default); reminders per cooldown while it holds; resolved once the
 *   threshold no longer holds and the service is up. Damping: the resolved incident is kept for
 *   the level's cooldown, and an outage within it reopens the same incident ("down again, the 2nd
 *   time in 30m") instead of starting a fresh down/resolved pair; a reopened incident resolves
 *   only once the service stayed up for the level's window. `escalate_after` raises a service
 *   still down that long to the next level up. When heal stops restarting it for a while, the
 *   incident says so once, with when heal tries again.
 * - "<service>/degraded" is an incident like down, for a service whose only failing checks say
 *   `on_fail: alert` (an expiring certificate, a slow answer): at its `degraded_level`, never
 *   folded into flapping, never "stopped trying" (heal does not restart it for this).
 * - "<service>/healed" is an event: a restart brought the service back. At once, at most once per
 *   its level's cooldown; the ones held back are counted, and the next notice says how many.
 *
 * `quiet` (a silence; a maintenance window would be the same) hides notices, never incidents: the
 * keys count on, a resolved notice always goes to the channels that got the alert, and what is
 * still due when the quiet ends goes out on the first scan after it.
 */
import { countLast, pushScan } from '../common/scan-window.js';
import { scheduleSlackMs } from '../common/schedule-slack.js';
import { elapsedSince, waitEndsAt } from '../common/time.js';
import { formatDuration } from '../common/duration.js';
import type { RestartsStopped } from '../policy/rules.js';
import type { AlertLevel } from './schema.js';
import { isoTime } from './format.js';
import { levelAbove, levelWindow, type AlertConfig } from './levels.js';
import type { RoutedNotice, ServiceAlertInput } from './manager.js';
import type { AlertKeyState } from './state.js';
import type { Notice } from './types.js';

/** A notice its level's cooldown held back: counted in the report and `heal status`. */
export type HeldNotice = { service: string; kind: 'healed'; level: AlertLevel; count: number; untilMs: number };

export type ServicePlan = {
  /** New notices and where they go. */
  routed: RoutedNotice[];
  /** Firing notices re-sent to channels that forget them (Alertmanager): upkeep, not news. */
  refreshed: RoutedNotice[];
  held: HeldNotice[];
};

export type IncidentContext = {
  config: AlertConfig;
  now: number;
  host: string;
  /** No new notice for this service now (silenced); resolved notices still go. */
  quiet: boolean;
  resendChannels: ReadonlySet<string>;
};

const FAILING = 'x';
const PASSING = '.';

/** Plans the service's notices and updates its keys in `keys` (the manager's copy). */
export function planServiceAlerts(keys: Record<string, AlertKeyState>, svc: ServiceAlertInput, ctx: IncidentContext): ServicePlan {
  const plan: ServicePlan = { routed: [], refreshed: [], held: [] };
  const flappingOpen = flappingKey(keys, svc, ctx, plan);
  const down = incidentKey('down', keys, svc, ctx, plan, flappingOpen);
  incidentKey('degraded', keys, svc, ctx, plan, flappingOpen);
  healedKey(keys, svc, ctx, plan, down.resolvedByHeal || down.open || flappingOpen);
  return plan;
}

/** Open: a notice went out and no resolved notice has closed it yet. */
export function isOpenIncident(key: AlertKeyState | undefined): boolean {
  return Boolean(key?.notified) && key?.resolvedAt === undefined;
}

function flappingKey(keys: Record<string, AlertKeyState>, svc: ServiceAlertInput, ctx: IncidentContext, plan: ServicePlan): boolean {
  const key = `${svc.service}/flapping`;
  const before = keys[key];
  if (!svc.flapping) {
    if (!before) return false;
    if (before.notified) plan.routed.push({ notice: resolvedNotice(svc, 'flapping', key, before, ctx), channels: before.notified.channels });
    delete keys[key];
    return false;
  }
  const state: AlertKeyState = before ? { ...before, failing: before.failing + 1 } : { failing: 1, since: svc.flapping.since, level: svc.alertLevel };
  const level = ctx.config.levels[state.level];
  const due = !state.notified || waitOver(state.notified.at, level.cooldownMs, ctx.now);
  if (due && !ctx.quiet) {
    const count = (state.notified?.count ?? 0) + 1;
    plan.routed.push({ notice: flappingNotice(svc, key, state, count, ctx), channels: level.channels });
    state.notified = { at: ctx.now, channels: union(state.notified?.channels, level.channels), count };
  } else if (state.notified && !ctx.quiet) {
    refresh(plan, flappingNotice(svc, key, state, state.notified.count, ctx), state.notified.channels, ctx);
  }
  keys[key] = state;
  return Boolean(state.notified);
}

type DownOutcome = { open: boolean; resolvedByHeal: boolean };

/** The two incidents a service can have: down (it is restarted), degraded (only `on_fail: alert` checks fail). */
type IncidentKind = 'down' | 'degraded';

function incidentKey(kind: IncidentKind, keys: Record<string, AlertKeyState>, svc: ServiceAlertInput, ctx: IncidentContext, plan: ServicePlan, flappingOpen: boolean): DownOutcome {
  const { config, now } = ctx;
  const key = `${svc.service}/${kind}`;
  // A flapping service's down notices fold into its flapping alert; being degraded is other news.
  const folded = kind === 'down' && flappingOpen;
  let k = keys[key];
  // A resolved incident is remembered for its level's cooldown (damping), then forgotten.
  if (k?.resolvedAt !== undefined && waitOver(k.resolvedAt, config.levels[k.level].cooldownMs, now)) {
    delete keys[key];
    k = undefined;
  }
  const condition = kind === 'down' ? downCondition(svc) : degradedCondition(svc);
  if (condition === 'unchanged') return { open: isOpenIncident(k), resolvedByHeal: false };
  if (condition === 'clear' && !k) return { open: false, resolvedByHeal: false };
  // The key's window spans the longest level's: escalate_after may move it to another level.
  const keep = Math.max(levelWindow(config.levels.critical), levelWindow(config.levels.warning), levelWindow(config.levels.info));

  if (condition === 'clear') {
    if (!k) return { open: false, resolvedByHeal: false };
    k = { ...endOutage(k, now), failing: 0, recent: pushScan(recentOf(k, keep), PASSING, keep) };
    if (k.resolvedAt !== undefined) {
      keys[key] = k;
      return { open: false, resolvedByHeal: false };
    }
    const level = config.levels[k.level];
    const window = levelWindow(level);
    if (!k.notified) {
      // Not an incident yet: "k in a row" starts again from nothing; "k of n" keeps its window.
      if (window === level.threshold || countLast(k.recent ?? '', FAILING, window) === 0) delete keys[key];
      else keys[key] = k;
      return { open: false, resolvedByHeal: false };
    }
    const upScans = (k.upScans ?? 0) + 1;
    const stable = countLast(k.recent ?? '', FAILING, window) < level.threshold && (!k.reopened || upScans >= window);
    if (!stable) {
      // Still open (damped): channels that forget a firing alert are told it still fires.
      if (!ctx.quiet && !folded) refresh(plan, downNotice(kind, svc, key, k, k.notified.count, 'reminder', ctx), k.notified.channels, ctx);
      keys[key] = { ...k, upScans };
      return { open: true, resolvedByHeal: false };
    }
    // Resolved, silenced or not: the channels that got the alert hear it is over.
    const resolutions = (k.resolutions ?? 0) + 1;
    plan.routed.push({ notice: resolvedNotice(svc, kind, key, { ...k, resolutions }, ctx), channels: k.notified.channels });
    const { upScans: _up, owed: _owed, ...rest } = k;
    keys[key] = { ...rest, resolvedAt: now, resolutions };
    return { open: false, resolvedByHeal: svc.status === 'healed' };
  }

  // The condition holds: the service is down (or degraded).
  if (!k) k = { failing: 0, since: now, level: kind === 'down' ? svc.alertLevel : svc.degradedLevel, levelSince: now };
  if (k.resolvedAt !== undefined) {
    // Down again within the cooldown after "back up": the same incident, reopened.
    const { resolvedAt: _resolved, ...rest } = k;
    k = { ...rest, reopened: true, owed: 'again' };
  }
  const recent = recentOf(k, keep);
  k = {
    ...k,
    failing: k.failing + 1,
    recent: pushScan(recent, FAILING, keep),
    ...(k.downSince === undefined ? { downSince: now, outages: (k.outages ?? 0) + 1 } : {}),
  };
  delete k.upScans;

  let level = config.levels[k.level];
  const above = levelAbove(k.level);
  let escalatedFrom: AlertLevel | undefined;
  // Still down that long: this outage, at this level (a recovery in between starts the count again).
  const downAtLevel = Math.max(k.levelSince ?? k.since, k.downSince ?? now);
  if (above && level.escalateAfterMs !== undefined && waitOver(downAtLevel, level.escalateAfterMs, now)) {
    escalatedFrom = k.level;
    k = { ...k, level: above, levelSince: now, ...(k.notified ? { owed: 'raised' as const } : {}) };
    level = config.levels[above];
  }

  const quiet = ctx.quiet || folded;
  // Heal stops restarting a down service, never a degraded one: only the down incident says so.
  const stopped = kind === 'down' ? svc.stopped : undefined;
  const met = countLast(k.recent ?? '', FAILING, levelWindow(level)) >= level.threshold;
  const due = met && (!k.notified || k.owed !== undefined || waitOver(k.notified.at, level.cooldownMs, now));
  if (due && !quiet) {
    const count = (k.notified?.count ?? 0) + 1;
    const why: DownWhy = escalatedFrom || k.owed === 'raised' ? { escalatedFrom } : k.owed === 'again' ? 'again' : k.notified ? 'reminder' : 'first';
    plan.routed.push({ notice: downNotice(kind, svc, key, k, count, why, ctx), channels: level.channels });
    const { owed: _owed, ...rest } = k;
    k = { ...rest, notified: { at: now, channels: union(k.notified?.channels, level.channels), count }, ...(stopped ? { stoppedSaid: true } : {}) };
  } else if (k.notified && !quiet && k.owed !== 'again') {
    // (A reopened incident not yet announced as down again is not firing for anyone yet.)
    if (stopped && !k.stoppedSaid) {
      // Heal stopped trying after the alert went out: said once, to the channels that got the alert.
      plan.routed.push({ notice: stoppedNotice(svc, key, k, stopped, ctx), channels: k.notified.channels });
      k = { ...k, stoppedSaid: true };
    } else {
      refresh(plan, downNotice(kind, svc, key, k, k.notified.count, 'reminder', ctx), k.notified.channels, ctx);
    }
  }
  keys[key] = k;
  return { open: Boolean(k.notified), resolvedByHeal: false };
}

function healedKey(keys: Record<string, AlertKeyState>, svc: ServiceAlertInput, ctx: IncidentContext, plan: ServicePlan, folded: boolean): void {
  const key = `${svc.service}/healed`;
  const before = keys[key];
  if (!before && svc.status !== 'healed') return;
  const over = before && waitOver(before.notified?.at ?? 0, ctx.config.levels[before.level].cooldownMs, ctx.now);
  // Past its cooldown the key goes, unless it still counts held-back heals for the next notice.
  if (over && !before.held) delete keys[key];
  if (svc.status !== 'healed' || folded || ctx.quiet) return;
  if (before && !over) {
    const held = (before.held ?? 0) + 1;
    keys[key] = { ...before, held };
    const cooldownMs = ctx.config.levels[before.level].cooldownMs;
    const untilMs = waitEndsAt(before.notified?.at ?? ctx.now, cooldownMs - scheduleSlackMs(cooldownMs), ctx.now);
    plan.held.push({ service: svc.service, kind: 'healed', level: before.level, count: held, untilMs });
    return;
  }
  const { channels } = ctx.config.levels[svc.healedLevel];
  plan.routed.push({ notice: healedNotice(svc, key, before, ctx), channels });
  keys[key] = { failing: 1, since: ctx.now, level: svc.healedLevel, notified: { at: ctx.now, channels, count: 1 } };
}

/**
 * A wait of a level (its cooldown, escalate_after) that began at `at` is over at `now`: less its
 * schedule slack, as the heal cooldown, since a notice is stamped after the scan's checks and
 * restarts, and the scan due an interval later may start a little early.
 */
function waitOver(at: number, lengthMs: number, now: number): boolean {
  return now >= waitEndsAt(at, lengthMs - scheduleSlackMs(lengthMs), now);
}

function downCondition(svc: ServiceAlertInput): 'holds' | 'clear' | 'unchanged' {
  if (svc.status === 'skipped' || svc.rule === 'starting') return 'unchanged';
  return svc.status === 'down' ? 'holds' : 'clear';
}

/** Degraded holds while only alert-only checks fail; a down service says nothing of them, so the key waits. */
function degradedCondition(svc: ServiceAlertInput): 'holds' | 'clear' | 'unchanged' {
  if (svc.status === 'skipped' || svc.status === 'down' || svc.rule === 'starting') return 'unchanged';
  return svc.status === 'degraded' ? 'holds' : 'clear';
}

/** The key's recent scans; a key written before they were kept counts its failing streak. */
function recentOf(k: AlertKeyState, keep: number): string {
  return k.recent ?? FAILING.repeat(Math.min(k.failing, keep));
}

/** The current outage, if any, added to the incident's down time. */
function endOutage(k: AlertKeyState, now: number): AlertKeyState {
  if (k.downSince === undefined) return k;
  const { downSince, ...rest } = k;
  return { ...rest, downMs: (k.downMs ?? 0) + elapsedSince(downSince, now) };
}

function union(a: readonly string[] | undefined, b: readonly string[]): string[] {
  return [...new Set([...(a ?? []), ...b])];
}

function refresh(plan: ServicePlan, notice: Notice, notified: readonly string[], ctx: IncidentContext): void {
  const upkeep = notified.filter((c) => ctx.resendChannels.has(c));
  if (upkeep.length) plan.refreshed.push({ notice, channels: upkeep });
}

/** "1st", "2nd", "3rd", "4th", … "11th", "12th", "13th", "21st". */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

function stoppedText(stopped: RestartsStopped | undefined): string | undefined {
  return stopped && `heal stopped restarting it until ${isoTime(stopped.untilMs)} (${stopped.why}), then tries once`;
}

/** Why a down notice goes: its first, down again after "back up", a reminder, or its level raised (from a level, when this scan raised it). */
type DownWhy = 'first' | 'again' | 'reminder' | { escalatedFrom: AlertLevel | undefined };

function downNotice(kind: IncidentKind, svc: ServiceAlertInput, key: string, k: AlertKeyState, count: number, why: DownWhy, ctx: IncidentContext): Notice {
  const outages = k.outages ?? 1;
  const span = formatDuration(elapsedSince(k.since, ctx.now));
  const title =
    why === 'again'
      ? `${svc.service} is ${kind} again (the ${ordinal(outages)} time in ${span})`
      : typeof why === 'object'
        ? `${svc.service} is still ${kind} after ${span}: raised ${why.escalatedFrom ? `from ${why.escalatedFrom} ` : ''}to ${k.level}`
        : `${svc.service} is ${kind}`;
  const action = [svc.action, kind === 'down' ? stoppedText(svc.stopped) : undefined].filter(Boolean).join('; ');
  return {
    id: `${key}@${k.since}#${count}`,
    key,
    kind,
    level: k.level,
    service: svc.service,
    title,
    detail: outages > 1 ? `${kind} ${outages} times since ${isoTime(k.since)}; ${svc.detail}` : svc.detail,
    ...(action ? { action } : {}),
    since: k.since,
    at: ctx.now,
    ...(why === 'reminder' && count > 1 ? { reminder: true } : {}),
    host: ctx.host,
  };
}

function stoppedNotice(svc: ServiceAlertInput, key: string, k: AlertKeyState, stopped: RestartsStopped, ctx: IncidentContext): Notice {
  return {
    id: `${key}@${k.since}/stopped`,
    key,
    kind: 'down',
    level: k.level,
    service: svc.service,
    title: `heal stopped restarting ${svc.service} until ${isoTime(stopped.untilMs)}`,
    detail: `${stopped.why}; ${svc.detail}`,
    action: `no restart before ${isoTime(stopped.untilMs)}, then one; ${svc.service} is still down`,
    since: k.since,
    at: ctx.now,
    host: ctx.host,
  };
}

function flappingNotice(svc: ServiceAlertInput, key: string, k: AlertKeyState, count: number, ctx: IncidentContext): Notice {
  const action = svc.stopped ? stoppedText(svc.stopped) : svc.action;
  return {
    id: `${key}@${k.since}#${count}`,
    key,
    kind: 'flapping',
    level: k.level,
    service: svc.service,
    title: `${svc.service} is flapping`,
    detail: `${svc.flapping?.reason ?? 'it keeps coming back and going down'}; now ${svc.status === 'down' ? `down: ${svc.detail}` : 'up'}`,
    ...(action ? { action } : {}),
    since: k.since,
    at: ctx.now,
    ...(count > 1 ? { reminder: true } : {}),
    host: ctx.host,
  };
}

function resolvedNotice(svc: ServiceAlertInput, kind: IncidentKind | 'flapping', key: string, k: AlertKeyState, ctx: IncidentContext): Notice {
  const span = elapsedSince(k.since, ctx.now);
  const outages = kind === 'flapping' ? 1 : (k.outages ?? 1);
  const downForMs = outages > 1 ? (k.downMs ?? span) : span;
  const healed = svc.status === 'healed' ? '; heal restarted it' : '';
  const what =
    kind === 'flapping'
      ? `flapping for ${formatDuration(span)}`
      : outages > 1
        ? `${kind} ${outages} times in ${formatDuration(span)}, for ${formatDuration(downForMs)} in all`
        : `${kind} for ${formatDuration(span)}`;
  return {
    id: `${key}@${k.since}/resolved${(k.resolutions ?? 1) > 1 ? `#${k.resolutions}` : ''}`,
    key,
    kind: 'resolved',
    level: k.level,
    service: svc.service,
    title: kind === 'down' ? `${svc.service} is back up` : `${svc.service} is no longer ${kind}`,
    detail: `${what}${healed}`,
    ...(svc.status === 'healed' && svc.action ? { action: svc.action } : {}),
    since: k.since,
    at: ctx.now,
    downForMs,
    host: ctx.host,
  };
}

function healedNotice(svc: ServiceAlertInput, key: string, before: AlertKeyState | undefined, ctx: IncidentContext): Notice {
  const held = before?.held ?? 0;
  const earlier = held && before?.notified ? `; healed ${held} more time${held === 1 ? '' : 's'} since the last notice at ${isoTime(before.notified.at)}` : '';
  return {
    id: `${key}@${ctx.now}`,
    key,
    kind: 'healed',
    level: svc.healedLevel,
    service: svc.service,
    title: `${svc.service} was down; heal restarted it`,
    detail: `${svc.detail}${earlier}`,
    ...(svc.action ? { action: svc.action } : {}),
    since: ctx.now,
    at: ctx.now,
    host: ctx.host,
  };
}
