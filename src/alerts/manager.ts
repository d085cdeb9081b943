/**
 * The alert manager's decisions, pure: given what the scan ended with for each service, what
 * the state remembers of every alert key, and `now`, which notices go to which channels.
 *
 * - Keys are "<service>/down" and "<service>/flapping": conditions that hold over scans. A key
 *   notifies once its condition has held for its level's `threshold` consecutive scans, then not
 *   again before the level's `cooldown` ends (a reminder after it, if the condition goes on).
 * - "<service>/healed" is an event: a restart brought the service back. It notifies at once, at
 *   most once per cooldown; a recovery that resolves a notified down key says so there instead.
 * - Resolved: when a key that notified stops holding, one notice goes to the channels that got
 *   the alert, whatever the cooldown, with how long it lasted.
 * - No longer watched: the keys of a service that is not in `known` any more (removed, renamed,
 *   disabled) are forgotten, and an alert of theirs that notified is closed like a resolved one,
 *   to the channels that got it, saying the service is no longer watched.
 * - Inhibition: a service skipped because a service it depends on is down, or still starting
 *   after a restart, leaves its keys as they are: one outage, one alert about its cause.
 * - Silences: a silenced service's keys still count, but make no notice.
 * - Grouping: every notice for a channel in one scan goes out as one message.
 * - Refresh: channels that forget an alert unless told again (Alertmanager resolves an alert
 *   whose endsAt passes) get every still-firing notice again each scan, with its same id; this
 *   is upkeep, not a new notice, and starts no cooldown.
 */
import type { AlertLevel } from '../manifest/schema.js';
import type { DecisionRule } from '../heal/policy.js';
import { elapsedSince, windowEndsAt } from '../common/time.js';
import { formatDuration } from '../duration.js';
import { levelRank, type AlertConfig } from './levels.js';
import type { AlertKeyState, AlertsState, Silence } from './state.js';
import type { Message, Notice } from './types.js';

/** What the scan ended with for one service, as the manager needs it. */
export type ServiceAlertInput = {
  service: string;
  status: 'up' | 'down' | 'healed' | 'skipped';
  rule: DecisionRule;
  alertLevel: AlertLevel;
  healedLevel: AlertLevel;
  /** What failed: "port 127.0.0.1:3002: connection refused". */
  detail: string;
  /** What heal did: "restarted (…): still failing", "held back: cooldown …". */
  action?: string;
  /** Set while the crash-loop guard holds the service. */
  flapping?: { since: number; reason: string };
};

export type AlertPlanInput = {
  config: AlertConfig;
  services: readonly ServiceAlertInput[];
  /**
   * Every service heal watches (in the manifest and enabled): the keys of any other service are
   * forgotten, and its open alerts closed with a "no longer watched" notice.
   */
  known: readonly string[];
  now: number;
  host: string;
  /** Channels that need a firing alert re-sent every scan (type alertmanager). */
  refreshChannels?: readonly string[];
};

/** A notice and the channels it goes to. */
export type RoutedNotice = { notice: Notice; channels: string[] };

export type AlertPlan = { next: AlertsState; messages: Message[]; routed: RoutedNotice[] };

type Condition = 'holds' | 'clear' | 'unchanged';

export function planAlerts(previous: AlertsState, input: AlertPlanInput): AlertPlan {
  const { config, now, host } = input;
  const silences = Object.fromEntries(Object.entries(previous.silences).filter(([, s]) => isSilenced(s, now)));
  const routed: RoutedNotice[] = [];
  const refreshed: RoutedNotice[] = [];
  const refreshChannels = new Set(input.refreshChannels ?? []);
  const known = new Set(input.known);
  const keys: Record<string, AlertKeyState> = {};
  for (const [key, state] of Object.entries(previous.keys)) {
    const service = serviceOf(key);
    if (known.has(service)) keys[key] = state;
    else if (state.notified && isCondition(key) && !isSilenced(Object.hasOwn(silences, service) ? silences[service] : undefined, now)) {
      routed.push({ notice: unwatchedNotice(service, key, state, now, host), channels: state.notified.channels });
    }
  }

  for (const svc of input.services) {
    const silenced = isSilenced(Object.hasOwn(silences, svc.service) ? silences[svc.service] : undefined, now);
    const conditions: [kind: 'down' | 'flapping', condition: Condition, level: AlertLevel][] = [
      ['down', downCondition(svc), svc.alertLevel],
      ['flapping', svc.flapping ? 'holds' : 'clear', 'critical'],
    ];
    let resolvedDown = false;
    for (const [kind, condition, level] of conditions) {
      const key = `${svc.service}/${kind}`;
      const before = keys[key];
      if (condition === 'unchanged') continue;
      if (condition === 'clear') {
        if (before?.notified && !silenced) {
          routed.push({ notice: resolvedNotice(svc, kind, key, before, now, host), channels: before.notified.channels });
          resolvedDown ||= kind === 'down';
        }
        delete keys[key];
        continue;
      }
      const threshold = kind === 'flapping' ? 1 : config.levels[level].threshold;
      const state: AlertKeyState = before
        ? { ...before, failing: before.failing + 1, level }
        : { failing: 1, since: kind === 'flapping' && svc.flapping ? svc.flapping.since : now, level };
      const { cooldownMs, channels } = config.levels[level];
      const due = state.failing >= threshold && (!state.notified || elapsedSince(state.notified.at, now) >= cooldownMs);
      if (due && !silenced && channels.length) {
        const count = (state.notified?.count ?? 0) + 1;
        routed.push({ notice: failingNotice(svc, kind, key, state, count, now, host), channels });
        state.notified = { at: now, channels, count };
      } else if (state.notified && !silenced) {
        const upkeep = state.notified.channels.filter((c) => refreshChannels.has(c));
        if (upkeep.length) refreshed.push({ notice: failingNotice(svc, kind, key, state, state.notified.count, now, host), channels: upkeep });
      }
      keys[key] = state;
    }

    const healedKey = `${svc.service}/healed`;
    const healed = keys[healedKey];
    if (healed && elapsedSince(healed.notified?.at ?? 0, now) >= config.levels[healed.level].cooldownMs) delete keys[healedKey];
    if (svc.status === 'healed' && !resolvedDown && !keys[healedKey] && !silenced) {
      const { channels } = config.levels[svc.healedLevel];
      if (channels.length) {
        routed.push({ notice: healedNotice(svc, healedKey, now, host), channels });
        keys[healedKey] = { failing: 1, since: now, level: svc.healedLevel, notified: { at: now, channels, count: 1 } };
      }
    }
  }

  const messages = groupByChannel([...routed, ...refreshed], now);
  return { next: { ...previous, keys, silences }, messages, routed };
}

