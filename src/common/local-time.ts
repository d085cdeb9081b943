/**
 * Times as a person reads them on a terminal: how long ago ("3m ago"), or the machine's local time
 * to the second ("14:03:04", with the date when it is not today). Never ISO with milliseconds:
 * that stays in `--json` and the log.
 */
import { formatDuration } from './duration.js';

/** "3m ago", "12s ago"; "just now" under a second; a time ahead of `now` (a clock set back) is "just now". */
export function formatAgo(at: number, now: number): string {
  const ms = now - at;
  return ms < 1_000 ? 'just now' : `${formatDuration(ms)} ago`;
}

/**
 * `at` in the time zone `zone` (the machine's by default), to the second: "14:03:04" on the same
 * local day as `now`, else "2026-12-03 14:03:04".
 */
export function formatLocalTime(at: number, now: number, zone?: string): string {
  const day = localParts(now, zone);
  const when = localParts(at, zone);
  const time = `${when.hour}:${when.minute}:${when.second}`;
  return when.date === day.date ? time : `${when.date} ${time}`;
}

function localParts(ms: number, zone: string | undefined) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  ) as Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', string>;
  return { date: `${parts.year}-${parts.month}-${parts.day}`, hour: parts.hour, minute: parts.minute, second: parts.second };
}
