import { describe, expect, it } from 'vitest';
import type { HistoryRecord } from '../../src/history/record.js';
import { historyOf } from '../../src/history/series.js';
import { formatShare, recentLatencies, sparkline } from '../../src/history/summary.js';
import { knownSpans, uptime, uptimeBetween } from '../../src/history/uptime.js';
import { DAY, every, HOUR, MIN, rec, T0 } from './fixtures.js';

// Fixed instants only (the suite also runs under faketime). The schedule runs every 5 minutes, so
// a scan holds at most 10 minutes.
const INTERVAL = 5 * MIN;
const N = T0 + 30 * DAY;
const up = 'up' as const;
const down = 'down' as const;

describe('uptime over 24 h, 7 d and 30 d', () => {
  it.each<[string, HistoryRecord[], [number | null, number | null, number | null]]>([
    ['up every 5 minutes for 30 days', every(5 * MIN, T0, N, 'api', up), [1, 1, 1]],
    ['down for the last 6 of 24 hours known', [...every(5 * MIN, N - DAY, N - 6 * HOUR, 'api', up), ...every(5 * MIN, N - 6 * HOUR, N, 'api', down)], [0.75, 0.75, 0.75]],
    ['healed and degraded answered: up', [...every(5 * MIN, N - DAY, N - 12 * HOUR, 'api', 'healed'), ...every(5 * MIN, N - 12 * HOUR, N, 'api', 'degraded')], [1, 1, 1]],
    ['skipped is unknown, not down: 12 h skipped, 12 h up', [...every(5 * MIN, N - DAY, N - 12 * HOUR, 'api', 'skipped'), ...every(5 * MIN, N - 12 * HOUR, N, 'api', up)], [1, 1, 1]],
    ['weighted by the time between scans: up 8 min, down 2 min, up 10 min', [rec(N - 20 * MIN, { api: up }), rec(N - 12 * MIN, { api: down }), rec(N - 10 * MIN, { api: up })], [0.9, 0.9, 0.9]],
    ['a gap counts as unknown: each scan holds 2 intervals at most', [rec(N - 60 * MIN, { api: up }), rec(N - 30 * MIN, { api: down })], [0.5, 0.5, 0.5]],
    ['the last scan holds until now, not past 2 intervals', [rec(N - 20 * MIN, { api: down }), rec(N - 3 * MIN, { api: up })], [3 / 13, 3 / 13, 3 / 13]],
    ['a scan before the window holds into it until the next', [rec(N - DAY - 2 * MIN, { api: down }), ...every(5 * MIN, N - DAY + 3 * MIN, N, 'api', up)], [1 - 3 / 1440, 1437 / 1442, 1437 / 1442]],
    ['down for an hour 8 days ago: only the 30 d window sees it', [...every(5 * MIN, N - 30 * DAY, N - 8 * DAY, 'api', up), ...every(5 * MIN, N - 8 * DAY, N - 8 * DAY + HOUR, 'api', down), ...every(5 * MIN, N - 8 * DAY + HOUR, N, 'api', up)], [1, 1, 1 - 1 / 720]],
    ['down 3 days ago for a day: 24 h clean, 7 d and 30 d not', [...every(5 * MIN, N - 30 * DAY, N - 3 * DAY, 'api', up), ...every(5 * MIN, N - 3 * DAY, N - 2 * DAY, 'api', down), ...every(5 * MIN, N - 2 * DAY, N, 'api', up)], [1, 6 / 7, 29 / 30]],
    ['only the last 2 hours known', every(5 * MIN, N - 2 * HOUR, N, 'api', up), [1, 1, 1]],
    ['nothing known: null', [], [null, null, null]],
    ['only skipped scans: null', every(5 * MIN, N - HOUR, N, 'api', 'skipped'), [null, null, null]],
    ['another service only: null', every(5 * MIN, N - HOUR, N, 'db', up), [null, null, null]],
    ['known only more than 24 h ago: null for 24 h', every(5 * MIN, N - 3 * DAY, N - 2 * DAY, 'api', down), [null, 0, 0]],
    ['a scan from the future (the clock was set back) counts nothing past now', [rec(N - 10 * MIN, { api: up }), rec(N + HOUR, { api: down })], [1, 1, 1]],
  ])('%s', (_case, records, [day, week, month]) => {
    const got = uptime(historyOf(records), 'api', N, INTERVAL);
    const close = (value: number | null) => (value === null ? null : expect.closeTo(value, 9));
    expect(got).toEqual({ '24h': close(day), '7d': close(week), '30d': close(month) });
  });

  it('a service the scan did not judge (disabled) leaves that time unknown', () => {
    const records = [rec(N - 30 * MIN, { api: up, db: up }), rec(N - 25 * MIN, { db: up }), rec(N - 20 * MIN, { api: down, db: up })];
    expect(knownSpans(historyOf(records), 'api', N, INTERVAL)).toEqual([
      { from: N - 30 * MIN, to: N - 25 * MIN, up: true },
      { from: N - 20 * MIN, to: N - 10 * MIN, up: false },
    ]);
    expect(uptimeBetween(knownSpans(historyOf(records), 'api', N, INTERVAL), N - HOUR, N)).toBeCloseTo(1 / 3, 9);
  });

  it('uptimeBetween cuts the spans at both ends of the window', () => {
    const spans = [{ from: 0, to: 100, up: true }, { from: 100, to: 200, up: false }];
    expect(uptimeBetween(spans, 50, 150)).toBe(0.5);
    expect(uptimeBetween(spans, 90, 200)).toBeCloseTo(10 / 110, 12);
    expect(uptimeBetween(spans, 200, 300)).toBeNull();
  });
});

describe('what heal status draws', () => {
  it.each([
    [1, '100.00%'],
    [0.9965, '99.65%'],
    [0.99999, '99.99%'],
    [0.5, '50.00%'],
    [0, '0.00%'],
    [null, 'n/a'],
  ])('formatShare(%s) is %s: cut, never rounded up to 100%%', (share, shown) => {
    expect(formatShare(share)).toBe(shown);
  });

  it.each([
    [[], ''],
    [[0, 0, 0], '▁▁▁'],
    [[10, 20, 40, 80], '▂▃▅█'],
    [[1, 2, 3, 4, 5, 6, 7, 8], '▂▃▄▅▆▇██'],
    [[100, 100], '██'],
  ])('sparkline(%j) is %s (bars from 0 to the largest)', (values, drawn) => {
    expect(sparkline(values)).toBe(drawn);
  });

  it('recentLatencies takes the slowest check of each of the last scans that ran one, oldest first', () => {
    const records = [
      rec(T0, { api: { status: up, latencyMs: [5, 9] } }),
      rec(T0 + MIN, { api: { status: 'skipped', latencyMs: [] } }),
      rec(T0 + 2 * MIN, { db: up }),
      rec(T0 + 3 * MIN, { api: { status: down, latencyMs: [3000, 1] } }),
      rec(T0 + 4 * MIN, { api: { status: up, latencyMs: [7] } }),
    ];
    const history = historyOf(records);
    expect(recentLatencies(history, 'api')).toEqual([9, 3000, 7]);
    expect(recentLatencies(history, 'api', 2)).toEqual([3000, 7]);
    expect(recentLatencies(history, 'nope')).toEqual([]);
  });
});
