/**
 * The `discord` channel: one message through a Discord webhook with discord.js's
 * `WebhookClient`, imported only when a Discord message is sent. One embed per notice,
 * coloured by level (green for good news), always cut to Discord's limits so a message is never
 * refused for its size; notices beyond ten embeds are summed up in a last "…and N more" embed.
 *
 * discord.js's REST client is set for a run-once agent: a timeout cut to the send's budget, no
 * retries of its own, and a 429 rejected at once instead of waited out (the outbox retries,
 * after `retryAfterMs`). Its requests go through heal's own HTTP client (src/common/http-request.ts),
 * which says whether a request was written before it failed: no answer after that is "maybe
 * delivered", not tried again in the same scan. The API base comes from the webhook URL's
 * origin, so a test can point the channel at a local server. The webhook URL holds the token:
 * errors are built from the status and a short reason, and anything else is redacted of the URL
 * and the token.
 */
import { anySignal, timedOutAfter } from '../../common/deadline.js';
import { describeSocketError } from '../../common/error-text.js';
import { formatDuration } from '../../common/duration.js';
import { sendRequest, type HttpFailure } from '../../common/http-request.js';
import type { ChannelSpec } from './schema.js';
import { COLOURS, cut, isRecovery, noticeColour, noticeTag, noticeTitle, oneLine, sinceText, subject } from '../format.js';
import { redactor } from '../../common/redact.js';
import { sendBudget } from './budget.js';
import type { Channel, Message, Notice, SendOutcome } from '../types.js';

export type DiscordChannelSpec = Extract<ChannelSpec, { type: 'discord' }>;

/** Discord's documented limits of a message's embeds (characters). */
export const DISCORD_LIMITS = {
  content: 2_000,
  embeds: 10,
  title: 256,
  description: 4_096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1_024,
  footer: 2_048,
  /** Title, description, field names and values, footer and author name of all embeds together. */
  total: 6_000,
} as const;

export type DiscordEmbedField = { name: string; value: string; inline?: boolean };

/** An embed as Discord's API takes it (the subset heal uses). */
export type DiscordEmbed = {
  title: string;
  description?: string;
  color: number;
  fields: DiscordEmbedField[];
  footer?: { text: string };
  timestamp?: string;
};

/** What is posted: a one-line content (the subject) and the embeds. */
export type DiscordPayload = { content: string; embeds: DiscordEmbed[] };

/** A webhook URL taken apart: where the API is, and the webhook's id, token and thread. */
export type DiscordWebhook = { api: string; id: string; token: string; threadId?: string };

/**
 * Reads `https://discord.com/api/webhooks/ID/TOKEN` (optionally `/api/v10/…`, `?thread_id=…`).
 * The API base is the origin plus the path before `/webhooks/` without its version, so
 * `http://127.0.0.1:PORT/api/webhooks/ID/TOKEN` gives `http://127.0.0.1:PORT/api`.
 */
export function parseWebhookUrl(text: string): DiscordWebhook | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const match = /^(.*?)\/webhooks\/(\d+)\/([A-Za-z0-9_-]+)\/?$/.exec(url.pathname);
  if (!match) return undefined;
  const [, prefix = '', id = '', token = ''] = match;
  const threadId = url.searchParams.get('thread_id') ?? undefined;
  const api = `${url.origin}${prefix.replace(/\/v\d+$/, '')}`;
  return threadId ? { api, id, token, threadId } : { api, id, token };
}

/** Characters that count toward the 6000 of a message. */
function embedLength(embed: DiscordEmbed): number {
  let length = embed.title.length + (embed.description?.length ?? 0) + (embed.footer?.text.length ?? 0);
  for (const field of embed.fields) length += field.name.length + field.value.length;
  return length;
}

/** Makes an embed at most `max` characters long: description first, then field values, then the title. */
function shrinkEmbed(embed: DiscordEmbed, max: number): void {
  let over = embedLength(embed) - max;
  const shorten = (text: string): string => {
    if (over <= 0 || text.length <= 1) return text;
    const shorter = cut(text, Math.max(1, text.length - over));
    over -= text.length - shorter.length;
    return shorter;
  };
  if (embed.description !== undefined) embed.description = shorten(embed.description);
  for (const field of [...embed.fields].sort((a, b) => b.value.length - a.value.length)) field.value = shorten(field.value);
  embed.title = shorten(embed.title);
  if (embed.footer) embed.footer.text = shorten(embed.footer.text);
}

/** Cuts the embeds so that together they hold at most `total` characters, the longest cut first. */
function fitTotal(embeds: DiscordEmbed[], total: number): void {
  const lengths = embeds.map(embedLength);
  if (lengths.reduce((a, b) => a + b, 0) <= total) return;
  // The largest cap c with sum(min(length, c)) <= total: short embeds stay whole.
  let low = 0;
  let high = Math.max(...lengths);
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (lengths.reduce((sum, length) => sum + Math.min(length, mid), 0) <= total) low = mid;
    else high = mid - 1;
  }
  for (const embed of embeds) if (embedLength(embed) > low) shrinkEmbed(embed, low);
}

