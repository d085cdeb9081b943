/**
 * What an on-call person hears over simulated hours: the real `scan()` in this process every five
 * minutes on the clock, a real command check (`test -e up`) whose file the test makes come and
 * go, and real webhook receivers on 127.0.0.1. Each case is one the issue found wanting:
 * intermittent failure never alerted, a silence that swallowed the resolved notice, no damping,
 * resolved to today's channel list, held-back healed notices without a trace, a warning that
 * never became critical.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Notice } from '../../src/alerts/types.js';
import type { ServiceReport } from '../../src/scan/index.js';
import { serverScope } from '../helpers/servers.js';
import { HOUR, MINUTE, SIM_T0, simWorkspace, type SimWorkspace } from '../helpers/sim.js';
import { webhookReceiver } from '../helpers/webhook-receiver.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

const CHECK = `[ { type: command, run: [test, -e, up] } ]`;

/** One service "api" without a restart, alerting through the levels given (channels "hook", "hook2", "log"). */
function manifest(urls: { hook: string; hook2?: string }, levels: string, service = ''): string {
  return `version: 1
alerts:
  levels:
${levels}
  channels:
    hook: { type: webhook, url: "${urls.hook}", timeout: 5s }
    hook2: { type: webhook, url: "${urls.hook2 ?? urls.hook}", timeout: 5s }
services:
  api:
    checks: ${CHECK}
${service}`;
}

const up = (ws: SimWorkspace) => writeFile(join(ws.dir, 'up'), '');
const down = (ws: SimWorkspace) => rm(join(ws.dir, 'up'), { force: true });
const minuteOf = (ms: number) => Math.round((ms - SIM_T0) / MINUTE);

/**
 * Scans at minute 0, 5, 10, … up to `last` (as cron runs heal); before each, `isUp(minute)`
 * decides whether the service is up. Returns each scan's report of "api" by minute.
 */
async function scanEvery5(ws: SimWorkspace, last: number, isUp: (minute: number) => boolean, from = 0): Promise<Map<number, ServiceReport>> {
  const seen = new Map<number, ServiceReport>();
  for (let minute = from; minute <= last; minute += 5) {
    ws.clock.advance(Math.max(0, SIM_T0 + minute * MINUTE - ws.clock.now()));
    await (isUp(minute) ? up(ws) : down(ws));
    seen.set(minute, await ws.scanService('api'));
  }
  return seen;
}

const said = (notices: readonly Notice[]) => notices.map((n) => `${minuteOf(n.at)}: ${n.title}${n.reminder ? ' (reminder)' : ''}`);

describe('a service that fails every other scan', () => {
  // Down at 0, 10, 20, …; up at 5, 15, 25, …
  const everyOther = (minute: number) => (minute / 5) % 2 === 1;

  it('is reported flapping under the default levels (3 in a row never holds), once, within half an hour', async () => {
    const hook = await webhookReceiver(servers);
    const ws = await simWorkspace(manifest({ hook: hook.url }, '    critical: { threshold: 3, cooldown: 1h, channels: [hook] }'));
    await scanEvery5(ws, 3 * HOUR / MINUTE, everyOther);
    // Before: three hours of up, down, up, down and not one message.
    expect(said(hook.accepted)).toEqual(['20: api is flapping', '80: api is flapping (reminder)', '140: api is flapping (reminder)']);
    expect(hook.accepted[0]?.detail).toMatch(/^went down 3 times in the last 12 scans; now down: /);
    expect((await ws.status('api')).flapping?.reason).toBe('went down 3 times in the last 12 scans');
  });

  it('is alerted as down with a "3 of 6" threshold, and the incident stays open while it goes on', async () => {
    const hook = await webhookReceiver(servers);
    const ws = await simWorkspace(manifest({ hook: hook.url }, '    critical: { threshold: 3 of 6, cooldown: 1h, channels: [hook] }', '    flap_threshold: 100\n'));
    await scanEvery5(ws, 2 * HOUR / MINUTE, everyOther);
    expect(said(hook.accepted)).toEqual(['20: api is down', '80: api is down (reminder)']);
    // Down at 0, 10, … 120: thirteen outages, one incident.
    expect((await ws.status('api')).incident).toMatchObject({ level: 'critical', outages: 13 });
  });
});

describe('damping: down 15 minutes, up 5, for two hours', () => {
  it('says down, back up, down again, flapping and its reminder — five messages, not a down/resolved pair every 20 minutes (12)', async () => {
    const hook = await webhookReceiver(servers);
    const ws = await simWorkspace(manifest({ hook: hook.url }, '    critical: { threshold: 3, cooldown: 1h, channels: [hook] }'));
    await scanEvery5(ws, 2 * HOUR / MINUTE - 5, (minute) => minute % 20 === 15);
    expect(said(hook.accepted)).toEqual([
      '10: api is down',
      '15: api is back up',
      '30: api is down again (the 2nd time in 30m)',
      // From here the down notices fold into the flapping one.
      '40: api is flapping',
      '100: api is flapping (reminder)',
    ]);
    const since = hook.accepted[0]!.since;
    // One incident: the same start in every notice's id.
    expect(hook.accepted.slice(0, 3).map((n) => n.id)).toEqual([`api/down@${since}#1`, `api/down@${since}/resolved`, `api/down@${since}#2`]);
    expect(await ws.status('api')).toMatchObject({ incident: { outages: 6 }, flapping: { reason: 'went down 3 times in the last 12 scans' } });
  });
});

