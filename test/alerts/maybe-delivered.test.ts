/**
 * "Maybe delivered" is never sent twice in one scan: a send that failed after the whole message
 * was handed over (an SMTP server that stalls after DATA, a webhook or Discord that answers after
 * the timeout) is tried again on the next scan only, while a send that reached no one (a refused
 * connection, a 5xx or 4xx reply) is still tried again within the scan. Real servers on
 * 127.0.0.1: smtp-server, an HTTP receiver, a Discord-speaking server.
 */
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { emailChannel } from '../../src/alerts/channels/email.js';
import { webhookChannel } from '../../src/alerts/channels/webhook.js';
import { deliver } from '../../src/alerts/deliver.js';
import { enqueue } from '../../src/alerts/outbox.js';
import { emptyAlertsState, type AlertsState } from '../../src/alerts/state.js';
import type { Message } from '../../src/alerts/types.js';
import { channelSpec, type ChannelSpec } from '../../src/alerts/channels/schema.js';
import { startDiscordServer } from '../helpers/discord-server.js';
import { closedPort, reply, serverScope, startHttpServer, type HttpHandler } from '../helpers/servers.js';
import { HOUR, MINUTE, simClock, simDeps, SIM_T0 } from '../helpers/sim.js';
import { startSmtpServer } from '../helpers/smtp-server.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

/** Every send gets this long: far more than a loopback exchange needs, even on a loaded machine. */
const SEND_TIMEOUT = '3s';
const ATTEMPTS = 3;

function spec(fields: Record<string, unknown>): ChannelSpec {
  return channelSpec.parse({ timeout: SEND_TIMEOUT, ...fields });
}

/** A clock and deliver() over one channel "ch", `ATTEMPTS` tries a message per scan; dates from that clock. */
function scans(channel: ChannelSpec) {
  const clock = simClock(SIM_T0);
  const deps = simDeps(clock);
  const message = (id: string): Message => {
    const at = clock.now();
    return {
      id, channel: 'ch', level: 'critical', createdAt: at,
      notices: [{ id: `api/down@${at}`, key: 'api/down', kind: 'down', level: 'critical', service: 'api', title: 'api is down', detail: 'connection refused', since: at, at, host: 'box' }],
    };
  };
  const scan = (state: AlertsState) => {
    clock.advance(5 * MINUTE);
    return deliver(state, { deps, channels: { ch: channel }, maxAgeMs: 24 * HOUR, deadline: clock.now() + 60_000, attemptsPerScan: ATTEMPTS });
  };
  return { clock, message, scan, first: () => enqueue(emptyAlertsState(), [message('m1')]) };
}

const attemptsOf = (state: AlertsState) => state.outbox.map((e) => [e.message.id, e.attempts]);

describe('email', () => {
  it('sends a mail once per scan to a server that stalls after DATA, the same Message-ID each time', async () => {
    const stalling = await servers.add(startSmtpServer({ stallAfterData: true }));
    const email = spec({ type: 'email', host: '127.0.0.1', port: stalling.port, from: 'heal@example.com', to: ['ops@example.com'] });
    const { scan, first } = scans(email);

    const once = await scan(first());
    expect(stalling.stalled).toHaveLength(1);
    expect(attemptsOf(once)).toEqual([['m1', 1]]);
    const twice = await scan(once);
    expect(stalling.stalled).toHaveLength(2);
    expect(attemptsOf(twice)).toEqual([['m1', 2]]);
    // The same mail each time: one Message-ID, so the receiver can drop the repeat.
    expect(new Set(stalling.stalled.map((raw) => /^Message-ID: (.*)$/im.exec(raw)?.[1]))).toEqual(new Set(['<m1@heal>']));
  });

  it('says the stalled mail may have been delivered', async () => {
    const stalling = await servers.add(startSmtpServer({ stallAfterData: true }));
    const email = spec({ type: 'email', host: '127.0.0.1', port: stalling.port, from: 'heal@example.com', to: ['ops@example.com'] });
    if (email.type !== 'email') throw new Error('unreachable');
    const { message, clock } = scans(email);
    const outcome = await emailChannel.send(email, message('m1'), { deps: simDeps(clock), signal: AbortSignal.timeout(10_000), timeoutMs: 10_000 });
    expect(outcome).toMatchObject({ ok: false, retryable: true, maybeDelivered: true, error: expect.stringMatching(/^timed out after 3s/) });
  });

  it.each([
    { what: 'a 451 reply to the message', options: { refuseData: { code: 451, text: 'try again later' } } },
    { what: 'a 421 at connect', options: { refuseConnect: { code: 421, text: 'too busy' } } },
  ])('tries again within the scan after $what: nothing was accepted', async ({ options }) => {
    const refusing = await servers.add(startSmtpServer(options));
    const { scan, first } = scans(spec({ type: 'email', host: '127.0.0.1', port: refusing.port, from: 'heal@example.com', to: ['ops@example.com'] }));
    expect(attemptsOf(await scan(first()))).toEqual([['m1', ATTEMPTS]]);
  });

  it('tries again within the scan when nothing listens', async () => {
    const { scan, first } = scans(spec({ type: 'email', host: '127.0.0.1', port: await closedPort(), from: 'heal@example.com', to: ['ops@example.com'] }));
    expect(attemptsOf(await scan(first()))).toEqual([['m1', ATTEMPTS]]);
  });
});

