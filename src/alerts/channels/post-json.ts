/**
 * What the channels that POST JSON share (webhook, alertmanager, slack, telegram, ntfy): one POST through heal's HTTP
 * client (no redirects, no keep-alive), and the reading of its answer — a 2xx is delivered; any
 * other status is read with its Retry-After and a short reason from its body; no answer is
 * retryable, and maybe delivered once the request was written whole. Each channel brings its own
 * payload, headers, secrets and reading of a status; errors never come from the URL.
 */
import type * as http from 'node:http';
import { timedOutAfter } from '../../common/deadline.js';
import { sendRequest } from '../../common/http-request.js';
import { redactor } from '../../common/redact.js';
import { cut, oneLine } from '../format.js';
import type { ChannelContext, SendOutcome } from '../types.js';
import { sendTimeout } from './budget.js';

/** The most of an error response's body that is read for its reason. */
const MAX_ERROR_BODY = 4 * 1024;

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

/** How a receiver words the reason of a refusal in its body. */
export type ReasonFormat = {
  /** The keys of a JSON object that may hold the reason, the first found wins. */
  keys: readonly string[];
  /** Whether a body that is a bare JSON string is the reason itself (`"start time missing"`). */
  bareString: boolean;
  /** The longest reason kept; a longer one is cut with "…". */
  maxLength: number;
};

/**
 * A short reason from an error body, on one line: the JSON reason `format` names, or the first
 * line of a text body; undefined for an empty or HTML body, or JSON without such a reason.
 */
export function reasonFrom(body: string, contentType: string | undefined, format: ReasonFormat): string | undefined {
  const text = body.trim();
  if (!text) return undefined;
  if (contentType?.includes('json') || text.startsWith('{') || (format.bareString && text.startsWith('"'))) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'string') return format.bareString && parsed.trim() ? cut(oneLine(parsed), format.maxLength) : undefined;
      if (parsed && typeof parsed === 'object') {
        for (const key of format.keys) {
          const value = (parsed as Record<string, unknown>)[key];
          if (typeof value === 'string' && value.trim()) return cut(oneLine(value), format.maxLength);
        }
      }
      return undefined;
    } catch {
      // Not JSON after all: fall through to the first line.
    }
  }
  if (contentType?.includes('html') || text.startsWith('<')) return undefined;
  return cut(oneLine(text.split('\n')[0] ?? ''), format.maxLength);
}

/**
 * How a non-2xx status reads as an outcome: 404 and 410 are gone, 429, 408, 425 and 5xx are
 * retryable (with their Retry-After), a redirect is refused (not followed), any other is permanent.
 */
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

/**
 * A channel's reading of a non-2xx answer: its Retry-After (ms), a reason from its body if any,
 * and the body itself (its first 4 kB; undefined when it did not end in time), for a receiver
 * that says more there (Telegram's `parameters.retry_after`).
 */
export type StatusOutcome = (status: number, retryAfterMs: number | undefined, reason?: string, body?: string) => SendOutcome;

/** What a channel POSTs, and how it reads the answer. */
export type JsonPost = {
  url: URL;
  /** The JSON text (or a webhook template's text, of `contentType`). */
  body: string;
  /** @default 'application/json' */
  contentType?: string;
  /** The channel's own headers (user-agent, authorization, …). */
  headers: http.OutgoingHttpHeaders;
  /** The manifest's `headers`, which go over the channel's own. */
  manifestHeaders?: Readonly<Record<string, string>> | undefined;
  timeoutMs: number;
  ctx: ChannelContext;
  /** Strings that must never appear in an error. */
  secrets: readonly string[];
  /** What a 2xx says. @default "status <code>" */
  delivered?: (status: number) => string;
  /** What any other status means. */
  outcome: StatusOutcome;
  /** How the receiver words a reason in an error body. */
  reason: ReasonFormat;
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
  const headers: http.OutgoingHttpHeaders = { ...post.headers, 'content-type': post.contentType ?? 'application/json' };
  for (const [name, value] of Object.entries(post.manifestHeaders ?? {})) headers[name.toLowerCase()] = value;
  const answer = await sendRequest(post.url, {
    method: 'POST',
    headers,
    body: post.body,
    timeoutMs: post.timeoutMs,
    signal: post.ctx.signal,
    maxBodyBytes: (status) => (status >= 200 && status < 300 ? 0 : MAX_ERROR_BODY),
  });
  let outcome: SendOutcome;
  if (!answer.ok) {
    // No status: if the request was written whole, the receiver may have it (maybe delivered).
    outcome = { ok: false, retryable: true, error: answer.aborted ? timedOutAfter(post.timeoutMs) : answer.error, ...(answer.written ? { maybeDelivered: true } : {}) };
  } else if (answer.status >= 200 && answer.status < 300) {
    outcome = { ok: true, detail: post.delivered?.(answer.status) ?? `status ${answer.status}` };
  } else {
    const retryAfterMs = parseRetryAfter(answer.headers['retry-after'], post.ctx.deps.now());
    // A body that did not end in time gives no reason: the status says enough.
    const body = answer.bodyError === undefined ? answer.body : undefined;
    const reason = body === undefined ? undefined : reasonFrom(body, answer.headers['content-type'], post.reason);
    outcome = post.outcome(answer.status, retryAfterMs, reason, body);
  }
  return outcome.ok ? outcome : { ...outcome, error: redactor(post.secrets)(outcome.error) };
}

/** A channel's POST, less what {@link postChannelJson} makes of the spec and the context. */
export type ChannelJsonPost = Omit<JsonPost, 'url' | 'timeoutMs' | 'ctx'>;

/**
 * A channel's POST: to the URL `where` makes of the spec — one it cannot make is a permanent
 * "invalid URL", which never shows it — within the spec's `timeout` cut to the send's budget.
 */
export function postChannelJson(spec: { timeout: number }, ctx: ChannelContext, where: () => URL, post: ChannelJsonPost): Promise<SendOutcome> {
  let url: URL;
  try {
    url = where();
  } catch {
    return Promise.resolve({ ok: false, retryable: false, error: 'invalid URL' });
  }
  return postJson({ ...post, url, timeoutMs: sendTimeout(spec.timeout, ctx), ctx });
}
