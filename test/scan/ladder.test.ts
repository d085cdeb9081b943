/**
 * The escalation ladder over simulated hours, with heal's defaults (cooldown 5m,
 * max_heals_per_hour 6, breaker 3 failures / open_for 10m doubling to 1h, flap_threshold 3 of
 * 12): the real `scan()` in this process, scans five minutes apart on the clock as cron runs
 * them, a real command check (`test -e up`) and a real restart (`sh -c …`) that counts itself in
 * a file and brings the service back only once the file `fixed` exists. Alerts go to a real
 * webhook receiver. Every hold names its end, and heal always tries again.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceReport } from '../../src/scan/index.js';
import { serverScope } from '../helpers/servers.js';
import { MINUTE, SIM_T0, simWorkspace, type SimWorkspace } from '../helpers/sim.js';
import { webhookReceiver, hookAlerts } from '../helpers/webhook-receiver.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

const RESTART = `{ type: command, run: [sh, -c, "echo restart >> restarts.txt; if [ -e fixed ]; then touch up; fi"] }`;

/** The defaults, but for verify_timeout (no rule of the ladder): a failed restart is judged in 2s. */
function manifest(hookUrl: string): string {
  return `version: 1
defaults: { verify_timeout: 2s }
${hookAlerts(hookUrl, { threshold: 3 })}services:
  web:
    checks: [ { type: command, run: [test, -e, up] } ]
    restart: ${RESTART}
`;
}

