import { describe, expect, it } from 'vitest';
import { CLOSED, type BreakerState } from '../../src/policy/breaker.js';
import { cooldownEndsAt, decideHeal, restartsStopped, scheduleSlackMs } from '../../src/policy/heal.js';
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
    breaker: CLOSED, recent: '', ...extra,
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

    it('says how long is left, the schedule slack taken off', () => {
      expect(decide(service(), state([2 * MIN]))).toEqual({
        action: 'hold', rule: 'cooldown', untilMs: NOW + 2 * MIN + 50 * S, reason: 'cooldown: last restart 2m ago, next allowed in 2m50s',
      });
    });
  });

  describe('schedule slack never takes more than a tenth of a cooldown', () => {
    it.each([
      // cooldown, slack, last restart ago, action
      ['0s', 0, 0, 'restart'],
      ['1s', 100, 800, 'hold'],
      ['1s', 100, 900, 'restart'],
      ['10s', 1 * S, 2 * S, 'hold'],
      ['10s', 1 * S, 8 * S, 'hold'],
      ['10s', 1 * S, 9 * S, 'restart'],
      ['30s', 3 * S, 26 * S, 'hold'],
      ['30s', 3 * S, 27 * S, 'restart'],
      ['1m', 6 * S, 53 * S, 'hold'],
      ['1m', 6 * S, 54 * S, 'restart'],
      ['100s', 10 * S, 89 * S, 'hold'],
      ['5m', 10 * S, 5 * MIN - 11 * S, 'hold'],
      ['5m', 10 * S, 5 * MIN - 10 * S, 'restart'],
      ['1h', 10 * S, 60 * MIN - 11 * S, 'hold'],
    ])('cooldown %s (slack %ims), restarted %ims ago: %s', (cooldown, slack, ago, action) => {
      const svc = service(`cooldown: ${cooldown}, max_heals_per_hour: 100`);
      expect(scheduleSlackMs(svc.cooldownMs)).toBe(slack);
      const decision = decide(svc, state([ago]));
      expect(decision.action).toBe(action);
      if (decision.action === 'hold') expect(decision.untilMs).toBe(cooldownEndsAt(NOW - ago, svc.cooldownMs, NOW));
    });

    it('keeps a 10s cooldown: restarts are at least 9s apart', () => {
      const svc = service('cooldown: 10s, max_heals_per_hour: 100');
      expect(decide(svc, state([2 * S]))).toEqual({
        action: 'hold', rule: 'cooldown', untilMs: NOW + 7 * S, reason: 'cooldown: last restart 2s ago, next allowed in 7s',
      });
    });
  });

  describe('a clock set back: a restart remembered in the future holds nothing back longer than its own setting', () => {
    const DAY = 24 * 60 * MIN;
    it.each([
      // settings, heals (negative: in the future), rule, held for at most
      ['start_grace 0s, cooldown 0s', 'cooldown: 0s, start_grace: 0s', [-DAY], 'down', 0],
      ['start_grace 2m', 'cooldown: 0s, start_grace: 2m', [-DAY], 'starting', 2 * MIN],
      ['cooldown 5m', 'cooldown: 5m', [-DAY], 'cooldown', 5 * MIN - 10 * S],
      ['cooldown 10s', 'cooldown: 10s', [-DAY], 'cooldown', 9 * S],
      ['hourly cap 1, cooldown 0s', 'cooldown: 0s, max_heals_per_hour: 1', [-DAY], 'hourly-cap', 60 * MIN],
      ['hourly cap 2: one heal 30m ago, one in the future', 'cooldown: 0s, max_heals_per_hour: 2', [-DAY, 30 * MIN], 'hourly-cap', 30 * MIN],
      ['hourly cap 3, two heals in the future', 'cooldown: 0s, max_heals_per_hour: 3', [-DAY, -2 * DAY], 'down', 0],
    ])('%s (%s; restarts %j ms ago): %s', (_what, settings, agos, rule, heldAtMost) => {
      const decision = decide(service(settings), state(agos));
      expect(decision.rule).toBe(rule);
      expect(decision.action === 'hold' ? decision.untilMs : NOW).toBe(NOW + heldAtMost);
    });

    it('says a restart from the future was made 0s ago', () => {
      expect(decide(service('cooldown: 5m'), state([-DAY]))).toEqual({
        action: 'hold', rule: 'cooldown', untilMs: NOW + 4 * MIN + 50 * S, reason: 'cooldown: last restart 0ms ago, next allowed in 4m50s',
      });
    });

    it.each([
      // open_for less its schedule slack (a tenth of 60s).
      ['opened a day in the future, open_for 60s', { state: 'open', openedAt: NOW + DAY, openForMs: 60 * S } as BreakerState, NOW + 54 * S],
      ['opened 30s in the future, open_for 60s', { state: 'open', openedAt: NOW + 30 * S, openForMs: 60 * S } as BreakerState, NOW + 54 * S],
    ])('a breaker %s half-opens within open_for', (_what, breaker, until) => {
      expect(decide(service('cooldown: 0s'), state([], { breaker }))).toMatchObject({ action: 'hold', rule: 'breaker-open', untilMs: until });
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
      ['open for 53s of 60s', open(53 * S), 'hold', 'breaker-open'],
      ['open for 54s of 60s: inside the schedule slack (a tenth of open_for, at most 10 s)', open(54 * S), 'restart', 'half-open-trial'],
      ['open, its 60s just over', open(60 * S), 'restart', 'half-open-trial'],
      ['half-open', { state: 'half_open', since: NOW - S, openForMs: 60 * S, successes: 0 } as BreakerState, 'restart', 'half-open-trial'],
    ])('%s: %s (%s)', (_what, breaker, action, rule) => {
      expect(decide(service('cooldown: 0s'), state([], { breaker }))).toMatchObject({ action, rule });
    });

    it('says when one restart will be tried', () => {
      expect(decide(service(), state([], { breaker: open(20 * S) }))).toEqual({
        action: 'hold', rule: 'breaker-open', untilMs: NOW + 34 * S, reason: 'circuit breaker open: one restart will be tried in 34s',
      });
    });
  });

  describe('flapping is a hold with an end, never a stop', () => {
    const flapping = { since: NOW - MIN, reason: 'went down 3 times in the last 12 scans' };

    it('holds a flapping service while its breaker is open, and says when one restart will be tried', () => {
      const breaker: BreakerState = { state: 'open', openedAt: NOW - MIN, openForMs: 10 * MIN };
      expect(decide(service(), state([], { flapping, breaker }))).toEqual({
        action: 'hold', rule: 'flapping', untilMs: NOW + 9 * MIN - 10 * S,
        reason: 'flapping (went down 3 times in the last 12 scans): one restart will be tried in 8m50s',
      });
    });

    it('tries one restart once the breaker half-opens, flapping or not', () => {
      const breaker: BreakerState = { state: 'open', openedAt: NOW - 10 * MIN, openForMs: 10 * MIN };
      expect(decide(service(), state([], { flapping, breaker }))).toMatchObject({ action: 'restart', rule: 'half-open-trial' });
    });

    it('restarts a service whose flapping mark came from an older heal (a mark that once stopped restarts for good)', () => {
      expect(decide(service(), state([], { flapping: { since: NOW - 24 * 60 * MIN, reason: 'held back by the hourly cap in 2 consecutive scans' } }))).toMatchObject({ action: 'restart', rule: 'down' });
    });
  });

  describe('the breaker on probation (half-open)', () => {
    const halfOpen = (successes: number): BreakerState => ({ state: 'half_open', since: NOW - 5 * MIN, openForMs: 20 * MIN, successes });

    it('holds a service found down again after its trial brought it back, the wait doubled', () => {
      expect(decide(service(), state([], { breaker: halfOpen(1) }))).toEqual({
        action: 'hold', rule: 'breaker-open', untilMs: NOW + 40 * MIN - 10 * S, reason: 'circuit breaker open: one restart will be tried in 39m50s',
      });
    });

    it('never doubles past max_open_for', () => {
      expect(decide(service('breaker: { max_open_for: 30m }'), state([], { breaker: halfOpen(1) }))).toMatchObject({ rule: 'breaker-open', untilMs: NOW + 30 * MIN - 10 * S });
    });

    it('lets the trial restart through while nothing came back yet', () => {
      expect(decide(service(), state([], { breaker: halfOpen(0) }))).toMatchObject({ action: 'restart', rule: 'half-open-trial' });
    });
  });
});

