import { describe, expect, it } from 'vitest';
import { HEAL_MEMORY_MS, recordService } from '../../src/state/record.js';
import type { ServiceState } from '../../src/state/schema.js';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const up = { healthy: true, checks: [{ name: 'port 127.0.0.1:1', ok: true, latencyMs: 1 }] };
const down = { healthy: false, checks: [{ name: 'port 127.0.0.1:1', ok: false, latencyMs: 1, error: 'connection refused' }] };

describe('recordService', () => {
  it('starts a new service at the status it was seen in', () => {
    expect(recordService(undefined, down, NOW)).toEqual({
      status: 'down', since: NOW, lastScanAt: NOW, failingScans: 1, healthyScans: 0, checks: down.checks, heals: [],
    });
  });

  it('keeps "since" while the status holds and counts consecutive scans', () => {
    const first = recordService(undefined, down, NOW);
    const second = recordService(first, down, NOW + 300_000);
    expect(second).toMatchObject({ status: 'down', since: NOW, failingScans: 2, healthyScans: 0 });
  });

  it('moves "since" and resets the other counter when the status changes', () => {
    const wasDown = recordService(recordService(undefined, down, NOW), down, NOW + 1);
    expect(recordService(wasDown, up, NOW + 2)).toMatchObject({ status: 'up', since: NOW + 2, failingScans: 0, healthyScans: 1 });
  });

  it('appends the heal of this scan and forgets heals older than a day', () => {
    const old: ServiceState = { ...recordService(undefined, down, NOW), heals: [{ at: NOW - HEAL_MEMORY_MS - 1, result: 'failed' }, { at: NOW - 1_000, result: 'failed' }] };
    const next = recordService(old, { ...up, heal: { at: NOW, result: 'healed' } }, NOW);
    expect(next.heals).toEqual([{ at: NOW - 1_000, result: 'failed' }, { at: NOW, result: 'healed' }]);
  });
});