/** Whole seconds, as notices say it: the scans start within a second of SIM_T0 + their minute. */
const iso = (minute: number, seconds = 0) => new Date(SIM_T0 + minute * MINUTE + seconds * 1_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** When a breaker that opened at a scan lets one restart through: its open time less the 10 s of schedule slack. */
const trialAt = (minute: number) => iso(minute, -10);
const minuteOf = (ms: number) => Math.round((ms - SIM_T0) / MINUTE);
/** An ISO time within a few seconds of SIM_T0 + `minute` (the clock also moves on with real time). */
const near = (minute: number) => expect.toSatisfy((text: string) => Math.abs(Date.parse(text) - Date.parse(trialAt(minute))) < 5_000, `near ${trialAt(minute)}`);

async function restartsRun(ws: SimWorkspace): Promise<number> {
  const text = await readFile(join(ws.dir, 'restarts.txt'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).length;
}

/** Scans at minute 0, 5, 10, … up to `last` (as cron runs heal), each scan's report of "web" by minute. */
async function scanUntil(ws: SimWorkspace, last: number, before?: (minute: number) => Promise<void>): Promise<Map<number, ServiceReport & { restarted: boolean }>> {
  const seen = new Map<number, ServiceReport & { restarted: boolean }>();
  for (let minute = 0; minute <= last; minute += 5) {
    // The clock starts at SIM_T0 and also moves on with real time: each scan starts a few ms after its minute.
    ws.clock.advance(Math.max(0, SIM_T0 + minute * MINUTE - ws.clock.now()));
    await before?.(minute);
    const restarts = await restartsRun(ws);
    const web = await ws.scanService('web');
    seen.set(minute, { ...web, restarted: (await restartsRun(ws)) > restarts });
  }
  return seen;
}

const restartedAt = (seen: Map<number, { restarted: boolean }>) => [...seen].filter(([, s]) => s.restarted).map(([m]) => m);

describe('with the defaults, a service whose restart always fails', () => {
  it('is restarted at +0, +5, +10, then once each time the breaker half-opens (+20, +40, +80, +140): three hours, seven restarts, never given up', async () => {
    const hook = await webhookReceiver(servers);
    const ws = await simWorkspace(manifest(hook.url));
    const seen = await scanUntil(ws, 180);

    expect(restartedAt(seen)).toEqual([0, 5, 10, 20, 40, 80, 140]);
    expect([...seen.values()].every((s) => s.status === 'down')).toBe(true);
    // Each hold names the breaker and when it ends; the hourly cap (6) never acts first.
    // (10 s of schedule slack off the open time, as off a cooldown.)
    expect(seen.get(15)).toMatchObject({ rule: 'breaker-open', action: 'held back', reason: 'circuit breaker open: one restart will be tried in 4m50s' });
    expect(seen.get(75)).toMatchObject({ rule: 'breaker-open', reason: 'circuit breaker open: one restart will be tried in 4m50s' });
    expect(seen.get(80)).toMatchObject({ rule: 'half-open-trial' });
    expect([...seen.values()].map((s) => s.rule)).not.toContain('hourly-cap');
    expect([...seen.values()].map((s) => s.rule)).not.toContain('flapping');

    // After three hours heal still has a time at which it tries again.
    expect(await ws.status('web')).toMatchObject({ breaker: 'open', restartsStopped: { until: near(200) } });
    // Said once in the log each time heal stops, with when it tries again.
    const stops = ws.logs.filter((l) => l.msg.startsWith('heal stopped restarting web until '));
    expect(stops.map((l) => l['until'])).toEqual([20, 40, 80, 140, 200].map(near));

    // One alert when it had failed three scans (heal had just stopped, and says until when), a reminder an hour later, and one more.
    expect(hook.accepted.map((n) => [minuteOf(n.at), n.title])).toEqual([
      [10, 'web is down'],
      [70, 'web is down'],
      [130, 'web is down'],
    ]);
    expect(hook.accepted[0]?.action).toContain(`heal stopped restarting it until ${trialAt(20)} (its circuit breaker is open: restarts did not bring it back for good), then tries once`);
  });

  it('comes back by itself once the fault is fixed (here 30 minutes in): the next half-open trial heals it, the breaker closes, and the incident resolves — no heal reset', async () => {
    const hook = await webhookReceiver(servers);
    const ws = await simWorkspace(manifest(hook.url));
    const seen = await scanUntil(ws, 60, async (minute) => {
      if (minute === 30) await writeFile(join(ws.dir, 'fixed'), '');
    });

    expect(restartedAt(seen)).toEqual([0, 5, 10, 20, 40]);
    expect(seen.get(30)).toMatchObject({ status: 'down', rule: 'breaker-open' });
    expect(seen.get(40)).toMatchObject({ status: 'healed', rule: 'half-open-trial' });
    expect(seen.get(60)).toMatchObject({ status: 'up', rule: 'healthy' });
    expect(await ws.status('web')).toMatchObject({ status: 'up', breaker: 'closed' });
    expect((await ws.status('web')).restartsStopped).toBeUndefined();
    expect(hook.accepted.map((n) => [minuteOf(n.at), n.kind, n.title])).toEqual([
      [10, 'down', 'web is down'],
      [40, 'resolved', 'web is back up'],
    ]);
    expect(hook.accepted[1]?.detail).toMatch(/^down for (39m5\ds|40m); heal restarted it$/);
  });
});

describe('with the defaults, a service that dies again after every restart (a crash loop)', () => {
  it('is flapping after three outages (3 of the last 12 scans): one notice, then restarts wait 10m, 20m, 40m, 1h, 1h — each trial once, never given up', async () => {
    const hook = await webhookReceiver(servers);
    const ws = await simWorkspace(manifest(hook.url));
    await writeFile(join(ws.dir, 'fixed'), '');
    // It dies before every scan: each restart brings it back for a moment.
    const seen = await scanUntil(ws, 180, () => rm(join(ws.dir, 'up'), { force: true }));

    expect(restartedAt(seen)).toEqual([0, 5, 10, 20, 45, 90, 155]);
    expect(seen.get(10)).toMatchObject({ status: 'healed', rule: 'down' });
    const flapping = 'flapping (went down 3 times in the last 12 scans)';
    expect(seen.get(15)).toMatchObject({ status: 'down', rule: 'flapping', action: 'held back', reason: `${flapping}: one restart will be tried in 4m50s` });
    expect(seen.get(25)).toMatchObject({ rule: 'flapping', reason: `${flapping}: one restart will be tried in 19m50s` });
    expect((await ws.status('web')).flapping?.reason).toBe('went down 3 times in the last 12 scans');

    // One flapping notice (saying when heal tries again) and its hourly reminders; the down notices fold into it.
    expect(hook.accepted.map((n) => [minuteOf(n.at), n.kind, n.reminder ?? false])).toEqual([
      [10, 'flapping', false],
      [70, 'flapping', true],
      [130, 'flapping', true],
    ]);
    expect(hook.accepted[0]?.action).toBe(`heal stopped restarting it until ${trialAt(20)} (it is flapping: went down 3 times in the last 12 scans), then tries once`);
  });

  it('stops flapping once it stays up for the window (12 scans), and the breaker closes', async () => {
    const hook = await webhookReceiver(servers);
    const ws = await simWorkspace(manifest(hook.url));
    await writeFile(join(ws.dir, 'fixed'), '');
    const seen = await scanUntil(ws, 90, async (minute) => {
      if (minute <= 15) await rm(join(ws.dir, 'up'), { force: true });
    });
    // Healed at 0, 5, 10 (flapping); held at 15; the trial at 20 brings it back for good.
    expect(restartedAt(seen)).toEqual([0, 5, 10, 20]);
    expect(seen.get(75)).toMatchObject({ status: 'up' });
    expect(seen.get(80)).toMatchObject({ status: 'up', rule: 'healthy' });
    expect((await ws.status('web')).flapping).toBeUndefined();
    expect(await ws.status('web')).toMatchObject({ breaker: 'closed' });
    expect(hook.accepted.map((n) => [minuteOf(n.at), n.title])).toEqual([
      [10, 'web is flapping'],
      [70, 'web is flapping'],
      [80, 'web is no longer flapping'],
    ]);
  });
});
