import { describe, expect, it } from 'vitest';
import { incidents, incidentsSince, type Incident } from '../../src/history/incidents.js';
import type { HistoryRecord } from '../../src/history/record.js';
import { historyOf } from '../../src/history/series.js';
import { HOUR, MIN, rec, SEC, T0 } from './fixtures.js';

// Fixed instants only. Scans every 5 minutes from T0; `at(k)` is the k-th.
const at = (k: number) => T0 + k * 5 * MIN;
const NOW = at(100);
const failed = { status: 'down', restart: 'failed' } as const;
const incident = (startedAt: number, endedAt: number | null, more: Partial<Incident> = {}): Incident => ({
  service: 'api',
  startedAt,
  endedAt,
  durationMs: (endedAt ?? NOW) - startedAt,
  restarts: 0,
  restartsFailed: 0,
  alerts: 0,
  ...more,
});

describe('incidents: from the first failing scan to the first healthy one', () => {
  it.each<[string, HistoryRecord[], Incident[]]>([
    ['none while it answers (up, degraded, skipped)', [rec(at(0), { api: 'up' }), rec(at(1), { api: 'degraded' }), rec(at(2), { api: 'skipped' })], []],
    ['closed: down twice (one restart failed, one held back), then up', [
      rec(at(0), { api: 'up' }),
      rec(at(1), { api: { ...failed, alerts: 1 } }),
      rec(at(2), { api: 'down' }),
      rec(at(3), { api: { status: 'up', alerts: 1 } }),
    ], [incident(at(1), at(3), { restarts: 1, restartsFailed: 1, alerts: 2 })]],
    ['open: still down at the last scan, lasting until now', [rec(at(0), { api: 'up' }), rec(at(1), { api: failed }), rec(at(2), { api: { ...failed, alerts: 1 } })], [
      incident(at(1), null, { restarts: 2, restartsFailed: 2, alerts: 1 }),
    ]],
    ['healed in one scan: an incident of its own, ending with that scan', [rec(at(0), { api: 'up' }), rec(at(1), { api: { status: 'healed', restart: 'healed', alerts: 1 } }, 4 * SEC), rec(at(2), { api: 'up' })], [
      incident(at(1), at(1) + 4 * SEC, { restarts: 1, alerts: 1 }),
    ]],
    ['down, then healed: ends at the end of the healing scan', [rec(at(1), { api: failed }), rec(at(2), { api: { status: 'healed', restart: 'healed' } }, 3 * SEC)], [
      incident(at(1), at(2) + 3 * SEC, { restarts: 2, restartsFailed: 1 }),
    ]],
    ['skipped scans and scans without the service neither end nor start one; degraded ends it', [
      rec(at(1), { api: 'down' }),
      rec(at(2), { api: 'skipped' }),
      rec(at(3), { db: 'up' }),
      rec(at(4), { api: 'degraded' }),
      rec(at(5), { api: 'skipped' }),
    ], [incident(at(1), at(4))]],
    ['a gap with no scan does not end it', [rec(at(1), { api: 'down' }), rec(at(1) + 3 * HOUR, { api: 'up' })], [incident(at(1), at(1) + 3 * HOUR)]],
    ['a restart of a healthy service (with its parent) is no incident', [rec(at(1), { api: { status: 'up', restart: 'healed' } })], []],
    ['several, oldest first', [
      rec(at(1), { api: 'down' }),
      rec(at(2), { api: 'up' }),
      rec(at(3), { api: { status: 'healed', restart: 'healed' } }),
      rec(at(4), { api: 'down', db: 'down' }),
      rec(at(5), { api: 'up', db: 'up' }),
    ], [
      incident(at(1), at(2)),
      incident(at(3), at(3), { restarts: 1 }),
      incident(at(4), at(5)),
      incident(at(4), at(5), { service: 'db' }),
    ]],
  ])('%s', (_case, records, expected) => {
    expect(incidents(historyOf(records), NOW)).toEqual(expected);
  });

  it('of one service only', () => {
    const history = historyOf([rec(at(1), { api: 'down', db: 'down' }), rec(at(2), { api: 'up' })]);
    expect(incidents(history, NOW, 'db')).toEqual([incident(at(1), null, { service: 'db' })]);
    expect(incidents(history, NOW, 'nope')).toEqual([]);
  });

  it('since a time: the open ones and those that ended then or later', () => {
    const all = [incident(at(1), at(2)), incident(at(3), at(5)), incident(at(6), null)];
    expect(incidentsSince(all, at(4))).toEqual([incident(at(3), at(5)), incident(at(6), null)]);
    expect(incidentsSince(all, at(5))).toEqual([incident(at(3), at(5)), incident(at(6), null)]);
    expect(incidentsSince(all, at(0))).toEqual(all);
    expect(incidentsSince(all, NOW)).toEqual([incident(at(6), null)]);
  });
});
