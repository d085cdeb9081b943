/**
 * The history through the real `scan()` over simulated days (issue 17): every full scan appends
 * its line, the days before are compressed and those past `history.keep` deleted, and the uptime
 * and incidents `heal status` and `heal incidents` give come out of it as the scans went. Hourly
 * scans from SIM_T0 (2026-11-22 12:00 UTC); api is up while the file `api-up` exists, and its
 * restart brings it back only while `fixable` exists.
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { incidents } from '../../src/history/incidents.js';
import { statusAt } from '../../src/history/series.js';
import { historyDir, readHistory } from '../../src/history/store.js';
import { statusHistorySince, withHistory } from '../../src/history/summary.js';
import { statusView } from '../../src/status/view.js';
import { HOUR, simWorkspace, type SimWorkspace } from '../helpers/sim.js';

const MANIFEST = `version: 1
interval: 1h
history: { keep: 2d }
defaults: { cooldown: 0s, verify_timeout: 1s, retry_delay: 100ms }
services:
  api:
    checks: [ { type: command, run: [test, -e, api-up] } ]
    restart: { type: command, run: [sh, -c, "echo restart >> restarts.txt; if test -e fixable; then touch api-up; fi"] }
  db:
    checks: [ { type: command, run: ["true"] } ]
`;

const set = (ws: SimWorkspace, file: string, on: boolean) => (on ? writeFile(join(ws.dir, file), '') : rm(join(ws.dir, file), { force: true }));

describe('the history of full scans', () => {
  it('over three days: written, compressed and pruned by keep; uptime and incidents as the scans went', async () => {
    const ws = await simWorkspace(MANIFEST);
    const starts: number[] = [];
    const statuses: string[] = [];
    const alertsOf: number[] = [];
    /** Scans k = from … to - 1, one an hour, with api up or down. */
    const hourly = async (from: number, to: number, apiUp: boolean, fixable = false) => {
      await set(ws, 'api-up', apiUp);
      await set(ws, 'fixable', fixable);
      for (let k = from; k < to; k++) {
        const before = ws.clock.now();
        const report = await ws.scan();
        starts.push(Date.parse(report.startedAt));
        const api = report.services.find((s) => s.name === 'api')!;
        statuses.push(api.status);
        alertsOf.push(api.alerts?.length ?? 0);
        ws.clock.advance(HOUR - (ws.clock.now() - before));
      }
    };
    await hourly(0, 24, true); //                 11-22 12:00 – 11-23 11:00
    await hourly(24, 27, false); //               11-23 12:00 – 14:00: down, each restart fails
    await hourly(27, 48, true); //                back on its own at 15:00
    await hourly(48, 49, false, true); //         11-24 12:00: found down, a restart brings it back
    await hourly(49, 70, true);
    await hourly(70, 72, false); //               11-25 10:00 – 11:00: down, still
    expect(statuses.slice(23, 29)).toEqual(['up', 'down', 'down', 'down', 'up', 'up']);
    expect(statuses.slice(47, 50)).toEqual(['up', 'healed', 'up']);
    expect(statuses.slice(69)).toEqual(['up', 'down', 'down']);

    // Day 11-22 ended more than 2 days before the first scan of 11-25 (00:00): gone; the others compressed, each with its columns.
    expect((await readdir(historyDir(ws.stateDir))).sort()).toEqual(['2026-11-23.cols.json.gz', '2026-11-23.jsonl.gz', '2026-11-24.cols.json.gz', '2026-11-24.jsonl.gz', '2026-11-25.jsonl']);
    const { history, problems } = await readHistory(ws.stateDir);
    expect(problems).toEqual([]);
    expect(history.t).toEqual(starts.slice(12));
    const api = history.services.get('api')!;
    expect([statusAt(api, 24 - 12), api.restarts.get(24 - 12), api.alerts.get(24 - 12)]).toEqual(['down', 'failed', undefined]);
    expect([statusAt(api, 48 - 12), api.restarts.get(48 - 12)]).toEqual(['healed', 'healed']);
    expect(api.slowestMs.every((ms) => ms >= 0)).toBe(true);

    const now = ws.clock.now();
    const sum = (from: number, to: number) => alertsOf.slice(from, to).reduce((a, b) => a + b, 0);
    expect(incidents(history, now).reverse()).toEqual([
      { service: 'api', startedAt: starts[70], endedAt: null, durationMs: now - starts[70]!, restarts: 2, restartsFailed: 2, alerts: sum(70, 72) },
      { service: 'api', startedAt: starts[48], endedAt: starts[48]! + history.durationMs[48 - 12]!, durationMs: history.durationMs[48 - 12], restarts: 1, restartsFailed: 0, alerts: sum(48, 49) },
      { service: 'api', startedAt: starts[24], endedAt: starts[27], durationMs: starts[27]! - starts[24]!, restarts: 3, restartsFailed: 3, alerts: sum(24, 28) },
    ]);
    // The down notice at the third failing scan and the resolved one; the healed notice.
    expect([sum(24, 28), sum(48, 49)]).toEqual([2, 1]);

    const loaded = await ws.load();
    const view = withHistory(statusView(loaded, await ws.state(), now), (await readHistory(ws.stateDir, { since: statusHistorySince(now, loaded.manifest.interval) })).history, now);
    const shown = view.services.find((s) => s.name === 'api')!;
    // Now is an hour after the last scan (11-25 12:00). 24 h: down since 10:00; 7 d and 30 d: down
    // 3 + 2 of the 60 hours kept (from 11-23 00:00), the healed scan counting as up.
    expect(shown.uptime['24h']).toBeCloseTo(22 / 24, 3);
    expect(shown.uptime['7d']).toBeCloseTo(55 / 60, 3);
    expect(shown.uptime['30d']).toBeCloseTo(55 / 60, 3);
    expect(shown.recentLatencyMs).toHaveLength(24);
    expect(view.services.find((s) => s.name === 'db')).toMatchObject({ uptime: { '24h': 1, '7d': 1, '30d': 1 } });
  }, 120_000);

  it('a dry run and a scan with --only write no line', async () => {
    const ws = await simWorkspace(MANIFEST);
    await set(ws, 'api-up', true);
    await ws.scan({ dryRun: true });
    await ws.scan({ only: ['api'] });
    expect((await readHistory(ws.stateDir)).history.t).toEqual([]);
    await ws.scan();
    expect((await readHistory(ws.stateDir)).history.t).toHaveLength(1);
  });
});
