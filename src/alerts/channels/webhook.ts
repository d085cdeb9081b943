/**
 * The `webhook` channel: the message as JSON, POSTed to `url` with the manifest's headers,
 * through node:http / node:https (no redirects, no keep-alive). A 2xx is delivered; a 429 or a
 * 503 says when to come back (Retry-After); 5xx, 408 and network failures are retryable (no
 * answer after the request was written: maybe delivered); 404 and 410 mean the endpoint is gone;
 * any other 4xx is permanent. Errors are built from the status and a short reason, never from the
 * URL, so its userinfo and query string (often the token) stay out of logs.
 */
import type * as http from 'node:http';
import { timedOutAfter } from '../../checks/port.js';
import { sendRequest } from '../../common/http-request.js';
import type { ChannelSpec } from './schema.js';
import { cut, isoTime, oneLine, subject } from '../format.js';
import { redactor } from '../../common/redact.js';
import type { Channel, ChannelContext, Message, SendOutcome } from '../types.js';

export type WebhookChannelSpec = Extract<ChannelSpec, { type: 'webhook' }>;

const USER_AGENT = 'heal (alert webhook)';

/** The most of an error response's body that is read for its reason. */
const MAX_ERROR_BODY = 4 * 1024;

/**
 * The JSON document a webhook receives: the message's id (stable across retries, so a receiver
 * can drop a repeat), its level and channel, a one-line `text` (which Slack- and
 * Mattermost-style receivers show as is), and every notice as heal made it.
 */
export function webhookPayload(message: Message): Record<string, unknown> {
  return {
    id: message.id,
    level: message.level,
    channel: message.channel,
    createdAt: isoTime(message.createdAt),
    text: subject(message),
    notices: message.notices,
  };
}

/**
 * Reads a Retry-After header (delay seconds or an HTTP date) as milliseconds from `now`;
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1_000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Strings of the spec that must never appear in an error: userinfo, query values, header values. */
export function webhookSecrets(spec: Pick<WebhookChannelSpec, 'url' | 'headers'>): string[] {
  const secrets = [spec.url, ...Object.values(spec.headers ?? {})];
  try {
    const url = new URL(spec.url);
    secrets.push(url.search.slice(1), url.username, url.password, decodeURIComponent(url.password));
    for (const value of url.searchParams.values()) secrets.push(value);
  } catch {
    // An invalid URL is refused before any of it is shown.
  }
  return secrets;
}

/** A short reason from an error body: a JSON `message` / `error`, or the first line of text. */
function reasonFrom(body: string, contentType: string | undefined): string | undefined {
  const text = body.trim();
  if (!text) return undefined;
  if (contentType?.includes('json') || text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      for (const key of ['message', 'error', 'error_description', 'detail']) {
        const value = parsed[key];
        if (typeof value === 'string' && value.trim()) return cut(oneLine(value), 120);
      }
      return undefined;
    } catch {
      // Not JSON after all: fall through to the first line.
    }
  }
  if (contentType?.includes('html') || text.startsWith('<')) return undefined;
  return cut(oneLine(text.split('\n')[0] ?? ''), 120);
}

/** How a non-2xx status reads as an outcome. */
export function outcomeForStatus(status: number, retryAfterMs: number | undefined, reason?: string): SendOutcome {
  const said = reason ? `: ${reason}` : '';
  const retryAfter = retryAfterMs === undefined ? {} : { retryAfterMs };
  if (status === 404 || status === 410) {
    return { ok: false, retryable: false, gone: true, error: `status ${status}: the endpoint is gone (deleted, or the URL is wrong)${said}` };
  }
  if (status === 429) return { ok: false, retryable: true, ...retryAfter, error: `status 429: rate limited${said}` };
  if (status === 408 || status === 425) return { ok: false, retryable: true, ...retryAfter, error: `status ${status}${said}` };
  if (status >= 500) return { ok: false, retryable: true, ...retryAfter, error: `status ${status}${said}` };
  if (status >= 300 && status < 400) return { ok: false, retryable: false, error: `status ${status} (redirects are not followed)` };
  return { ok: false, retryable: false, error: `status ${status}${said}` };
}

