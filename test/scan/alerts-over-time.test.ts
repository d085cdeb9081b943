/**
 * Alerts over simulated time: the real `scan()` in this process, with a clock handed in through
 * Deps that the test moves on between scans, so an hour's cooldown, a day of outbox max_age or a
 * two-hour silence pass without real sleeping. The service's check is a real command
 * (`test -e up`); the channels are real servers on 127.0.0.1: a webhook receiver, and a
 * Discord-speaking server driven by the real discord.js.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Notice } from '../../src/alerts/types.js';
import { startDiscordServer } from '../helpers/discord-server.js';
import { reply, serverScope, startHttpServer, type HttpHandler } from '../helpers/servers.js';
import { DAY, HOUR, MINUTE, simWorkspace, type SimWorkspace } from '../helpers/sim.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

/** A webhook receiver whose answer the test switches; `accepted` holds the notices it took, in order. */
async function receiver() {
  let answer: HttpHandler = reply(200, 'ok');
  const accepted: Notice[] = [];
  const server = await servers.add(
    startHttpServer((req, res, request) => {
      answer(req, res, request);
      if (res.statusCode < 300) accepted.push(...(JSON.parse(request.body) as { notices: Notice[] }).notices);
    }),
  );
  return { url: server.url('/hook'), requests: server.requests, accepted, answer: (handler: HttpHandler) => { answer = handler; } };
}

/** One service "api", up while the file `up` exists, alerting at `level` through the channel "hook" (and the log). */
function manifest(hookUrl: string, options: { level: string; maxAge?: string }): string {
  return `version: 1
alerts:
${options.maxAge ? `  max_age: ${options.maxAge}\n` : ''}  levels:
    critical: ${options.level}
  channels:
    hook: { type: webhook, url: "${hookUrl}", timeout: 5s }
services:
  api:
    checks: [ { type: command, run: [test, -e, up] } ]
`;
}

const comeBack = (ws: SimWorkspace) => writeFile(join(ws.dir, 'up'), '');

/** Scans every `every` for `span`, starting now; the clock ends `span` later. */
async function scanEvery(ws: SimWorkspace, every: number, span: number): Promise<void> {
  for (let elapsed = 0; elapsed < span; elapsed += every) {
    await ws.scan();
    ws.clock.advance(every);
  }
}

describe('reminders', () => {
  it('notifies after threshold scans, reminds once per cooldown while the service stays down, and says once when it is back', async () => {
    const hook = await receiver();
    const ws = await simWorkspace(manifest(hook.url, { level: '{ threshold: 2, cooldown: 1h, channels: [hook, log] }' }));
    const start = ws.clock.now();

    // Down for three hours and twenty minutes, scanned every twenty minutes.
    await scanEvery(ws, 20 * MINUTE, 3 * HOUR + 20 * MINUTE);
    const down = hook.accepted.filter((n) => n.kind === 'down');
    const since = (await ws.state()).alerts.keys['api/down']!.since;
    expect(since - start).toBeLessThan(MINUTE);
    expect(down.map((n) => n.id)).toEqual([1, 2, 3].map((count) => `api/down@${since}#${count}`));
    expect(down.map((n) => n.reminder ?? false)).toEqual([false, true, true]);
    // The first at the second scan, then one at the first scan an hour after the last.
    expect(down.map((n) => Math.round((n.at - start) / MINUTE))).toEqual([20, 80, 140]);

    await comeBack(ws);
    await ws.scan();
    const resolved = hook.accepted.filter((n) => n.kind === 'resolved');
    expect(resolved).toEqual([expect.objectContaining({ id: `api/down@${since}/resolved`, title: 'api is back up', detail: 'down for 3h20m' })]);

    // Up from then on: nothing more.
    await scanEvery(ws, 20 * MINUTE, 2 * HOUR);
    expect(hook.accepted).toHaveLength(4);
    expect((await ws.state()).alerts.outbox).toEqual([]);
  });
});