describe('restartsStopped: heal says when it stopped trying, and until when', () => {
  const svc = service('cooldown: 5m, max_heals_per_hour: 3');
  it.each([
    ['breaker closed, restarts allowed', state([5 * MIN]), undefined],
    ['breaker open', state([], { breaker: { state: 'open', openedAt: NOW - 2 * MIN, openForMs: 10 * MIN } }), { untilMs: NOW + 8 * MIN - 10 * S, why: 'its circuit breaker is open: restarts did not bring it back for good' }],
    ['breaker open while flapping', state([], { breaker: { state: 'open', openedAt: NOW, openForMs: 10 * MIN }, flapping: { since: NOW, reason: 'went down in 3 scans in a row' } }), { untilMs: NOW + 10 * MIN - 10 * S, why: 'it is flapping: went down in 3 scans in a row' }],
    ['breaker half-open: a trial is next', state([], { breaker: { state: 'half_open', since: NOW, openForMs: 10 * MIN, successes: 0 } }), undefined],
    ['the hourly cap used up', state([50 * MIN, 30 * MIN, 10 * MIN]), { untilMs: NOW + 10 * MIN, why: 'the hourly cap is used up: 3 restarts in the last hour (max_heals_per_hour)' }],
    ['only the cooldown holds it: not "stopped"', state([MIN]), undefined],
  ])('%s', (_what, remembered, expected) => {
    expect(restartsStopped(svc, remembered, NOW)).toEqual(expected);
  });

  it('is never said of a service without a restart', () => {
    expect(restartsStopped(service(undefined, false), state([], { breaker: { state: 'open', openedAt: NOW, openForMs: MIN } }), NOW)).toBeUndefined();
  });
});