function downCondition(svc: ServiceAlertInput): Condition {
  if (svc.status === 'skipped' || svc.rule === 'starting') return 'unchanged';
  return svc.status === 'down' ? 'holds' : 'clear';
}

/** A silence set "in the future" (the clock was set back) lasts its `--for` from now, no longer. */
function isSilenced(silence: Silence | undefined, now: number): boolean {
  return silence !== undefined && windowEndsAt(silence.createdAt, silence.until, now) > now;
}

function serviceOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/'));
}

/** A key whose condition holds over scans ("<service>/down", "<service>/flapping"), not an event. */
function isCondition(key: string): boolean {
  return key.endsWith('/down') || key.endsWith('/flapping');
}

/** Closes the open alert of a service heal no longer watches: it cannot say whether it recovered. */
function unwatchedNotice(service: string, key: string, state: AlertKeyState, now: number, host: string): Notice {
  const downForMs = elapsedSince(state.since, now);
  const what = key.endsWith('/flapping') ? 'flapping' : 'down';
  return {
    id: `${key}@${state.since}/unwatched`,
    key,
    kind: 'resolved',
    level: state.level,
    service,
    title: `${service} is no longer watched`,
    detail: `${service} was removed from the manifest, renamed or disabled while its ${what} alert was open (for ${formatDuration(downForMs)}); heal closes the alert and no longer checks ${service}, so it cannot say whether it recovered`,
    since: state.since,
    at: now,
    downForMs,
    host,
  };
}

function failingNotice(svc: ServiceAlertInput, kind: 'down' | 'flapping', key: string, state: AlertKeyState, count: number, now: number, host: string): Notice {
  const flapping = kind === 'flapping';
  return {
    id: `${key}@${state.since}#${count}`,
    key,
    kind,
    level: state.level,
    service: svc.service,
    title: flapping ? `${svc.service} is flapping` : `${svc.service} is down`,
    detail: flapping ? `${svc.flapping?.reason ?? 'it keeps coming back and dying'}; ${svc.detail}` : svc.detail,
    action: flapping ? `restarts stopped until it stays up on its own, or heal reset ${svc.service}` : svc.action,
    since: state.since,
    at: now,
    ...(count > 1 ? { reminder: true } : {}),
    host,
  };
}

function resolvedNotice(svc: ServiceAlertInput, kind: 'down' | 'flapping', key: string, state: AlertKeyState, now: number, host: string): Notice {
  const downForMs = elapsedSince(state.since, now);
  return {
    id: `${key}@${state.since}/resolved`,
    key,
    kind: 'resolved',
    level: state.level,
    service: svc.service,
    title: kind === 'flapping' ? `${svc.service} is no longer flapping` : `${svc.service} is back up`,
    detail: `${kind === 'flapping' ? 'flapping' : 'down'} for ${formatDuration(downForMs)}${svc.status === 'healed' ? '; heal restarted it' : ''}`,
    ...(svc.status === 'healed' && svc.action ? { action: svc.action } : {}),
    since: state.since,
    at: now,
    downForMs,
    host,
  };
}

function healedNotice(svc: ServiceAlertInput, key: string, now: number, host: string): Notice {
  return {
    id: `${key}@${now}`,
    key,
    kind: 'healed',
    level: svc.healedLevel,
    service: svc.service,
    title: `${svc.service} was down; heal restarted it`,
    detail: svc.detail,
    ...(svc.action ? { action: svc.action } : {}),
    since: now,
    at: now,
    host,
  };
}

function groupByChannel(routed: readonly RoutedNotice[], now: number): Message[] {
  const byChannel = new Map<string, Notice[]>();
  for (const { notice, channels } of routed) {
    for (const channel of new Set(channels)) byChannel.set(channel, [...(byChannel.get(channel) ?? []), notice]);
  }
  return [...byChannel].map(([channel, notices]) => ({
    id: `heal-${now.toString(36)}-${channel}`,
    channel,
    level: notices.reduce<AlertLevel>((top, n) => (levelRank(n.level) > levelRank(top) ? n.level : top), 'info'),
    notices,
    createdAt: now,
  }));
}
