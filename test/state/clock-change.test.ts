import { describe, expect, it } from 'vitest';
import type { AlertConfig } from '../../src/alerts/levels.js';
import { planAlerts, type ServiceAlertInput } from '../../src/alerts/manager.js';
import { channelReady } from '../../src/alerts/outbox.js';
import { CLOSED } from '../../src/policy/breaker.js';
import { decideHeal } from '../../src/policy/heal.js';
import { parseManifest } from '../../src/manifest/parse.js';
import { resolveServices } from '../../src/manifest/resolve.js';
import { adjustForClockChange } from '../../src/state/clock-change.js';
import { emptyState, type ServiceState, type State } from '../../src/state/schema.js';

const S = 1_000;
const MIN = 60 * S;
const DAY = 24 * 60 * MIN;
const NOW = Date.parse('2026-11-22T12:00:00Z');

function service(at: number, extra: Partial<ServiceState> = {}): ServiceState {
  return {
    status: 'down', since: at, lastScanAt: at, failingScans: 1, healthyScans: 0, checks: [], heals: [{ at, result: 'failed' }],
    breaker: CLOSED, recent: '', ...extra,
  };
}

/** A state whose every time is `at`, with a 2h silence and a 30s retry-after pause that began then. */
function stateAt(at: number): State {
  return {
    ...emptyState(),
    lastScan: { startedAt: at, durationMs: 100, exitCode: 1 },
    services: {
      api: service(at, { breaker: { state: 'open', openedAt: at, openForMs: 10 * MIN }, flapping: { since: at, reason: 'healed in 3 consecutive scans' } }),
      db: service(at, { breaker: { state: 'half_open', since: at, openForMs: MIN, successes: 0 } }),
    },
    alerts: {
      ...emptyState().alerts,
      keys: {
        'api/down': { failing: 3, since: at, level: 'critical', notified: { at, channels: ['log'], count: 1 }, downSince: at, levelSince: at },
        'db/down': { failing: 0, since: at, level: 'warning', notified: { at, channels: ['log'], count: 1 }, resolvedAt: at, downMs: 5 * MIN },
      },
      outbox: [{ message: { id: 'm', channel: 'hook', level: 'critical', notices: [], createdAt: at }, attempts: 1 }],
      channels: { hook: { retryAfterUntil: at + 30 * S, lastError: { at, error: 'HTTP 429' }, gone: { at, error: 'HTTP 404' }, lastSuccessAt: at } },
      silences: { api: { until: at + 2 * 60 * MIN, createdAt: at, reason: 'migration' } },
    },
  };
}

describe('adjustForClockChange', () => {
  it('brings every remembered time that lies ahead back to now; windows keep their length', () => {
    const { state, clockChange } = adjustForClockChange(stateAt(NOW + DAY), NOW);
    expect(state).toEqual(stateAt(NOW));
    expect(clockChange).toEqual({
      aheadMs: DAY,
      message: 'clock change: the state remembers times up to 1d in the future (was the clock set back?); cooldowns, breakers, silences and alert cooldowns that began then now count from this scan',
    });
  });

  it('leaves a state with nothing in the future as it is, and reports nothing', () => {
    const before = stateAt(NOW - 5 * MIN);
    expect(adjustForClockChange(before, NOW)).toEqual({ state: before });
  });

  it.each([
    ['1s', 1 * S, false],
    ['5s (the tolerance)', 5 * S, false],
    ['6s', 6 * S, true],
    ['an hour', 60 * MIN, true],
  ])('with times %s ahead: moves them, and reports a clock change: %s', (_what, ahead, reported) => {
    const { state, clockChange } = adjustForClockChange(stateAt(NOW + ahead), NOW);
    expect(state).toEqual(stateAt(NOW));
    expect(clockChange !== undefined).toBe(reported);
  });

  it('reports a change once: the state it returns (and the scan saves) has nothing ahead any more', () => {
    const first = adjustForClockChange(stateAt(NOW + DAY), NOW);
    expect(first.clockChange).toBeDefined();
    expect(adjustForClockChange(first.state, NOW + 5 * MIN).clockChange).toBeUndefined();
  });

  it('moves only the times ahead: older ones, and a pause that ended, stay as they were', () => {
    const state = stateAt(NOW - 10 * MIN);
    state.services['api']!.heals.push({ at: NOW + DAY, result: 'healed' });
    const { state: settled } = adjustForClockChange(state, NOW);
    expect(settled.services['api']!.heals.map((h) => h.at)).toEqual([NOW - 10 * MIN, NOW]);
    expect(settled.alerts.channels['hook']!.retryAfterUntil).toBe(NOW - 10 * MIN + 30 * S);
  });
});