describe('webhook', () => {
  /** A receiver whose answer comes `lateMs` after each POST was read: after the 3 s timeout. */
  async function lateReceiver(lateMs: number) {
    const timers: NodeJS.Timeout[] = [];
    onTestFinished(() => timers.forEach(clearTimeout));
    const late: HttpHandler = (_req, res) => void timers.push(setTimeout(() => res.end('ok'), lateMs));
    return servers.add(startHttpServer(late));
  }

  it('POSTs once per scan to a receiver that answers after the timeout', async () => {
    const receiver = await lateReceiver(8_000);
    const { scan, first } = scans(spec({ type: 'webhook', url: receiver.url('/hook') }));
    const once = await scan(first());
    expect(receiver.requests).toHaveLength(1);
    expect(attemptsOf(once)).toEqual([['m1', 1]]);
    await scan(once);
    expect(receiver.requests.map((r) => r.headers['idempotency-key'])).toEqual(['m1', 'm1']);
  });

  it('says a POST that got no answer may have been delivered, and one that found no receiver was not', async () => {
    const receiver = await servers.add(startHttpServer(() => undefined));
    const hook = spec({ type: 'webhook', url: receiver.url('/hook') });
    if (hook.type !== 'webhook') throw new Error('unreachable');
    const { message, clock } = scans(hook);
    const controller = new AbortController();
    const sending = webhookChannel.send(hook, message('m1'), { deps: simDeps(clock), signal: controller.signal, timeoutMs: 10_000 });
    await expect.poll(() => receiver.requests.length).toBe(1);
    controller.abort();
    expect(await sending).toMatchObject({ ok: false, retryable: true, maybeDelivered: true });

    const nobody = spec({ type: 'webhook', url: `http://127.0.0.1:${await closedPort()}/hook` });
    if (nobody.type !== 'webhook') throw new Error('unreachable');
    expect(await webhookChannel.send(nobody, message('m2'), { deps: simDeps(clock), signal: AbortSignal.timeout(5_000), timeoutMs: 5_000 })).toEqual({
      ok: false,
      retryable: true,
      error: 'connection refused',
    });
  });

  it('POSTs again within the scan after a 503: the receiver said it did not take it', async () => {
    const receiver = await servers.add(startHttpServer(reply(503, 'busy')));
    const { scan, first } = scans(spec({ type: 'webhook', url: receiver.url('/hook') }));
    await scan(first());
    expect(receiver.requests).toHaveLength(ATTEMPTS);
  });
});

describe('discord', () => {
  it('posts once per scan to a Discord that never answers, and delivers once it does', async () => {
    const discord = await servers.add(startDiscordServer());
    discord.behave({ kind: 'hang' });
    const { scan, first } = scans(spec({ type: 'discord', webhook_url: discord.webhookUrl }));
    const once = await scan(first());
    expect(discord.posts).toHaveLength(1);
    expect(attemptsOf(once)).toEqual([['m1', 1]]);

    discord.behave({ kind: 'ok' });
    const delivered = await scan(once);
    expect(discord.posts).toHaveLength(2);
    expect(delivered.outbox).toEqual([]);
  });

  it('posts again within the scan after a 500', async () => {
    const discord = await servers.add(startDiscordServer());
    discord.behave({ kind: 'server-error', status: 500 });
    const { scan, first } = scans(spec({ type: 'discord', webhook_url: discord.webhookUrl }));
    await scan(first());
    expect(discord.posts).toHaveLength(ATTEMPTS);
  });
});
