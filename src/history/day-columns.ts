/**
 * A closed day's columns as one small JSON document (kept gzipped as `2026-11-21.cols.json.gz`
 * beside its `.jsonl.gz`, store.ts), pure: the {@link History} of that day alone, so a reader of thirty days parses thirty small
 * documents instead of gunzipping and parsing some 8,600 lines. The shape:
 *
 *     {"v":1,"day":"2026-11-21","t":[…],"d":[…],"s":[["api",[0,287,3,1],[12,…],[140,2],[140,1]],…]}
 *
 * `t` and `d` each scan's start and duration, oldest first, one per start; `s` per service, in the
 * order they first appear in the day's lines: its name, its status codes run-length encoded
 * (code, count, code, count, …; {@link ABSENT} for a scan that did not judge it), its slowest
 * latencies (ABSENT where none), its restarts (index, 1 healed or 2 failed, …) and its alerts
 * (index, count, …), each in the order the day's columns hold them. A file that does not read back
 * as exactly that shape, for exactly that day and this version, reads as none.
 */
import { ABSENT, type History, type ServiceSeries } from './series.js';

/** The format's version: a file of another version is ignored (the day is read from its .gz). */
export const DAY_COLUMNS_VERSION = 1;

/** The day's columns as the file's text. */
export function encodeDayColumns(day: string, history: History): string {
  const s = [...history.services].map(([name, series]) => [
    name,
    runLengths(series.status),
    series.slowestMs,
    [...series.restarts].flatMap(([i, result]) => [i, result === 'healed' ? 1 : 2]),
    [...series.alerts].flat(),
  ]);
  return JSON.stringify({ v: DAY_COLUMNS_VERSION, day, t: history.t, d: history.durationMs, s });
}

/**
 * The day's columns read back; undefined when the text is not a file of this version for `day`
 * or anything in it is out of shape (torn, garbled, a foreign writer): the caller reads the .gz.
 */
export function decodeDayColumns(text: string, day: string): History | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(json) || json['v'] !== DAY_COLUMNS_VERSION || json['day'] !== day) return undefined;
  const { t, d, s } = json;
  if (!Array.isArray(t) || !Array.isArray(d) || !Array.isArray(s) || d.length !== t.length) return undefined;
  for (let i = 0; i < t.length; i++) {
    if (!isCount(t[i]) || !isCount(d[i]) || (i > 0 && !(t[i - 1] < t[i]))) return undefined;
  }
  const services = new Map<string, ServiceSeries>();
  for (const entry of s) {
    if (!Array.isArray(entry) || entry.length !== 5) return undefined;
    const [name, runs, slowest, restarts, alerts] = entry as unknown[];
    if (typeof name !== 'string' || services.has(name)) return undefined;
    const status = expand(runs, t.length);
    if (!status || !Array.isArray(slowest) || slowest.length !== t.length || !latencies(slowest)) return undefined;
    const restartMap = indexed(restarts, t.length, (code) => (code === 1 ? 'healed' : code === 2 ? 'failed' : undefined));
    const alertMap = indexed(alerts, t.length, (count) => (isCount(count) && count > 0 ? count : undefined));
    if (!restartMap || !alertMap) return undefined;
    services.set(name, { status, slowestMs: slowest as number[], restarts: restartMap, alerts: alertMap });
  }
  return { t: t as number[], durationMs: d as number[], services };
}

/** A column as (value, count) pairs, flat. */
function runLengths(column: readonly number[]): number[] {
  const out: number[] = [];
  for (const value of column) {
    if (out.length && out[out.length - 2] === value) out[out.length - 1]!++;
    else out.push(value, 1);
  }
  return out;
}

/**
 * Runs of status codes back into a column of `length`; undefined when they do not make one, or
 * when every code is ABSENT (a service is in a day's columns only for the scans that judged it).
 */
function expand(runs: unknown, length: number): number[] | undefined {
  if (!Array.isArray(runs) || runs.length % 2) return undefined;
  const out = new Array<number>(length);
  let filled = 0;
  let judged = false;
  for (let k = 0; k < runs.length; k += 2) {
    const code: unknown = runs[k];
    const count: unknown = runs[k + 1];
    if (typeof code !== 'number' || !Number.isInteger(code) || code < ABSENT || code > 4) return undefined;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || filled + count > length) return undefined;
    out.fill(code, filled, filled + count);
    filled += count;
    judged ||= code !== ABSENT;
  }
  return filled === length && judged ? out : undefined;
}

/** Whether every entry is a latency (ms) or ABSENT. */
function latencies(column: readonly unknown[]): boolean {
  for (let i = 0; i < column.length; i++) {
    const ms = column[i];
    if (ms !== ABSENT && !isCount(ms)) return false;
  }
  return true;
}

/** (index, value) pairs, flat, into a map in their order; undefined when an index repeats, is out of range or a value does not read. */
function indexed<V>(pairs: unknown, length: number, read: (value: unknown) => V | undefined): Map<number, V> | undefined {
  if (!Array.isArray(pairs) || pairs.length % 2) return undefined;
  const out = new Map<number, V>();
  for (let k = 0; k < pairs.length; k += 2) {
    const index = pairs[k];
    const value = read(pairs[k + 1]);
    if (!Number.isInteger(index) || index < 0 || index >= length || out.has(index) || value === undefined) return undefined;
    out.set(index, value);
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
