/**
 * The `webhook` channel: the message as JSON, POSTed to `url` with the manifest's headers,
 * through node:http / node:https (no redirects, no keep-alive). A 2xx is delivered; a 429 or a
 * 503 says when to come back (Retry-After); 5xx, 408 and network failures are retryable (no
 * answer after the request was written: maybe delivered); 404 and 410 mean the endpoint is gone;
 * any other 4xx is permanent. Errors are built from the status and a short reason, never from the
 * URL, so its userinfo and query string (often the token) stay out of logs.
 *
 * With a `template` (template.ts), each notice of the message is one request, in order, its body
 * the template filled with that notice, its Idempotency-Key `<message id>/<notice id>`. They
 * share the send's budget. A notice refused for good does not stop the others (unless the
 * endpoint is gone); the first retryable failure does, and the message is sent again whole
 * later — as "maybe delivered" when a notice before it was accepted, so not twice in one scan.
 */
import { timedOutAfter } from '../../common/deadline.js';
import type { ChannelSpec } from './schema.js';
import { isoTime, subject } from '../format.js';
import type { Channel, ChannelContext, Message, SendOutcome } from '../types.js';
import { sendBudget, sendTimeout } from './budget.js';
import { outcomeForStatus, postChannelJson, type ReasonFormat } from './post-json.js';
import { renderTemplate, TEMPLATE_CONTENT_TYPE, templateValues } from './template.js';

export type WebhookChannelSpec = Extract<ChannelSpec, { type: 'webhook' }>;

const USER_AGENT = 'heal (alert webhook)';

/** A webhook's reason for a refusal: a JSON `message`, `error`, `error_description` or `detail`, or the first line of text. */
const WEBHOOK_REASON: ReasonFormat = { keys: ['message', 'error', 'error_description', 'detail'], bareString: false, maxLength: 120 };

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

/** One POST of the webhook: `body` (of `contentType`), under this Idempotency-Key. */
function post(spec: WebhookChannelSpec, ctx: ChannelContext, body: string, key: string, contentType?: string): Promise<SendOutcome> {
  return postChannelJson(spec, ctx, () => new URL(spec.url), {
    body,
    ...(contentType === undefined ? {} : { contentType }),
    headers: { 'user-agent': USER_AGENT, 'idempotency-key': key },
    manifestHeaders: spec.headers,
    secrets: webhookSecrets(spec),
    outcome: outcomeForStatus,
    reason: WEBHOOK_REASON,
  });
}

/** A templated message: one request per notice, within one budget (see the top of this file). */
async function sendTemplated(spec: WebhookChannelSpec, template: string, message: Message, ctx: ChannelContext): Promise<SendOutcome> {
  const timeoutMs = sendTimeout(spec.timeout, ctx);
  const budget = sendBudget(ctx.signal, timeoutMs);
  const contentType = spec.content_type ?? TEMPLATE_CONTENT_TYPE;
  const count = message.notices.length;
  const of = (i: number) => (count > 1 ? `notice ${i + 1} of ${count}: ` : '');
  let accepted = 0;
  let last = '';
  const refused: string[] = [];
  try {
    for (const [i, notice] of message.notices.entries()) {
      if (budget.signal.aborted) return { ok: false, retryable: true, error: `${of(i)}${timedOutAfter(timeoutMs)}`, ...(accepted ? { maybeDelivered: true } : {}) };
      const body = renderTemplate(template, templateValues(message, notice), contentType);
      const outcome = await post(spec, { ...ctx, signal: budget.signal, timeoutMs }, body, `${message.id}/${notice.id}`, contentType);
      if (outcome.ok) {
        accepted += 1;
        last = outcome.detail ?? '';
      } else if (outcome.gone) {
        // No endpoint there: the other notices would fare no better.
        return { ...outcome, error: `${of(i)}${outcome.error}` };
      } else if (!outcome.retryable) {
        refused.push(`${of(i)}${outcome.error}`);
      } else {
        return { ...outcome, error: `${of(i)}${outcome.error}`, ...(accepted ? { maybeDelivered: true } : {}) };
      }
    }
  } finally {
    budget.end();
  }
  const [firstRefusal] = refused;
  if (firstRefusal !== undefined) return { ok: false, retryable: false, error: refused.length > 1 ? `${firstRefusal} (and ${refused.length - 1} more refused)` : firstRefusal };
  return { ok: true, detail: count > 1 ? `${count} requests, ${last}` : last };
}

/** The `webhook` channel type. */
export const webhookChannel: Channel<WebhookChannelSpec> = {
  type: 'webhook',

  send(spec, message, ctx) {
    if (spec.template !== undefined) return sendTemplated(spec, spec.template, message, ctx);
    return post(spec, ctx, JSON.stringify(webhookPayload(message)), message.id);
  },
};