describe('after the clock was set back a day, each rule holds back no longer than its own setting', () => {
  /** The service "api" with these settings. */
  const api = (settings: string) => {
    const text = `version: 1\ndefaults: { ${settings} }\nservices:\n  api:\n    checks: [ { type: port, port: 1 } ]\n    restart: { type: command, run: ["true"] }\n`;
    return resolveServices(parseManifest(text, {}).manifest)[0]!;
  };
  const config: AlertConfig = {
    levels: {
      critical: { threshold: 1, cooldownMs: 60 * MIN, channels: ['log'] },
      warning: { threshold: 1, cooldownMs: 60 * MIN, channels: ['log'] },
      info: { threshold: 1, cooldownMs: 60 * MIN, channels: ['log'] },
    },
    channels: { log: { type: 'log' } },
    maxAgeMs: DAY,
  };
  const down: ServiceAlertInput = { service: 'api', status: 'down', rule: 'down', alertLevel: 'critical', healedLevel: 'info', degradedLevel: 'warning', detail: 'connection refused' };

  /** Whether the rule still holds at `now`, over a state settled as the scans at `settledAt` and `now` would. */
  type Rule = (state: State, now: number) => boolean;
  const policyRule = (rule: string, settings: string, extra: Partial<ServiceState> = {}): [State, Rule] => {
    const state = { ...emptyState(), services: { api: service(NOW + DAY, extra) } };
    const config = api(settings);
    return [state, (s, now) => decideHeal({ service: config, previous: s.services['api'], healthy: false, parentsDown: [], now }).rule === rule];
  };
  const alertsState = (alerts: Partial<State['alerts']>): State => ({ ...emptyState(), alerts: { ...emptyState().alerts, ...alerts } });

  const cases: [string, number, [State, Rule]][] = [
    ['start_grace (2m)', 2 * MIN, policyRule('starting', 'start_grace: 2m')],
    ['cooldown (5m, less 10 s of slack)', 5 * MIN - 10 * S, policyRule('cooldown', 'cooldown: 5m')],
    ['the hourly cap (1 an hour)', 60 * MIN, policyRule('hourly-cap', 'cooldown: 0s, max_heals_per_hour: 1')],
    ['the breaker (open_for 10m, less 10 s of slack)', 10 * MIN - 10 * S, policyRule('breaker-open', 'breaker: { open_for: 10m }', { heals: [], breaker: { state: 'open', openedAt: NOW + DAY, openForMs: 10 * MIN } })],
    [
      'the alert level cooldown (1h, less 10 s of slack)',
      60 * MIN - 10 * S,
      [
        alertsState({ keys: { 'api/down': { failing: 1, since: NOW + DAY, level: 'critical', notified: { at: NOW + DAY, channels: ['log'], count: 1 } } } }),
        (s, now) => planAlerts(s.alerts, { config, services: [down], known: ['api'], now, host: 'box' }).messages.length === 0,
      ],
    ],
    [
      'a silence (--for 2h)',
      2 * 60 * MIN,
      [
        alertsState({ silences: { api: { until: NOW + DAY + 2 * 60 * MIN, createdAt: NOW + DAY } } }),
        (s, now) => planAlerts(s.alerts, { config, services: [down], known: ['api'], now, host: 'box' }).messages.length === 0,
      ],
    ],
    [
      "a channel's retry-after pause (30s)",
      30 * S,
      [alertsState({ channels: { hook: { retryAfterUntil: NOW + DAY + 30 * S, lastError: { at: NOW + DAY, error: 'HTTP 429' } } } }), (s, now) => !channelReady(s.alerts, 'hook', now)],
    ],
  ];

  it.each(cases)('%s: held from the scan that finds the change, released %ims later', (_what, setting, [state, holds]) => {
    // Each scan settles the state it loads at its start, then decides; the first one saves what it settled.
    const first = adjustForClockChange(state, NOW).state;
    expect(holds(first, NOW)).toBe(true);
    expect(holds(adjustForClockChange(first, NOW + setting - 1).state, NOW + setting - 1)).toBe(true);
    expect(holds(adjustForClockChange(first, NOW + setting).state, NOW + setting)).toBe(false);
  });
});
