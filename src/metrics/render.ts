/**
 * The metrics file: what the last scan saw, in the Prometheus text exposition format (0.0.4),
 * for node_exporter's textfile collector. Pure: a function of the scan's report, the state the
 * scan saved and `now`.
 *
 * Gauges describe the last scan; counters (`*_total`) come from state that only grows
 * (`state.metrics.heals`, `state.alerts.sent`, `state.alerts.dropped`), so they never go down
 * from one scan to the next. Counters and outbox gauges are written as 0 for every known
 * service, level and channel, so the first heal or alert is an increase `rate()` can see.
 */
import { breakerAt, type BreakerState } from '../policy/breaker.js';
import { HEAL_RESULTS, healCounterKey, parseHealCounterKey, type MetricsCounters } from './counters.js';

/** The part of a scan's report the metrics are made from (a `ScanReport` fits). */
export type MetricsReport = {
  /** ISO time the scan started. */
  startedAt: string;
  durationMs: number;
  services: readonly MetricsServiceReport[];
  /** Messages still waiting in the outbox after the scan, by channel. */
  outbox: Readonly<Record<string, number>>;
};

export type MetricsServiceReport = {
  name: string;
  status: 'up' | 'down' | 'healed' | 'degraded' | 'skipped';
  checks: readonly { name: string; ok: boolean; latencyMs: number }[];
};

/** The part of the saved state the metrics are made from (a `State` fits). */
export type MetricsState = {
  services: Readonly<Record<string, { breaker: BreakerState }>>;
  alerts: { sent: Readonly<Record<string, number>>; dropped: number };
  /** Counters that only grow (see counters.ts); absent in a state written before they existed. */
  metrics?: MetricsCounters;
};

export type MetricsInput = {
  report: MetricsReport;
  /** The state as the scan saved it (after sends). */
  state: MetricsState;
  /** Decides whether an open breaker's wait is over (then it is half-open, and 0). */
  now: number;
  /**
   * The channels of each alert level (`alertConfig(manifest).levels` fits): sent counters and
   * outbox gauges are written as 0 for these before anything was sent. Optional.
   */
  alertLevels?: Readonly<Record<string, { channels: readonly string[] }>>;
};

type Labels = readonly (readonly [name: string, value: string])[];
type Sample = { labels: Labels; value: number };
type Family = { name: string; help: string; type: 'gauge' | 'counter'; samples: Sample[] };

/** Renders the metrics file's text: every family with HELP and TYPE lines, ending in a newline. */
export function renderMetrics(input: MetricsInput): string {
  const { report, state, now } = input;
  const services = [...report.services].sort((a, b) => compare(a.name, b.name));
  const counters = state.metrics?.heals ?? {};

  const families: Family[] = [
    {
      name: 'heal_last_scan_timestamp_seconds',
      help: 'When the last heal scan started, in seconds since the Unix epoch.',
      type: 'gauge',
      samples: [{ labels: [], value: Date.parse(report.startedAt) / 1_000 }],
    },
    {
      name: 'heal_scan_duration_seconds',
      help: 'How long the last heal scan took, in seconds.',
      type: 'gauge',
      samples: [{ labels: [], value: report.durationMs / 1_000 }],
    },
    {
      name: 'heal_service_up',
      help: 'Whether the service was up at the end of the last scan: 1 up, healed or degraded (it answers), 0 down or skipped.',
      type: 'gauge',
      samples: services.map((s) => ({ labels: [['service', s.name]], value: s.status === 'up' || s.status === 'healed' || s.status === 'degraded' ? 1 : 0 })),
    },
    {
      name: 'heal_check_up',
      help: 'Whether the check passed in the last scan (after a restart, in the verifying run): 1 passed, 0 failed.',
      type: 'gauge',
      samples: checkSamples(services, (check) => (check.ok ? 1 : 0)),
    },
    {
      name: 'heal_check_latency_seconds',
      help: 'How long the check took in the last scan, in seconds.',
      type: 'gauge',
      samples: checkSamples(services, (check) => check.latencyMs / 1_000),
    },
    {
      name: 'heal_heals_total',
      help: 'Restarts attempted, by result: healed (the checks passed after it) or failed.',
      type: 'counter',
      samples: healSamples(services, counters),
    },
    {
      name: 'heal_breaker_open',
      help: "Whether the service's circuit breaker is open (no restarts until it half-opens): 1 open, 0 closed or half-open.",
      type: 'gauge',
      samples: services.map((s) => {
        const breaker = (Object.hasOwn(state.services, s.name) ? state.services[s.name] : undefined)?.breaker;
        return { labels: [['service', s.name]], value: breaker && breakerAt(breaker, now).state === 'open' ? 1 : 0 };
      }),
    },
    {
      name: 'heal_alerts_sent_total',
      help: 'Alert messages delivered, by level and channel.',
      type: 'counter',
      samples: sentSamples(state.alerts.sent, input.alertLevels),
    },
    {
      name: 'heal_alerts_dropped_total',
      help: 'Alert messages given up on: too old, or refused for good by their channel.',
      type: 'counter',
      samples: [{ labels: [], value: state.alerts.dropped }],
    },
    {
      name: 'heal_outbox_messages',
      help: 'Alert messages waiting in the outbox after the last scan, by channel.',
      type: 'gauge',
      samples: outboxSamples(report.outbox, input.alertLevels),
    },
  ];
  return families.map(renderFamily).join('');
}