function field(name: string, value: string, inline: boolean): DiscordEmbedField {
  return { name: cut(name, DISCORD_LIMITS.fieldName), value: cut(oneLine(value) || '—', DISCORD_LIMITS.fieldValue), inline };
}

function timestamp(ms: number): string | undefined {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** One notice as an embed, within the per-embed limits. */
export function noticeEmbed(notice: Notice): DiscordEmbed {
  const fields = [field('Service', notice.service, true)];
  if (notice.action) fields.push(field('What heal did', notice.action, false));
  fields.push(field(isRecovery(notice) ? 'Since (now resolved)' : 'Since', sinceText(notice), true));
  fields.push(field('Host', notice.host, true));
  const embed: DiscordEmbed = {
    title: cut(noticeTitle(notice), DISCORD_LIMITS.title),
    color: noticeColour(notice),
    fields: fields.slice(0, DISCORD_LIMITS.fields),
    footer: { text: cut(`notice ${notice.id}`, DISCORD_LIMITS.footer) },
  };
  const description = notice.detail.trim();
  if (description) embed.description = cut(description, DISCORD_LIMITS.description);
  const at = timestamp(notice.at);
  if (at) embed.timestamp = at;
  return embed;
}

/** The last embed when there are more notices than embeds: "…and N more", listing their titles. */
function moreEmbed(rest: readonly Notice[]): DiscordEmbed {
  const lines = rest.map((n) => `${noticeTag(n)} ${noticeTitle(n)}`);
  const worst = rest.some((n) => !isRecovery(n) && n.level === 'critical')
    ? COLOURS.critical
    : rest.some((n) => !isRecovery(n) && n.level === 'warning')
      ? COLOURS.warning
      : rest.every(isRecovery)
        ? COLOURS.recovered
        : COLOURS.info;
  return {
    title: `…and ${rest.length} more`,
    description: cut(lines.join('\n'), DISCORD_LIMITS.description),
    color: worst,
    fields: [],
  };
}

/**
 * The message as Discord takes it: the subject as content, one embed per notice (the last of
 * ten sums up the rest), everything within Discord's limits.
 */
export function discordPayload(message: Message): DiscordPayload {
  const notices = message.notices;
  const fits = notices.length <= DISCORD_LIMITS.embeds;
  const shown = fits ? notices : notices.slice(0, DISCORD_LIMITS.embeds - 1);
  const embeds = shown.map(noticeEmbed);
  if (!fits) embeds.push(moreEmbed(notices.slice(shown.length)));
  fitTotal(embeds, DISCORD_LIMITS.total);
  return { content: cut(subject(message), DISCORD_LIMITS.content), embeds };
}

/** Reads `retry_after` (seconds) from a 429's JSON body, as milliseconds. */
export function retryAfterFromBody(text: string): number | undefined {
  try {
    const value = (JSON.parse(text) as { retry_after?: unknown }).retry_after;
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value * 1_000) : undefined;
  } catch {
    return undefined;
  }
}

const NOT_FOUND = 'webhook not found (404): it was deleted or the URL is wrong';

/** discord.js's hook for making one HTTP request (a type only: discord.js loads with a send). */
type MakeRequest = (typeof import('discord.js'))['DefaultRestOptions']['makeRequest'];

/** The most of Discord's answer that is read: the created message is a few kB. */
const MAX_ANSWER_BYTES = 256 * 1024;

/** Statuses whose response has no body (a Response refuses one). */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** What the requests of one send saw: written whole, answered with a status, or failed without one. */
type RequestTrace = { written: boolean; status?: number; failure?: HttpFailure; bodyRetryAfterMs?: number };

/**
 * discord.js's `makeRequest` over heal's HTTP client: the send's budget and signal bound it, a
 * 429 keeps the precise `retry_after` of its body, and `trace` records what happened.
 */
function requestThrough(trace: RequestTrace, timeoutMs: number, budget: AbortSignal): MakeRequest {
  return async (url, init) => {
    if (init.body != null && typeof init.body !== 'string') throw new Error('heal posts JSON only');
    const headers: Record<string, string> = {};
    new Headers(init.headers as ConstructorParameters<typeof Headers>[0]).forEach((value, name) => (headers[name] = value));
    const answer = await sendRequest(new URL(url), {
      method: init.method ?? 'POST',
      headers,
      ...(typeof init.body === 'string' ? { body: init.body } : {}),
      timeoutMs,
      signal: anySignal([init.signal as AbortSignal | null | undefined, budget]),
      maxBodyBytes: MAX_ANSWER_BYTES,
      onWritten: () => (trace.written = true),
    });
    if (!answer.ok) {
      trace.failure = answer;
      throw new Error(answer.error);
    }
    trace.status = answer.status;
    if (answer.status === 429) trace.bodyRetryAfterMs = retryAfterFromBody(answer.body);
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, one);
    }
    const body = NULL_BODY_STATUSES.has(answer.status) ? null : answer.body;
    return new Response(body, { status: answer.status, headers: responseHeaders }) as unknown as Awaited<ReturnType<MakeRequest>>;
  };
}

