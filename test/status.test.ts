import { describe, expect, it } from 'vitest';
import { CLOSED } from '../src/breaker.js';
import type { LoadedManifest } from '../src/manifest/load.js';
import { parseManifest } from '../src/manifest/parse.js';
import { emptyState, type State } from '../src/state/schema.js';
import { statusView } from '../src/status.js';

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
        breaker: { state: 'open', openedAt: NOW - 4 * MIN, openForMs: 10 * MIN }, healedStreak: 0, capStreak: 0, steadyScans: 0,
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
      healsLastHour: 2, maxHealsPerHour: 3, cooldownLeftMs: 6 * MIN, breaker: 'open', halfOpenInMs: 6 * MIN,
      lastHeal: { at: new Date(NOW - 4 * MIN).toISOString(), result: 'failed', error: 'connection refused' }, checks: [],
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
});
