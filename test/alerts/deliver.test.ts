/** The outbox and its delivery, against a real HTTP server that speaks the webhook channel. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliver } from '../../src/alerts/deliver.js';
import { enqueue, expire, recordAttempt } from '../../src/alerts/outbox.js';
import { emptyAlertsState, type AlertsState } from '../../src/alerts/state.js';
import type { Message } from '../../src/alerts/types.js';
import type { ChannelSpec } from '../../src/alerts/channels/schema.js';
import { reply, serverScope, startHangingListener, startHttpServer, type HttpHandler } from '../helpers/servers.js';
import { DAY, simClock, simDeps, type SimClock } from '../helpers/sim.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

const T0 = Date.parse('2026-11-22T12:00:00Z');
const message = (id: string, channel = 'hook', createdAt = T0): Message => ({
  id, channel, level: 'critical', createdAt,
  notices: [{ id: `api/down@${createdAt}#1`, key: 'api/down', kind: 'down', level: 'critical', service: 'api', title: 'api is down', detail: 'connection refused', since: createdAt, at: createdAt, host: 'box' }],
});

/** A webhook receiver whose answer the test switches between scans. */
async function receiver() {
  let answer: HttpHandler = reply(200, 'ok');
  const server = await servers.add(startHttpServer((req, res, request) => answer(req, res, request)));
  const received = () => server.requests.map((r) => JSON.parse(r.body).id as string);
  return { server, received, answer: (handler: HttpHandler) => { answer = handler; } };
}

// One clock for the messages and for deliver: it reads T0 when a test starts and moves on with
// real time (the sends are real), so a message made at T0 is as young on any date as on T0.
let clock: SimClock;
beforeEach(() => {
  clock = simClock(T0);
});
const hook = (url: string): Record<string, ChannelSpec> => ({ hook: { type: 'webhook', url, timeout: 1_000 } });
const run = (state: AlertsState, channels: Record<string, ChannelSpec>, options: { deadlineIn?: number; attemptsPerScan?: number } = {}) =>
  deliver(state, { deps: simDeps(clock), channels, maxAgeMs: DAY, deadline: clock.now() + (options.deadlineIn ?? 5_000), attemptsPerScan: options.attemptsPerScan });

describe('the outbox, pure', () => {
  it('removes a message once its channel accepted it, and counts it by level and channel', () => {
    const state = enqueue(emptyAlertsState(), [message('m1')]);
    const next = recordAttempt(state, 'm1', { ok: true }, T0);
    expect(next.outbox).toEqual([]);
    expect(next.sent).toEqual({ 'critical/hook': 1 });
    expect(next.channels['hook']).toEqual({ lastSuccessAt: T0 });
  });

  it('keeps a message a channel failed to take for now, counting the attempt', () => {
    const next = recordAttempt(enqueue(emptyAlertsState(), [message('m1')]), 'm1', { ok: false, retryable: true, error: 'status 503' }, T0);
    expect(next.outbox).toEqual([{ message: message('m1'), attempts: 1, lastError: 'status 503' }]);
  });

  it('drops a message a channel refused for good, and remembers a webhook that is gone', () => {
    const next = recordAttempt(enqueue(emptyAlertsState(), [message('m1')]), 'm1', { ok: false, retryable: false, gone: true, error: 'webhook not found (404)' }, T0);
    expect(next.outbox).toEqual([]);
    expect(next.dropped).toBe(1);
    expect(next.channels['hook']?.gone).toEqual({ at: T0, error: 'webhook not found (404)' });
  });

  it('drops messages older than max_age, and messages for channels that left the manifest', () => {
    const state = enqueue(emptyAlertsState(), [message('old', 'hook', T0 - DAY), message('fresh'), message('orphan', 'pager')]);
    const { state: next, dropped } = expire(state, new Set(['hook']), DAY, T0);
    expect(next.outbox.map((e) => e.message.id)).toEqual(['fresh']);
    expect(dropped.map((d) => d.why)).toEqual(['undelivered after 1440 minutes (max_age)', 'channel "pager" is no longer in the manifest']);
    expect(next.dropped).toBe(2);
  });
});

