/** Inputs shared by the metrics tests: a small scan of two services and the state it saved. */
import type { MetricsInput, MetricsReport, MetricsState } from '../../src/metrics/render.js';

/** 2025-03-01T12:00:00Z */
export const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);

export const LEVELS = { critical: { channels: ['discord', 'log'] }, warning: { channels: ['log'] }, info: { channels: ['log'] } };

export function smallReport(overrides: Partial<MetricsReport> = {}): MetricsReport {
  return {
    startedAt: new Date(T0).toISOString(),
    durationMs: 1_234,
    services: [
      {
        name: 'db',
        status: 'healed',
        checks: [{ name: 'port 127.0.0.1:5432', ok: true, latencyMs: 12 }],
      },
      {
        name: 'api',
        status: 'down',
        checks: [
          { name: 'port 127.0.0.1:4000', ok: false, latencyMs: 3 },
          { name: 'GET http://127.0.0.1:4000/health', ok: false, latencyMs: 1_500 },
        ],
      },
    ],
    outbox: { discord: 2 },
    ...overrides,
  };
}

export function smallState(overrides: Partial<MetricsState> = {}): MetricsState {
  return {
    services: {
      api: { breaker: { state: 'open', openedAt: T0 - 10_000, openForMs: 60_000 } },
      db: { breaker: { state: 'closed', failures: 0 } },
    },
    alerts: { sent: { 'critical/discord': 3, 'critical/log': 4 }, dropped: 1 },
    metrics: { heals: { 'api/failed': 5, 'db/healed': 2 } },
    ...overrides,
  };
}

export function smallInput(overrides: Partial<MetricsInput> = {}): MetricsInput {
  return { report: smallReport(), state: smallState(), now: T0 + 2_000, alertLevels: LEVELS, ...overrides };
}

/** One sample as a scrape shows it: label values unescaped. */
export type ParsedSample = { name: string; labels: Record<string, string>; value: number };

/**
 * Parses the text exposition format as a scraper would (label values unescaped), so a file and
 * node_exporter's re-exposition of it (labels sorted, numbers spelled by Go) compare equal.
 */
export function parseExposition(text: string): ParsedSample[] {
  const out: ParsedSample[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+\d+)?$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    out.push({ name: match[1]!, labels: parseLabels(match[2] ?? ''), value: parseValue(match[3]!) });
  }
  return out;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 1;
  while (i < text.length - 1) {
    const eq = text.indexOf('=', i);
    const name = text.slice(i, eq);
    let value = '';
    let j = eq + 2; // past ="
    for (; text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        j++;
        value += text[j] === 'n' ? '\n' : text[j];
      } else value += text[j];
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** The value of the one sample of `name` whose labels are exactly `labels`; undefined when absent. */
export function valueOf(parsed: readonly ParsedSample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  const found = parsed.filter((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted);
  if (found.length > 1) throw new Error(`${name} ${wanted} appears ${found.length} times`);
  return found[0]?.value;
}
