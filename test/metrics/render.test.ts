import { describe, expect, it } from 'vitest';
import { countHeals, emptyMetricsCounters, type HealCount } from '../../src/metrics/counters.js';
import { escapeLabelValue, formatValue, renderMetrics, type MetricsInput, type MetricsState } from '../../src/metrics/render.js';
import type { ScanReport } from '../../src/scan/index.js';
import type { State } from '../../src/state/schema.js';
import type { BreakerState } from '../../src/policy/breaker.js';
import { parseExposition, smallInput, smallReport, smallState, T0, valueOf } from './fixtures.js';

const GOLDEN = `# HELP heal_last_scan_timestamp_seconds When the last heal scan started, in seconds since the Unix epoch.
# TYPE heal_last_scan_timestamp_seconds gauge
heal_last_scan_timestamp_seconds 1740830400
# HELP heal_scan_duration_seconds How long the last heal scan took, in seconds.
# TYPE heal_scan_duration_seconds gauge
heal_scan_duration_seconds 1.234
# HELP heal_service_up Whether the service was up at the end of the last scan: 1 up, healed or degraded (it answers), 0 down or skipped.
# TYPE heal_service_up gauge
heal_service_up{service="api"} 0
heal_service_up{service="db"} 1
# HELP heal_check_up Whether the check passed in the last scan (after a restart, in the verifying run): 1 passed, 0 failed.
# TYPE heal_check_up gauge
heal_check_up{service="api",check="port 127.0.0.1:4000"} 0
heal_check_up{service="api",check="GET http://127.0.0.1:4000/health"} 0
heal_check_up{service="db",check="port 127.0.0.1:5432"} 1
# HELP heal_check_latency_seconds How long the check took in the last scan, in seconds.
# TYPE heal_check_latency_seconds gauge
heal_check_latency_seconds{service="api",check="port 127.0.0.1:4000"} 0.003
heal_check_latency_seconds{service="api",check="GET http://127.0.0.1:4000/health"} 1.5
heal_check_latency_seconds{service="db",check="port 127.0.0.1:5432"} 0.012
# HELP heal_heals_total Restarts attempted, by result: healed (the checks passed after it) or failed.
# TYPE heal_heals_total counter
heal_heals_total{service="api",result="healed"} 0
heal_heals_total{service="api",result="failed"} 5
heal_heals_total{service="db",result="healed"} 2
heal_heals_total{service="db",result="failed"} 0
# HELP heal_breaker_open Whether the service's circuit breaker is open (no restarts until it half-opens): 1 open, 0 closed or half-open.
# TYPE heal_breaker_open gauge
heal_breaker_open{service="api"} 1
heal_breaker_open{service="db"} 0
# HELP heal_alerts_sent_total Alert messages delivered, by level and channel.
# TYPE heal_alerts_sent_total counter
heal_alerts_sent_total{level="critical",channel="discord"} 3
heal_alerts_sent_total{level="critical",channel="log"} 4
heal_alerts_sent_total{level="info",channel="log"} 0
heal_alerts_sent_total{level="warning",channel="log"} 0
# HELP heal_alerts_dropped_total Alert messages given up on: too old, or refused for good by their channel.
# TYPE heal_alerts_dropped_total counter
heal_alerts_dropped_total 1
# HELP heal_outbox_messages Alert messages waiting in the outbox after the last scan, by channel.
# TYPE heal_outbox_messages gauge
heal_outbox_messages{channel="discord"} 2
heal_outbox_messages{channel="log"} 0
`;

