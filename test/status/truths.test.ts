/**
 * `heal status` tells the truth over a sequence of scans at simulated time: the real `scan()` in
 * this process; the service's check is a real command (`test -e up`), its restart a real command
 * (`touch up`, which fails while a file `broken` exists), its alerts go to the log channel.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resetRecord } from '../../src/policy/record.js';
import { HOUR, MINUTE, simWorkspace, type SimWorkspace } from '../helpers/sim.js';

const MANIFEST = `version: 1
defaults: { cooldown: 1m }
alerts:
  levels:
    critical: { threshold: 1, cooldown: 1m, channels: [log] }
    info: { threshold: 1, cooldown: 1m, channels: [log] }
  channels:
    log: { type: log }
services:
  api:
    checks: [ { type: command, run: [test, -e, up] } ]
    restart: { type: command, run: [sh, -c, "test ! -e broken && touch up"] }
`;

const put = (ws: SimWorkspace, name: string) => writeFile(join(ws.dir, name), '');
const remove = (ws: SimWorkspace, name: string) => rm(join(ws.dir, name), { force: true });

describe('heal status over a scan sequence', () => {
  it('counts "up for" from the restart that brought the service back, not from when it was first up', async () => {
    const ws = await simWorkspace(MANIFEST);
    await put(ws, 'up');
    expect((await ws.scanService('api')).status).toBe('up');
    const firstUp = Date.parse((await ws.status('api')).since!);
    ws.clock.advance(HOUR);
    await remove(ws, 'up');
    expect((await ws.scanService('api')).status).toBe('healed');
    const status = await ws.status('api');
    expect(status.status).toBe('up');
    expect(status.since).toBe(status.lastHeal?.at);
    expect(Date.parse(status.since!) - firstUp).toBeGreaterThanOrEqual(HOUR);
    expect(status.forMs).toBeLessThan(HOUR);
  });

  it('keeps the last alert after its alert key is forgotten, and it is the latest notice', async () => {
    const ws = await simWorkspace(MANIFEST);
    await put(ws, 'up');
    await ws.scan();
    ws.clock.advance(5 * MINUTE);
    await remove(ws, 'up');
    await put(ws, 'broken');
    expect((await ws.scanService('api')).action).toBe(`restart failed (command: sh -c 'test ! -e broken && touch up')`);
    const down = (await ws.status('api')).lastAlert;
    expect(down).toMatchObject({ kind: 'down', level: 'critical', channels: ['log'] });

    ws.clock.advance(5 * MINUTE);
    await remove(ws, 'broken');
    const healed = await ws.scanService('api');
    expect(healed.status).toBe('healed');
    const notified = healed.report.services[0]!.alerts!.map((a) => a.kind);
    const afterHeal = (await ws.status('api')).lastAlert!;
    expect(notified).toContain(afterHeal.kind);
    expect(Date.parse(afterHeal.at)).toBeGreaterThan(Date.parse(down!.at));

    // An hour on, every alert key's cooldown is over and the keys are forgotten; the last alert is not.
    ws.clock.advance(HOUR);
    await ws.scan();
    expect((await ws.state()).alerts.keys).toEqual({});
    expect((await ws.status('api')).lastAlert).toEqual(afterHeal);
  });

  it('after heal reset a running service is still up, since when it was, with its breaker closed and no heals', async () => {
    const ws = await simWorkspace(MANIFEST);
    expect((await ws.scanService('api')).status).toBe('healed');
    ws.clock.advance(10 * MINUTE);
    await ws.scan();
    const before = await ws.status('api');
    expect(before).toMatchObject({ status: 'up', healsLastHour: 1 });

    await ws.update((state) => ({ ...state, services: { ...state.services, api: resetRecord(state.services['api']!) } }));
    const after = await ws.status('api');
    expect(after).toMatchObject({ status: 'up', since: before.since, breaker: 'closed', healsLastHour: 0, cooldownLeftMs: 0, failingScans: 0 });
    expect(after.lastHeal).toBeUndefined();
    expect(after.checks).toEqual(before.checks);
  });
});
