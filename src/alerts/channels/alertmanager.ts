/**
 * The `alertmanager` channel: every notice of a message becomes one alert in a JSON array,
 * POSTed to `<url>/api/v2/alerts` of a Prometheus Alertmanager, which then groups, silences,
 * inhibits and routes them as it does Prometheus's own.
 *
 * An Alertmanager identifies an alert by its labels and forgets it at its `endsAt`, so:
 *
 * - Labels are the same for every notice about one condition: `alertname` (which condition),
 *   `service`, `severity` (the level), `host`, plus the manifest's extra `labels` (which cannot
 *   replace those four). A resolved notice carries the labels of the alert it resolves, so it
 *   ends that alert and no other.
 * - A firing alert (down, flapping) ends three schedule intervals from now: long enough that it
 *   does not lapse between two scans, short enough that it does lapse if heal stops running.
 * - A resolved notice ends it now.
 * - Healed, test and folded notices (a summary of older notices the outbox had to fold) are
 *   events, not conditions. They are sent (a person who routes a level to this channel asked for
 *   them; Alertmanager routes can drop them by `alertname`) as alerts that end one interval after
 *   they happened: they show, notify once, and clear themselves. Delivered late from the outbox,
 *   they arrive already ended and page no one.
 *
 * Outcomes: a 2xx is delivered; a 400 (Alertmanager refused the payload) is permanent; 404 means
 * the URL is not an Alertmanager v2 API (gone); 429 says when to come back; 5xx, timeouts and
 * refused connections are retryable. Errors are built from the status and Alertmanager's short
 * reason, never from the URL or the headers.
 */
import type { AlertmanagerChannelSpec } from './schema.js';
import { oneLine } from '../format.js';
import type { Channel, Message, Notice, SendOutcome } from '../types.js';
import { outcomeForStatus, postChannelJson, type ReasonFormat } from './post-json.js';
import { webhookSecrets } from './webhook.js';

export type { AlertmanagerChannelSpec };

/** The schedule interval assumed when the context does not say. @default 5 minutes */
export const DEFAULT_INTERVAL_MS = 5 * 60_000;

/** A firing alert ends this many intervals from now, unless a later scan says it again. */
export const FIRING_INTERVALS = 3;

/** An event (healed, test) ends this many intervals after it happened. */
export const EVENT_INTERVALS = 1;

/** The path of Alertmanager's v2 alerts API, appended to the channel's base URL. */
export const ALERTS_PATH = '/api/v2/alerts';

const USER_AGENT = 'heal (alertmanager)';

/** One alert as Alertmanager's `POST /api/v2/alerts` takes it (postableAlert). */
export type AlertmanagerAlert = {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** RFC 3339. */
  startsAt: string;
  /** RFC 3339. */
  endsAt: string;
  generatorURL?: string;
};

/** The alertname of each kind of condition. */
export const ALERT_NAMES = {
  down: 'HealServiceDown',
  degraded: 'HealServiceDegraded',
  flapping: 'HealServiceFlapping',
  healed: 'HealServiceHealed',
  test: 'HealTest',
  folded: 'HealNoticesFolded',
} as const;

/**
 * The notice's `alertname`. A resolved notice takes the name of the condition it resolves,
 * read from its key ("<service>/down", "<service>/degraded" or "<service>/flapping"), so it ends that very alert.
 */
export function alertName(notice: Pick<Notice, 'kind' | 'key'>): string {
  if (notice.kind !== 'resolved') return ALERT_NAMES[notice.kind];
  if (notice.key.endsWith('/flapping')) return ALERT_NAMES.flapping;
  return notice.key.endsWith('/degraded') ? ALERT_NAMES.degraded : ALERT_NAMES.down;
}

/** When the notice's alert ends (ms since epoch), per the rules at the top of this file. */
export function alertEndsAt(notice: Pick<Notice, 'kind' | 'at'>, now: number, intervalMs: number): number {
  switch (notice.kind) {
    case 'down':
    case 'degraded':
    case 'flapping':
      return now + FIRING_INTERVALS * intervalMs;
    case 'resolved':
      return Math.min(notice.at, now);
    case 'healed':
    case 'test':
    case 'folded':
      return notice.at + EVENT_INTERVALS * intervalMs;
  }
}

