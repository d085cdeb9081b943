/**
 * A state file written before issue 12 (streak counters, a flapping mark that stopped restarts
 * for good, alert keys without incidents) still loads, and heal goes on from it: the old mark is
 * dropped (the one flapping rule judges the service afresh), restarts resume, and the alerts it
 * left open get their resolved notices.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadState } from '../../src/state/store.js';
import { serverScope } from '../helpers/servers.js';
import { HOUR, MINUTE, simWorkspace } from '../helpers/sim.js';
import { webhookReceiver, hookAlerts } from '../helpers/webhook-receiver.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

/** state.json as heal wrote it before issue 12, its times relative to `now`. */
function oldStateFile(now: number): string {
  return JSON.stringify({
    version: 1,
    lastScan: { startedAt: now - 5 * MINUTE, durationMs: 80, exitCode: 1 },
    services: {
      web: {
        status: 'down', since: now - 2 * HOUR, lastScanAt: now - 5 * MINUTE, failingScans: 24, healthyScans: 0,
        checks: [{ name: 'command test -e up', ok: false, latencyMs: 2, error: 'exit 1' }],
        heals: [{ at: now - 110 * MINUTE, result: 'failed', error: 'exit 1' }],
        breaker: { state: 'closed', failures: 3 },
        healedStreak: 0, capStreak: 2, steadyScans: 0,
        flapping: { since: now - 100 * MINUTE, reason: 'held back by the hourly cap in 2 consecutive scans' },
      },
    },
    alerts: {
      keys: {
        'web/down': { failing: 24, since: now - 2 * HOUR, level: 'critical', notified: { at: now - 50 * MINUTE, channels: ['hook'], count: 2 } },
        'web/flapping': { failing: 20, since: now - 100 * MINUTE, level: 'critical', notified: { at: now - 100 * MINUTE, channels: ['hook'], count: 1 } },
      },
      outbox: [], channels: {}, silences: {}, sent: {}, dropped: 0,
    },
    metrics: { heals: {}, alertsSent: {}, alertsDropped: 0 },
  });
}

describe('a state file from before issue 12', () => {
  it('loads whole (nothing moved aside), without the old streak counters and flapping mark', async () => {
    const ws = await simWorkspace('version: 1\nservices: {}\n');
    await mkdir(ws.stateDir, { recursive: true, mode: 0o700 });
    await writeFile(join(ws.stateDir, 'state.json'), oldStateFile(ws.clock.now()), { mode: 0o600 });
    const state = await loadState(ws.stateDir, ws.logger);
    expect(state.services['web']).toMatchObject({ recent: '', breaker: { state: 'closed', failures: 3 }, failingScans: 24 });
    expect(state.services['web']).not.toHaveProperty('capStreak');
    expect(state.services['web']).not.toHaveProperty('flapping');
    expect(state.alerts.keys['web/down']).toEqual({ failing: 24, since: expect.any(Number), level: 'critical', notified: { at: expect.any(Number), channels: ['hook'], count: 2 } });
    expect(await readdir(ws.stateDir)).toEqual(['state.json']);
  });

  it('restarts a service the old mark held for good, and resolves the alerts it left open', async () => {
    const hook = await webhookReceiver(servers);
    const ws = await simWorkspace(`version: 1
${hookAlerts(hook.url, { threshold: 3 })}services:
  web:
    checks: [ { type: command, run: [test, -e, up] } ]
    restart: { type: command, run: [touch, up] }
    verify_timeout: 2s
`);
    await mkdir(ws.stateDir, { recursive: true, mode: 0o700 });
    await writeFile(join(ws.stateDir, 'state.json'), oldStateFile(ws.clock.now()), { mode: 0o600 });

    // Before: "flapping (held back by the hourly cap in 2 consecutive scans): not restarted until it stays up, or heal reset web".
    expect(await ws.scanService('web')).toMatchObject({ status: 'healed', rule: 'down' });
    expect(hook.accepted.map((n) => [n.kind, n.title])).toEqual([
      ['resolved', 'web is no longer flapping'],
      ['resolved', 'web is back up'],
    ]);
    expect(hook.accepted[1]?.detail).toBe('down for 2h; heal restarted it');
    expect(await ws.remembered('web')).toMatchObject({ recent: 'h', breaker: { state: 'closed', failures: 0 } });
    expect((await ws.remembered('web')).flapping).toBeUndefined();
  });
});