describe('the outbox', () => {
  it('keeps a message its channel cannot take for a day, drops it once older than max_age, and delivers what comes after', async () => {
    const hook = await receiver();
    hook.answer(reply(503, 'down for maintenance'));
    // The default max_age (24h); no reminder within the test (a week's cooldown).
    const ws = await simWorkspace(manifest(hook.url, { level: '{ threshold: 1, cooldown: 7d, channels: [hook] }' }));

    await scanEvery(ws, 3 * HOUR, 21 * HOUR);
    // A day on, less a minute: still waiting, tried at every scan.
    ws.clock.advance(3 * HOUR - MINUTE);
    await ws.scan();
    const since = (await ws.state()).alerts.keys['api/down']!.since;
    const waiting = (await ws.state()).alerts.outbox;
    expect(waiting).toEqual([expect.objectContaining({ message: expect.objectContaining({ createdAt: since }), lastError: 'status 503: down for maintenance' })]);
    expect(waiting[0]!.attempts).toBeGreaterThanOrEqual(8);
    const tries = hook.requests.length;

    // A day on: dropped before any send, said in the log and counted in status.
    ws.clock.advance(MINUTE);
    await ws.scan();
    expect(hook.requests).toHaveLength(tries);
    const state = await ws.state();
    expect(state.alerts.outbox).toEqual([]);
    expect(state.alerts.dropped).toBe(1);
    expect(ws.logs.filter((l) => l.msg.startsWith('alert dropped'))).toEqual([expect.objectContaining({ msg: expect.stringMatching(/^alert dropped: undelivered after 14\d\d minutes \(max_age\)$/) })]);

    // The channel is back a day and a half later; the service comes back too: only the recovery goes out.
    hook.answer(reply(200, 'ok'));
    ws.clock.advance(DAY + 12 * HOUR);
    await ws.scan();
    expect(hook.accepted).toEqual([]);
    await comeBack(ws);
    await ws.scan();
    expect(hook.accepted).toEqual([expect.objectContaining({ id: `api/down@${since}/resolved`, detail: 'down for 2d12h' })]);
  });

  it('does not try a channel that asked to wait (Discord 429, retry_after) before then, then sends once', async () => {
    const discord = await servers.add(startDiscordServer());
    const ws = await simWorkspace(
      `version: 1
alerts:
  levels:
    critical: { threshold: 1, cooldown: 1d, channels: [discord] }
  channels:
    discord: { type: discord, webhook_url: "${discord.webhookUrl}", timeout: 10s }
services:
  api:
    checks: [ { type: command, run: [test, -e, up] } ]
`,
    );
    discord.behave({ kind: 'rate-limited', retryAfterSeconds: 600 });
    await ws.scan();
    // A 429 is not tried again within the scan.
    expect(discord.posts).toHaveLength(1);
    expect((await ws.status('api')).lastAlert).toMatchObject({ kind: 'down', channels: ['discord'] });

    // Discord would answer now, but ten minutes have not passed: not tried at all.
    discord.behave({ kind: 'ok' });
    for (let n = 0; n < 9; n++) {
      ws.clock.advance(MINUTE);
      await ws.scan();
    }
    expect(discord.posts).toHaveLength(1);
    expect((await ws.state()).alerts.outbox).toHaveLength(1);

    ws.clock.advance(MINUTE);
    await ws.scan();
    expect(discord.posts).toHaveLength(2);
    expect(discord.posts[1]!.body?.embeds?.[0]?.title).toBe('api is down');
    expect((await ws.state()).alerts.outbox).toEqual([]);
    ws.clock.advance(5 * MINUTE);
    await ws.scan();
    expect(discord.posts).toHaveLength(2);
  });
});

describe('silences', () => {
  it('keeps a silenced service out of alerts while its failures still count, and notifies at once when the silence ends', async () => {
    const hook = await receiver();
    const ws = await simWorkspace(manifest(hook.url, { level: '{ threshold: 2, cooldown: 1h, channels: [hook] }' }));
    const silencedAt = ws.clock.now();
    // As `heal silence api --for 2h --reason maintenance` writes it.
    await ws.update((state) => ({ ...state, alerts: { ...state.alerts, silences: { api: { until: silencedAt + 2 * HOUR, createdAt: silencedAt, reason: 'maintenance' } } } }));
    expect(await ws.status('api')).toMatchObject({ silenced: { until: new Date(silencedAt + 2 * HOUR).toISOString(), reason: 'maintenance' } });

    await scanEvery(ws, 20 * MINUTE, 2 * HOUR);
    expect(hook.requests).toEqual([]);
    const key = (await ws.state()).alerts.keys['api/down'];
    expect(key).toMatchObject({ failing: 6 });
    expect(key?.notified).toBeUndefined();
    const since = key!.since;
    expect((await ws.status('api')).silenced).toBeUndefined();

    // Two hours on the silence is over: the next scan notifies, with when it went down.
    await ws.scan();
    expect(hook.accepted.map((n) => n.id)).toEqual([`api/down@${since}#1`]);
    expect((await ws.state()).alerts.silences).toEqual({});

    ws.clock.advance(20 * MINUTE);
    await comeBack(ws);
    await ws.scan();
    expect(hook.accepted.map((n) => n.id)).toEqual([`api/down@${since}#1`, `api/down@${since}/resolved`]);
  });
});