describe('decideHeal: degraded, and restarted with a parent', () => {
  /** "api" depending on "db", with restart_with_parent (or not). */
  function child(withParent = true, settings = 'cooldown: 5m, max_heals_per_hour: 3') {
    const { manifest } = parseManifest(
      `version: 1\ndefaults: { ${settings} }\nservices:\n  db: { checks: [ { type: port, port: 2 } ] }\n  api:\n    depends_on: [db]\n    restart_with_parent: ${withParent}\n    checks: [ { type: port, port: 1 } ]\n    restart: { type: command, run: ["true"] }\n`,
      {},
    );
    return resolveServices(manifest).find((s) => s.name === 'api')!;
  }
  const up = (extra: Partial<ServiceState> = {}) => state([], { status: 'up', ...extra });

  it.each([
    ['only alert-only checks fail: degraded, never restarted', child(false), up(), { degraded: true }, { action: 'none', rule: 'degraded', reason: 'only checks with on_fail: alert fail' }],
    ['its parent was restarted: restarted with it', child(), up(), { parentsRestarted: ['db'] }, { action: 'restart', rule: 'parent-restarted', reason: 'restarted with db, which heal restarted' }],
    ['degraded, its parent restarted: restarted with it', child(), up(), { degraded: true, parentsRestarted: ['db'] }, { action: 'restart', rule: 'parent-restarted', reason: 'restarted with db, which heal restarted' }],
    ['its parent restarted, but no restart_with_parent: left alone', child(false), up(), { parentsRestarted: ['db'] }, { action: 'none', rule: 'healthy' }],
    ['its parent restarted, its own cooldown holds: up, with why not', child(), up({ heals: [{ at: NOW - 2 * MIN, result: 'healed' }] }), { parentsRestarted: ['db'] }, { action: 'none', rule: 'healthy', note: 'not restarted with db: cooldown: last restart 2m ago, next allowed in 2m50s' }],
    ['its parent restarted, its hourly cap used up: up, with why not', child(true, 'cooldown: 0s, max_heals_per_hour: 1'), up({ heals: [{ at: NOW - 20 * MIN, result: 'healed' }] }), { parentsRestarted: ['db'] }, { action: 'none', rule: 'healthy', note: expect.stringMatching(/^not restarted with db: hourly cap: 1 of 1 restarts/) }],
  ] as const)('%s', (_name, svc, previous, input, decision) => {
    expect(decideHeal({ service: svc, previous, healthy: true, parentsDown: [], now: NOW, ...input })).toEqual(decision);
  });
});
