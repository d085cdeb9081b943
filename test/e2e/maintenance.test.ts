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
  // heal's clock stands still at a chosen instant (faketime), so what it says is the same on any day.
  it('lists each window with its zone (the machine\'s when it names none), services, restart and next occurrence', async () => {
    const ws = await workspace(MANIFEST, { env: { TZ: 'UTC' } });
    // A Wednesday noon, UTC: no window holds. Berlin is UTC+1 in December.
    const run = await ws.healAt('2026-12-02 12:00:00', 'maintenance', '--json');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual({
      windows: [
        { name: 'nightly-backup', every: 'daily 02:00-02:30', timezone: 'Europe/Berlin', services: ['db'], restart: false, next: { start: '2026-12-03T01:00:00.000Z', end: '2026-12-03T01:30:00.000Z' } },
        { name: 'patch-sunday', every: 'sun 03:00-05:00', timezone: 'UTC', restart: true, next: { start: '2026-12-06T03:00:00.000Z', end: '2026-12-06T05:00:00.000Z' } },
      ],
    });

    // The text gives each window's times in its own zone, to the second, the date when not today.
    const text = await ws.healAt('2026-12-02 12:00:00', 'maintenance');
    expect(text.stdout).toBe(
      'nightly-backup: daily 02:00-02:30 (Europe/Berlin) · services db · restarts and alerts held · next 2026-12-03 02:00:00 – 02:30:00\n'
        + 'patch-sunday: sun 03:00-05:00 (UTC) · all services · restarts go on, alerts held · next 2026-12-06 03:00:00 – 05:00:00\n',
    );
  });

  it('says which window holds now and until when', async () => {
    const ws = await workspace(MANIFEST, { env: { TZ: 'UTC' } });
    // 02:10 in Berlin: inside nightly-backup.
    const run = await ws.healAt('2026-12-03 01:10:00', 'maintenance', '--json');
    const { windows } = JSON.parse(run.stdout) as { windows: { name: string; activeUntil?: string }[] };
    expect(windows.map((w) => [w.name, w.activeUntil])).toEqual([['nightly-backup', '2026-12-03T01:30:00.000Z'], ['patch-sunday', undefined]]);
    const text = await ws.healAt('2026-12-03 01:10:00', 'maintenance');
    expect(text.stdout).toMatch(/^nightly-backup: .* · ACTIVE until 02:30:00$/m);
    expect(text.stdout).toMatch(/^patch-sunday: .* · next 2026-12-06 03:00:00 – 05:00:00$/m);
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