/** The outcome of a send whose request got no status, or whose send ran out of budget. */
function noAnswer(trace: RequestTrace, timedOut: SendOutcome & { ok: false }): SendOutcome & { ok: false } {
  const error = !trace.failure || trace.failure.timedOut || trace.failure.aborted ? timedOut.error : trace.failure.error;
  return { ...timedOut, error, ...(trace.written ? { maybeDelivered: true } : {}) };
}

/** The parts of discord.js's errors this channel reads. */
type RestError = Error & {
  status?: number;
  code?: string | number;
  retryAfter?: number;
  global?: boolean;
  rawError?: { message?: unknown };
};

/** How a discord.js error reads as an outcome. Never uses a message that may hold the URL. */
export function outcomeForDiscordError(error: unknown, timeoutMs: number, bodyRetryAfterMs?: number): SendOutcome {
  const err = (error instanceof Error ? error : new Error(String(error))) as RestError;
  if (err.name.startsWith('RateLimitError')) {
    const fromHeader = typeof err.retryAfter === 'number' && err.retryAfter > 0 ? err.retryAfter : undefined;
    const retryAfterMs = bodyRetryAfterMs ?? fromHeader;
    const scope = err.global ? ' (global)' : '';
    return {
      ok: false,
      retryable: true,
      error: `rate limited by Discord (429)${scope}${retryAfterMs === undefined ? '' : `: retry after ${formatDuration(retryAfterMs)}`}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  if (typeof err.status === 'number') {
    const status = err.status;
    if (status === 404) return { ok: false, retryable: false, gone: true, error: NOT_FOUND };
    if (status >= 500) return { ok: false, retryable: true, error: `Discord answered ${status}` };
    const said = typeof err.rawError?.message === 'string' ? `: ${cut(oneLine(err.rawError.message), 120)}` : '';
    if (status === 401 || status === 403) {
      return { ok: false, retryable: false, error: `webhook token refused (${status})${said}: check webhook_url` };
    }
    return { ok: false, retryable: false, error: `Discord refused the message (${status})${said}` };
  }
  if (err.name === 'AbortError') return { ok: false, retryable: true, error: timedOutAfter(timeoutMs) };
  return { ok: false, retryable: true, error: describeSocketError(err) };
}

/** The `discord` channel type. */
export const discordChannel: Channel<DiscordChannelSpec> = {
  type: 'discord',

  async send(spec, message, ctx) {
    const timeoutMs = Math.max(1, Math.min(spec.timeout, ctx.timeoutMs));
    const webhook = parseWebhookUrl(spec.webhook_url);
    const secrets = [spec.webhook_url, webhook?.token];
    const timedOut = { ok: false, retryable: true, error: timedOutAfter(timeoutMs) } as const;
    if (!webhook) {
      return { ok: false, retryable: false, error: 'webhook_url is not a Discord webhook URL (expected …/api/webhooks/ID/TOKEN)' };
    }
    if (ctx.signal.aborted) return timedOut;

    const budget = sendBudget(ctx.signal, timeoutMs);

    let client: { destroy(): unknown } | undefined;
    const trace: RequestTrace = { written: false };
    try {
      const sending = (async () => {
        const discord = await import('discord.js');
        if (budget.signal.aborted) return undefined;
        const webhookClient = new discord.WebhookClient(
          { id: webhook.id, token: webhook.token },
          {
            allowedMentions: { parse: [] },
            rest: {
              api: webhook.api,
              timeout: timeoutMs,
              retries: 0,
              offset: 0,
              // Without this discord.js sleeps through a 429 and tries again, past any budget.
              rejectOnRateLimit: () => true,
              makeRequest: requestThrough(trace, timeoutMs, budget.signal),
            },
          },
        );
        client = webhookClient;
        const payload = discordPayload(message);
        return webhookClient.send({
          content: payload.content,
          embeds: payload.embeds,
          allowedMentions: { parse: [] },
          ...(spec.username ? { username: spec.username } : {}),
          ...(webhook.threadId ? { threadId: webhook.threadId } : {}),
        });
      })();
      sending.catch(() => undefined);
      const sent = await Promise.race([sending, budget.expired]);
      if (sent === 'expired' || sent === undefined) return noAnswer(trace, timedOut);
      return { ok: true, detail: typeof sent.id === 'string' ? `message ${sent.id}` : 'sent' };
    } catch (error) {
      // Discord said 2xx but the answer could not be read to the end: the message is posted.
      if (trace.status !== undefined && trace.status >= 200 && trace.status < 300) return { ok: true, detail: `status ${trace.status}` };
      if (budget.signal.aborted || trace.failure) {
        const outcome = noAnswer(trace, timedOut);
        return { ...outcome, error: redactor(secrets)(outcome.error) };
      }
      const outcome = outcomeForDiscordError(error, timeoutMs, trace.bodyRetryAfterMs);
      return outcome.ok ? outcome : { ...outcome, error: redactor(secrets)(outcome.error) };
    } finally {
      budget.end();
      client?.destroy();
    }
  },
};