describe('silences hide messages, not incidents', () => {
  it('sends the resolved notice of an alert sent before the silence when the service recovers during it', async () => {
    const hook = await webhookReceiver(servers);
    const ws = await simWorkspace(manifest({ hook: hook.url }, '    critical: { threshold: 1, cooldown: 1h, channels: [hook] }'));
    await scanEvery5(ws, 0, () => false);
    expect(said(hook.accepted)).toEqual(['0: api is down']);

    // As `heal silence api --for 1h` writes it.
    const now = ws.clock.now();
    await ws.update((state) => ({ ...state, alerts: { ...state.alerts, silences: { api: { until: now + HOUR, createdAt: now, reason: 'migration' } } } }));
    await scanEvery5(ws, 50, (minute) => minute >= 20, 5);
    // Before: the alert's record was deleted and the incident on the receiver never closed.
    expect(said(hook.accepted)).toEqual(['0: api is down', '20: api is back up']);
    expect((await ws.status('api')).silenced).toMatchObject({ reason: 'migration' });
  });

  it('alerts a service still down when the silence ends on the first scan after it', async () => {
    const hook = await webhookReceiver(servers);
    const ws = await simWorkspace(manifest({ hook: hook.url }, '    critical: { threshold: 3, cooldown: 1h, channels: [hook] }'));
    const now = ws.clock.now();
    await ws.update((state) => ({ ...state, alerts: { ...state.alerts, silences: { api: { until: now + 42 * MINUTE, createdAt: now } } } }));
    await scanEvery5(ws, 60, () => false);
    expect(said(hook.accepted)).toEqual(['45: api is down']);
  });
});

describe('resolved goes to the channels that got the alert', () => {
  it('after a reminder to a level whose channels changed mid-incident, the resolved notice reaches the old channel and the new', async () => {
    const [hook, hook2] = [await webhookReceiver(servers), await webhookReceiver(servers)];
    const urls = { hook: hook.url, hook2: hook2.url };
    const ws = await simWorkspace(manifest(urls, '    critical: { threshold: 3, cooldown: 1h, channels: [hook] }'));
    await scanEvery5(ws, 30, () => false);
    expect(said(hook.accepted)).toEqual(['10: api is down']);

    await ws.write(manifest(urls, '    critical: { threshold: 3, cooldown: 1h, channels: [hook2] }'));
    await scanEvery5(ws, 80, (minute) => minute >= 75, 35);
    expect(said(hook2.accepted)).toEqual(['70: api is down (reminder)', '75: api is back up']);
    // Before: the reminder replaced the record of who was told, and hook never heard it was over.
    expect(said(hook.accepted)).toEqual(['10: api is down', '75: api is back up']);
  });
});

describe('escalate_after', () => {
  it('raises a warning still down after an hour to critical, once, on critical\'s channels', async () => {
    const [hook, hook2] = [await webhookReceiver(servers), await webhookReceiver(servers)];
    const ws = await simWorkspace(
      manifest(
        { hook: hook.url, hook2: hook2.url },
        '    critical: { threshold: 3, cooldown: 1h, channels: [hook2] }\n    warning: { threshold: 3, cooldown: 2h, channels: [hook], escalate_after: 1h }',
        '    alert_level: warning\n',
      ),
    );
    await scanEvery5(ws, 90, (minute) => minute >= 90);
    expect(said(hook.accepted)).toEqual(['10: api is down', '90: api is back up']);
    expect(said(hook2.accepted)).toEqual(['60: api is still down after 1h: raised from warning to critical', '90: api is back up']);
    expect(hook2.accepted[0]?.level).toBe('critical');
  });
});

describe('held-back healed notices', () => {
  it('are counted in the report and heal status while the level\'s cooldown holds them', async () => {
    const hook = await webhookReceiver(servers);
    const ws = await simWorkspace(
      manifest({ hook: hook.url }, '    info: { threshold: 10, cooldown: 24h, channels: [hook] }', '    restart: { type: command, run: [touch, up] }\n    verify_timeout: 2s\n'),
    );
    // It dies every half hour, and each restart brings it back.
    const seen = new Map<number, ServiceReport>();
    for (let minute = 0; minute <= 60; minute += 5) {
      ws.clock.advance(Math.max(0, SIM_T0 + minute * MINUTE - ws.clock.now()));
      if (minute % 30 === 0) await down(ws);
      seen.set(minute, await ws.scanService('api'));
    }
    expect([0, 30, 60].map((m) => seen.get(m)?.status)).toEqual(['healed', 'healed', 'healed']);
    expect(said(hook.accepted)).toEqual(['0: api was down; heal restarted it']);
    expect(seen.get(0)?.alertsHeld).toBeUndefined();
    expect(seen.get(30)?.alertsHeld).toEqual([{ kind: 'healed', level: 'info', count: 1, until: expect.any(String) }]);
    expect(seen.get(60)?.alertsHeld).toEqual([{ kind: 'healed', level: 'info', count: 2, until: seen.get(30)?.alertsHeld?.[0]?.until }]);
    expect(await ws.status('api')).toMatchObject({ healedHeldBack: { count: 2, lastNoticeAt: expect.any(String) } });
  });
});
