/**
 * The pure fold of a scan (src/scan/next-state.ts), called in-process: a state, what each
 * service's checks saw and what was done, one `now` → the next state, the reports and what to say.
 * No socket, file or clock: every time here is an argument.
 */
import { describe, expect, it } from 'vitest';
import { alertConfig } from '../../src/alerts/levels.js';
import { parseManifest } from '../../src/manifest/parse.js';
import { resolveServices } from '../../src/manifest/resolve.js';
import type { Manifest } from '../../src/manifest/schema.js';
import { nextState, scanResultOf, type NextStateInput, type ServiceOutcome } from '../../src/scan/next-state.js';
import type { CheckReport, ServiceReport } from '../../src/scan/report.js';
import { emptyState, type HealRecord, type State } from '../../src/state/schema.js';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const MINUTE = 60_000;

const MANIFEST = `
version: 1
alerts:
  levels:
    critical: { threshold: 1, cooldown: 1h, channels: [am, log] }
  channels:
    am: { type: alertmanager, url: "http://127.0.0.1:9/" }
services:
  api:
    checks: [ { type: port, port: 4000 } ]
    restart: { type: command, run: ["/bin/true"] }
    alert_level: critical
    max_heals_per_hour: 1
  worker:
    checks: [ { type: port, port: 4001 } ]
    alert_level: critical
  old:
    enabled: false
    checks: [ { type: port, port: 4002 } ]
`;

function manifest(): Manifest {
  const parsed = parseManifest(MANIFEST, {});
  if (!parsed.manifest) throw new Error(`test manifest invalid: ${JSON.stringify(parsed)}`);
  return parsed.manifest;
}

const M = manifest();
const SERVICES = Object.fromEntries(resolveServices(M).map((s) => [s.name, s]));

const port = (n: number, ok: boolean): CheckReport =>
  ok ? { type: 'port', name: `port 127.0.0.1:${n}`, ok: true, latencyMs: 1 } : { type: 'port', name: `port 127.0.0.1:${n}`, ok: false, latencyMs: 1, error: 'connection refused' };

function outcome(name: 'api' | 'worker', status: ServiceReport['status'], extra: Partial<ServiceReport> = {}, heal?: HealRecord): ServiceOutcome {
  const n = name === 'api' ? 4000 : 4001;
  const ok = status === 'up' || status === 'healed';
  const report: ServiceReport = { name, status, rule: ok && !heal ? 'healthy' : 'down', checks: [port(n, ok)], ...extra };
  return { service: SERVICES[name]!, report, ...(heal ? { heal } : {}) };
}

function input(state: State, outcomes: ServiceOutcome[], now: number, resendChannels: string[] = ['am']): NextStateInput {
  return { manifest: M, alerts: alertConfig(M), resendChannels, state, outcomes, started: now - 2_000, now, host: 'box' };
}

