/**
 * The `webhook` channel: the message as JSON, POSTed to `url` with the manifest's headers,
 * through node:http / node:https (no redirects, no keep-alive). A 2xx is delivered; a 429 or a
 * 503 says when to come back (Retry-After); 5xx, 408 and network failures are retryable; 404 and
 * 410 mean the endpoint is gone; any other 4xx is permanent. Errors are built from the status
 * and a short reason, never from the URL, so its userinfo and query string (often the token)
 * stay out of logs.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { describeSocketError, timedOutAfter } from '../../checks/port.js';
import type { ChannelSpec } from '../../manifest/schema.js';
import { cut, isoTime, oneLine, subject } from '../format.js';
import { redactor } from '../../redact.js';
import type { Channel, Message, SendOutcome } from '../types.js';

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
function reasonFrom(body: Buffer, contentType: string | undefined): string | undefined {
  const text = body.toString('utf8').trim();
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

/** The `webhook` channel type. */
export const webhookChannel: Channel<WebhookChannelSpec> = {
  type: 'webhook',

  send(spec, message, ctx) {
    const timeoutMs = Math.max(1, Math.min(spec.timeout, ctx.timeoutMs));
    const secrets = webhookSecrets(spec);
    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let request: http.ClientRequest | undefined;
      let response: http.IncomingMessage | undefined;
      /** Set once a non-2xx status arrived: what to say if the body never ends. */
      let statusOutcome: SendOutcome | undefined;

      const finish = (outcome: SendOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onTimeout);
        response?.destroy();
        request?.destroy();
        resolve(outcome.ok ? outcome : { ...outcome, error: redactor(secrets)(outcome.error) });
      };
      const fail = (error: string): void => finish({ ok: false, retryable: true, error });
      function onTimeout(): void {
        finish(statusOutcome ?? { ok: false, retryable: true, error: timedOutAfter(timeoutMs) });
      }

      if (ctx.signal.aborted) return onTimeout();
      ctx.signal.addEventListener('abort', onTimeout, { once: true });
      timer = setTimeout(onTimeout, timeoutMs);

      let url: URL;
      try {
        url = new URL(spec.url);
      } catch {
        return finish({ ok: false, retryable: false, error: 'invalid URL' });
      }
      const body = JSON.stringify(webhookPayload(message));
      const headers: http.OutgoingHttpHeaders = {
        'user-agent': USER_AGENT,
        'content-type': 'application/json',
        'idempotency-key': message.id,
      };
      for (const [name, value] of Object.entries(spec.headers ?? {})) headers[name.toLowerCase()] = value;
      headers['content-length'] = Buffer.byteLength(body);
      headers.connection = 'close';

      const client = url.protocol === 'https:' ? https : http;
      try {
        request = client.request(url, { method: 'POST', headers, agent: false });
      } catch (error) {
        return fail(describeSocketError(error));
      }
      // Kept after settling too, so a late error on a destroyed request is never unhandled.
      request.on('error', (error) => fail(describeSocketError(error)));
      request.once('response', (res) => {
        response = res;
        res.on('error', () => undefined);
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return finish({ ok: true, detail: `status ${status}` });
        const retryAfterMs = parseRetryAfter(res.headers['retry-after'], ctx.deps.now());
        statusOutcome = outcomeForStatus(status, retryAfterMs);
        // Read a little of the body for its reason; a body that never ends costs nothing more.
        const chunks: Buffer[] = [];
        let received = 0;
        const done = (): void => {
          const reason = reasonFrom(Buffer.concat(chunks), res.headers['content-type']);
          finish(outcomeForStatus(status, retryAfterMs, reason));
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          received += chunk.length;
          if (received >= MAX_ERROR_BODY) done();
        });
        res.once('end', done);
        res.once('close', () => finish(statusOutcome as SendOutcome));
      });
      request.end(body);
    });
  },
};
