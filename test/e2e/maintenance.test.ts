/** `heal maintenance` and the manifest's `maintenance:` block through the built CLI. */
import { describe, expect, it } from 'vitest';
import { workspace } from '../helpers/cli.js';

const MANIFEST = `version: 1
maintenance:
  nightly-backup: { every: "daily 02:00-02:30", timezone: Europe/Berlin, services: [db] }
  patch-sunday:   { every: "sun 03:00-05:00", restart: true }
services:
  db: { checks: [ { type: port, port: 1 } ] }
  api: { checks: [ { type: port, port: 2 } ] }
`;

describe('heal maintenance', () => {
  it('lists each window with its zone (the machine\'s when it names none), services, restart and next occurrence', async () => {
    const ws = await workspace(MANIFEST, { env: { TZ: 'UTC' } });
    const before = Date.now();
    const run = await ws.heal('maintenance', '--json');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const { windows } = JSON.parse(run.stdout) as { windows: { name: string; every: string; timezone: string; services?: string[]; restart: boolean; next: { start: string; end: string } }[] };
    expect(windows.map(({ next: _next, ...w }) => w)).toEqual([
      { name: 'nightly-backup', every: 'daily 02:00-02:30', timezone: 'Europe/Berlin', services: ['db'], restart: false },
      { name: 'patch-sunday', every: 'sun 03:00-05:00', timezone: 'UTC', restart: true },
    ]);
    for (const w of windows) {
      expect(Date.parse(w.next.start)).toBeGreaterThan(before);
      expect(Date.parse(w.next.end) - Date.parse(w.next.start)).toBe(w.name === 'patch-sunday' ? 2 * 3_600_000 : 30 * 60_000);
    }
    expect(new Date(windows[1]!.next.start).getUTCDay()).toBe(0);

    const text = await ws.heal('maintenance');
    expect(text.stdout).toMatch(/^nightly-backup: daily 02:00-02:30 \(Europe\/Berlin\) · services db · restarts and alerts held · (next|ACTIVE until) /m);
    expect(text.stdout).toMatch(/^patch-sunday: sun 03:00-05:00 \(UTC\) · all services · restarts go on, alerts held · (next|ACTIVE until) /m);
  });

  it('says so when there are none', async () => {
    const ws = await workspace('version: 1\nservices:\n  db: { checks: [ { type: port, port: 1 } ] }\n');
    expect(await ws.heal('maintenance')).toMatchObject({ code: 0, stdout: 'no maintenance windows (add them under maintenance: in the manifest)\n' });
  });

  it('heal validate explains each misuse in one line, exit 2', async () => {
    const ws = await workspace(`version: 1
maintenance:
  a: { every: "dayly 02:00-02:30" }
  b: { every: "mon 25:00-26:00" }
  c: { every: "sun 03:00-03:00" }
  d: { every: "sun 03:00-05:00", timezone: Mars/Olympus }
  f: { every: "sun 03:00-05:00", restrat: true }
services:
  db: { checks: [ { type: port, port: 1 } ] }
`);
    const run = await ws.heal('validate');
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines.slice(0, -1)).toEqual([
      'maintenance.a.every: unknown day "dayly" (days are mon, tue, wed, thu, fri, sat, sun, or daily) (line 3)',
      'maintenance.b.every: 25:00 is not a time of day (00:00–23:59) (line 4)',
      'maintenance.c.every: a window cannot start and end at 03:00 (give it a length, such as 03:00-04:00) (line 5)',
      'maintenance.d.timezone: unknown time zone: use an IANA name such as Europe/Berlin, America/New_York or UTC (line 6)',
      'maintenance.f.restrat: unknown key: did you mean restart? (line 7)',
    ]);
    expect(lines.at(-1)).toBe('heal: the manifest is invalid (5 problems)');

    // Names are checked once the manifest's shape is right, like depends_on.
    await ws.write('version: 1\nmaintenance:\n  e: { every: "sun 03:00-05:00", services: [db, nope] }\nservices:\n  db: { checks: [ { type: port, port: 1 } ] }\n');
    expect(await ws.heal('validate')).toMatchObject({ code: 2, stderr: 'maintenance.e.services[1]: no service named "nope" (line 3)\nheal: the manifest is invalid (1 problem)\n' });
  });
});
