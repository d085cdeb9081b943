/**
 * One scan in the history, and its line: pure. Each full scan appends one JSON line with short
 * keys, so thirty days of five-minute scans of fifty services stay small:
 *
 *     {"t":1795348800000,"d":212,"s":{"api":[0,12,3],"db":[3,1500]},"r":{"db":2},"a":{"db":1}}
 *
 * `t` the scan's start (ms since the epoch), `d` its duration (ms); `s` per service its status
 * code ({@link STATUS_CODES}: 0 up, 1 healed, 2 degraded, 3 down, 4 skipped) and then the latency
 * of each of its checks in whole milliseconds, in the order the report gives them; `r` the
 * services the scan restarted (1 the restart brought it back, 2 it did not) and `a` how many
 * notices the scan made about a service — both only present when not empty, so a healthy scan
 * pays nothing for them. A line that does not read as a record (a torn last line, a line of
 * zeros after a power cut) is skipped, and so is a service entry that does not.
 */
import type { ScanReport, ServiceStatus } from '../scan/report.js';

/** Status codes by position: the code of a status is its index. */
export const STATUS_CODES = ['up', 'healed', 'degraded', 'down', 'skipped'] as const satisfies readonly ServiceStatus[];

/** The restart results by code (1, 2). */
const RESTART_CODES = { healed: 1, failed: 2 } as const;

/** What one scan saw of one service. */
export type ServiceScan = {
  status: ServiceStatus;
  /** Each check's latency, whole milliseconds. */
  latencyMs: number[];
  /** The scan restarted it: whether the restart brought it back. */
  restart?: 'healed' | 'failed';
  /** Notices the scan made about it. */
  alerts: number;
};

/** One full scan. */
export type HistoryRecord = {
  /** When the scan started (ms since the epoch). */
  t: number;
  durationMs: number;
  /** The services it judged, by name. */
  services: ReadonlyMap<string, ServiceScan>;
};

/** The record of a full scan: its report, and the restart each service got (by name). */
export function recordOfScan(started: number, report: Pick<ScanReport, 'durationMs' | 'services'>, restarts: ReadonlyMap<string, 'healed' | 'failed'>): HistoryRecord {
  const services = new Map<string, ServiceScan>();
  for (const service of report.services) {
    const restart = restarts.get(service.name);
    services.set(service.name, {
      status: service.status,
      latencyMs: service.checks.map((c) => Math.max(0, Math.round(c.latencyMs))),
      ...(restart ? { restart } : {}),
      alerts: service.alerts?.length ?? 0,
    });
  }
  return { t: started, durationMs: Math.max(0, Math.round(report.durationMs)), services };
}

/** The record as one line, without its newline. */
export function encodeRecord(record: HistoryRecord): string {
  const s: Record<string, number[]> = {};
  const r: Record<string, number> = {};
  const a: Record<string, number> = {};
  for (const [name, scan] of record.services) {
    s[name] = [STATUS_CODES.indexOf(scan.status), ...scan.latencyMs];
    if (scan.restart) r[name] = RESTART_CODES[scan.restart];
    if (scan.alerts > 0) a[name] = scan.alerts;
  }
  const extra = { ...(Object.keys(r).length ? { r } : {}), ...(Object.keys(a).length ? { a } : {}) };
  return JSON.stringify({ t: record.t, d: record.durationMs, s, ...extra });
}

/** How {@link readLine} hands over a service entry: `entry` is the line's own array, its status code first, then the latencies. */
export type VisitEntry = (name: string, status: ServiceStatus, entry: readonly number[], restart: 'healed' | 'failed' | undefined, alerts: number) => void;

/**
 * Reads a line without copying it into objects: its start and duration go to `begin` (which may
 * say to skip the rest: false) and are returned; then each service entry that reads is handed to
 * `visit` as it comes (an entry that does not read is skipped). Undefined, and nothing handed
 * over, when the line is not a record (torn, zeros, garbage).
 */
export function readLine(line: string, visit: VisitEntry, begin?: (t: number, durationMs: number) => boolean): { t: number; durationMs: number } | undefined {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObject(json) || !isCount(json['t']) || !isObject(json['s'])) return undefined;
  const head = { t: json['t'], durationMs: isCount(json['d']) ? json['d'] : 0 };
  if (begin && !begin(head.t, head.durationMs)) return head;
  const restarts = isObject(json['r']) ? json['r'] : {};
  const alerts = isObject(json['a']) ? json['a'] : {};
  const s = json['s'];
  // A month of scans is read at once (heal status): a plain loop over the entries, no copies.
  for (const name in s) {
    const entry = s[name];
    if (!Array.isArray(entry) || !Object.hasOwn(s, name)) continue;
    const status = typeof entry[0] === 'number' ? STATUS_CODES[entry[0]] : undefined;
    let valid = status !== undefined;
    for (let i = 1; valid && i < entry.length; i++) valid = isCount(entry[i]);
    if (!valid) continue;
    const restart = restarts[name] === RESTART_CODES.healed ? 'healed' : restarts[name] === RESTART_CODES.failed ? 'failed' : undefined;
    const count = alerts[name];
    visit(name, status!, entry as number[], restart, isCount(count) ? count : 0);
  }
  return head;
}

/** A line read back as a record; undefined when it is not one (torn, zeros, garbage). */
export function decodeRecord(line: string): HistoryRecord | undefined {
  const services = new Map<string, ServiceScan>();
  const head = readLine(line, (name, status, entry, restart, alerts) => {
    services.set(name, { status, latencyMs: entry.slice(1), ...(restart ? { restart } : {}), alerts });
  });
  return head && { ...head, services };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
