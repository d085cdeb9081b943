import { describe, expect, it } from 'vitest';
import { encodeRecord } from '../../src/history/record.js';
import { ABSENT, historyOf, historyOfLines, statusAt } from '../../src/history/series.js';
import { MIN, rec, T0 } from './fixtures.js';

const at = (k: number) => T0 + k * 5 * MIN;

describe('the history in columns', () => {
  it('one index per scan; each service has a status and its slowest latency at every index, ABSENT where a scan did not judge it', () => {
    const history = historyOf([
      rec(at(0), { api: { status: 'up', latencyMs: [3, 9] } }, 100),
      rec(at(1), { api: { status: 'down', latencyMs: [1500], restart: 'failed', alerts: 2 }, db: { status: 'up', latencyMs: [] } }, 200),
      rec(at(2), { db: 'skipped' }, 300),
    ]);
    expect(history.t).toEqual([at(0), at(1), at(2)]);
    expect(history.durationMs).toEqual([100, 200, 300]);
    expect(history.services.get('api')).toEqual({ status: [0, 3, ABSENT], slowestMs: [9, 1500, ABSENT], restarts: new Map([[1, 'failed']]), alerts: new Map([[1, 2]]) });
    expect(history.services.get('db')).toEqual({ status: [ABSENT, 0, 4], slowestMs: [ABSENT, ABSENT, ABSENT], restarts: new Map(), alerts: new Map() });
    expect([0, 1, 2].map((i) => statusAt(history.services.get('db')!, i))).toEqual([undefined, 'up', 'skipped']);
  });

  it('scans given out of order are sorted by start; of two with one start, the later given is kept', () => {
    const history = historyOf([
      rec(at(2), { api: { status: 'up', latencyMs: [2] } }),
      rec(at(0), { api: { status: 'down', restart: 'failed', alerts: 1 } }),
      rec(at(1), { api: 'up' }),
      rec(at(0), { api: { status: 'down', restart: 'healed', alerts: 3 } }),
    ]);
    expect(history.t).toEqual([at(0), at(1), at(2)]);
    expect(history.services.get('api')).toEqual({ status: [3, 0, 0], slowestMs: [ABSENT, ABSENT, 2], restarts: new Map([[0, 'healed']]), alerts: new Map([[0, 3]]) });
  });

  it('from lines: the same columns as from the records, a line that is not one skipped, the scans before `since` left out', () => {
    const records = [
      rec(at(0), { api: { status: 'up', latencyMs: [3, 9] } }, 100),
      rec(at(1), { api: { status: 'down', latencyMs: [1500], restart: 'failed', alerts: 2 }, db: { status: 'up', latencyMs: [] } }, 200),
      rec(at(2), { db: 'skipped', api: { status: 'healed', restart: 'healed', latencyMs: [4] } }, 300),
    ];
    const lines = records.map(encodeRecord);
    expect(historyOfLines(lines)).toEqual(historyOf(records));
    expect(historyOfLines(['', lines[0]!, '{"t":1,"s":{"api":[0', '\0\0\0', lines[1]!, lines[2]!])).toEqual(historyOf(records));
    expect(historyOfLines(lines, at(1))).toEqual(historyOf(records.slice(1)));
  });
});
