/**
 * The alert manager's decisions, pure: given what the scan ended with for each service, what
 * the state remembers of every alert key, and `now`, which notices go to which channels.
 *
 * - Per service (alerts/incident.ts): "<service>/down" is an incident that notifies once the
 *   service failed its level's `threshold` (k in a row, or k of the last n scans), reminds per
 *   cooldown, folds outages within the cooldown after a recovery into itself (damping), escalates
 *   after `escalate_after`, and says once when heal stopped restarting it; "<service>/flapping"
 *   holds while the service flaps, and folds the down notices into itself; "<service>/healed" is
 *   an event, at most once per cooldown, the held-back ones counted.
 * - Resolved: when an incident that notified is over, one notice goes to every channel that got
 *   a notice of it, whatever the cooldown and whatever the level says now, with how long it lasted.
 * - No longer watched: the keys of a service that is not in `known` any more (removed, renamed,
 *   disabled) are forgotten, and an alert of theirs that notified is closed like a resolved one,
 *   to the channels that got it, saying the service is no longer watched.
 * - Inhibition: a service skipped because a service it depends on is down, or still starting
 *   after a restart, leaves its keys as they are: one outage, one alert about its cause.
 * - Silences hide notices, not incidents: a silenced service's keys still count, a resolved
 *   notice still goes, and what is due when the silence ends goes on the first scan after it.
 * - Grouping: every notice for a channel in one scan goes out as one message.
 * - Refresh: channels that forget an alert unless told again (Alertmanager resolves an alert
 *   whose endsAt passes) get every still-firing notice again each scan, with its same id; this
 *   is upkeep, not a new notice, and starts no cooldown.
 */
import type { AlertLevel } from './schema.js';
import type { DecisionRule, RestartsStopped } from '../policy/rules.js';
import { elapsedSince, windowEndsAt } from '../common/time.js';
import { formatDuration } from '../common/duration.js';
import { planServiceAlerts, type HeldNotice } from './incident.js';
import { levelRank, type AlertConfig } from './levels.js';
import type { AlertKeyState, AlertsState, Silence } from './state.js';
import type { Message, Notice } from './types.js';

export type { HeldNotice } from './incident.js';

/** What the scan ended with for one service, as the manager needs it. */
export type ServiceAlertInput = {
  service: string;
  status: 'up' | 'down' | 'healed' | 'degraded' | 'skipped';
  rule: DecisionRule;
  alertLevel: AlertLevel;
  healedLevel: AlertLevel;
  /** The level of its degraded incident (only `on_fail: alert` checks fail). */
  degradedLevel: AlertLevel;
  /** What failed: "port 127.0.0.1:3002: connection refused". */
  detail: string;
  /** What heal did: "restarted (…): still failing", "held back: cooldown …". */
  action?: string;
  /** Set while the service flaps (policy/record.ts). */
  flapping?: { since: number; reason: string };
  /** Set while heal has stopped restarting it for a while (policy/heal.ts restartsStopped). */
  stopped?: RestartsStopped;
  /** A maintenance window holds it now: quiet, like a silence. */
  inMaintenance?: boolean;
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
  /** Channels that need a firing alert sent again every scan (their type's `resendsFiring`: Alertmanager). */
  resendChannels?: readonly string[];
};

/** A notice and the channels it goes to. */
export type RoutedNotice = { notice: Notice; channels: string[] };

/** `held`: notices a level's cooldown held back this scan, counted for the report and status. */
export type AlertPlan = { next: AlertsState; messages: Message[]; routed: RoutedNotice[]; held: HeldNotice[] };

export function planAlerts(previous: AlertsState, input: AlertPlanInput): AlertPlan {
  const { config, now, host } = input;
  const silences = Object.fromEntries(Object.entries(previous.silences).filter(([, s]) => isSilenced(s, now)));
  const routed: RoutedNotice[] = [];
  const refreshed: RoutedNotice[] = [];
  const resendChannels = new Set(input.resendChannels ?? []);
  const known = new Set(input.known);
  const keys: Record<string, AlertKeyState> = {};
  for (const [key, state] of Object.entries(previous.keys)) {
    const service = serviceOf(key);
    if (known.has(service)) keys[key] = state;
    // Like a resolved notice, this closes an incident: a silence does not hold it back.
    else if (state.notified && state.resolvedAt === undefined && isCondition(key)) {
      routed.push({ notice: unwatchedNotice(service, key, state, now, host), channels: state.notified.channels });
    }
  }

  const held: HeldNotice[] = [];
  for (const svc of input.services) {
    // One rule for every quiet time: a silence, a maintenance window.
    const quiet = svc.inMaintenance === true || isSilenced(Object.hasOwn(silences, svc.service) ? silences[svc.service] : undefined, now);
    const plan = planServiceAlerts(keys, svc, { config, now, host, quiet, resendChannels });
    routed.push(...plan.routed);
    refreshed.push(...plan.refreshed);
    held.push(...plan.held);
  }

  const messages = groupByChannel([...routed, ...refreshed], now);
  return { next: { ...previous, keys, silences }, messages, routed, held };
}

/** A silence set "in the future" (the clock was set back) lasts its `--for` from now, no longer. */
function isSilenced(silence: Silence | undefined, now: number): boolean {
  return silence !== undefined && windowEndsAt(silence.createdAt, silence.until, now) > now;
}

function serviceOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/'));
}

/** A key whose condition holds over scans ("<service>/down", "<service>/degraded", "<service>/flapping"), not an event. */
function isCondition(key: string): boolean {
  return key.endsWith('/down') || key.endsWith('/degraded') || key.endsWith('/flapping');
}

/** Closes the open alert of a service heal no longer watches: it cannot say whether it recovered. */
function unwatchedNotice(service: string, key: string, state: AlertKeyState, now: number, host: string): Notice {
  const downForMs = elapsedSince(state.since, now);
  const what = key.slice(key.lastIndexOf('/') + 1);
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
