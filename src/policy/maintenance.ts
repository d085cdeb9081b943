/**
 * Recurring maintenance windows, pure: parse `every: "mon-fri 22:00-06:00"`, and find the
 * occurrence of a window that holds an instant, or the next one — wall-clock times in an IANA
 * time zone, across midnight and daylight-saving changes. No clock reads, no I/O: every question
 * takes its `now`. Time-zone arithmetic is `Intl.DateTimeFormat`'s, no dependency.
 *
 * ## Daylight-saving changes: skipped shortens, repeated lengthens
 *
 * A window runs from the instant the zone's wall clock FIRST reads its start or later (on the day
 * it starts) to the instant from which the wall clock reads its end or later FOR GOOD (on the day
 * it ends). So a wall-clock time on a given date is, as a start or as an end:
 *
 * - when it happens once: that instant;
 * - when a spring-forward skips it (02:30 in Berlin on 2026-03-29): the first instant after the
 *   gap (01:00 UTC, when the clock jumps from 02:00 to 03:00);
 * - when a fall-back repeats it (02:30 in Berlin on 2026-10-25): its first occurrence as a
 *   start, its second as an end — except where the fall-back lands (02:00 that day, the first
 *   minute of the repeated hour: the clock never reads less than 02:00 between its two 02:00s),
 *   which ends a window at its first occurrence too.
 *
 * Hence a window that a gap cuts into is shorter (`daily 01:30-03:30` in Berlin lasts 1 h on
 * 2026-03-29), a window wholly inside a gap does not happen that day (`daily 02:15-02:45` has no
 * occurrence on 2026-03-29: it would last 0 ms), and a window that holds repeated minutes is
 * longer by them (`daily 01:30-03:30` lasts 3 h on 2026-10-25; `daily 02:15-02:45` lasts 1 h
 * 30 min, from the first 02:15 to the second 02:45), while one that holds none keeps its length
 * (`daily 01:00-02:00` lasts 1 h that day). Maintenance never starts later nor ends earlier than
 * someone reading the clock on the wall expects, and holds every minute the wall clock shows
 * inside it.
 *
 * Two occurrences that then overlap or touch (only possible when a change lengthens a window of
 * nearly 24 hours, e.g. `daily 02:40-02:20` on 2026-10-25 in Berlin) count as one.
 */

/** A day of the week as JavaScript counts them: 0 = Sunday, 1 = Monday … 6 = Saturday. */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

/**
 * A parsed `every`: the days a window starts on and its wall-clock times. Plain data (JSON-safe).
 * `endMinute < startMinute` means the window crosses midnight and ends the next day; they are
 * never equal.
 */
export type Schedule = {
  /** The days the window starts on, ascending, each once. */
  readonly days: readonly Weekday[];
  /** Minutes after midnight when the window starts, 0–1439. */
  readonly startMinute: number;
  /** Minutes after midnight when the window ends, 0–1439. */
  readonly endMinute: number;
};

/** One occurrence of a window, in ms since the epoch: `start` inclusive, `end` exclusive. */
export type Occurrence = { start: number; end: number };

/** What `parseEvery` makes of a text: the schedule, or one line saying what is wrong and the fix. */
export type ParsedEvery = { ok: true; schedule: Schedule } | { ok: false; error: string };

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const ALL_DAYS: readonly Weekday[] = [0, 1, 2, 3, 4, 5, 6];

const EXPECTED =
  'expected "<days> HH:MM-HH:MM" such as "daily 02:00-02:30", "mon-fri 22:00-06:00" or "sat,sun 03:00-05:00"';

/**
 * Parses a window's `every`: `<days> HH:MM-HH:MM` (24-hour). `<days>` is `daily`, a day (`mon` …
 * `sun`), a range of days (`mon-fri`; `fri-mon` wraps over the weekend) or a comma list of days
 * and ranges (`sat,sun`, `mon-wed,fri`). An end before the start crosses midnight: `22:00-02:00`
 * starts on the named day and ends the next. Day names are read in any case; spaces around `,`
 * and `-` are allowed. Start equal to end is an error, and so is `24:00` (midnight is `00:00`).
 */
