import { describe, expect, it } from 'vitest';
import { CLOSED, type BreakerState } from '../../src/breaker.js';
import { decideHeal } from '../../src/heal/policy.js';
import { parseManifest } from '../../src/manifest/parse.js';
import { resolveServices } from '../../src/manifest/resolve.js';
import type { HealRecord, ServiceState } from '../../src/state/schema.js';

const S = 1_000;
const MIN = 60 * S;
const NOW = Date.parse('2026-11-22T12:00:00Z');

function service(settings = 'cooldown: 5m, max_heals_per_hour: 3', restart = true) {
  const { manifest } = parseManifest(
    `version: 1\ndefaults: { ${settings} }\nservices:\n  api:\n    checks: [ { type: port, port: 1 } ]\n${restart ? '    restart: { type: command, run: ["true"] }\n' : ''}`,
    {},
  );
  return resolveServices(manifest)[0]!;
}

/** A down service that was restarted `agoMs` ago (each entry one restart). */
function state(healsAgo: number[] = [], extra: Partial<ServiceState> = {}): ServiceState {
  const heals: HealRecord[] = healsAgo.map((ago) => ({ at: NOW - ago, result: 'failed' }));
  return {
    status: 'down', since: NOW - 60 * MIN, lastScanAt: NOW - 5 * MIN, failingScans: 1, healthyScans: 0, checks: [], heals,
    breaker: CLOSED, healedStreak: 0, capStreak: 0, steadyScans: 0, ...extra,
  };
}

const decide = (svc: ReturnType<typeof service>, previous: ServiceState | undefined, healthy = false, parentsDown: string[] = []) =>
  decideHeal({ service: svc, previous, healthy, parentsDown, now: NOW });

describe('decideHeal', () => {
  it('leaves a healthy service alone, whatever else holds', () => {
    expect(decide(service(), state([1 * MIN]), true)).toEqual({ action: 'none', rule: 'healthy' });
  });

  it('reports a down service with no restart configured', () => {
    expect(decide(service(undefined, false), undefined)).toMatchObject({ action: 'none', rule: 'no-restart', reason: 'no restart configured' });
  });

  it('restarts a down service it has never restarted', () => {
    expect(decide(service(), undefined)).toEqual({ action: 'restart', rule: 'down', reason: 'checks failed' });
  });

  it('skips a service while a service it depends on is down', () => {
    expect(decide(service(), undefined, false, ['db', 'cache'])).toEqual({ action: 'skip', rule: 'waiting-on-parent', reason: 'waiting on db, cache' });
  });

  describe('cooldown (5m)', () => {
    it.each([
      ['1 minute ago', 1 * MIN, 'hold'],
      ['4m49s ago', 5 * MIN - 11 * S, 'hold'],
      ['4m51s ago: inside the 10 s of schedule slack', 5 * MIN - 9 * S, 'restart'],
      ['exactly 5 minutes ago', 5 * MIN, 'restart'],
      ['an hour ago', 60 * MIN, 'restart'],
    ])('after a restart %s: %s', (_when, ago, action) => {
      expect(decide(service(), state([ago])).action).toBe(action);
    });

    it('says how long is left', () => {
      expect(decide(service(), state([2 * MIN]))).toEqual({
        action: 'hold', rule: 'cooldown', untilMs: NOW + 3 * MIN, reason: 'cooldown: last restart 2m ago, next allowed in 3m',
      });
    });
  });

  describe('hourly cap (3 in any sliding hour, cooldown 1m)', () => {
    const capped = service('cooldown: 1m, max_heals_per_hour: 3');
    it.each([
      ['two restarts in the hour', [30 * MIN, 10 * MIN], 'restart'],
      ['three restarts in the hour', [50 * MIN, 30 * MIN, 10 * MIN], 'hold'],
      ['three restarts, the oldest 60m ago', [60 * MIN, 30 * MIN, 10 * MIN], 'restart'],
      ['five restarts, three of them older than an hour', [3 * 60 * MIN, 2 * 60 * MIN, 61 * MIN, 30 * MIN, 10 * MIN], 'restart'],
    ])('%s: %s', (_what, agos, action) => {
      expect(decide(capped, state(agos)).action).toBe(action);
    });

    it('says when the oldest restart leaves the window', () => {
      expect(decide(capped, state([50 * MIN, 30 * MIN, 10 * MIN]))).toEqual({
        action: 'hold', rule: 'hourly-cap', untilMs: NOW + 10 * MIN,
        reason: 'hourly cap: 3 of 3 restarts used in the last hour, next allowed in 10m',
      });
    });
  });

  describe('start grace (2m)', () => {
    const graced = service('cooldown: 1m, start_grace: 2m');
    it.each([
      ['30s after a restart', 30 * S, 'starting'],
      ['1m59s after a restart', 2 * MIN - S, 'starting'],
      ['2m after a restart', 2 * MIN, 'down'],
    ])('%s the rule is %s', (_when, ago, rule) => {
      expect(decide(graced, state([ago])).rule).toBe(rule);
    });
  });

  describe('circuit breaker', () => {
    const open = (openedAgo: number, openForMs = 60 * S): BreakerState => ({ state: 'open', openedAt: NOW - openedAgo, openForMs });
    it.each([
      ['closed', CLOSED, 'restart', 'down'],
      ['open for 30s of 60s', open(30 * S), 'hold', 'breaker-open'],
      ['open, its 60s just over', open(60 * S), 'restart', 'half-open-trial'],
      ['half-open', { state: 'half_open', since: NOW - S, openForMs: 60 * S, successes: 0 } as BreakerState, 'restart', 'half-open-trial'],
    ])('%s: %s (%s)', (_what, breaker, action, rule) => {
      expect(decide(service('cooldown: 0s'), state([], { breaker }))).toMatchObject({ action, rule });
    });

    it('says when one restart will be tried', () => {
      expect(decide(service(), state([], { breaker: open(20 * S) }))).toEqual({
        action: 'hold', rule: 'breaker-open', untilMs: NOW + 40 * S, reason: 'circuit breaker open: one restart will be tried in 40s',
      });
    });
  });

  it('holds a flapping service back and says how to lift it', () => {
    expect(decide(service(), state([], { flapping: { since: NOW - MIN, reason: 'healed in 3 consecutive scans' } }))).toEqual({
      action: 'hold', rule: 'flapping',
      reason: 'flapping (healed in 3 consecutive scans): not restarted until it stays up, or heal reset api',
    });
  });
});
