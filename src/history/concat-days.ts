/**
 * The histories of single days, oldest first, joined into one, pure: the same {@link History} as
 * reading all their lines at once (series.ts historyOfLines), provided every day's starts come
 * after the day before's. Each day is already sorted and one per start, so then the whole is too;
 * services keep the order they first appeared in, each padded with {@link ABSENT} for the days
 * it was not in; restarts and alerts keep their days' orders, their indices moved by the scans
 * before. When starts overlap across days (a line in another day's file, written by hand or by
 * a foreign tool) the join would differ from a sort of all lines: undefined, read them all instead.
 */
import { ABSENT, type History, type ServiceSeries } from './series.js';

/** The days joined; undefined when some day's first start is not after the day before's last. */
export function concatDays(days: readonly History[]): History | undefined {
  let length = 0;
  let last = -Infinity;
  for (const day of days) {
    if (!day.t.length) continue;
    if (!(last < day.t[0]!)) return undefined;
    last = day.t[day.t.length - 1]!;
    length += day.t.length;
  }
  // Sized once and filled by index: a month is some 430,000 entries, which grown by push cost more in copies and collection.
  const t = new Array<number>(length);
  const durationMs = new Array<number>(length);
  const services = new Map<string, ServiceSeries>();
  let offset = 0;
  for (const day of days) {
    const count = day.t.length;
    for (let i = 0; i < count; i++) {
      t[offset + i] = day.t[i]!;
      durationMs[offset + i] = day.durationMs[i]!;
    }
    for (const [name, series] of day.services) {
      let into = services.get(name);
      if (!into) services.set(name, (into = { status: new Array<number>(length).fill(ABSENT), slowestMs: new Array<number>(length).fill(ABSENT), restarts: new Map(), alerts: new Map() }));
      for (let i = 0; i < count; i++) {
        into.status[offset + i] = series.status[i]!;
        into.slowestMs[offset + i] = series.slowestMs[i]!;
      }
      for (const [i, result] of series.restarts) into.restarts.set(offset + i, result);
      for (const [i, count] of series.alerts) into.alerts.set(offset + i, count);
    }
    offset += count;
  }
  return { t, durationMs, services };
}