describe('the next state of a scan', () => {
  it('records each judged service and keeps one the scan did not judge as it was', () => {
    const first = nextState(input(emptyState(), [outcome('api', 'up'), outcome('worker', 'up')], T0)).state;
    const second = nextState(input(first, [outcome('api', 'up')], T0 + 5 * MINUTE)).state;
    expect(first.services['api']).toMatchObject({ status: 'up', since: T0, lastScanAt: T0, healthyScans: 1, failingScans: 0, recent: 'u' });
    expect(second.services['api']).toMatchObject({ status: 'up', since: T0, lastScanAt: T0 + 5 * MINUTE, healthyScans: 2, recent: 'uu' });
    expect(second.services['worker']).toEqual(first.services['worker']);
  });

  it('derives what the record keeps from the report and the heal', () => {
    const heal: HealRecord = { at: T0 - 1_000, result: 'healed' };
    expect(scanResultOf(outcome('api', 'healed', { rule: 'down', action: 'restarted (command: /bin/true)' }, heal))).toEqual({
      healthy: true,
      checks: [{ name: 'port 127.0.0.1:4000', ok: true, latencyMs: 1 }],
      rule: 'down',
      heal,
    });
    expect(scanResultOf(outcome('worker', 'skipped', { rule: 'waiting-on-parent', reason: 'waiting on api' }))).toMatchObject({ healthy: false, rule: 'waiting-on-parent' });
    expect(scanResultOf(outcome('api', 'down', { action: 'would restart (command: /bin/true)' }))).not.toHaveProperty('heal');
  });

  it('remembers a heal, counts it for the metrics, and says once that the hourly cap stopped the restarts', () => {
    const heal: HealRecord = { at: T0 - 1_000, result: 'failed', error: 'still failing' };
    const healed = nextState(input(emptyState(), [outcome('api', 'down', { action: 'restarted (command: /bin/true)', reason: 'still failing after restart' }, heal)], T0));
    expect(healed.state.services['api']!.heals).toEqual([heal]);
    expect(healed.state.metrics.heals).toEqual({ 'api/failed': 1 });
    expect(healed.stopped).toEqual([{ service: 'api', untilMs: heal.at + 3_600_000, why: expect.stringContaining('hourly cap') }]);

    const held = nextState(input(healed.state, [outcome('api', 'down', { rule: 'hourly-cap', action: 'held back' })], T0 + 5 * MINUTE));
    expect(held.stopped).toEqual([]);
  });

  it('routes a service down past its threshold to its level\'s channels and puts the messages in the outbox', () => {
    const next = nextState(input(emptyState(), [outcome('worker', 'down', { rule: 'no-restart', reason: 'no restart configured' })], T0));
    expect(next.routed.map((r) => [r.notice.service, r.notice.kind, r.channels])).toEqual([['worker', 'down', ['am', 'log']]]);
    expect(next.state.alerts.outbox.map((e) => e.message.channel).sort()).toEqual(['am', 'log']);
    expect(next.reports[0]).toMatchObject({ name: 'worker', status: 'down' });
  });

  it('sends a firing alert again on the next scan only to the channels that need it re-sent', () => {
    const down = outcome('worker', 'down', { rule: 'no-restart', reason: 'no restart configured' });
    const first = nextState(input(emptyState(), [down], T0));
    const delivered: State = { ...first.state, alerts: { ...first.state.alerts, outbox: [] } };

    const resent = nextState(input(delivered, [down], T0 + 5 * MINUTE));
    expect(resent.routed).toEqual([]);
    expect(resent.state.alerts.outbox.map((e) => e.message.channel)).toEqual(['am']);

    const none = nextState(input(delivered, [down], T0 + 5 * MINUTE, []));
    expect(none.state.alerts.outbox).toEqual([]);
  });

  it('sends no notice for a service a maintenance window held when heal decided, and the one still due on the first scan after it', () => {
    const down = outcome('worker', 'down', { rule: 'no-restart', reason: 'no restart configured' });
    const during = nextState(input(emptyState(), [{ ...down, maintenance: 'nightly' }], T0));
    expect(during.routed).toEqual([]);
    expect(during.state.alerts.outbox).toEqual([]);
    const after = nextState(input(during.state, [down], T0 + 35 * MINUTE));
    expect(after.routed.map((r) => [r.notice.service, r.notice.kind])).toEqual([['worker', 'down']]);
  });

  it('closes the open alert of a service that is disabled since', () => {
    const down = outcome('worker', 'down', { rule: 'no-restart', reason: 'no restart configured' });
    const first = nextState(input(emptyState(), [down], T0)).state;
    const disabled: Manifest = { ...M, services: { ...M.services, worker: { ...M.services['worker']!, enabled: false } } };
    const next = nextState({ ...input({ ...first, alerts: { ...first.alerts, outbox: [] } }, [], T0 + 5 * MINUTE), manifest: disabled });
    expect(next.routed.map((r) => [r.notice.service, r.notice.kind])).toEqual([['worker', 'resolved']]);
  });

  it('is a function: the same input gives the same output, and the input is left as it was', () => {
    const state = nextState(input(emptyState(), [outcome('worker', 'down', { rule: 'no-restart' })], T0)).state;
    const frozen = structuredClone(state);
    const args = input(state, [outcome('api', 'up'), outcome('worker', 'up')], T0 + 5 * MINUTE);
    expect(nextState(args)).toEqual(nextState(args));
    expect(state).toEqual(frozen);
  });
});
