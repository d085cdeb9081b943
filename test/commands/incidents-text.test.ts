/** `heal incidents`' text: local time to the second, the date only off today, columns aligned. */
import { describe, expect, it } from 'vitest';
import { formatIncidents } from '../../src/commands/incidents.js';
import type { Incident } from '../../src/history/incidents.js';

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
const crossingMidnight: Incident = { service: 'api', startedAt: Date.UTC(2026, 11, 1, 23, 59, 30, 700), endedAt: Date.UTC(2026, 11, 2, 0, 4, 30, 200), durationMs: 299_500, restarts: 2, restartsFailed: 1, alerts: 1 };
const open: Incident = { service: 'db', startedAt: Date.UTC(2026, 11, 2, 11, 59, 0), endedAt: null, durationMs: 60_000, restarts: 0, restartsFailed: 0, alerts: 0 };

describe('heal incidents, as text', () => {
  it('gives times to the second in the zone asked, the date only for another day than now\'s, in aligned columns', () => {
    expect(formatIncidents([open, crossingMidnight], NOW, 'UTC')).toBe(
      'db   11:59:00 – ongoing                  1m  no restart · 0 alerts\n'
        + 'api  2026-12-01 23:59:30 – 00:04:30      5m  2 restarts (1 failed) · 1 alert\n',
    );
  });

  it('reads the same instants in another zone: New York is five hours behind in December', () => {
    expect(formatIncidents([crossingMidnight], NOW, 'America/New_York')).toBe('api  2026-12-01 18:59:30 – 2026-12-01 19:04:30      5m  2 restarts (1 failed) · 1 alert\n');
  });
});
