/**
 * The outbox's bounds: at most MAX_WAITING_PER_CHANNEL messages wait for one channel (older ones
 * folded into one summary that says how many notices and which services), and no channel is
 * paused longer than MAX_PAUSE_MS whatever it asks for — pure, and against a real
 * Discord-speaking server answering 429 with a retry_after of 1e9 seconds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deliver } from '../../src/alerts/deliver.js';
import { capOutbox, MAX_FOLDED_SERVICES, MAX_WAITING_PER_CHANNEL } from '../../src/alerts/fold.js';
import { channelReady, enqueue, expire, MAX_PAUSE_MS, recordAttempt } from '../../src/alerts/outbox.js';
import { emptyAlertsState, type AlertsState } from '../../src/alerts/state.js';
import type { Message } from '../../src/alerts/types.js';
import type { ChannelSpec } from '../../src/alerts/channels/schema.js';
import { startDiscordServer } from '../helpers/discord-server.js';
import { serverScope } from '../helpers/servers.js';
import { HOUR, MINUTE, simClock, simDeps, SIM_T0 } from '../helpers/sim.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

const T0 = SIM_T0;

/** A message of one "down" notice about `service`, made at `at`. */
function message(id: string, at: number, service = 'api', channel = 'hook'): Message {
  return {
    id, channel, level: 'critical', createdAt: at,
    notices: [{ id: `${service}/down@${at}`, key: `${service}/down`, kind: 'down', level: 'critical', service, title: `${service} is down`, detail: 'connection refused', since: at, at, host: 'box' }],
  };
}

/** `count` messages for `channel`, one a minute from T0, about services svc-0 … svc-(services-1) in turn. */
function messages(count: number, channel = 'hook', services = 50): Message[] {
  return Array.from({ length: count }, (_, i) => message(`m${i}-${channel}`, T0 + i * MINUTE, `svc-${i % services}`, channel));
}

const ids = (state: AlertsState, channel = 'hook') => state.outbox.filter((e) => e.message.channel === channel).map((e) => e.message.id);

describe('a cap on the messages waiting for one channel', () => {
  it('keeps 100,000 waiting messages to the cap: the newest whole, the rest folded into one summary that says how many and which services', () => {
    const state = enqueue(emptyAlertsState(), [...messages(100_000), ...messages(3, 'log')]);
    const hook = state.outbox.filter((e) => e.message.channel === 'hook');
    expect(hook).toHaveLength(MAX_WAITING_PER_CHANNEL);
    expect(hook.slice(1).map((e) => e.message.id)).toEqual(messages(100_000).slice(-(MAX_WAITING_PER_CHANNEL - 1)).map((m) => m.id));
    expect(ids(state, 'log')).toEqual(['m0-log', 'm1-log', 'm2-log']);

    const summary = hook[0]!.message;
    const folded = 100_000 - (MAX_WAITING_PER_CHANNEL - 1);
    const newestFolded = T0 + (folded - 1) * MINUTE;
    expect(summary).toMatchObject({ channel: 'hook', level: 'critical', createdAt: newestFolded });
    expect(summary.notices).toHaveLength(1);
    const notice = summary.notices[0]!;
    expect(notice).toMatchObject({
      kind: 'folded',
      key: 'heal/folded',
      service: 'heal',
      level: 'critical',
      since: T0,
      at: newestFolded,
      folded: { messages: folded, notices: folded, services: Array.from({ length: 50 }, (_, i) => `svc-${i}`).sort() },
    });
    expect(notice.title).toBe(`${folded} older notices folded (svc-0, svc-1, svc-10 and 47 more)`);
    expect(notice.detail).toContain(`the oldest ${folded} messages (${folded} notices from 2026-11-22T12:00:00Z to `);
    expect(notice.detail).toContain('Services: svc-0, svc-1, svc-10, svc-11,');
  });

  it('folds again as more arrive, scan after scan: the summary stays first, its counts add up, and its id changes', () => {
    let state = enqueue(emptyAlertsState(), messages(MAX_WAITING_PER_CHANNEL));
    expect(ids(state)).toEqual(messages(MAX_WAITING_PER_CHANNEL).map((m) => m.id));

    const summaries: string[] = [];
    for (let scan = 0; scan < 5; scan++) {
      const at = T0 + (MAX_WAITING_PER_CHANNEL + scan) * MINUTE;
      state = enqueue(state, [message(`late-${scan}`, at, 'db')]);
      const hook = state.outbox.filter((e) => e.message.channel === 'hook');
      expect(hook).toHaveLength(MAX_WAITING_PER_CHANNEL);
      expect(hook.at(-1)?.message.id).toBe(`late-${scan}`);
      expect(hook[0]!.message.notices[0]?.folded?.notices).toBe(scan + 2);
      summaries.push(hook[0]!.message.id);
    }
    expect(new Set(summaries).size).toBe(5);
    // Six messages in all (m0–m5) folded by the end, each counted once.
    expect(state.outbox[0]!.message.notices[0]?.folded).toEqual({ messages: 6, notices: 6, services: ['svc-0', 'svc-1', 'svc-2', 'svc-3', 'svc-4', 'svc-5'] });
  });

  it('leaves a channel within the cap as it is, in order, beside one that is folded', () => {
    const mixed = messages(30).flatMap((m, i) => (i < 5 ? [m, message(`other-${i}`, m.createdAt, 'api', 'mail')] : [m]));
    const capped = capOutbox(mixed.map((message) => ({ message, attempts: 1 })), 10);
    expect(capped.map((e) => e.message.id)).toEqual([
      capped[0]!.message.id,
      'other-0', 'other-1', 'other-2', 'other-3', 'other-4',
      ...messages(30).slice(-9).map((m) => m.id),
    ]);
    expect(capped[0]!.message.notices[0]?.kind).toBe('folded');
    expect(capped[0]).toMatchObject({ attempts: 0 });
  });

  it('names at most MAX_FOLDED_SERVICES services, and says there were more', () => {
    const state = enqueue(emptyAlertsState(), messages(500, 'hook', 500), 2);
    const notice = state.outbox[0]!.message.notices[0]!;
    expect(notice.folded?.services).toHaveLength(MAX_FOLDED_SERVICES);
    expect(notice.folded?.moreServices).toBe(true);
    expect(notice.title).toBe('499 older notices folded (svc-0, svc-1, svc-10 and 97+ more)');
  });

  it('keeps a summary until all it stands for is older than max_age', () => {
    const state = enqueue(emptyAlertsState(), messages(MAX_WAITING_PER_CHANNEL + 10));
    const summary = state.outbox[0]!.message;
    const maxAge = 24 * HOUR;
    expect(expire(state, new Set(['hook']), maxAge, T0 + maxAge + MINUTE).state.outbox[0]?.message.id).toBe(summary.id);
    expect(expire(state, new Set(['hook']), maxAge, summary.createdAt + maxAge).dropped.map((d) => d.entry.message.id)).toContain(summary.id);
  });
});