export function parseEvery(text: string): ParsedEvery {
  const tokens = text.trim().replace(/[–—]/g, '-').replace(/\s*([,-])\s*/g, '$1').split(/\s+/);
  const [daysText, timesText] = tokens;
  // Days never hold a digit: one there means the times came first.
  if (tokens.length !== 2 || daysText === undefined || timesText === undefined || /\d/.test(daysText)) return fail(EXPECTED);

  const days = parseDays(daysText.toLowerCase());
  if (typeof days === 'string') return fail(days);

  const times = /^([^-]+)-([^-]+)$/.exec(timesText);
  if (!times) return fail(EXPECTED);
  const startMinute = parseTime(times[1]!);
  if (typeof startMinute === 'string') return fail(startMinute);
  const endMinute = parseTime(times[2]!);
  if (typeof endMinute === 'string') return fail(endMinute);
  if (startMinute === endMinute) {
    return fail(`a window cannot start and end at ${clock(startMinute)} (give it a length, such as ${clock(startMinute)}-${clock((startMinute + 60) % 1440)})`);
  }
  return { ok: true, schedule: { days, startMinute, endMinute } };
}

function fail(error: string): ParsedEvery {
  return { ok: false, error };
}

/** The days of `daily`, a day, a range or a comma list; or what is wrong with them. */
function parseDays(text: string): Weekday[] | string {
  const items = text.split(',');
  if (items.includes('daily')) {
    return items.length === 1 ? [...ALL_DAYS] : `"daily" cannot be part of a list (write daily alone, or list the days)`;
  }
  const chosen = new Set<Weekday>();
  for (const item of items) {
    if (item === '') return `"${text}" has an empty day (separate days with one comma, such as sat,sun)`;
    const ends = item.split('-');
    if (ends.length > 2) return `"${item}" is neither a day nor a range (write a range as mon-fri, a list as mon,wed,fri)`;
    const unknown = ends.find((name) => dayNumber(name) === undefined);
    if (unknown !== undefined) return `unknown day "${unknown}" (days are mon, tue, wed, thu, fri, sat, sun, or daily)`;
    const from = dayNumber(ends[0]!)!;
    const to = dayNumber(ends.at(-1)!)!;
    if (ends.length === 2 && from === to) return `"${item}" is a range of one day (write ${ends[0]})`;
    for (let day = from; ; day = ((day + 1) % 7) as Weekday) {
      chosen.add(day);
      if (day === to) break;
    }
  }
  return [...chosen].sort((a, b) => a - b);
}

function dayNumber(name: string): Weekday | undefined {
  const i = (DAY_NAMES as readonly string[]).indexOf(name);
  return i < 0 ? undefined : (i as Weekday);
}

/** Minutes after midnight of `H:MM` or `HH:MM`; or what is wrong with it. */
function parseTime(text: string): number | string {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!m) return `"${text}" is not a time (write HH:MM, 24-hour, such as 14:00)`;
  const hours = Number(m[1]);
  const minutes = Number(m[2]);
  if (text === '24:00') return `24:00 is not a time of day (00:00–23:59; a window that ends at midnight ends at 00:00)`;
  if (hours > 23 || minutes > 59) return `${text} is not a time of day (00:00–23:59)`;
  return hours * 60 + minutes;
}

