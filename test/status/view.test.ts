import { describe, expect, it } from 'vitest';
import { CLOSED } from '../../src/policy/breaker.js';
import { decideHeal } from '../../src/policy/heal.js';
import { resolveServices } from '../../src/manifest/resolve.js';
import type { LoadedManifest } from '../../src/manifest/load.js';
import { parseManifest } from '../../src/manifest/parse.js';
import { emptyState, type State } from '../../src/state/schema.js';
import { statusView } from '../../src/status/view.js';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const MIN = 60_000;

function loaded(text: string): LoadedManifest {
  const { manifest, secrets } = parseManifest(text, {});
  return { manifest, secrets, path: '/x/services.yaml', baseDir: '/x' };
}

const manifest = loaded(`version: 1
interval: 5m
defaults: { cooldown: 10m, max_heals_per_hour: 3 }
services:
  api:
    checks: [ { type: port, port: 1 } ]
    restart: { type: command, run: ["true"] }
  off: { enabled: false, checks: [ { type: port, port: 2 } ] }
`);

function stateWith(extra: Partial<State> = {}): State {
  return {
    ...emptyState(),
    lastScan: { startedAt: NOW - 4 * MIN, durationMs: 120, exitCode: 1 },
    services: {
      api: {
        status: 'down', since: NOW - 20 * MIN, lastScanAt: NOW - 4 * MIN, failingScans: 4, healthyScans: 0, checks: [],
        heals: [{ at: NOW - 70 * MIN, result: 'failed' }, { at: NOW - 30 * MIN, result: 'failed' }, { at: NOW - 4 * MIN, result: 'failed', error: 'connection refused' }],
        breaker: { state: 'open', openedAt: NOW - 4 * MIN, openForMs: 10 * MIN }, recent: '',
      },
    },
    ...extra,
  };
}

