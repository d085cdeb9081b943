import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, recordOfScan } from '../../src/history/record.js';
import type { ServiceReport } from '../../src/scan/report.js';
import { rec, T0 } from './fixtures.js';

const service = (name: string, status: ServiceReport['status'], latencies: number[], alerts = 0): ServiceReport => ({
  name,
  status,
  rule: 'healthy',
  checks: latencies.map((latencyMs, i) => ({ name: `c${i}`, type: 'port', ok: status !== 'down', latencyMs })),
  ...(alerts ? { alerts: Array.from({ length: alerts }, (_, i) => ({ id: `n${i}`, kind: 'down' as const, level: 'critical' as const, channels: ['log'] })) } : {}),
});

describe('the history line', () => {
  it('is one short JSON line: status code and latencies per service, restarts and alerts only when there are any', () => {
    const record = recordOfScan(T0, { durationMs: 212.4, services: [service('api', 'up', [12.4, 3.6]), service('db', 'down', [1500], 2), service('cache', 'skipped', [])] }, new Map([['db', 'failed' as const]]));
    expect(encodeRecord(record)).toBe(`{"t":${T0},"d":212,"s":{"api":[0,12,4],"db":[3,1500],"cache":[4]},"r":{"db":2},"a":{"db":2}}`);
    const healthy = recordOfScan(T0, { durationMs: 5, services: [service('api', 'up', [1])] }, new Map());
    expect(encodeRecord(healthy)).toBe(`{"t":${T0},"d":5,"s":{"api":[0,1]}}`);
  });

  it.each(['up', 'healed', 'degraded', 'down', 'skipped'] as const)('reads back what it wrote: %s', (status) => {
    // A service named like an Object property is data like any other.
    const record = rec(T0, { api: { status, latencyMs: [7, 0], ...(status === 'healed' ? { restart: 'healed' } : {}), alerts: status === 'down' ? 3 : 0 }, constructor: 'up' as const }, 99);
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
  });

  it.each([
    ['a torn line', `{"t":${T0},"d":5,"s":{"api":[0,1`],
    ['zeros left by a power cut', '\0\0\0\0'],
    ['not an object', '[1,2]'],
    ['no time', '{"d":5,"s":{}}'],
    ['no services', `{"t":${T0}}`],
    ['an empty line', ''],
  ])('a line that is not a record is none: %s', (_case, line) => {
    expect(decodeRecord(line)).toBeUndefined();
  });

  it('skips a service entry it cannot read, keeps the rest', () => {
    const back = decodeRecord(`{"t":${T0},"d":1,"s":{"api":[0,5],"bad":[9,1],"worse":"up","neg":[0,-1],"db":[3]},"r":{"db":7},"a":{"db":"x"}}`);
    expect([...(back?.services.keys() ?? [])]).toEqual(['api', 'db']);
    expect(back?.services.get('db')).toEqual({ status: 'down', latencyMs: [], alerts: 0 });
  });
});
