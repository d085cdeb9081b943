/**
 * The channels where people are, end to end through the built CLI: a service that is down
 * reaches Slack, Telegram, ntfy and a templated webhook (a pager), each a local server speaking
 * that service's API; a channel that asked to wait (Telegram's 429) gets it on a later scan; no
 * secret reaches the output, the log or the state. Then `heal alert test --channel` for each.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, runHeal, workspace } from '../helpers/cli.js';
import { NTFY_TOKEN, NTFY_TOPIC, startNtfyServer } from '../helpers/ntfy-server.js';
import { reply, serverScope, startHttpServer } from '../helpers/servers.js';
import { SLACK_TOKEN, startSlackServer } from '../helpers/slack-server.js';
import { BOT_TOKEN, CHAT_ID, startTelegramServer } from '../helpers/telegram-server.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

const PAGER_KEY = 'R0uT1nG-k3y-0f-the-pager-5e6f';

async function channelServers() {
  const slack = await servers.add(startSlackServer());
  const telegram = await servers.add(startTelegramServer());
  const ntfy = await servers.add(startNtfyServer());
  const pager = await servers.add(startHttpServer(reply(202, { status: 'success', message: 'Event processed' })));
  const env = { SLACK_WEBHOOK_URL: slack.webhookUrl, TELEGRAM_BOT_TOKEN: BOT_TOKEN, NTFY_URL: ntfy.topicUrl, NTFY_TOKEN, PAGER_KEY };
  const secrets = [SLACK_TOKEN, BOT_TOKEN, BOT_TOKEN.split(':')[1] ?? '', NTFY_TOKEN, NTFY_TOPIC, PAGER_KEY];
  return { slack, telegram, ntfy, pager, env, secrets };
}

/** Timeouts are upper bounds only a hung peer reaches: every server here answers at once. */
function manifest(servicePort: number, s: Awaited<ReturnType<typeof channelServers>>): string {
  return `version: 1
log_file: heal.log
scan_timeout: 30s
alerts:
  levels:
    critical: { threshold: 1, cooldown: 1h, channels: [team, phone, push, pager] }
  channels:
    team: { type: slack, webhook_url: "\${SLACK_WEBHOOK_URL}", timeout: 10s }
    phone: { type: telegram, bot_token: "\${TELEGRAM_BOT_TOKEN}", chat_id: ${CHAT_ID}, api_url: "${s.telegram.apiUrl}", timeout: 10s }
    push: { type: ntfy, url: "\${NTFY_URL}", token: "\${NTFY_TOKEN}", timeout: 10s }
    pager:
      type: webhook
      url: "${s.pager.url('/v2/enqueue')}"
      timeout: 10s
      template: |
        { "routing_key": "\${PAGER_KEY}", "dedup_key": "{{key}}", "event_action": "trigger",
          "payload": { "summary": "{{subject}}", "source": "{{host}}", "severity": "{{level}}", "custom_details": { "detail": "{{detail}}" } } }
services:
  api:
    checks: [ { type: port, port: ${servicePort} } ]
`;
}

async function everythingWritten(dir: string): Promise<string> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
  return (await Promise.all(files.map((f) => readFile(join(f.parentPath, f.name), 'utf8')))).join('\n');
}

describe('a down service reaches Slack, Telegram, ntfy and a templated webhook', () => {
  it('delivers to each, waits out Telegram\'s 429 to a later scan, and leaks no secret', { timeout: 120_000 }, async () => {
    const s = await channelServers();
    const ws = await workspace(manifest(await freePort(), s));
    const scan = async () => {
      const run = await runHeal(['scan', '--config', ws.manifest, '--state-dir', ws.stateDir, '--json'], { cwd: ws.dir, env: s.env });
      expect(run.stderr).toBe('');
      for (const secret of s.secrets) expect(run.stdout).not.toContain(secret);
      return JSON.parse(run.stdout) as { outbox: Record<string, number>; services: { alerts?: unknown[] }[] };
    };

    s.telegram.behave({ kind: 'rate-limited', retryAfterSeconds: 1 });
    const first = await scan();
    expect(first.services[0]?.alerts).toEqual([expect.objectContaining({ kind: 'down', channels: ['team', 'phone', 'push', 'pager'] })]);
    expect(first.outbox).toEqual({ phone: 1 });

    expect(s.slack.posts.map((p) => p.answered)).toEqual(['ok']);
    expect(s.slack.posts[0]?.body?.blocks?.[0]?.text?.text).toBe(':rotating_light: [CRITICAL] api is down');
    expect(s.ntfy.posts[0]?.body).toMatchObject({ topic: NTFY_TOPIC, title: '[CRITICAL] api is down', priority: 5, tags: ['rotating_light'] });
    expect(s.ntfy.posts[0]?.request.headers.authorization).toBe(`Bearer ${NTFY_TOKEN}`);
    const event = JSON.parse(s.pager.requests[0]?.body ?? '') as Record<string, unknown>;
    expect(event).toMatchObject({ routing_key: PAGER_KEY, dedup_key: 'api/down', event_action: 'trigger', payload: { summary: '[CRITICAL] api is down', severity: 'critical' } });
    expect(s.pager.requests[0]?.headers['idempotency-key']).toMatch(/^heal-.+-pager\/api\/down@\d+#1$/);

    const state = await readFile(join(ws.stateDir, 'state.json'), 'utf8');
    expect(state).toContain('rate limited by Telegram (429)');

    // The pause is a second; the next scan comes later than that (as a schedule's would).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    s.telegram.behave({ kind: 'ok' });
    const second = await scan();
    expect(second.outbox).toEqual({});
    expect(s.telegram.posts.map((p) => p.shown?.split('\n')[0])).toEqual([undefined, '\u{1F6A8} [CRITICAL] api is down']);
    expect([s.slack.posts.length, s.ntfy.posts.length, s.pager.requests.length]).toEqual([1, 1, 1]);

    const written = await everythingWritten(ws.dir);
    expect(written).toContain('alert delivered');
    for (const secret of s.secrets) expect(written).not.toContain(secret);
  });
});

describe('heal alert test --channel', () => {
  it.each(['team', 'phone', 'push', 'pager'])('sends a test notice through %s', async (channel) => {
    const s = await channelServers();
    const ws = await workspace(manifest(await freePort(), s));
    const run = await runHeal(['alert', 'test', '--channel', channel, '--level', 'warning', '--config', ws.manifest], { cwd: ws.dir, env: s.env });
    expect(run.stdout).toBe(`${channel}: sent\n`);
    expect(run.code).toBe(0);
    const received = { team: s.slack.posts.map((p) => p.body?.text), phone: s.telegram.posts.map((p) => p.shown), push: s.ntfy.posts.map((p) => p.body?.title), pager: s.pager.requests.map((r) => r.body) }[channel];
    expect(received).toEqual([expect.stringContaining('heal test notice (warning)')]);
  });

  it('says why a channel failed, without its secret', async () => {
    const s = await channelServers();
    const ws = await workspace(manifest(await freePort(), s));
    s.telegram.behave({ kind: 'reply', status: 404, body: { ok: false, error_code: 404, description: `Not Found: /bot${BOT_TOKEN}/sendMessage` } });
    const run = await runHeal(['alert', 'test', '--channel', 'phone', '--config', ws.manifest], { cwd: ws.dir, env: s.env });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('phone: FAILED: Telegram refused the bot token (404): Not Found: /bot[redacted]/sendMessage: check bot_token\n');
    for (const secret of s.secrets) expect(run.stdout + run.stderr).not.toContain(secret);
  });
});
