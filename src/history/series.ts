/**
 * The history in memory, by columns, pure: a month of scans of fifty services is some 430,000
 * entries, which as objects (a map per scan, an object and a latency list per service) cost
 * `heal status` over a second of garbage collection; as columns of small numbers, read one line
 * at a time, they cost a few megabytes and next to nothing to collect. Each scan is an index into
 * `t`; each service has its status code and its slowest check's latency at every index, and its
 * restarts and notices where it had any.
 */
import { readLine, STATUS_CODES, type HistoryRecord } from './record.js';
import type { ServiceStatus } from '../scan/report.js';

/** In a column: the scan did not judge the service (or ran none of its checks, for latencies). */
export const ABSENT = -1;

export type ServiceSeries = {
  /** Per scan, its status code (the index in {@link STATUS_CODES}), or {@link ABSENT}. */
  status: number[];
  /** Per scan, its slowest check's latency (ms), or {@link ABSENT}. */
  slowestMs: number[];
  /** The scans that restarted it (by index): whether the restart brought it back. */
  restarts: Map<number, 'healed' | 'failed'>;
  /** The scans that made notices about it (by index): how many. */
  alerts: Map<number, number>;
};

export type History = {
  /** Each scan's start, oldest first, one per start. */
  t: number[];
  /** Each scan's duration (ms). */
  durationMs: number[];
  /** Per service, its columns, as long as `t`. */
  services: Map<string, ServiceSeries>;
};

/** A service's status at scan `i`; undefined when that scan did not judge it. */
export function statusAt(series: ServiceSeries, i: number): ServiceStatus | undefined {
  return STATUS_CODES[series.status[i] ?? ABSENT];
}

/**
 * The history of `records` in any order: sorted by start, and of two with the same start the
 * later one given kept.
 */
export function historyOf(records: Iterable<HistoryRecord>): History {
  const columns = builder();
  for (const record of records) {
    const i = columns.scan(record.t, record.durationMs);
    for (const [name, scan] of record.services) {
      columns.service(i, name, STATUS_CODES.indexOf(scan.status), scan.latencyMs.length ? Math.max(...scan.latencyMs) : ABSENT, scan.restart, scan.alerts);
    }
  }
  return columns.finish();
}

/**
 * The history of history lines (record.ts), read one at a time straight into the columns, so a
 * month of them is never held as objects; a line that is not a record is skipped. Sorted and
 * kept one per start as {@link historyOf} does; `since` drops the scans that started before it.
 */
export function historyOfLines(lines: Iterable<string>, since = -Infinity): History {
  const columns = builder();
  for (const line of lines) {
    if (!line) continue;
    let i = -1;
    readLine(
      line,
      (name, status, entry, restart, alerts) => {
        let slowest = ABSENT;
        for (let k = 1; k < entry.length; k++) if (entry[k]! > slowest) slowest = entry[k]!;
        columns.service(i, name, STATUS_CODES.indexOf(status), slowest, restart, alerts);
      },
      (t, durationMs) => {
        if (t < since) return false;
        i = columns.scan(t, durationMs);
        return true;
      },
    );
  }
  return columns.finish();
}

/** Columns filled scan by scan, then put in order. */
function builder() {
  const t: number[] = [];
  const durationMs: number[] = [];
  const services = new Map<string, ServiceSeries>();
  return {
    /** A new scan; its index. */
    scan(start: number, duration: number): number {
      t.push(start);
      durationMs.push(duration);
      return t.length - 1;
    },
    service(i: number, name: string, code: number, slowest: number, restart: 'healed' | 'failed' | undefined, alerts: number): void {
      let series = services.get(name);
      if (!series) services.set(name, (series = { status: [], slowestMs: [], restarts: new Map(), alerts: new Map() }));
      pad(series, i);
      series.status.push(code);
      series.slowestMs.push(slowest);
      if (restart) series.restarts.set(i, restart);
      if (alerts) series.alerts.set(i, alerts);
    },
    finish(): History {
      for (const series of services.values()) pad(series, t.length);
      return ordered({ t, durationMs, services });
    },
  };
}

/** Fills a service's columns with ABSENT up to scan `length` (the scans before it first appeared). */
function pad(series: ServiceSeries, length: number): void {
  while (series.status.length < length) {
    series.status.push(ABSENT);
    series.slowestMs.push(ABSENT);
  }
}

/** The columns sorted by start, one scan per start (the last given); as given when they already are. */
function ordered(history: History): History {
  const { t } = history;
  let sorted = true;
  for (let i = 1; i < t.length && sorted; i++) sorted = t[i - 1]! < t[i]!;
  if (sorted) return history;
  const order = t.map((_, i) => i).sort((a, b) => t[a]! - t[b]! || a - b);
  // Of a run with one start, the last index given.
  const keep = order.filter((index, k) => k === order.length - 1 || t[order[k + 1]!] !== t[index]);
  const at = new Map(keep.map((index, k) => [index, k]));
  const moved = <V>(entries: Map<number, V>) => new Map([...entries].flatMap(([index, value]) => (at.has(index) ? [[at.get(index)!, value] as const] : [])));
  return {
    t: keep.map((i) => t[i]!),
    durationMs: keep.map((i) => history.durationMs[i]!),
    services: new Map([...history.services].map(([name, s]) => [name, {
      status: keep.map((i) => s.status[i]!),
      slowestMs: keep.map((i) => s.slowestMs[i]!),
      restarts: moved(s.restarts),
      alerts: moved(s.alerts),
    }])),
  };
}
