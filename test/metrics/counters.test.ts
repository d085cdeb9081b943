import { describe, expect, it } from 'vitest';
import { countHeals, emptyMetricsCounters, healCounterKey, parseHealCounterKey, type HealCount } from '../../src/metrics/counters.js';
import { metricsCountersSchema } from '../../src/metrics/counters-schema.js';

describe('heal counters', () => {
  it.each<[string, Record<string, number>, HealCount[], Record<string, number>]>([
    ['a scan without heals changes nothing', { 'api/failed': 2 }, [], { 'api/failed': 2 }],
    ['a first heal starts at one', {}, [{ service: 'api', result: 'healed' }], { 'api/healed': 1 }],
    ['a failed heal adds to failed only', { 'api/healed': 4 }, [{ service: 'api', result: 'failed' }], { 'api/healed': 4, 'api/failed': 1 }],
    [
      'each service counts its own',
      { 'db/healed': 1 },
      [
        { service: 'api', result: 'failed' },
        { service: 'db', result: 'healed' },
      ],
      { 'db/healed': 2, 'api/failed': 1 },
    ],
  ])('%s', (_, before, heals, after) => {
    expect(countHeals({ heals: before }, heals)).toEqual({ heals: after });
  });

  it('leaves the counters it was given untouched', () => {
    const before = { heals: { 'api/healed': 1 } };
    countHeals(before, [{ service: 'api', result: 'healed' }]);
    expect(before).toEqual({ heals: { 'api/healed': 1 } });
  });

  it('starts from nothing when the state has no counters yet', () => {
    expect(countHeals(undefined, [{ service: 'api', result: 'failed' }])).toEqual({ heals: { 'api/failed': 1 } });
  });

  it('parses an empty object (a state written before a counter existed) as empty counters', () => {
    expect(metricsCountersSchema.parse({})).toEqual(emptyMetricsCounters());
  });

  it.each([-1, 1.5, 'x'])('refuses a counter of %s', (value) => {
    expect(metricsCountersSchema.safeParse({ heals: { 'api/healed': value } }).success).toBe(false);
  });

  it.each([
    ['api/healed', { service: 'api', result: 'healed' }],
    ['boss.api-2/failed', { service: 'boss.api-2', result: 'failed' }],
    ['api/other', undefined],
    ['/healed', undefined],
    ['api', undefined],
  ])('reads the key %s', (key, parsed) => {
    expect(parseHealCounterKey(key)).toEqual(parsed);
    if (parsed) expect(healCounterKey(parsed.service, parsed.result as 'healed' | 'failed')).toBe(key);
  });
});
