/**
 * The `webhook` channel: the message as JSON, POSTed to `url` with the manifest's headers,
 * through node:http / node:https (no redirects, no keep-alive). A 2xx is delivered; a 429 or a
 * 503 says when to come back (Retry-After); 5xx, 408 and network failures are retryable (no
 * answer after the request was written: maybe delivered); 404 and 410 mean the endpoint is gone;
 * any other 4xx is permanent. Errors are built from the status and a short reason, never from the
 * URL, so its userinfo and query string (often the token) stay out of logs.
 */
import type { ChannelSpec } from './schema.js';
import { isoTime, subject } from '../format.js';
import type { Channel, Message } from '../types.js';
import { outcomeForStatus, postChannelJson, type ReasonFormat } from './post-json.js';

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

/** The `webhook` channel type. */
export const webhookChannel: Channel<WebhookChannelSpec> = {
  type: 'webhook',

  send(spec, message, ctx) {
    return postChannelJson(spec, ctx, () => new URL(spec.url), {
      body: JSON.stringify(webhookPayload(message)),
      headers: { 'user-agent': USER_AGENT, 'idempotency-key': message.id },
      manifestHeaders: spec.headers,
      secrets: webhookSecrets(spec),
      outcome: outcomeForStatus,
      reason: WEBHOOK_REASON,
    });
  },
};