function clock(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/**
 * Whether `name` is a time zone this Node's `Intl` knows: an IANA name such as `Europe/Berlin`
 * or `UTC` (case-insensitive, as `Intl` reads it; newer Node also takes an offset such as
 * `+01:00`). Only such names may be given to `windowAt`, `nextWindow` and `maintenanceFor`.
 */
export function validTimeZone(name: string): boolean {
  if (name.trim() === '') return false;
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * The occurrence of the window that holds instant `now` (ms since the epoch) in `timeZone`,
 * start inclusive, end exclusive — including one that began the day before and crosses
 * midnight — or undefined when `now` is outside every occurrence. Daylight-saving changes are
 * met as the module's comment says (two occurrences that a fall-back makes overlap are one).
 * Throws a RangeError for a zone `validTimeZone` rejects.
 */
export function windowAt(schedule: Schedule, timeZone: string, now: number): Occurrence | undefined {
  const today = dayOf(wallClock(timeZone, now));
  // From two days back: a window from the day before yesterday can still run where a fall-back
  // at midnight sets the date back; to one day ahead for the same reason.
  for (const o of occurrences(schedule, timeZone, today - 2, today + 2)) {
    if (o.start > now) break;
    if (now < o.end) return o;
  }
  return undefined;
}

/**
 * The next occurrence of the window that starts after `now` (strictly: one starting at `now`
 * is `windowAt`'s). It always exists for a schedule that names a day: usually within 8 days,
 * within 15 when a spring-forward swallows a weekly window. Throws a RangeError for a schedule
 * that names no day, or a zone `validTimeZone` rejects.
 */
export function nextWindow(schedule: Schedule, timeZone: string, now: number): Occurrence {
  if (schedule.days.length === 0) throw new RangeError('a maintenance schedule must name at least one day');
  const today = dayOf(wallClock(timeZone, now));
  for (const o of occurrences(schedule, timeZone, today - 2, today + 16)) {
    if (o.start > now) return o;
  }
  throw new RangeError(`no maintenance window in ${timeZone} within 16 days of ${new Date(now).toISOString()}`);
}

/**
 * The window's non-empty occurrences that start on local days `fromDay`…`toDay` (days since
 * 1970-01-01 on the zone's calendar), in order, as the caller asks for them; ones that overlap or
 * touch merged into one.
 */
function* occurrences(schedule: Schedule, timeZone: string, fromDay: number, toDay: number): Generator<Occurrence, void> {
  const { days, startMinute, endMinute } = schedule;
  const endsNextDay = endMinute < startMinute ? 1 : 0;
  const offsets = offsetsByDay(timeZone);
  let pending: Occurrence | undefined;
  for (let day = fromDay; day <= toDay; day++) {
    if (!days.includes(weekdayOf(day))) continue;
    const start = instantOf(timeZone, day * DAY_MS + startMinute * MINUTE_MS, 'earliest', offsets);
    const end = instantOf(timeZone, (day + endsNextDay) * DAY_MS + endMinute * MINUTE_MS, 'latest', offsets);
    if (end <= start) continue; // wholly inside a spring-forward's gap: it does not happen
    if (pending && start <= pending.end) {
      pending.end = Math.max(pending.end, end);
      continue;
    }
    if (pending) yield pending;
    pending = { start, end };
  }
  if (pending) yield pending;
}

/** A window of a manifest, for `maintenanceFor`. */
export type NamedWindow = {
  name: string;
  schedule: Schedule;
  /** An IANA zone; the caller supplies the machine's when the manifest names none. */
  timeZone: string;
  /** The services it holds; absent: every service. */
  services?: readonly string[];
  /** The window's `restart` setting; absent: false. */
  restart?: boolean;
};

/** Where a service stands with its maintenance windows at one instant. */
export type ServiceMaintenance = {
  /** The window holding the service now, when it ends, and its `restart` setting. */
  current: { name: string; end: number; restart: boolean } | undefined;
  /** The window of the service that starts next after now. */
  next: { name: string; start: number; end: number } | undefined;
};

/**
 * The maintenance of `service` at `now`: the window that holds it now and the one that starts
 * next, among the windows that name it (or name no services). When several hold it at once, one
 * with `restart` false wins over one with `restart` true (holding restarts back is the safer
 * word), then the one that ends last, then the first listed; for `next`, the earliest start,
 * then the first listed.
 */
export function maintenanceFor(windows: readonly NamedWindow[], service: string, now: number): ServiceMaintenance {
  let next: ServiceMaintenance['next'];
  for (const w of windows) {
    if (!holds(w, service)) continue;
    const after = nextWindow(w.schedule, w.timeZone, now);
    if (!next || after.start < next.start) next = { name: w.name, ...after };
  }
  return { current: maintenanceNow(windows, service, now), next };
}

/**
 * Only the window that holds `service` at `now` (the `current` of {@link maintenanceFor}, chosen
 * the same way): what a scan asks, once per service, without working out the next windows.
 */
export function maintenanceNow(windows: readonly NamedWindow[], service: string, now: number): ServiceMaintenance['current'] {
  let current: ServiceMaintenance['current'];
  for (const w of windows) {
    if (!holds(w, service)) continue;
    const restart = w.restart ?? false;
    const at = windowAt(w.schedule, w.timeZone, now);
    if (at && (!current || (current.restart && !restart) || (current.restart === restart && at.end > current.end))) {
      current = { name: w.name, end: at.end, restart };
    }
  }
  return current;
}

/** Whether a window is about `service`: it names it, or names no services. */
const holds = (w: NamedWindow, service: string): boolean => !w.services || w.services.includes(service);

// ---- time-zone arithmetic -------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone, kept: building one costs far more than using it. */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US-u-nu-latn', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * What the zone's wall clock reads at instant `t`, written as the ms since the epoch of that
 * same reading in UTC (so a zone's offset at `t` is `wallClock(zone, t) - t`).
 */
function wallClock(timeZone: string, t: number): number {
  const f = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatter(timeZone).formatToParts(t)) {
    if (part.type in f) f[part.type as keyof typeof f] = Number(part.value);
  }
  const ms = ((t % 1000) + 1000) % 1000; // offsets are whole seconds; the reading drops the ms
  return Date.UTC(f.year, f.month - 1, f.day, f.hour % 24, f.minute, f.second) + ms;
}

/** A zone's offset (ms) at the start, in UTC, of a day number. */
type OffsetsByDay = (day: number) => number;

const offsetCaches = new Map<string, Map<number, number>>();
/** Days kept per zone: a run asks about a few weeks; a long-lived caller starts over past this. */
const OFFSET_CACHE_DAYS = 4096;

/**
 * The zone's offsets by day, each read once and kept: what the clock of a zone read on a day is
 * the same for every question (the time-zone data does not change under a running process).
 */
function offsetsByDay(timeZone: string): OffsetsByDay {
  let known = offsetCaches.get(timeZone);
  if (!known) offsetCaches.set(timeZone, (known = new Map()));
  const cache = known;
  return (day) => {
    let offset = cache.get(day);
    if (offset === undefined) {
      offset = wallClock(timeZone, day * DAY_MS) - day * DAY_MS;
      if (cache.size >= OFFSET_CACHE_DAYS) cache.clear();
      cache.set(day, offset);
    }
    return offset;
  };
}

/**
 * The instant at which the zone's wall clock reads `wall` (a reading, as `wallClock` writes it).
 * `earliest`: the first instant it reads `wall` or later. `latest`: the instant from which it
 * reads `wall` or later for good. The same when `wall` happens once; the first and second
 * occurrence when a fall-back repeats it (but the first, for both, when the fall-back lands on
 * `wall`); the first instant after the gap, for both, when a spring-forward skips it.
 */
function instantOf(timeZone: string, wall: number, pick: 'earliest' | 'latest', offsets: OffsetsByDay): number {
  // The offsets a day and more either side of `wall`'s day (no zone is 16 h off UTC, so every
  // instant that reads `wall` lies between them) are the offsets `wall` can have: no zone has
  // changed its offset twice within three days. Equal, it has one.
  const day = dayOf(wall);
  const before = offsets(day - 1);
  const after = offsets(day + 2);
  if (before === after) return wall - before;
  // Either gives a candidate, which counts if the clock really reads `wall` then.
  const candidates = [wall - before, wall - after].filter((t) => wallClock(timeZone, t) === wall).sort((a, b) => a - b);
  const [first, second] = candidates;
  if (first !== undefined) {
    // The later of two counts only if the clock read less than `wall` between them: not when the
    // fall-back lands on `wall` itself (the first minute of the repeated hour).
    if (pick === 'earliest' || second === undefined || !(wallClock(timeZone, second - 1000) < wall)) return first;
    return second;
  }
  // Skipped: the change happened between the two; find its instant, to the second (every change
  // in the time-zone database falls on a whole second). The clock reads before `wall` at `lo`
  // and after it at `hi`.
  let lo = Math.min(wall - before, wall - after);
  let hi = Math.max(wall - before, wall - after);
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (wallClock(timeZone, mid) > wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The day number (days since 1970-01-01) of a wall-clock reading. */
function dayOf(wall: number): number {
  return Math.floor(wall / DAY_MS);
}

/** The weekday of a day number: 1970-01-01 was a Thursday. */
function weekdayOf(day: number): Weekday {
  return ((((day + 4) % 7) + 7) % 7) as Weekday;
}
