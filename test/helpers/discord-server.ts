/**
 * A local HTTP server that speaks Discord's webhook API as discord.js uses it:
 * `POST /api/v10/webhooks/:id/:token?wait=true` with a JSON body, answered like Discord does —
 * 200 with the created message and rate-limit headers, 400 "Invalid Form Body" (50035) when a
 * limit is broken, 404 "Unknown Webhook" (10015) for another webhook, and on demand a 429 with
 * `retry_after`, a 500, any reply, or no answer at all.
 */
import type { ServerResponse } from 'node:http';
import { startHttpServer, type RecordedRequest, type RunningHttpServer } from './servers.js';

/** A webhook id and token shaped like Discord's (a snowflake, 68 characters). */
export const WEBHOOK_ID = '1234567890123456789';
export const WEBHOOK_TOKEN = 'T0k3n_sEcReT-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012';

export type DiscordBehaviour =
  | { kind: 'ok' }
  | { kind: 'rate-limited'; retryAfterSeconds: number; global?: boolean }
  | { kind: 'unknown-webhook' }
  | { kind: 'server-error'; status?: number }
  | { kind: 'reply'; status: number; body: unknown }
  | { kind: 'hang' };

/** One POST the server received. */
export type DiscordPost = {
  request: RecordedRequest;
  id: string;
  token: string;
  query: URLSearchParams;
  /** The JSON body (undefined if it was not JSON). */
  body: DiscordMessageBody | undefined;
};

export type DiscordEmbedBody = {
  title?: string;
  description?: string;
  color?: number;
  timestamp?: string;
  fields?: { name: string; value: string; inline?: boolean }[];
  footer?: { text: string };
  author?: { name: string };
};

export type DiscordMessageBody = {
  content?: string;
  username?: string;
  embeds?: DiscordEmbedBody[];
  allowed_mentions?: { parse?: string[] };
};

export type RunningDiscordServer = RunningHttpServer & {
  /** `http://127.0.0.1:PORT/api/webhooks/ID/TOKEN`, as Discord hands it out but local. */
  webhookUrl: string;
  posts: DiscordPost[];
  /** Changes how the next requests are answered. */
  behave(behaviour: DiscordBehaviour): void;
};

/** Breaks of Discord's message limits in a body, as Discord's "Invalid Form Body" would list them. */
export function discordLimitViolations(body: DiscordMessageBody): string[] {
  const problems: string[] = [];
  const embeds = body.embeds ?? [];
  if ((body.content ?? '').length > 2000) problems.push('content: Must be 2000 or fewer in length.');
  if (embeds.length > 10) problems.push('embeds: Must be 10 or fewer in length.');
  let total = 0;
  embeds.forEach((embed, i) => {
    const at = `embeds[${i}]`;
    const check = (path: string, text: string | undefined, max: number, required = false): void => {
      if (text === undefined) return void (required && problems.push(`${at}.${path}: This field is required`));
      if (required && text.length === 0) problems.push(`${at}.${path}: This field is required`);
      if (text.length > max) problems.push(`${at}.${path}: Must be ${max} or fewer in length.`);
      total += text.length;
    };
    check('title', embed.title, 256);
    check('description', embed.description, 4096);
    check('footer.text', embed.footer?.text, 2048);
    check('author.name', embed.author?.name, 256);
    const fields = embed.fields ?? [];
    if (fields.length > 25) problems.push(`${at}.fields: Must be 25 or fewer in length.`);
    fields.forEach((field, j) => {
      check(`fields[${j}].name`, field.name, 256, true);
      check(`fields[${j}].value`, field.value, 1024, true);
    });
    if (embed.color !== undefined && (!Number.isInteger(embed.color) || embed.color < 0 || embed.color > 0xffffff)) {
      problems.push(`${at}.color: Int value should be less than or equal to 16777215.`);
    }
  });
  if (total > 6000) problems.push(`embeds: Embed size exceeds maximum size of 6000 (${total})`);
  return problems;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

let nextSnowflake = 1300000000000000000n;

function rateLimitHeaders(remaining: number, resetAfter: number): Record<string, string> {
  return {
    'x-ratelimit-bucket': '8e6a1e9d2a3f4b5c6d7e8f9a0b1c2d3e',
    'x-ratelimit-limit': '5',
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-reset': ((Date.now() + resetAfter * 1000) / 1000).toFixed(3),
    'x-ratelimit-reset-after': resetAfter.toFixed(3),
  };
}

/** Starts a Discord-webhook-speaking server, answering `ok` until told otherwise. */
export async function startDiscordServer(): Promise<RunningDiscordServer> {
  let behaviour: DiscordBehaviour = { kind: 'ok' };
  const posts: DiscordPost[] = [];
  const server = await startHttpServer((req, res, request) => {
    const url = new URL(request.path, 'http://discord.invalid');
    const match = /^\/api\/v(\d+)\/webhooks\/(\d+)\/([\w-]+)$/.exec(url.pathname);
    if (req.method !== 'POST' || !match) return json(res, 404, { message: '404: Not Found', code: 0 });
    const [, , id = '', token = ''] = match;
    let body: DiscordMessageBody | undefined;
    try {
      body = JSON.parse(request.body) as DiscordMessageBody;
    } catch {
      body = undefined;
    }
    posts.push({ request, id, token, query: url.searchParams, body });

    switch (behaviour.kind) {
      case 'hang':
        return;
      case 'server-error':
        return json(res, behaviour.status ?? 500, { message: '500: Internal Server Error', code: 0 });
      case 'rate-limited': {
        const seconds = behaviour.retryAfterSeconds;
        const headers: Record<string, string> = {
          ...rateLimitHeaders(0, seconds),
          'retry-after': String(Math.ceil(seconds)),
          'x-ratelimit-scope': 'user',
        };
        if (behaviour.global) headers['x-ratelimit-global'] = 'true';
        return json(res, 429, { message: 'You are being rate limited.', retry_after: seconds, global: behaviour.global ?? false }, headers);
      }
      case 'unknown-webhook':
        return json(res, 404, { message: 'Unknown Webhook', code: 10015 });
      case 'reply':
        return json(res, behaviour.status, behaviour.body);
      case 'ok':
        break;
    }
    if (id !== WEBHOOK_ID || token !== WEBHOOK_TOKEN) return json(res, 404, { message: 'Unknown Webhook', code: 10015 });
    if (!body) return json(res, 400, { message: 'Cannot send an empty message', code: 50006 });
    const problems = discordLimitViolations(body);
    if (problems.length) return json(res, 400, { message: 'Invalid Form Body', code: 50035, errors: problems });
    if (!body.content && !body.embeds?.length) return json(res, 400, { message: 'Cannot send an empty message', code: 50006 });

    nextSnowflake += 1n;
    const message = {
      id: String(nextSnowflake),
      type: 0,
      content: body.content ?? '',
      channel_id: '1100000000000000001',
      author: { id, username: body.username ?? 'Captain Hook', avatar: null, discriminator: '0000', bot: true },
      attachments: [],
      embeds: body.embeds ?? [],
      mentions: [],
      mention_roles: [],
      pinned: false,
      mention_everyone: false,
      tts: false,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      flags: 0,
      components: [],
      webhook_id: id,
    };
    return json(res, 200, message, rateLimitHeaders(4, 2));
  });
  return {
    ...server,
    webhookUrl: server.url(`/api/webhooks/${WEBHOOK_ID}/${WEBHOOK_TOKEN}`),
    posts,
    behave(next) {
      behaviour = next;
    },
  };
}