/** A channel's reading of a non-2xx answer: its Retry-After (ms), and a reason from its body if any. */
export type StatusOutcome = (status: number, retryAfterMs: number | undefined, reason?: string) => SendOutcome;

/** What a channel POSTs, and how it reads the answer. */
export type JsonPost = {
  url: URL;
  /** The JSON text. */
  json: string;
  /** The channel's own headers (user-agent, …); content-type is JSON. */
  headers: http.OutgoingHttpHeaders;
  /** The manifest's `headers`, which go over the channel's own. */
  manifestHeaders: Readonly<Record<string, string>> | undefined;
  timeoutMs: number;
  ctx: ChannelContext;
  /** Strings that must never appear in an error. */
  secrets: readonly string[];
  /** What a 2xx says ("status 204"). */
  delivered: (status: number) => string;
  /** What any other status means. */
  outcome: StatusOutcome;
  /** A short reason from an error body and its content type. */
  reasonFrom: (body: string, contentType: string | undefined) => string | undefined;
};

/**
 * POSTs a channel's JSON (no redirects, no keep-alive) within `timeoutMs` or until the context's
 * signal aborts (both read "timed out after …"). A 2xx is delivered; any other status is read by
 * `outcome`, with a reason from the first 4 kB of the body when the body ended in time; a network
 * failure is retryable, and `maybeDelivered` when it came after the whole request was written
 * (no answer in time, a connection dropped while waiting for one). Every error is redacted of
 * `secrets`.
 */
export async function postJson(post: JsonPost): Promise<SendOutcome> {
  const headers: http.OutgoingHttpHeaders = { ...post.headers, 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(post.manifestHeaders ?? {})) headers[name.toLowerCase()] = value;
  const answer = await sendRequest(post.url, {
    method: 'POST',
    headers,
    body: post.json,
    timeoutMs: post.timeoutMs,
    signal: post.ctx.signal,
    maxBodyBytes: (status) => (status >= 200 && status < 300 ? 0 : MAX_ERROR_BODY),
  });
  let outcome: SendOutcome;
  if (!answer.ok) {
    // No status: if the request was written whole, the receiver may have it (maybe delivered).
    outcome = { ok: false, retryable: true, error: answer.aborted ? timedOutAfter(post.timeoutMs) : answer.error, ...(answer.written ? { maybeDelivered: true } : {}) };
  } else if (answer.status >= 200 && answer.status < 300) {
    outcome = { ok: true, detail: post.delivered(answer.status) };
  } else {
    const retryAfterMs = parseRetryAfter(answer.headers['retry-after'], post.ctx.deps.now());
    // A body that did not end in time gives no reason: the status says enough.
    const reason = answer.bodyError === undefined ? post.reasonFrom(answer.body, answer.headers['content-type']) : undefined;
    outcome = post.outcome(answer.status, retryAfterMs, reason);
  }
  return outcome.ok ? outcome : { ...outcome, error: redactor(post.secrets)(outcome.error) };
}

/** The `webhook` channel type. */
export const webhookChannel: Channel<WebhookChannelSpec> = {
  type: 'webhook',

  send(spec, message, ctx) {
    let url: URL;
    try {
      url = new URL(spec.url);
    } catch {
      return Promise.resolve({ ok: false, retryable: false, error: 'invalid URL' });
    }
    return postJson({
      url,
      json: JSON.stringify(webhookPayload(message)),
      headers: { 'user-agent': USER_AGENT, 'idempotency-key': message.id },
      manifestHeaders: spec.headers,
      timeoutMs: Math.max(1, Math.min(spec.timeout, ctx.timeoutMs)),
      ctx,
      secrets: webhookSecrets(spec),
      delivered: (status) => `status ${status}`,
      outcome: outcomeForStatus,
      reasonFrom,
    });
  },
};
