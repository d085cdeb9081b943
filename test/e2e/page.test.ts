/**
 * `heal page` through the built CLI, and a hand-computed example on which `heal status --json`,
 * `heal incidents --json` and the page agree. The three commands run at one frozen instant
 * (faketime, the Debian peer: the wall clock stands still, timers still run), so "now" is the
 * same for all three and for the figures computed here by hand, on any date.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendRecord } from '../../src/history/store.js';
import { CLOSED } from '../../src/policy/breaker.js';
import { emptyState } from '../../src/state/schema.js';
import { saveState } from '../../src/state/store.js';
import { runHeal, workspace, type HealRun, type Workspace } from '../helpers/cli.js';
import { DAY, MIN, rec } from '../history/fixtures.js';

/** The frozen instant: 2026-11-22T12:00:00Z. */
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const FIRST = NOW - 120 * MIN;

const MANIFEST = `version: 1
interval: 5m
services:
  api: { checks: [ { type: port, port: 1 } ] }
  db: { checks: [ { type: port, port: 2 } ] }
`;

/**
 * 24 scans five minutes apart, the first at 10:00, the last at 11:55. api: down at 10:50 and
 * 10:55 (each restart failed), healed at 11:00 (a 2 s scan whose restart brought it back), up
 * otherwise. db: up until 11:40, down at 11:45, 11:50 and 11:55 (the last two restarted, failed).
 */
async function handExample(ws: Workspace): Promise<void> {
  for (let k = 0; k < 24; k++) {
    const t = FIRST + k * 5 * MIN;
    const api = k === 10 || k === 11 ? { status: 'down' as const, restart: 'failed' as const, alerts: k === 10 ? 1 : 0 } : k === 12 ? { status: 'healed' as const, restart: 'healed' as const, alerts: 1 } : { status: 'up' as const };
    const db = k >= 21 ? { status: 'down' as const, alerts: k === 23 ? 1 : 0, ...(k >= 22 ? { restart: 'failed' as const } : {}) } : { status: 'up' as const };
    await appendRecord(ws.stateDir, rec(t, { api: { latencyMs: [20], ...api }, db: { latencyMs: [3], ...db } }, k === 12 ? 2_000 : 150), { keepMs: 30 * DAY, now: t });
  }
  const last = FIRST + 23 * 5 * MIN;
  const service = (status: 'up' | 'down', since: number) => ({ status, since, lastScanAt: last, failingScans: status === 'down' ? 3 : 0, healthyScans: status === 'up' ? 11 : 0, checks: [], heals: [], breaker: CLOSED, recent: '' });
  await saveState(ws.stateDir, { ...emptyState(), lastScan: { startedAt: last, durationMs: 150, exitCode: 1 }, services: { api: service('up', FIRST + 60 * MIN), db: service('down', FIRST + 105 * MIN) } });
}

/** `heal ARGS…` at the frozen instant. */
function healAt(ws: Workspace, ...args: string[]): Promise<HealRun> {
  return runHeal([...args, '--config', ws.manifest, '--state-dir', ws.stateDir], { env: { TZ: 'UTC' }, clock: '2026-11-22 12:00:00' });
}

/** The uptime figures of one service's section of the page. */
function pageFigures(html: string, service: string): string[] {
  const section = new RegExp(`<h2 id="svc-${service}">[\\s\\S]*?</section>`).exec(html)?.[0] ?? '';
  return [...section.matchAll(/<dd>([^<]*)<\/dd>/g)].map((m) => m[1]!);
}

describe('heal page', () => {
  it('agrees with heal status --json and heal incidents --json on a hand-computed example', async () => {
    const ws = await workspace(MANIFEST);
    await handExample(ws);
    const out = join(ws.dir, 'site', 'index.html');
    const [status, incidents, page] = [await healAt(ws, 'status', '--json'), await healAt(ws, 'incidents', '--json'), await healAt(ws, 'page', '--out', out)];
    expect(page).toMatchObject({ code: 0, stdout: `status page written: ${out}\n`, stderr: '' });

    // api: 10 of 120 known minutes down; db: 15 of 120.
    const uptimes = Object.fromEntries((JSON.parse(status.stdout) as { services: { name: string; uptime: unknown }[] }).services.map((s) => [s.name, s.uptime]));
    expect(uptimes).toEqual({ api: { '24h': 0.916667, '7d': 0.916667, '30d': 0.916667 }, db: { '24h': 0.875, '7d': 0.875, '30d': 0.875 } });
    const html = await readFile(out, 'utf8');
    expect(pageFigures(html, 'api')).toEqual(['91.66%', '91.66%', '91.66%']);
    expect(pageFigures(html, 'db')).toEqual(['87.50%', '87.50%', '87.50%']);

    // api's incident: 10:50 to the end of the healed scan (11:00:02); db's open since 11:45.
    expect(JSON.parse(incidents.stdout)).toEqual({
      incidents: [
        { service: 'db', startedAt: '2026-11-22T11:45:00.000Z', endedAt: null, durationMs: 15 * MIN, restarts: 2, restartsFailed: 2, alerts: 1 },
        { service: 'api', startedAt: '2026-11-22T10:50:00.000Z', endedAt: '2026-11-22T11:00:02.000Z', durationMs: 10 * MIN + 2_000, restarts: 3, restartsFailed: 2, alerts: 2 },
      ],
    });
    expect(html).toContain('<li><span class="bad">Ongoing</span> since 2026-11-22 11:45 UTC (15m): 2 restarts (2 failed), 1 alert</li>');
    expect(html).toContain('<li>2026-11-22 10:50 UTC – 2026-11-22 11:00 UTC (10m2s): 3 restarts (2 failed), 2 alerts</li>');
    expect(html).toContain('Last scan: <time datetime="2026-11-22T11:55:00.000Z">2026-11-22 11:55 UTC</time>');
    // Five minutes after the last scan: not stale (three intervals are 15 minutes).
    expect(html).toContain('<p id="stale" class="warning" role="alert" hidden>');
  }, 180_000);

  it('writes the manifest’s status_page (relative to its folder) when no --out is given, 0644', async () => {
    const ws = await workspace(`${MANIFEST}status_page: public/status.html\n`);
    const run = await ws.heal('page', '--state-dir', ws.stateDir);
    const path = join(ws.dir, 'public', 'status.html');
    expect(run).toMatchObject({ code: 0, stdout: `status page written: ${path}\n`, stderr: '' });
    expect(await readFile(path, 'utf8')).toMatch(/^<!doctype html>[\s\S]*No scan has run yet\.[\s\S]*<\/html>\n$/);
    expect((await stat(path)).mode & 0o777).toBe(0o644);
  }, 120_000);

  it('with neither --out nor status_page: one usage line, exit 2', async () => {
    const ws = await workspace(MANIFEST);
    expect(await ws.heal('page', '--state-dir', ws.stateDir)).toEqual({ code: 2, stdout: '', stderr: `heal: page: no file to write: give --out FILE, or set status_page (such as status/index.html) in ${ws.manifest}\n` });
  }, 120_000);

  it('a page it cannot write is one line naming the file, exit 1', async () => {
    const ws = await workspace(MANIFEST);
    await writeFile(join(ws.dir, 'blocker'), '');
    const out = join(ws.dir, 'blocker', 'index.html');
    const run = await ws.heal('page', '--state-dir', ws.stateDir, '--out', out);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`heal: status page not written: cannot write ${out}: a part of its path is a file, not a folder; give status_page (or --out) a file in a folder heal may write\n`);
  }, 120_000);
});