/**
 * One sample per check of every service. Two checks of a service with the same name would be
 * one series written twice, which a scrape cannot take: the later ones get " (2)", " (3)"….
 */
function checkSamples(services: readonly MetricsServiceReport[], value: (check: MetricsServiceReport['checks'][number]) => number): Sample[] {
  return services.flatMap((service) => {
    const seen = new Set<string>();
    return service.checks.map((check) => {
      let name = check.name;
      for (let n = 2; seen.has(name); n++) name = `${check.name} (${n})`;
      seen.add(name);
      return { labels: [['service', service.name], ['check', name]] as const, value: value(check) };
    });
  });
}

/** Every scanned service and every service ever counted, with both results (0 until one happens). */
function healSamples(services: readonly MetricsServiceReport[], counters: Readonly<Record<string, number>>): Sample[] {
  const names = new Set(services.map((s) => s.name));
  for (const key of Object.keys(counters)) {
    const parsed = parseHealCounterKey(key);
    if (parsed) names.add(parsed.service);
  }
  return [...names].sort(compare).flatMap((service) =>
    HEAL_RESULTS.map((result) => ({ labels: [['service', service], ['result', result]] as const, value: counters[healCounterKey(service, result)] ?? 0 })),
  );
}

/** state.alerts.sent is keyed "<level>/<channel>"; levels hold no "/". */
function sentSamples(sent: Readonly<Record<string, number>>, levels: MetricsInput['alertLevels']): Sample[] {
  const values = new Map<string, { level: string; channel: string; value: number }>();
  for (const [level, config] of Object.entries(levels ?? {})) {
    for (const channel of config.channels) values.set(`${level}/${channel}`, { level, channel, value: 0 });
  }
  for (const [key, value] of Object.entries(sent)) {
    const slash = key.indexOf('/');
    if (slash <= 0) continue;
    values.set(key, { level: key.slice(0, slash), channel: key.slice(slash + 1), value });
  }
  return [...values.values()]
    .sort((a, b) => compare(a.level, b.level) || compare(a.channel, b.channel))
    .map(({ level, channel, value }) => ({ labels: [['level', level], ['channel', channel]] as const, value }));
}

function outboxSamples(outbox: Readonly<Record<string, number>>, levels: MetricsInput['alertLevels']): Sample[] {
  const channels = new Set([...Object.values(levels ?? {}).flatMap((l) => l.channels), ...Object.keys(outbox)]);
  return [...channels].sort(compare).map((channel) => ({ labels: [['channel', channel]], value: outbox[channel] ?? 0 }));
}

function renderFamily(family: Family): string {
  const lines = [`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`];
  for (const sample of family.samples) lines.push(`${family.name}${renderLabels(sample.labels)} ${formatValue(sample.value)}`);
  return `${lines.join('\n')}\n`;
}

function renderLabels(labels: Labels): string {
  if (!labels.length) return '';
  return `{${labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

/** A label value as the text format wants it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

/** HELP text escapes only backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\\' ? '\\\\' : '\\n'));
}

/** A sample value: Go's ParseFloat reads JavaScript's number spelling, except the infinities. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
