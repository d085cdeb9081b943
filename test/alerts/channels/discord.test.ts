import { afterEach, describe, expect, it } from 'vitest';
import { discordChannel, discordPayload, DISCORD_LIMITS, parseWebhookUrl } from '../../../src/alerts/channels/discord.js';
import { COLOURS } from '../../../src/alerts/format.js';
import type { Message } from '../../../src/alerts/types.js';
import { channelSpec } from '../../../src/alerts/channels/schema.js';
import {
  discordLimitViolations,
  startDiscordServer,
  WEBHOOK_ID,
  WEBHOOK_TOKEN,
  type DiscordBehaviour,
  type DiscordEmbedBody,
  type RunningDiscordServer,
} from '../../helpers/discord-server.js';
import { closedPort, serverScope } from '../../helpers/servers.js';
import { manyNotices, message, notice, sendContext, T0 } from './fixtures.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

function discordSpec(webhookUrl: string, fields: Record<string, unknown> = {}) {
  const spec = channelSpec.parse({ type: 'discord', webhook_url: webhookUrl, ...fields });
  if (spec.type !== 'discord') throw new Error('unreachable');
  return spec;
}

async function discord(behaviour: DiscordBehaviour = { kind: 'ok' }): Promise<RunningDiscordServer> {
  const server = await servers.add(startDiscordServer());
  server.behave(behaviour);
  return server;
}

async function send(server: RunningDiscordServer, msg: Message = message(), fields: Record<string, unknown> = {}, timeoutMs = 5_000) {
  return discordChannel.send(discordSpec(server.webhookUrl, fields), msg, sendContext(timeoutMs));
}

describe('discord channel: delivery', () => {
  it('posts one embed per notice to the webhook, as discord.js does, and waits for the message', async () => {
    const server = await discord();
    const outcome = await send(server, message(), { username: 'heal' });
    expect(outcome).toMatchObject({ ok: true, detail: expect.stringMatching(/^message \d+$/) });
    expect(server.posts).toHaveLength(1);
    const [post] = server.posts;
    expect(post?.request.path).toBe(`/api/v10/webhooks/${WEBHOOK_ID}/${WEBHOOK_TOKEN}?wait=true`);
    expect(post?.body).toMatchObject({
      content: '[CRITICAL] health-proxy is down',
      username: 'heal',
      allowed_mentions: { parse: [] },
    });
    const embeds = post?.body?.embeds ?? [];
    expect(embeds).toHaveLength(1);
    expect(embeds[0]).toEqual({
      title: 'health-proxy is down',
      description: 'port 127.0.0.1:3002: connection refused',
      color: COLOURS.critical,
      fields: [
        { name: 'Service', value: 'health-proxy', inline: true },
        { name: 'What heal did', value: 'restarted (launchd: com.example.health-proxy), still failing', inline: false },
        { name: 'Since', value: '2025-03-01T11:48:00Z (for 12m)', inline: true },
        { name: 'Host', value: 'build-box', inline: true },
      ],
      footer: { text: 'notice n-health-proxy-down' },
      timestamp: new Date(T0).toISOString(),
    } satisfies DiscordEmbedBody);
  });

  it.each([
    { kind: 'down', level: 'critical', colour: COLOURS.critical },
    { kind: 'flapping', level: 'warning', colour: COLOURS.warning },
    { kind: 'test', level: 'info', colour: COLOURS.info },
    { kind: 'healed', level: 'info', colour: COLOURS.recovered },
    { kind: 'resolved', level: 'critical', colour: COLOURS.recovered },
  ] as const)('colours a $level $kind notice #$colour', async ({ kind, level, colour }) => {
    const server = await discord();
    await send(server, message([notice({ kind, level })]));
    expect(server.posts[0]?.body?.embeds?.[0]?.color).toBe(colour);
  });

  it('sends 30 notices with 10,000-character details as one valid message: nine embeds and "…and 21 more"', async () => {
    const server = await discord();
    const notices = manyNotices(30, { detail: 'd'.repeat(10_000), action: 'a'.repeat(3_000) });
    const outcome = await send(server, message(notices));
    expect(outcome.ok).toBe(true);
    const body = server.posts[0]?.body ?? {};
    expect(discordLimitViolations(body)).toEqual([]);
    const embeds = body.embeds ?? [];
    expect(embeds).toHaveLength(10);
    expect(embeds.slice(0, 9).map((e) => e.title)).toEqual(notices.slice(0, 9).map((n) => n.title));
    expect(embeds[9]?.title).toBe('…and 21 more');
    expect(embeds[9]?.description).toContain('[CRITICAL] svc-10 is down');
  });

  it('posts to the thread named in the webhook URL', async () => {
    const server = await discord();
    await discordChannel.send(discordSpec(`${server.webhookUrl}?thread_id=1111111111111111111`), message(), sendContext());
    expect(server.posts[0]?.query.get('thread_id')).toBe('1111111111111111111');
  });
});

