import { describe, expect, it } from 'vitest';
import { CLOSED } from '../../src/breaker.js';
import { HEAL_MEMORY_MS, recordService, type ServiceScanResult } from '../../src/state/record.js';
import type { ServiceState } from '../../src/state/schema.js';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const SCAN = 5 * 60_000;
const settings = { flapThreshold: 3, breaker: { failure_threshold: 2, success_threshold: 2, open_for: 60_000, max_open_for: 3_600_000 } };
const checks = [{ name: 'port 127.0.0.1:1', ok: true, latencyMs: 1 }];

const up: ServiceScanResult = { healthy: true, checks, rule: 'healthy' };
const down: ServiceScanResult = { healthy: false, checks, rule: 'no-restart' };
const healed = (at: number): ServiceScanResult => ({ healthy: true, checks, rule: 'down', heal: { at, result: 'healed' } });
const healFailed = (at: number): ServiceScanResult => ({ healthy: false, checks, rule: 'down', heal: { at, result: 'failed', error: 'connection refused' } });
const capped: ServiceScanResult = { healthy: false, checks, rule: 'hourly-cap' };

/** Plays scans 5 minutes apart, each result built from its time. */
function play(results: ((at: number) => ServiceScanResult)[], start?: ServiceState): ServiceState {
  let state = start;
  results.forEach((result, i) => {
    const at = NOW + i * SCAN;
    state = recordService(state, result(at), settings, at);
  });
  return state!;
}

describe('recordService', () => {
  it('keeps a heal remembered in the future (the clock was set back): it is not taken for an old one and forgotten', () => {
    const future = { at: NOW + 2 * HEAL_MEMORY_MS, result: 'failed' as const };
    const previous = recordService(undefined, down, settings, NOW - SCAN);
    expect(recordService({ ...previous, heals: [future] }, down, settings, NOW).heals).toEqual([future]);
  });

  it('starts a new service at the status it was seen in', () => {
    expect(recordService(undefined, down, settings, NOW)).toEqual({
      status: 'down', since: NOW, lastScanAt: NOW, failingScans: 1, healthyScans: 0, checks, heals: [],
      breaker: CLOSED, healedStreak: 0, capStreak: 0, steadyScans: 0, flapping: undefined,
    });
  });

  it('keeps "since" while the status holds and counts consecutive scans', () => {
    expect(play([() => down, () => down])).toMatchObject({ status: 'down', since: NOW, failingScans: 2, healthyScans: 0 });
  });

  it('moves "since" and resets the other counter when the status changes', () => {
    expect(play([() => down, () => down, () => up])).toMatchObject({ status: 'up', since: NOW + 2 * SCAN, failingScans: 0, healthyScans: 1 });
  });

  it('appends the heal of this scan and forgets heals older than a day', () => {
    const old: ServiceState = { ...recordService(undefined, down, settings, NOW), heals: [{ at: NOW - HEAL_MEMORY_MS - 1, result: 'failed' }, { at: NOW - 1_000, result: 'failed' }] };
    expect(recordService(old, healed(NOW), settings, NOW).heals).toEqual([{ at: NOW - 1_000, result: 'failed' }, { at: NOW, result: 'healed' }]);
  });

  describe('the breaker (failure_threshold 2, success_threshold 2, open_for 1m, max 1h)', () => {
    it.each([
      ['one failed heal', [healFailed], { state: 'closed', failures: 1 }],
      ['two failed heals in a row', [healFailed, healFailed], { state: 'open', openedAt: NOW + SCAN, openForMs: 60_000 }],
      ['a failed heal, then healthy', [healFailed, () => up], CLOSED],
      ['a failed heal, a scan held back, a failed heal', [healFailed, () => capped, healFailed], { state: 'open', openedAt: NOW + 2 * SCAN, openForMs: 60_000 }],
      ['open, then its trial heal fails: the wait doubles', [healFailed, healFailed, healFailed], { state: 'open', openedAt: NOW + 2 * SCAN, openForMs: 120_000 }],
      ['open, then one healthy scan: half-open', [healFailed, healFailed, () => up], { state: 'half_open', since: NOW + SCAN + 60_000, openForMs: 60_000, successes: 1 }],
      ['open, then two healthy scans: closed', [healFailed, healFailed, () => up, () => up], CLOSED],
      ['open, a trial that heals, then healthy: closed', [healFailed, healFailed, healed, () => up], CLOSED],
    ])('%s', (_what, results, breaker) => {
      expect(play(results as ((at: number) => ServiceScanResult)[]).breaker).toEqual(breaker);
    });

    it('never waits longer than max_open_for', () => {
      const long = { ...settings, breaker: { ...settings.breaker, open_for: 40 * 60_000 } };
      let state = recordService(undefined, healFailed(NOW), long, NOW);
      state = recordService(state, healFailed(NOW + 1), long, NOW + 1);
      state = recordService(state, healFailed(NOW + 50 * 60_000), long, NOW + 50 * 60_000);
      expect(state.breaker).toEqual({ state: 'open', openedAt: NOW + 50 * 60_000, openForMs: 3_600_000 });
    });
  });

  describe('the crash-loop guard (flap_threshold 3)', () => {
    it.each([
      ['healed in 2 consecutive scans', [healed, healed], undefined],
      ['healed in 3 consecutive scans', [healed, healed, healed], 'healed in 3 consecutive scans'],
      ['healed twice, up on its own, healed once', [healed, healed, () => up, healed], undefined],
      ['held back by the cap once', [() => capped], undefined],
      ['held back by the cap in 2 consecutive scans', [() => capped, () => capped], 'held back by the hourly cap in 2 consecutive scans'],
    ])('%s', (_what, results, reason) => {
      expect(play(results as ((at: number) => ServiceScanResult)[]).flapping?.reason).toBe(reason);
    });

    it('lifts the mark once the service stays up on its own for success_threshold scans', () => {
      expect(play([healed, healed, healed, () => up]).flapping).toBeDefined();
      expect(play([healed, healed, healed, () => up, () => up]).flapping).toBeUndefined();
    });
  });
});