describe('statusView', () => {
  it('derives what a person asks about a service from the state alone', () => {
    const view = statusView(manifest, stateWith(), NOW);
    expect(view.services[0]).toEqual({
      name: 'api', enabled: true, status: 'down', since: new Date(NOW - 20 * MIN).toISOString(), forMs: 20 * MIN, failingScans: 4,
      healsLastHour: 2, maxHealsPerHour: 3, cooldownLeftMs: 6 * MIN - 10_000, breaker: 'open', halfOpenInMs: 6 * MIN - 10_000,
      lastHeal: { at: new Date(NOW - 4 * MIN).toISOString(), result: 'failed', error: 'connection refused' }, checks: [],
      restartsStopped: { until: new Date(NOW + 6 * MIN - 10_000).toISOString(), why: 'its circuit breaker is open: restarts did not bring it back for good' },
    });
    expect(view.services[1]).toMatchObject({ name: 'off', enabled: false, status: 'unknown', breaker: 'closed' });
  });

  it.each([
    ['4 minutes ago', 4 * MIN, false],
    ['15 minutes ago (three intervals)', 15 * MIN, false],
    ['16 minutes ago', 16 * MIN, true],
  ])('calls a last scan %s stale: %s', (_when, ago, stale) => {
    const view = statusView(manifest, stateWith({ lastScan: { startedAt: NOW - ago, durationMs: 5, exitCode: 0 } }), NOW);
    expect(view.lastScan?.stale).toBe(stale);
  });

  it('shows silences, the last alert and channels with messages waiting', () => {
    const state = stateWith();
    state.services['api']!.breaker = CLOSED;
    state.alerts.silences['api'] = { until: NOW + 60 * MIN, reason: 'migration', createdAt: NOW };
    state.alerts.keys['api/down'] = { failing: 3, since: NOW - 20 * MIN, level: 'critical', notified: { at: NOW - 10 * MIN, channels: ['log'], count: 1 } };
    state.alerts.outbox.push({ message: { id: 'm', channel: 'log', level: 'critical', notices: [], createdAt: NOW }, attempts: 1 });
    const view = statusView(manifest, state, NOW);
    expect(view.services[0]).toMatchObject({
      silenced: { until: new Date(NOW + 60 * MIN).toISOString(), reason: 'migration' },
      lastAlert: { at: new Date(NOW - 10 * MIN).toISOString(), kind: 'down', level: 'critical', channels: ['log'] },
    });
    expect(view.channels).toEqual([{ name: 'log', waiting: 1 }]);
  });

  it('says heal stopped restarting a flapping service until its breaker half-opens, and that the hourly cap is used up, with when each ends', () => {
    const flapping = stateWith();
    flapping.services['api']!.flapping = { since: NOW - 4 * MIN, reason: 'went down 3 times in the last 12 scans' };
    expect(statusView(manifest, flapping, NOW).services[0]!.restartsStopped).toEqual({
      until: new Date(NOW + 6 * MIN - 10_000).toISOString(),
      why: 'it is flapping: went down 3 times in the last 12 scans',
    });

    const capped = stateWith();
    capped.services['api']!.breaker = CLOSED;
    capped.services['api']!.heals = [50, 30, 4].map((ago) => ({ at: NOW - ago * MIN, result: 'failed' as const }));
    expect(statusView(manifest, capped, NOW).services[0]!.restartsStopped).toEqual({
      until: new Date(NOW + 10 * MIN).toISOString(),
      why: 'the hourly cap is used up: 3 restarts in the last hour (max_heals_per_hour)',
    });

    const trying = stateWith();
    trying.services['api']!.breaker = CLOSED;
    expect(statusView(manifest, trying, NOW).services[0]!.restartsStopped).toBeUndefined();
  });

  it('shows the open incident with its level and outages, held-back healed notices, and a resolved incident as its last alert', () => {
    const state = stateWith();
    state.alerts.keys['api/down'] = {
      failing: 1, since: NOW - 50 * MIN, level: 'critical', levelSince: NOW - 10 * MIN, outages: 3, downSince: NOW - 5 * MIN,
      notified: { at: NOW - 10 * MIN, channels: ['log'], count: 2 },
    };
    state.alerts.keys['api/healed'] = { failing: 1, since: NOW - 60 * MIN, level: 'info', held: 2, notified: { at: NOW - 60 * MIN, channels: ['log'], count: 1 } };
    expect(statusView(manifest, state, NOW).services[0]).toMatchObject({
      incident: { level: 'critical', since: new Date(NOW - 50 * MIN).toISOString(), outages: 3 },
      healedHeldBack: { count: 2, lastNoticeAt: new Date(NOW - 60 * MIN).toISOString() },
      lastAlert: { at: new Date(NOW - 10 * MIN).toISOString(), kind: 'down', level: 'critical' },
    });

    state.alerts.keys['api/down'] = { ...state.alerts.keys['api/down']!, resolvedAt: NOW - 2 * MIN };
    const resolved = statusView(manifest, state, NOW).services[0]!;
    expect(resolved.incident).toBeUndefined();
    expect(resolved.lastAlert).toEqual({ at: new Date(NOW - 2 * MIN).toISOString(), kind: 'resolved', level: 'critical', channels: ['log'] });
  });

  describe('cooldown left is what the decision waits for', () => {
    it.each([
      ['10s', 2_000, 7_000],
      ['10s', 9_000, 0],
      ['1m', 30_000, 24_000],
      ['5m', 60_000, 3 * MIN + 50_000],
      ['10m', 4 * MIN, 5 * MIN + 50_000],
    ])('cooldown %s, restarted %ims ago: %ims left', (cooldown, ago, left) => {
      const m = loaded(`version: 1
defaults: { cooldown: ${cooldown}, max_heals_per_hour: 100 }
services:
  api:
    checks: [ { type: port, port: 1 } ]
    restart: { type: command, run: ["true"] }
`);
      const state = stateWith();
      const api = state.services['api']!;
      state.services['api'] = { ...api, breaker: CLOSED, heals: [{ at: NOW - ago, result: 'failed' }] };
      expect(statusView(m, state, NOW).services[0]?.cooldownLeftMs).toBe(left);
      const decision = decideHeal({ service: resolveServices(m.manifest)[0]!, previous: state.services['api'], healthy: false, parentsDown: [], now: NOW });
      if (left === 0) expect(decision).toMatchObject({ action: 'restart' });
      else expect(decision).toMatchObject({ action: 'hold', rule: 'cooldown', untilMs: NOW + left });
    });
  });

  it('shows nothing from the future longer than its own setting after the clock was set back a day', () => {
    const DAY = 24 * 60 * MIN;
    const state = stateWith({ lastScan: { startedAt: NOW + DAY, durationMs: 5, exitCode: 1 } });
    const api = state.services['api']!;
    state.services['api'] = {
      ...api, since: NOW + DAY, heals: [{ at: NOW + DAY, result: 'failed' }], breaker: { state: 'open', openedAt: NOW + DAY, openForMs: 10 * MIN },
    };
    state.alerts.silences['api'] = { until: NOW + DAY + 120 * MIN, createdAt: NOW + DAY };
    state.alerts.channels['log'] = { retryAfterUntil: NOW + DAY + 30_000, lastError: { at: NOW + DAY, error: 'HTTP 429' } };
    const view = statusView(manifest, state, NOW);
    expect(view.lastScan).toMatchObject({ agoMs: 0, stale: false });
    expect(view.services[0]).toMatchObject({
      forMs: 0,
      healsLastHour: 1,
      cooldownLeftMs: 10 * MIN - 10_000,
      breaker: 'open',
      halfOpenInMs: 10 * MIN - 10_000,
      silenced: { until: new Date(NOW + 120 * MIN).toISOString() },
    });
    expect(view.channels).toEqual([{ name: 'log', waiting: 0, lastError: 'HTTP 429', retryAfterUntil: new Date(NOW + 30_000).toISOString() }]);
  });
});
