/**
 * `heal incidents` and the history in `heal status`, through the built CLI on real scans (the
 * real clock: the scans and the commands run one after another, so their times are in order).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, workspace, type Workspace } from '../helpers/cli.js';

/** svc is up while the file `up` exists; its restart only counts itself. */
const MANIFEST = `version: 1
defaults: { cooldown: 0s, verify_timeout: 300ms, retry_delay: 100ms }
alerts:
  levels:
    critical: { threshold: 1, cooldown: 0s, channels: [log] }
services:
  svc:
    checks: [ { type: command, run: [test, -e, up] } ]
    restart: { type: command, run: [sh, -c, "echo restart >> restarts.log"] }
  other:
    checks: [ { type: command, run: ["true"] } ]
`;

type IncidentJson = { service: string; startedAt: string; endedAt: string | null; durationMs: number; restarts: number; restartsFailed: number; alerts: number };

/** Scans with svc down, up, then down again: one closed incident and one open. */
async function twoIncidents(): Promise<{ ws: Workspace; starts: number[] }> {
  const ws = await workspace(MANIFEST);
  const starts: number[] = [];
  for (const up of [true, false, false, true, false]) {
    await (up ? writeFile(join(ws.dir, 'up'), '') : rm(join(ws.dir, 'up'), { force: true }));
    const run = await ws.heal('scan', '--json');
    expect(run.code, run.stderr).toBe(up ? 0 : 1);
    starts.push(Date.parse((JSON.parse(run.stdout) as { startedAt: string }).startedAt));
  }
  return { ws, starts };
}

describe('heal incidents', () => {
  it('lists the incidents newest first, the open one without an end, with their restarts and alerts', async () => {
    const { ws, starts } = await twoIncidents();
    const run = await ws.heal('incidents', '--json');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const { incidents } = JSON.parse(run.stdout) as { incidents: IncidentJson[] };
    // Threshold 1, cooldown 0s: the down notice, a reminder on the next scan, the resolved notice.
    expect(incidents).toEqual([
      { service: 'svc', startedAt: new Date(starts[4]!).toISOString(), endedAt: null, durationMs: expect.any(Number), restarts: 1, restartsFailed: 1, alerts: 1 },
      { service: 'svc', startedAt: new Date(starts[1]!).toISOString(), endedAt: new Date(starts[3]!).toISOString(), durationMs: starts[3]! - starts[1]!, restarts: 2, restartsFailed: 2, alerts: 3 },
    ]);

    const text = await ws.heal('incidents');
    expect(text.code).toBe(0);
    // Local time to the second (the date too when not today), never ISO with milliseconds.
    const at = String.raw`(?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d`;
    expect(text.stdout.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(new RegExp(`^svc  ${at} – ongoing +\\S+  1 restart \\(1 failed\\) · 1 alert$`)),
      expect.stringMatching(new RegExp(`^svc  ${at} – ${at} +\\S+  2 restarts \\(2 failed\\) · 3 alerts$`)),
    ]);

    expect(JSON.parse((await ws.heal('incidents', '--service', 'other', '--json')).stdout)).toEqual({ incidents: [] });
    expect((await ws.heal('incidents', '--service', 'other')).stdout).toBe('no incidents of other in the history (kept 30d)\n');
    expect(JSON.parse((await ws.heal('incidents', '--service', 'svc', '--since', '1d', '--json')).stdout).incidents).toHaveLength(2);
    // --since 1ms: only the open one is open in the last moment.
    expect(JSON.parse((await ws.heal('incidents', '--since', '1ms', '--json')).stdout).incidents).toMatchObject([{ endedAt: null }]);
  });

  it.each([
    [['--service', 'nope'], 'heal: --service nope: no service of that name in the manifest or in the history\n'],
    [['--since', '7x'], 'heal: --since 7x: not a duration; say how far back, such as 7d, 24h or 30m\n'],
    [['--since', 'week'], 'heal: --since week: not a duration; say how far back, such as 7d, 24h or 30m\n'],
  ])('a bad flag %j is one line and exit 2', async (args, line) => {
    const ws = await workspace(MANIFEST);
    expect(await ws.heal('incidents', ...args)).toMatchObject({ code: 2, stdout: '', stderr: line });
  });

  it('with no history yet: none, exit 0', async () => {
    const ws = await workspace(MANIFEST);
    expect(await ws.heal('incidents', '--since', '7d')).toMatchObject({ code: 0, stdout: 'no incidents in the last 7d (kept 30d)\n' });
  });
});

describe('heal status from the history', () => {
  it('gives each service its uptime (--json: 0–1 per window; text: percentages) and, on a terminal only, a latency sparkline', async () => {
    const { ws } = await twoIncidents();
    const json = await ws.heal('status', '--json');
    expect(json.code, json.stderr).toBe(0);
    const services = (JSON.parse(json.stdout) as { services: { name: string; uptime: Record<string, number | null>; recentLatencyMs: number[] }[] }).services;
    const svc = services.find((s) => s.name === 'svc')!;
    expect(Object.keys(svc.uptime)).toEqual(['24h', '7d', '30d']);
    expect(svc.uptime['24h']).toBeGreaterThan(0);
    expect(svc.uptime['24h']).toBeLessThan(1);
    expect(svc.uptime['30d']).toBe(svc.uptime['24h']);
    expect(svc.recentLatencyMs).toHaveLength(5);
    expect(services.find((s) => s.name === 'other')?.uptime).toEqual({ '24h': 1, '7d': 1, '30d': 1 });

    const text = await ws.heal('status');
    expect(text.stdout).toMatch(/^other +up for .* · uptime 100\.00% 24h, 100\.00% 7d, 100\.00% 30d$/m);
    expect(text.stdout).toMatch(/^svc +down for .* · uptime \d+\.\d\d% 24h, \d+\.\d\d% 7d, \d+\.\d\d% 30d$/m);
    expect(text.stdout).not.toMatch(/[▁▂▃▄▅▆▇█]/);
  });

  it.runIf(existsSync('/usr/bin/script'))('draws the sparkline when stdout is a terminal (under script(1))', async () => {
    const { ws } = await twoIncidents();
    const command = [process.execPath, CLI, 'status', '--config', ws.manifest, '--state-dir', ws.stateDir].map((a) => `'${a}'`).join(' ');
    const stdout = await new Promise<string>((resolve) => execFile('/usr/bin/script', ['-qec', command, '/dev/null'], { env: { ...process.env, HOME: join(ws.dir, 'home') } }, (_e, out) => resolve(out)));
    // On a terminal the status word is coloured: compare what shows.
    expect(stdout.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/^other +up for .* · latency [▁▂▃▄▅▆▇█]{5} \S+\r?$/m);
  });
});
