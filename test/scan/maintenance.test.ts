/**
 * Maintenance windows through the real `scan()` over simulated time (issue 16): restarts of the
 * window's services held (rule `maintenance`) unless the window says `restart: true`, no notice
 * for them, a resolved notice still going for an alert sent before the window, and what is still
 * due alerted on the first scan after it. The clock starts at SIM_T0, 2026-11-22 12:00 UTC (a
 * Sunday); the windows are in UTC so the test reads the same in every zone.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serverScope } from '../helpers/servers.js';
import { MINUTE, SIM_T0, simWorkspace, type SimWorkspace } from '../helpers/sim.js';
import { hookAlerts, webhookReceiver } from '../helpers/webhook-receiver.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

async function restarts(ws: SimWorkspace): Promise<number> {
  return (await readFile(join(ws.dir, 'restarts.txt'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
}

/** db is up while the file `up` exists; its restart only counts itself. api is never held. */
const manifest = (hookUrl: string, window: string) => `version: 1
${hookAlerts(hookUrl)}maintenance:
  backup: ${window}
services:
  db:
    checks: [ { type: command, run: [test, -e, up] } ]
    restart: { type: command, run: [sh, -c, "echo restart >> restarts.txt"] }
    cooldown: 1m
  api:
    checks: [ { type: command, run: [test, -e, api-up] } ]
`;

describe('a maintenance window', () => {
  it('holds its services\' restarts and notices, then restarts and alerts on the first scan after it', async () => {
    const hook = await webhookReceiver(servers);
    const ws = await simWorkspace(manifest(hook.url, '{ every: "daily 12:00-12:30", timezone: UTC, services: [db] }'));
    await writeFile(join(ws.dir, 'api-up'), '');

    const during = await ws.scanService('db');
    expect(during).toMatchObject({ status: 'down', rule: 'maintenance', action: 'held back', reason: 'in maintenance (backup) until 2026-11-22T12:30:00.000Z: restarts are held' });
    expect(during.alerts).toBeUndefined();
    expect(await ws.status('db')).toMatchObject({ maintenance: { window: 'backup', until: '2026-11-22T12:30:00.000Z', restart: false }, nextMaintenance: { window: 'backup', start: '2026-11-23T12:00:00.000Z' } });
    ws.clock.advance(20 * MINUTE);
    expect(await ws.scanService('db')).toMatchObject({ rule: 'maintenance' });
    expect(await restarts(ws)).toBe(0);
    expect(hook.accepted).toEqual([]);

    ws.clock.advance(15 * MINUTE);
    const after = await ws.scanService('db');
    expect(after).toMatchObject({ status: 'down', rule: 'down' });
    expect(await restarts(ws)).toBe(1);
    expect(hook.accepted.map((n) => [n.service, n.kind])).toEqual([['db', 'down']]);
    expect((await ws.status('db')).maintenance).toBeUndefined();
  });

  it('with restart: true restarts as usual, and still holds the notices', async () => {
    const hook = await webhookReceiver(servers);
    const ws = await simWorkspace(manifest(hook.url, '{ every: "daily 12:00-12:30", timezone: UTC, restart: true }'));
    await writeFile(join(ws.dir, 'api-up'), '');
    expect(await ws.scanService('db')).toMatchObject({ status: 'down', rule: 'down', action: expect.stringMatching(/^restarted/) });
    expect(await restarts(ws)).toBe(1);
    expect(hook.accepted).toEqual([]);
  });

  it('still sends the resolved notice of an alert that went out before it', async () => {
    const hook = await webhookReceiver(servers);
    // The window begins ten minutes after the clock starts.
    const ws = await simWorkspace(manifest(hook.url, '{ every: "daily 12:10-12:40", timezone: UTC, services: [db] }'));
    await writeFile(join(ws.dir, 'api-up'), '');
    await ws.scan();
    expect(hook.accepted.map((n) => [n.service, n.kind])).toEqual([['db', 'down']]);

    ws.clock.advance(15 * MINUTE);
    expect(await ws.scanService('db')).toMatchObject({ rule: 'maintenance' });
    await writeFile(join(ws.dir, 'up'), '');
    ws.clock.advance(5 * MINUTE);
    expect(await ws.scanService('db')).toMatchObject({ status: 'up' });
    expect(hook.accepted.map((n) => [n.service, n.kind])).toEqual([
      ['db', 'down'],
      ['db', 'resolved'],
    ]);
  });

  it('leaves the services it does not name alone', async () => {
    const hook = await webhookReceiver(servers);
    const ws = await simWorkspace(manifest(hook.url, '{ every: "daily 12:00-12:30", timezone: UTC, services: [db] }'));
    await writeFile(join(ws.dir, 'up'), '');
    const api = await ws.scanService('api');
    expect(api).toMatchObject({ status: 'down', rule: 'no-restart' });
    expect(hook.accepted.map((n) => [n.service, n.kind])).toEqual([['api', 'down']]);
    expect((await ws.status('api')).maintenance).toBeUndefined();
  });

  it('is read in its own zone: 13:00-13:30 in Europe/Berlin (UTC+1 in November) holds at 12:00 UTC', async () => {
    const hook = await webhookReceiver(servers);
    const ws = await simWorkspace(manifest(hook.url, '{ every: "sun 13:00-13:30", timezone: Europe/Berlin, services: [db] }'), { start: SIM_T0 });
    await writeFile(join(ws.dir, 'api-up'), '');
    expect(await ws.scanService('db')).toMatchObject({ rule: 'maintenance', reason: 'in maintenance (backup) until 2026-11-22T12:30:00.000Z: restarts are held' });
  });
});