describe('discord channel: failures', () => {
  it('is rate limited by a 429 and comes back after retry_after, without waiting it out', async () => {
    // retry_after (90.5 s) is longer than the send's budget (20 s): a channel that waited it out
    // would end at the budget with "timed out after 20s", and one that retried would post twice.
    const server = await discord({ kind: 'rate-limited', retryAfterSeconds: 90.5 });
    const outcome = await send(server, message(), {}, 20_000);
    expect(outcome).toEqual({ ok: false, retryable: true, retryAfterMs: 90_500, error: 'rate limited by Discord (429): retry after 1m31s' });
    expect(server.posts).toHaveLength(1);
  });

  it('says a global rate limit is global', async () => {
    const server = await discord({ kind: 'rate-limited', retryAfterSeconds: 30, global: true });
    expect(await send(server)).toMatchObject({ ok: false, retryable: true, retryAfterMs: 30_000, error: expect.stringContaining('(global)') });
  });

  it('knows a deleted webhook (404 Unknown Webhook) is gone', async () => {
    const server = await discord({ kind: 'unknown-webhook' });
    expect(await send(server)).toEqual({
      ok: false,
      retryable: false,
      gone: true,
      error: 'webhook not found (404): it was deleted or the URL is wrong',
    });
  });

  it.each([500, 502, 503])('is retryable on a %i, after one request (no retries of its own)', async (status) => {
    const server = await discord({ kind: 'server-error', status });
    expect(await send(server)).toEqual({ ok: false, retryable: true, error: `Discord answered ${status}` });
    expect(server.posts).toHaveLength(1);
  });

  it.each([
    { status: 400, body: { message: 'Invalid Form Body', code: 50035 }, error: 'Discord refused the message (400): Invalid Form Body' },
    { status: 401, body: { message: 'Invalid Webhook Token', code: 50027 }, error: 'webhook token refused (401): Invalid Webhook Token: check webhook_url' },
    { status: 403, body: { message: 'Missing Access', code: 50001 }, error: 'webhook token refused (403): Missing Access: check webhook_url' },
    { status: 413, body: { message: 'Request entity too large', code: 40005 }, error: 'Discord refused the message (413): Request entity too large' },
  ])('is permanent when Discord refuses the message with a $status', async ({ status, body, error }) => {
    const server = await discord({ kind: 'reply', status, body });
    expect(await send(server)).toEqual({ ok: false, retryable: false, error });
  });

  it('treats another token as an unknown webhook, as Discord does', async () => {
    const server = await discord();
    const wrongToken = server.webhookUrl.replace(WEBHOOK_TOKEN, `${WEBHOOK_TOKEN.slice(0, -1)}X`);
    expect(await discordChannel.send(discordSpec(wrongToken), message(), sendContext())).toMatchObject({ ok: false, gone: true });
  });

  // Discord never answers, and the other limit is ten minutes (past the test's own 30 s): the
  // send can only end by the limit under test, which its error names. On a loaded machine the
  // limit may run out before the request is sent, so the server saw at most one, and no
  // connection is left open.
  it('fails at its timeout when Discord never answers', async () => {
    const server = await discord({ kind: 'hang' });
    const outcome = await send(server, message(), { timeout: '500ms' }, 600_000);
    expect(outcome).toMatchObject({ ok: false, retryable: true, error: 'timed out after 500ms' });
    expect(server.posts.length).toBeLessThanOrEqual(1);
    await expect.poll(() => server.connections.open).toBe(0);
  });

  it('fails at the send budget when it is shorter than the channel timeout', async () => {
    const server = await discord({ kind: 'hang' });
    const outcome = await send(server, message(), { timeout: '10m' }, 600);
    expect(outcome).toMatchObject({ ok: false, retryable: true, error: 'timed out after 600ms' });
    expect(server.posts.length).toBeLessThanOrEqual(1);
    await expect.poll(() => server.connections.open).toBe(0);
  });

  it('hangs up on a Discord that never answers when the scan is cancelled', async () => {
    // Both limits are ten minutes, so only the cancel can end the send; it comes once the
    // server holds the request, which may have been delivered.
    const server = await discord({ kind: 'hang' });
    const controller = new AbortController();
    const sending = discordChannel.send(discordSpec(server.webhookUrl, { timeout: '10m' }), message(), sendContext(600_000, { signal: controller.signal }));
    await expect.poll(() => server.posts.length).toBe(1);
    controller.abort();
    expect(await sending).toEqual({ ok: false, retryable: true, maybeDelivered: true, error: 'timed out after 10m' });
    await expect.poll(() => server.connections.open).toBe(0);
  });

  it('is retryable when nothing listens', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/api/webhooks/${WEBHOOK_ID}/${WEBHOOK_TOKEN}`;
    expect(await discordChannel.send(discordSpec(url), message(), sendContext(2_000))).toEqual({
      ok: false,
      retryable: true,
      error: 'connection refused',
    });
  });

  it('refuses a URL that is not a webhook URL without sending', async () => {
    const outcome = await discordChannel.send(discordSpec('https://discord.com/channels/1/2'), message(), sendContext());
    expect(outcome).toMatchObject({ ok: false, retryable: false, error: expect.stringContaining('not a Discord webhook URL') });
  });

  it.each<DiscordBehaviour>([
    { kind: 'rate-limited', retryAfterSeconds: 1 },
    { kind: 'unknown-webhook' },
    { kind: 'server-error' },
    { kind: 'hang' },
  ])('never shows the token in an error ($kind)', async (behaviour) => {
    const server = await discord(behaviour);
    const outcome = await send(server, message(), { timeout: '300ms' });
    expect(outcome.ok).toBe(false);
    expect(JSON.stringify(outcome)).not.toContain(WEBHOOK_TOKEN);
    expect(JSON.stringify(outcome)).not.toContain(String(server.port));
  });
});

describe('discord payload', () => {
  it('keeps a single huge notice within every limit', () => {
    const huge = notice({ title: 't'.repeat(1_000), detail: 'd'.repeat(10_000), action: 'a'.repeat(5_000), host: 'h'.repeat(2_000), id: 'i'.repeat(3_000) });
    const payload = discordPayload(message([huge]));
    expect(discordLimitViolations(payload)).toEqual([]);
    const [embed] = payload.embeds;
    expect(embed?.title).toHaveLength(DISCORD_LIMITS.title);
    expect(embed?.title.endsWith('…')).toBe(true);
  });

  it('shares the 6000 characters so that short notices stay whole', () => {
    const notices = [notice({ service: 'short', title: 'short is down', detail: 'refused' }), ...manyNotices(5, { detail: 'x'.repeat(4_000) })];
    const payload = discordPayload(message(notices));
    expect(discordLimitViolations(payload)).toEqual([]);
    expect(payload.embeds[0]?.description).toBe('refused');
    expect(payload.embeds[1]?.description?.endsWith('…')).toBe(true);
  });

  it.each([1, 9, 10, 11, 25, 100])('sends %i notices in at most ten embeds', (count) => {
    const payload = discordPayload(message(manyNotices(count, { detail: '😀'.repeat(3_000) })));
    expect(payload.embeds).toHaveLength(Math.min(count, 10));
    expect(discordLimitViolations(payload)).toEqual([]);
    if (count > 10) expect(payload.embeds[9]?.title).toBe(`…and ${count - 9} more`);
  });

  it('never leaves half an emoji', () => {
    const payload = discordPayload(message([notice({ detail: '😀'.repeat(5_000) })]));
    const description = payload.embeds[0]?.description ?? '';
    expect(description.endsWith('😀…')).toBe(true);
  });
});

describe('webhook URLs', () => {
  it.each([
    {
      url: `https://discord.com/api/webhooks/${WEBHOOK_ID}/${WEBHOOK_TOKEN}`,
      expected: { api: 'https://discord.com/api', id: WEBHOOK_ID, token: WEBHOOK_TOKEN },
    },
    {
      url: `https://canary.discord.com/api/v10/webhooks/${WEBHOOK_ID}/${WEBHOOK_TOKEN}/`,
      expected: { api: 'https://canary.discord.com/api', id: WEBHOOK_ID, token: WEBHOOK_TOKEN },
    },
    {
      url: `http://127.0.0.1:8080/api/webhooks/${WEBHOOK_ID}/${WEBHOOK_TOKEN}?thread_id=42`,
      expected: { api: 'http://127.0.0.1:8080/api', id: WEBHOOK_ID, token: WEBHOOK_TOKEN, threadId: '42' },
    },
    { url: 'https://discord.com/api/webhooks/abc/def', expected: undefined },
    { url: 'https://discord.com/channels/1/2', expected: undefined },
    { url: 'not a url', expected: undefined },
  ])('reads $url', ({ url, expected }) => {
    expect(parseWebhookUrl(url)).toEqual(expected);
  });
});