describe('renderMetrics', () => {
  it('renders a small scan as this exact text', () => {
    expect(renderMetrics(smallInput())).toBe(GOLDEN);
  });

  it('gives every family a HELP and a TYPE line, and ends with a newline', () => {
    const text = renderMetrics(smallInput());
    const names = [...new Set(parseExposition(text).map((s) => s.name))];
    for (const name of names) {
      expect(text).toContain(`# HELP ${name} `);
      expect(text).toMatch(new RegExp(`# TYPE ${name} (gauge|counter)\\n`));
    }
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toContain('\n\n');
  });

  it.each([
    ['up', 1],
    ['healed', 1],
    ['down', 0],
    ['skipped', 0],
  ] as const)('counts a service whose status is %s as %i', (status, up) => {
    const report = smallReport({ services: [{ name: 'api', status, checks: [] }] });
    expect(valueOf(parseExposition(renderMetrics(smallInput({ report }))), 'heal_service_up', { service: 'api' })).toBe(up);
  });

  it.each<[string, BreakerState | undefined, number]>([
    ['closed', { state: 'closed', failures: 3 }, 0],
    ['open and still waiting', { state: 'open', openedAt: T0, openForMs: 60_000 }, 1],
    ['open, its wait over (half-open by now)', { state: 'open', openedAt: T0 - 120_000, openForMs: 60_000 }, 0],
    ['half-open', { state: 'half_open', since: T0, openForMs: 60_000, successes: 1 }, 0],
    ['unknown to the state', undefined, 0],
  ])('writes heal_breaker_open for a breaker that is %s as %i', (_, breaker, open) => {
    const report = smallReport({ services: [{ name: 'api', status: 'down', checks: [] }] });
    const state = smallState({ services: breaker ? { api: { breaker } } : {} });
    expect(valueOf(parseExposition(renderMetrics({ report, state, now: T0 + 1_000 })), 'heal_breaker_open', { service: 'api' })).toBe(open);
  });

  it.each([
    ['a plain name', 'port 127.0.0.1:4000', 'port 127.0.0.1:4000'],
    ['a double quote', 'say "ok"', 'say \\"ok\\"'],
    ['a backslash', 'C:\\svc\\run', 'C:\\\\svc\\\\run'],
    ['a line feed', 'line one\nline two', 'line one\\nline two'],
    ['all of them', '\\"\n', '\\\\\\"\\n'],
    ['non-ASCII', 'café ✓', 'café ✓'],
  ])('escapes %s in a label value', (_, raw, escaped) => {
    expect(escapeLabelValue(raw)).toBe(escaped);
    const report = smallReport({ services: [{ name: 'odd', status: 'up', checks: [{ name: raw, ok: true, latencyMs: 1 }] }] });
    const text = renderMetrics({ report, state: smallState(), now: T0 });
    expect(text).toContain(`heal_check_up{service="odd",check="${escaped}"} 1\n`);
    expect(valueOf(parseExposition(text), 'heal_check_up', { service: 'odd', check: raw })).toBe(1);
  });

  it('keeps each line one sample, whatever the names hold', () => {
    const report = smallReport({
      services: [{ name: 'we"ird\\name', status: 'down', checks: [{ name: 'a\nb "c" \\ d', ok: false, latencyMs: 7 }] }],
    });
    const text = renderMetrics({ report, state: smallState(), now: T0 });
    expect(text.split('\n').filter((l) => l.startsWith('heal_check_up'))).toEqual(['heal_check_up{service="we\\"ird\\\\name",check="a\\nb \\"c\\" \\\\ d"} 0']);
  });

  it('numbers checks of a service that share a name, so no series is written twice', () => {
    const check = { name: 'port 127.0.0.1:80', ok: true, latencyMs: 1 };
    const report = smallReport({ services: [{ name: 'web', status: 'up', checks: [check, { ...check, ok: false }, check] }] });
    const parsed = parseExposition(renderMetrics({ report, state: smallState(), now: T0 }));
    expect(parsed.filter((s) => s.name === 'heal_check_up').map((s) => [s.labels.check, s.value])).toEqual([
      ['port 127.0.0.1:80', 1],
      ['port 127.0.0.1:80 (2)', 0],
      ['port 127.0.0.1:80 (3)', 1],
    ]);
  });

  it('writes 0 for counters and outboxes that have not moved yet, so the first heal or alert is an increase', () => {
    const report = smallReport({ services: [{ name: 'fresh', status: 'up', checks: [] }], outbox: {} });
    const state: MetricsState = { services: {}, alerts: { sent: {}, dropped: 0 } };
    const parsed = parseExposition(renderMetrics({ report, state, now: T0, alertLevels: { critical: { channels: ['ops'] } } }));
    expect(valueOf(parsed, 'heal_heals_total', { service: 'fresh', result: 'healed' })).toBe(0);
    expect(valueOf(parsed, 'heal_heals_total', { service: 'fresh', result: 'failed' })).toBe(0);
    expect(valueOf(parsed, 'heal_alerts_sent_total', { level: 'critical', channel: 'ops' })).toBe(0);
    expect(valueOf(parsed, 'heal_alerts_dropped_total')).toBe(0);
    expect(valueOf(parsed, 'heal_outbox_messages', { channel: 'ops' })).toBe(0);
  });

  it('keeps the heal counters of a service this scan did not check', () => {
    const report = smallReport({ services: [{ name: 'api', status: 'up', checks: [] }] });
    const parsed = parseExposition(renderMetrics({ report, state: smallState(), now: T0 }));
    expect(valueOf(parsed, 'heal_heals_total', { service: 'db', result: 'healed' })).toBe(2);
    expect(valueOf(parsed, 'heal_service_up', { service: 'db' })).toBeUndefined();
  });

  it('reads a state written before the counters existed as all zero', () => {
    const { metrics: _metrics, ...old } = smallState();
    const parsed = parseExposition(renderMetrics({ report: smallReport(), state: old, now: T0 }));
    expect(valueOf(parsed, 'heal_heals_total', { service: 'api', result: 'failed' })).toBe(0);
  });

  it.each([
    [0.25, '0.25'],
    [1_740_830_400.123, '1740830400.123'],
    [Number.NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ])('spells the value %d as %s', (value, text) => {
    expect(formatValue(value)).toBe(text);
  });

  it('never lets a counter go down from one scan to the next, though the heal records are pruned', () => {
    // Scan 1: api failed twice in the state's records; scan 2: those records pruned, one more heal.
    const scan1: HealCount[] = [
      { service: 'api', result: 'failed' },
      { service: 'api', result: 'failed' },
      { service: 'db', result: 'healed' },
    ];
    const scan2: HealCount[] = [{ service: 'api', result: 'healed' }];
    const state1 = smallState({ metrics: countHeals(emptyMetricsCounters(), scan1), alerts: { sent: { 'critical/log': 1 }, dropped: 0 } });
    const state2 = smallState({ metrics: countHeals(state1.metrics, scan2), alerts: { sent: { 'critical/log': 2 }, dropped: 1 } });
    const first = parseExposition(renderMetrics(smallInput({ state: state1 })));
    const second = parseExposition(renderMetrics(smallInput({ state: state2, now: T0 + 300_000 })));

    const counters = first.filter((s) => s.name.endsWith('_total'));
    expect(counters.length).toBeGreaterThan(5);
    for (const sample of counters) {
      expect(valueOf(second, sample.name, sample.labels), `${sample.name} ${JSON.stringify(sample.labels)}`).toBeGreaterThanOrEqual(sample.value);
    }
    expect(valueOf(second, 'heal_heals_total', { service: 'api', result: 'failed' })).toBe(2);
    expect(valueOf(second, 'heal_heals_total', { service: 'api', result: 'healed' })).toBe(1);
    expect(valueOf(second, 'heal_alerts_sent_total', { level: 'critical', channel: 'log' })).toBe(2);
    expect(valueOf(second, 'heal_alerts_dropped_total')).toBe(1);
  });
});

// Compile-time only: a ScanReport and the State (with the counters added) fit the input as they are.
export function fitsScanTypes(report: ScanReport, state: State): MetricsInput {
  return { report, state, now: 0 };
}