describe('deliver', () => {
  it('sends every waiting message in order and empties the outbox', async () => {
    const hookServer = await receiver();
    const state = enqueue(emptyAlertsState(), [message('m1'), message('m2')]);
    const next = await run(state, hook(hookServer.server.url('/hook')));
    expect(hookServer.received()).toEqual(['m1', 'm2']);
    expect(next.outbox).toEqual([]);
  });

  it('tries a failed send again within the scan, and succeeds when the channel recovers', async () => {
    const hookServer = await receiver();
    let calls = 0;
    hookServer.answer((req, res, r) => (++calls === 1 ? reply(503, 'busy') : reply(200, 'ok'))(req, res, r));
    const next = await run(enqueue(emptyAlertsState(), [message('m1')]), hook(hookServer.server.url('/hook')));
    expect(calls).toBe(2);
    expect(next.outbox).toEqual([]);
  });

  it('keeps what it could not deliver for the next scan, and leaves the rest of that channel alone', async () => {
    const hookServer = await receiver();
    hookServer.answer(reply(500, 'down'));
    const next = await run(enqueue(emptyAlertsState(), [message('m1'), message('m2')]), hook(hookServer.server.url('/hook')), { attemptsPerScan: 2 });
    expect(hookServer.server.requests).toHaveLength(2);
    expect(next.outbox.map((e) => [e.message.id, e.attempts])).toEqual([['m1', 2], ['m2', 0]]);
  });

  it('waits for a 429\'s Retry-After: the channel is not tried again before then', async () => {
    const hookServer = await receiver();
    hookServer.answer(reply(429, 'slow down', { 'retry-after': '120' }));
    const first = await run(enqueue(emptyAlertsState(), [message('m1')]), hook(hookServer.server.url('/hook')));
    expect(hookServer.server.requests).toHaveLength(1);
    expect(first.channels['hook']?.retryAfterUntil).toBeGreaterThan(clock.now() + 100_000);
    hookServer.answer(reply(200, 'ok'));
    const second = await run(first, hook(hookServer.server.url('/hook')));
    expect(hookServer.server.requests).toHaveLength(1);
    expect(second.outbox).toHaveLength(1);
  });

  it('never holds the scan past its deadline when a channel hangs', async () => {
    const hanging = await servers.add(startHangingListener());
    // The channel would wait a minute; the deadline is 800 ms away. Only a deadline that is not
    // kept comes near the bound (and the test's own timeout).
    const deadline = clock.now() + 800;
    const next = await run(enqueue(emptyAlertsState(), [message('m1')]), { hook: { type: 'webhook', url: `http://127.0.0.1:${hanging.port}/`, timeout: 60_000 } }, { deadlineIn: 800 });
    expect(clock.now()).toBeLessThan(deadline + 15_000);
    expect(next.outbox).toHaveLength(1);
    expect(hanging.connections.total).toBe(1);
  });

  it('drops, unsent, a message that waited longer than max_age', async () => {
    const hookServer = await receiver();
    const state = enqueue(emptyAlertsState(), [message('stale'), message('young', 'hook', T0 + 2 * 60_000)]);
    clock.advance(DAY + 60_000);
    const next = await run(state, hook(hookServer.server.url('/hook')));
    expect(hookServer.received()).toEqual(['young']);
    expect(next.outbox).toEqual([]);
    expect(next.dropped).toBe(1);
  });

  it('delivers to a healthy channel while another is down', async () => {
    const good = await receiver();
    const bad = await receiver();
    bad.answer(reply(503, 'down'));
    const state = enqueue(emptyAlertsState(), [message('a', 'good'), message('b', 'bad')]);
    const next = await run(state, { good: { type: 'webhook', url: good.server.url('/'), timeout: 1_000 }, bad: { type: 'webhook', url: bad.server.url('/'), timeout: 1_000 } }, { attemptsPerScan: 1 });
    expect(good.received()).toEqual(['a']);
    expect(next.outbox.map((e) => e.message.id)).toEqual(['b']);
  });
});
