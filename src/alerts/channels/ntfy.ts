/**
 * The `ntfy` channel: one push per scan to a topic of ntfy.sh or one's own ntfy server.
 *
 * It publishes as JSON — `POST` to the server's root with `{ topic, title, message, priority,
 * tags }` — rather than the body-and-headers way: HTTP headers carry Latin-1 at best (Node
 * refuses anything else), so a title with other characters would need ntfy's RFC 2047 encoding,
 * while JSON carries any text as it is, and keeps the message in one document with nothing to
 * inject a header into. ntfy reads that JSON as if it were the headers, so nothing is lost.
 *
 * Title: the message's subject. Message: the plain-text body, cut to ntfy's 4096 bytes (past
 * that ntfy would make it an attachment) and saying so; the whole JSON stays within the twice
 * that ntfy reads. Priority and tag from the level: critical 5 `rotating_light`, warning 4
 * `warning`, info 3 `information_source`; good news (healed, resolved) 3 `white_check_mark`, so a
 * recovery never wakes anyone. Auth: `token` (Bearer) or `user`/`password` (Basic).
 *
 * A 429 honours Retry-After; ntfy itself sends none, so its 429 pauses the channel for a minute
 * (until the next scan, in practice). Other 4xx are permanent (401/403: the login), 5xx retried.
 * The topic's URL is a secret too: on a public server, whoever knows a topic can read it.
 */
import type { ChannelSpec } from './schema.js';
import { cutBytes, EMOJI, isRecovery, subject, textBody } from '../format.js';
import type { AlertLevel } from '../schema.js';
import type { Channel, Message, SendOutcome } from '../types.js';
import { outcomeForStatus, postChannelJson, type ReasonFormat } from './post-json.js';
import { webhookSecrets } from './webhook.js';

export type NtfyChannelSpec = Extract<ChannelSpec, { type: 'ntfy' }>;

/** ntfy's limit of a message (bytes); its JSON body may be twice that. */
export const NTFY_MAX_MESSAGE_BYTES = 4_096;
export const NTFY_MAX_JSON_BYTES = 2 * NTFY_MAX_MESSAGE_BYTES;

/** The pause after a 429 that did not say how long (ntfy never does). */
export const NTFY_RATE_LIMIT_PAUSE_MS = 60_000;

/** Priority (1–5) and tag of each level. */
export const NTFY_LEVELS: Readonly<Record<AlertLevel, { priority: number; tag: string }>> = {
  critical: { priority: 5, tag: EMOJI.critical.name },
  warning: { priority: 4, tag: EMOJI.warning.name },
  info: { priority: 3, tag: EMOJI.info.name },
};

const RANK: Readonly<Record<AlertLevel, number>> = { critical: 3, warning: 2, info: 1 };

/** What ntfy's JSON publishing takes (the part heal sends). */
export type NtfyPayload = { topic: string; title: string; message: string; priority: number; tags: string[] };

/** The topic: the last part of its URL's path. */
export function ntfyTopic(url: string): string {
  return url.split(/[?#]/)[0]?.split('/').pop() ?? '';
}

/** The server's root, where JSON is published: the topic's URL without the topic. */
export function ntfyRoot(url: string): URL {
  const root = new URL(url);
  root.pathname = root.pathname.replace(/[^/]*$/, '');
  return root;
}

/** The worst of the notices that are not good news; all good news is the check mark at priority 3. */
function priorityAndTag(message: Message): { priority: number; tag: string } {
  const bad = message.notices.filter((n) => !isRecovery(n));
  if (!bad.length) return { priority: 3, tag: EMOJI.recovered.name };
  const worst = bad.reduce<AlertLevel>((level, n) => (RANK[n.level] > RANK[level] ? n.level : level), 'info');
  return NTFY_LEVELS[worst];
}

/**
 * The JSON document for `topic`: the message cut to 4096 bytes, and further if its escapes would
 * take the whole JSON past 8192.
 */
export function ntfyPayload(topic: string, message: Message): NtfyPayload {
  const { priority, tag } = priorityAndTag(message);
  const note = `\n(cut: ntfy allows ${NTFY_MAX_MESSAGE_BYTES} bytes)`;
  const text = textBody(message);
  const payload: NtfyPayload = { topic, title: subject(message), message: cutBytes(text, NTFY_MAX_MESSAGE_BYTES, note), priority, tags: [tag] };
  let max = NTFY_MAX_MESSAGE_BYTES;
  for (let over = Buffer.byteLength(JSON.stringify(payload)) - NTFY_MAX_JSON_BYTES; over > 0 && max > 0; over = Buffer.byteLength(JSON.stringify(payload)) - NTFY_MAX_JSON_BYTES) {
    // Each byte cut from the text takes at least one byte off the JSON.
    max = Math.max(0, max - over);
    payload.message = cutBytes(text, max, note);
  }
  return payload;
}

/** The Authorization header, if the spec logs in. */
export function ntfyAuthorization(spec: Pick<NtfyChannelSpec, 'token' | 'user' | 'password'>): string | undefined {
  if (spec.token !== undefined) return `Bearer ${spec.token}`;
  if (spec.user !== undefined && spec.password !== undefined) return `Basic ${Buffer.from(`${spec.user}:${spec.password}`).toString('base64')}`;
  return undefined;
}

/** The token, the password, the Authorization header, the topic's URL and the topic. */
export function ntfySecrets(spec: Pick<NtfyChannelSpec, 'url' | 'token' | 'user' | 'password'>): string[] {
  const authorization = ntfyAuthorization(spec);
  const secrets = [...webhookSecrets({ url: spec.url }), ntfyTopic(spec.url), spec.token, spec.password, authorization, authorization?.split(' ')[1]];
  return secrets.filter((s): s is string => s !== undefined);
}

/** ntfy's reason for a refusal: `{"code":40101,"http":401,"error":"unauthorized",…}`. */
const NTFY_REASON: ReasonFormat = { keys: ['error'], bareString: false, maxLength: 120 };

/** How a non-2xx answer of ntfy reads as an outcome. */
export function ntfyOutcome(status: number, retryAfterMs: number | undefined, reason?: string): SendOutcome {
  if (status === 429) return outcomeForStatus(status, retryAfterMs ?? NTFY_RATE_LIMIT_PAUSE_MS, reason);
  if (status === 401 || status === 403) {
    return { ok: false, retryable: false, error: `ntfy refused the login (${status})${reason ? `: ${reason}` : ''}: check token, or user and password, and the topic's access` };
  }
  return outcomeForStatus(status, retryAfterMs, reason);
}

/** The `ntfy` channel type. */
export const ntfyChannel: Channel<NtfyChannelSpec> = {
  type: 'ntfy',

  send(spec, message, ctx) {
    const authorization = ntfyAuthorization(spec);
    return postChannelJson(spec, ctx, () => ntfyRoot(spec.url), {
      body: JSON.stringify(ntfyPayload(ntfyTopic(spec.url), message)),
      headers: { 'user-agent': 'heal (ntfy)', ...(authorization === undefined ? {} : { authorization }) },
      secrets: ntfySecrets(spec),
      outcome: ntfyOutcome,
      reason: NTFY_REASON,
    });
  },
};