describe('a cap on the pause a channel asks for', () => {
  const waiting = enqueue(emptyAlertsState(), [message('m1', T0)]);

  it.each([
    { asked: 1e12, why: 'a retry_after of 1e9 s' },
    { asked: Number.POSITIVE_INFINITY, why: 'an endless wait' },
    { asked: Number.NaN, why: 'an unreadable wait' },
  ])('pauses at most an hour for $why', ({ asked }) => {
    const next = recordAttempt(waiting, 'm1', { ok: false, retryable: true, retryAfterMs: asked, error: 'status 429' }, T0);
    expect(next.channels['hook']?.retryAfterUntil).toBe(T0 + MAX_PAUSE_MS);
    expect(channelReady(next, 'hook', T0 + MAX_PAUSE_MS - 1)).toBe(false);
    expect(channelReady(next, 'hook', T0 + MAX_PAUSE_MS)).toBe(true);
  });

  it('keeps a shorter pause as asked', () => {
    const next = recordAttempt(waiting, 'm1', { ok: false, retryable: true, retryAfterMs: 90_000, error: 'status 429' }, T0);
    expect(next.channels['hook']?.retryAfterUntil).toBe(T0 + 90_000);
  });

  it('lets a pause until 2058 written by an older heal hold for an hour at most', () => {
    const state: AlertsState = { ...waiting, channels: { hook: { retryAfterUntil: Date.UTC(2058, 0, 1), lastError: { at: T0, error: 'status 429' } } } };
    expect(channelReady(state, 'hook', T0 + 30 * MINUTE)).toBe(false);
    expect(channelReady(state, 'hook', T0 + MAX_PAUSE_MS)).toBe(true);
  });

  it('against Discord answering 429 with retry_after 1e9: paused an hour, then delivered', async () => {
    const discord = await servers.add(startDiscordServer());
    discord.behave({ kind: 'rate-limited', retryAfterSeconds: 1e9 });
    const clock = simClock(T0);
    const deps = simDeps(clock);
    const channels: Record<string, ChannelSpec> = { discord: { type: 'discord', webhook_url: discord.webhookUrl, timeout: 5_000 } };
    const run = (state: AlertsState) => deliver(state, { deps, channels, maxAgeMs: 24 * HOUR, deadline: clock.now() + 20_000 });

    const first = await run(enqueue(emptyAlertsState(), [message('m1', clock.now(), 'api', 'discord')]));
    expect(discord.posts).toHaveLength(1);
    expect(first.outbox).toHaveLength(1);
    const until = first.channels['discord']?.retryAfterUntil ?? 0;
    expect(until - clock.now()).toBeLessThanOrEqual(MAX_PAUSE_MS);
    expect(until - clock.now()).toBeGreaterThan(MAX_PAUSE_MS - MINUTE);

    discord.behave({ kind: 'ok' });
    clock.advance(30 * MINUTE);
    const paused = await run(first);
    expect(discord.posts).toHaveLength(1);
    clock.advance(30 * MINUTE);
    const after = await run(paused);
    expect(discord.posts).toHaveLength(2);
    expect(after.outbox).toEqual([]);
  });
});
