/** Records for the history tests, written as tables. Fixed instants only: nothing here reads the clock. */
import type { HistoryRecord, ServiceScan } from '../../src/history/record.js';
import type { ServiceStatus } from '../../src/scan/report.js';

export const SEC = 1_000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
/** 2026-11-22T00:00:00Z. */
export const T0 = Date.UTC(2026, 10, 22);

/** A service in a scan: a status alone, or with its restart, alerts and latencies. */
export type ScanSpec = ServiceStatus | (Partial<ServiceScan> & { status: ServiceStatus });

/** One scan at `t` (duration `durationMs`), services by name. */
export function rec(t: number, services: Record<string, ScanSpec>, durationMs = 0): HistoryRecord {
  return {
    t,
    durationMs,
    services: new Map(Object.entries(services).map(([name, spec]) => {
      const scan = typeof spec === 'string' ? { status: spec } : spec;
      return [name, { latencyMs: [], alerts: 0, ...scan }];
    })),
  };
}

/** Scans of one service every `stepMs` from `from` (included) to `to` (excluded), all with one status. */
export function every(stepMs: number, from: number, to: number, service: string, spec: ScanSpec): HistoryRecord[] {
  const out: HistoryRecord[] = [];
  for (let t = from; t < to; t += stepMs) out.push(rec(t, { [service]: spec }));
  return out;
}