/** The alert for one notice: labels, annotations, and when it starts and ends. */
export function alertFor(
  notice: Notice,
  extraLabels: Readonly<Record<string, string>>,
  now: number,
  intervalMs: number,
): AlertmanagerAlert {
  const endsAt = alertEndsAt(notice, now, intervalMs);
  // Alertmanager refuses an alert that ends before it starts (a clock that went backwards).
  const startsAt = Math.min(notice.since, endsAt);
  const annotations: Record<string, string> = { summary: oneLine(notice.title) || `${notice.service}: ${notice.kind}` };
  if (notice.detail) annotations['description'] = notice.detail;
  if (notice.action) annotations['action'] = notice.action;
  annotations['notice_id'] = notice.id;
  return {
    labels: {
      ...extraLabels,
      alertname: alertName(notice),
      service: notice.service,
      severity: notice.level,
      host: notice.host,
    },
    annotations,
    startsAt: new Date(startsAt).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
  };
}

/** The JSON array a message becomes: one alert per notice, in order. */
export function alertmanagerPayload(
  spec: Pick<AlertmanagerChannelSpec, 'labels'>,
  message: Message,
  now: number,
  intervalMs: number = DEFAULT_INTERVAL_MS,
): AlertmanagerAlert[] {
  return message.notices.map((notice) => alertFor(notice, spec.labels ?? {}, now, intervalMs));
}

/**
 * Where the alerts go: the base URL with `/api/v2/alerts` appended to its path (kept as is
 * when it already ends so), its query string kept.
 */
export function alertsUrl(base: string): URL {
  const url = new URL(base);
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith(ALERTS_PATH) ? path : `${path}${ALERTS_PATH}`;
  return url;
}

/** Strings of the spec that must never appear in an error: the URL, its userinfo and query, header values. */
export function alertmanagerSecrets(spec: Pick<AlertmanagerChannelSpec, 'url' | 'headers'>): string[] {
  return webhookSecrets(spec);
}

/**
 * Alertmanager's reason for a refusal: a bad alert is answered with a bare JSON string
 * (`"start time missing"`), a bad request with `{ "code": 400, "message": "…" }`.
 */
const ALERTMANAGER_REASON: ReasonFormat = { keys: ['message', 'error', 'detail'], bareString: true, maxLength: 160 };

/** How a non-2xx status of Alertmanager reads as an outcome. */
export function alertmanagerOutcome(status: number, retryAfterMs: number | undefined, reason?: string): SendOutcome {
  if (status === 404) {
    return { ok: false, retryable: false, gone: true, error: 'status 404: not an Alertmanager v2 API at this URL' };
  }
  if (status === 400 || status === 422) {
    return { ok: false, retryable: false, error: `status ${status}: Alertmanager refused the alerts${reason ? `: ${reason}` : ''}` };
  }
  return outcomeForStatus(status, retryAfterMs, reason);
}

/** The `alertmanager` channel type. */
export const alertmanagerChannel: Channel<AlertmanagerChannelSpec> = {
  type: 'alertmanager',
  // Alertmanager resolves an alert whose endsAt passes: each scan sends it again while it fires.
  resendsFiring: true,

  send(spec, message, ctx) {
    const intervalMs = ctx.intervalMs !== undefined && ctx.intervalMs > 0 ? ctx.intervalMs : DEFAULT_INTERVAL_MS;
    if (!message.notices.length) return Promise.resolve({ ok: true, detail: 'no notices' });
    const count = message.notices.length;
    return postChannelJson(spec, ctx, () => alertsUrl(spec.url), {
      body: JSON.stringify(alertmanagerPayload(spec, message, ctx.deps.now(), intervalMs)),
      headers: { 'user-agent': USER_AGENT },
      manifestHeaders: spec.headers,
      secrets: alertmanagerSecrets(spec),
      delivered: (status) => `status ${status}, ${count} alert${count === 1 ? '' : 's'}`,
      outcome: alertmanagerOutcome,
      reason: ALERTMANAGER_REASON,
    });
  },
};
