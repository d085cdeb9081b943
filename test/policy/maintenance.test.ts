import { describe, expect, it } from 'vitest';
import {
  maintenanceFor, maintenanceNow, nextWindow, parseEvery, validTimeZone, windowAt, type NamedWindow, type Schedule,
} from '../../src/policy/maintenance.js';

// Fixed instants only: nothing here reads the clock (the suite runs under faketime too).
const MIN = 60_000;
const H = 60 * MIN;
const DAY = 24 * H;
/** An instant in UTC; month 1-based, unlike Date.UTC. */
const utc = (y: number, month: number, d: number, h = 0, m = 0, s = 0, ms = 0) => Date.UTC(y, month - 1, d, h, m, s, ms);

function every(text: string): Schedule {
  const parsed = parseEvery(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.schedule;
}

const EXPECTED = 'expected "<days> HH:MM-HH:MM" such as "daily 02:00-02:30", "mon-fri 22:00-06:00" or "sat,sun 03:00-05:00"';
const UNKNOWN = (day: string) => `unknown day "${day}" (days are mon, tue, wed, thu, fri, sat, sun, or daily)`;

describe('parseEvery reads "<days> HH:MM-HH:MM"', () => {
  it.each([
    ['daily', 'daily 02:00-02:30', [0, 1, 2, 3, 4, 5, 6], 120, 150],
    ['one day', 'sun 03:00-05:00', [0], 180, 300],
    ['a range of days, crossing midnight', 'mon-fri 22:00-06:00', [1, 2, 3, 4, 5], 1320, 360],
    ['a range that wraps over the weekend', 'fri-mon 20:00-23:00', [0, 1, 5, 6], 1200, 1380],
    ['a range of two that wraps', 'sat-sun 03:00-05:00', [0, 6], 180, 300],
    ['a range of the whole week', 'sun-sat 03:00-05:00', [0, 1, 2, 3, 4, 5, 6], 180, 300],
    ['a list', 'sat,sun 03:00-05:00', [0, 6], 180, 300],
    ['a list mixing ranges and days', 'mon-wed,fri 01:00-02:00', [1, 2, 3, 5], 60, 120],
    ['a list naming a day twice', 'mon,mon-tue 01:00-02:00', [1, 2], 60, 120],
    ['day names in any case, a one-digit hour', 'Mon-FRI 9:00-17:00', [1, 2, 3, 4, 5], 540, 1020],
    ['spaces around commas and dashes', '  sat , sun   03:00 - 05:00 ', [0, 6], 180, 300],
    ['an en dash between the times', 'daily 22:00–06:00', [0, 1, 2, 3, 4, 5, 6], 1320, 360],
    ['the last minute to midnight', 'daily 23:59-00:00', [0, 1, 2, 3, 4, 5, 6], 1439, 0],
    ['from midnight to the last minute', 'sun 00:00-23:59', [0], 0, 1439],
  ])('%s: %j', (_what, text, days, startMinute, endMinute) => {
    expect(parseEvery(text)).toEqual({ ok: true, schedule: { days, startMinute, endMinute } });
  });

  it.each([
    ['nothing', '', EXPECTED],
    ['days without times', 'daily', EXPECTED],
    ['times without days', '02:00-02:30', EXPECTED],
    ['one time, not a range', 'daily 02:00', EXPECTED],
    ['a range without its end', 'daily 02:00-', EXPECTED],
    ['something after the times', 'daily 02:00-02:30 Europe/Berlin', EXPECTED],
    ['times first', '02:00-02:30 daily', EXPECTED],
    ['a misspelt day', 'mnday 02:00-02:30', UNKNOWN('mnday')],
    ['a full day name', 'monday 02:00-02:30', UNKNOWN('monday')],
    ['a misspelt end of a range', 'mon-frday 02:00-02:30', UNKNOWN('frday')],
    ['a misspelt day in a list', 'sat,snu 02:00-02:30', UNKNOWN('snu')],
    ['daily in a list', 'daily,sat 02:00-02:30', '"daily" cannot be part of a list (write daily alone, or list the days)'],
    ['an empty day in a list', 'sat,,sun 02:00-02:30', '"sat,,sun" has an empty day (separate days with one comma, such as sat,sun)'],
    ['a list ending in a comma', 'sat, 02:00-02:30', EXPECTED],
    ['a range of three', 'mon-wed-fri 02:00-02:30', '"mon-wed-fri" is neither a day nor a range (write a range as mon-fri, a list as mon,wed,fri)'],
    ['a range of one day', 'mon-mon 02:00-02:30', '"mon-mon" is a range of one day (write mon)'],
    ['an hour past 23', 'daily 25:00-02:00', '25:00 is not a time of day (00:00–23:59)'],
    ['a minute past 59', 'daily 02:00-02:60', '02:60 is not a time of day (00:00–23:59)'],
    ['24:00 for midnight', 'daily 22:00-24:00', '24:00 is not a time of day (00:00–23:59; a window that ends at midnight ends at 00:00)'],
    ['12-hour times', 'daily 2pm-3pm', '"2pm" is not a time (write HH:MM, 24-hour, such as 14:00)'],
    ['a one-digit minute', 'daily 02:0-03:00', '"02:0" is not a time (write HH:MM, 24-hour, such as 14:00)'],
    ['start equal to end', 'daily 02:00-02:00', 'a window cannot start and end at 02:00 (give it a length, such as 02:00-03:00)'],
    ['start equal to end, late', 'sun 23:30-23:30', 'a window cannot start and end at 23:30 (give it a length, such as 23:30-00:30)'],
  ])('refuses %s (%j) in one line that says the fix', (_what, text, error) => {
    expect(parseEvery(text)).toEqual({ ok: false, error });
  });
});

describe('validTimeZone asks Intl', () => {
  it.each([
    ['Europe/Berlin', true], ['America/New_York', true], ['UTC', true], ['Asia/Kolkata', true],
    ['europe/berlin', true], ['Europe/Berln', false], ['Mars/Olympus_Mons', false], ['', false], [' ', false],
  ])('%j: %s', (name, valid) => {
    expect(validTimeZone(name)).toBe(valid);
  });

  it('windowAt and nextWindow throw a RangeError for a zone it rejects', () => {
    expect(() => windowAt(every('daily 02:00-03:00'), 'Europe/Berln', 0)).toThrow(RangeError);
    expect(() => nextWindow(every('daily 02:00-03:00'), 'Europe/Berln', 0)).toThrow(RangeError);
  });
});

describe('windowAt: the occurrence that holds an instant, start inclusive, end exclusive', () => {
  // 2026-05-10 is a Sunday.
  it.each([
    ['a minute before the start', utc(2026, 5, 12, 1, 59, 59, 999), undefined],
    ['at the start', utc(2026, 5, 12, 2, 0), [utc(2026, 5, 12, 2, 0), utc(2026, 5, 12, 2, 30)]],
    ['a moment before the end', utc(2026, 5, 12, 2, 29, 59, 999), [utc(2026, 5, 12, 2, 0), utc(2026, 5, 12, 2, 30)]],
    ['at the end', utc(2026, 5, 12, 2, 30), undefined],
  ])('daily 02:00-02:30 in UTC, %s', (_what, now, window) => {
    expect(windowAt(every('daily 02:00-02:30'), 'UTC', now)).toEqual(window && { start: window[0], end: window[1] });
  });

  const lateSunday = { start: utc(2026, 5, 10, 23), end: utc(2026, 5, 11, 1) };
  it.each([
    ['Sunday 22:59: not yet', utc(2026, 5, 10, 22, 59), undefined],
    ['Sunday 23:00: begins', utc(2026, 5, 10, 23), lateSunday],
    ['Monday 00:30: still the Sunday window', utc(2026, 5, 11, 0, 30), lateSunday],
    ['Monday 01:00: over', utc(2026, 5, 11, 1), undefined],
    ['Saturday 23:30: not a Saturday window', utc(2026, 5, 9, 23, 30), undefined],
    ['Sunday 00:30: Saturday started no window', utc(2026, 5, 10, 0, 30), undefined],
    ['Monday 23:30: not a Monday window', utc(2026, 5, 11, 23, 30), undefined],
  ])('sun 23:00-01:00 crosses midnight: %s', (_what, now, window) => {
    expect(windowAt(every('sun 23:00-01:00'), 'UTC', now)).toEqual(window);
  });

  it.each([
    ['fri-mon 12:00-13:00', [true, true, false, false, false, true, true]],
    ['sat-sun 12:00-13:00', [true, false, false, false, false, false, true]],
    ['mon-wed,fri 12:00-13:00', [false, true, true, true, false, true, false]],
    ['sat,sun 12:00-13:00', [true, false, false, false, false, false, true]],
    ['daily 12:00-13:00', [true, true, true, true, true, true, true]],
    ['tue 12:00-13:00', [false, false, true, false, false, false, false]],
  ])('%s holds 12:30 on these days, Sunday first', (text, byDay) => {
    const held = [0, 1, 2, 3, 4, 5, 6].map((d) => windowAt(every(text), 'UTC', utc(2026, 5, 10 + d, 12, 30)) !== undefined);
    expect(held).toEqual(byDay);
  });

  it.each([
    ['Berlin in summer (UTC+2)', 'daily 02:00-02:30', 'Europe/Berlin', utc(2026, 7, 1, 0, 10), [utc(2026, 7, 1, 0), utc(2026, 7, 1, 0, 30)]],
    ['Berlin in winter (UTC+1)', 'daily 02:00-02:30', 'Europe/Berlin', utc(2026, 1, 15, 1, 10), [utc(2026, 1, 15, 1), utc(2026, 1, 15, 1, 30)]],
    ['Berlin in winter, at 02:10 UTC', 'daily 02:00-02:30', 'Europe/Berlin', utc(2026, 1, 15, 2, 10), undefined],
    ['New York in winter (UTC-5)', 'daily 02:00-02:30', 'America/New_York', utc(2026, 1, 15, 7, 10), [utc(2026, 1, 15, 7), utc(2026, 1, 15, 7, 30)]],
    ['Kolkata (UTC+5:30): the day before in UTC', 'daily 02:00-02:30', 'Asia/Kolkata', utc(2026, 1, 14, 20, 45), [utc(2026, 1, 14, 20, 30), utc(2026, 1, 14, 21)]],
    ["Auckland's Monday 01:00 is Sunday 13:00 UTC", 'mon 01:00-02:00', 'Pacific/Auckland', utc(2026, 7, 12, 13, 30), [utc(2026, 7, 12, 13), utc(2026, 7, 12, 14)]],
    ["Auckland's Monday is not UTC's", 'mon 01:00-02:00', 'Pacific/Auckland', utc(2026, 7, 13, 13, 30), undefined],
    ['Berlin mon-fri nights: Friday night runs into Saturday', 'mon-fri 22:00-06:00', 'Europe/Berlin', utc(2026, 5, 16, 3), [utc(2026, 5, 15, 20), utc(2026, 5, 16, 4)]],
    ['Berlin mon-fri nights: none on Saturday night', 'mon-fri 22:00-06:00', 'Europe/Berlin', utc(2026, 5, 16, 22), undefined],
    ['Berlin mon-fri nights: none into Monday', 'mon-fri 22:00-06:00', 'Europe/Berlin', utc(2026, 5, 11, 1), undefined],
    ['Berlin mon-fri nights: Monday night into Tuesday', 'mon-fri 22:00-06:00', 'Europe/Berlin', utc(2026, 5, 12, 1), [utc(2026, 5, 11, 20), utc(2026, 5, 12, 4)]],
  ])('in a zone: %s', (_what, text, zone, now, window) => {
    expect(windowAt(every(text), zone, now)).toEqual(window && { start: window[0], end: window[1] });
  });
});

describe('daylight-saving changes: a skipped time shortens a window, a repeated one lengthens it', () => {
  // Europe/Berlin 2026: 03-29 02:00 CET -> 03:00 CEST (01:00 UTC); 10-25 03:00 CEST -> 02:00 CET (01:00 UTC).
  // America/New_York 2026: 03-08 02:00 EST -> 03:00 EDT (07:00 UTC); 11-01 02:00 EDT -> 01:00 EST (06:00 UTC).
  it.each([
    ['Berlin, an ordinary day', 'daily 01:30-03:30', 'Europe/Berlin', utc(2026, 3, 28, 1), utc(2026, 3, 28, 0, 30), 2 * H],
    ['Berlin spring-forward: 02:00-03:00 skipped, 1 h', 'daily 01:30-03:30', 'Europe/Berlin', utc(2026, 3, 29, 0, 45), utc(2026, 3, 29, 0, 30), 1 * H],
    ['Berlin fall-back: 02:00-03:00 twice, 3 h', 'daily 01:30-03:30', 'Europe/Berlin', utc(2026, 10, 25, 0, 45), utc(2026, 10, 24, 23, 30), 3 * H],
    ['Berlin spring-forward, start skipped: starts as the clock jumps', 'daily 02:30-04:00', 'Europe/Berlin', utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 1), 1 * H],
    ['Berlin spring-forward, end skipped: ends as the clock jumps', 'daily 01:00-02:30', 'Europe/Berlin', utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 0), 1 * H],
    ['Berlin fall-back, start repeated: from its first occurrence', 'daily 02:30-04:00', 'Europe/Berlin', utc(2026, 10, 25, 0, 45), utc(2026, 10, 25, 0, 30), 2.5 * H],
    ['Berlin fall-back, end repeated: to its second occurrence', 'daily 01:00-02:30', 'Europe/Berlin', utc(2026, 10, 25, 1, 15), utc(2026, 10, 24, 23), 2.5 * H],
    ['Berlin fall-back, wholly repeated: first 02:15 to second 02:45', 'daily 02:15-02:45', 'Europe/Berlin', utc(2026, 10, 25, 1), utc(2026, 10, 25, 0, 15), 1.5 * H],
    ['Berlin fall-back, ending where it lands (02:00): no repeated minute inside, 1 h', 'daily 01:00-02:00', 'Europe/Berlin', utc(2026, 10, 24, 23, 30), utc(2026, 10, 24, 23), 1 * H],
    ['Berlin fall-back, starting where it lands (02:00): the whole repeated hour inside, 2 h', 'daily 02:00-03:00', 'Europe/Berlin', utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 0), 2 * H],
    ['Berlin, Saturday night across the fall-back: 5 h', 'sat 23:00-03:00', 'Europe/Berlin', utc(2026, 10, 25, 1), utc(2026, 10, 24, 21), 5 * H],
    ['Berlin, Saturday night across the spring-forward: 3 h', 'sat 23:00-03:00', 'Europe/Berlin', utc(2026, 3, 29, 0), utc(2026, 3, 28, 22), 3 * H],
    ['New York spring-forward: 1 h', 'daily 01:30-03:30', 'America/New_York', utc(2026, 3, 8, 7), utc(2026, 3, 8, 6, 30), 1 * H],
    ['New York fall-back: 3 h', 'daily 01:30-03:30', 'America/New_York', utc(2026, 11, 1, 7), utc(2026, 11, 1, 5, 30), 3 * H],
    ['New York fall-back, wholly repeated: 1 h 30', 'daily 01:15-01:45', 'America/New_York', utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 5, 15), 1.5 * H],
    ['New York fall-back, ending where it lands (01:00): 30 min', 'daily 00:30-01:00', 'America/New_York', utc(2026, 11, 1, 4, 45), utc(2026, 11, 1, 4, 30), 30 * MIN],
    ['New York fall-back leaves 02:00-03:00 alone: 30 min', 'daily 02:15-02:45', 'America/New_York', utc(2026, 11, 1, 7, 30), utc(2026, 11, 1, 7, 15), 30 * MIN],
  ])('%s', (_what, text, zone, now, start, length) => {
    const window = windowAt(every(text), zone, now);
    expect(window).toEqual({ start, end: start + length });
  });

  describe('a window wholly inside a skipped hour does not happen that day (it would last 0 ms)', () => {
    const schedule = every('daily 02:15-02:45');
    it.each([
      ['Berlin, 2026-03-29: not at 01:59:59 CET', 'Europe/Berlin', utc(2026, 3, 29, 0, 59, 59)],
      ['Berlin, 2026-03-29: not at the jump to 03:00 CEST', 'Europe/Berlin', utc(2026, 3, 29, 1)],
      ['New York, 2026-03-08: not at the jump to 03:00 EDT', 'America/New_York', utc(2026, 3, 8, 7)],
    ])('%s', (_what, zone, now) => {
      expect(windowAt(schedule, zone, now)).toBeUndefined();
    });

    it.each([
      ['Berlin', 'Europe/Berlin', utc(2026, 3, 28, 12), utc(2026, 3, 30, 0, 15)],
      ['New York', 'America/New_York', utc(2026, 3, 7, 12), utc(2026, 3, 9, 6, 15)],
    ])('%s: the next one after the day before is the day after', (_what, zone, now, start) => {
      expect(nextWindow(schedule, zone, now)).toEqual({ start, end: start + 30 * MIN });
    });

    it('a weekly one is skipped for a week: sun 02:15-02:45 in Berlin after 2026-03-22 runs next on 2026-04-05', () => {
      expect(nextWindow(every('sun 02:15-02:45'), 'Europe/Berlin', utc(2026, 3, 22, 2))).toEqual({
        start: utc(2026, 4, 5, 0, 15), end: utc(2026, 4, 5, 0, 45),
      });
    });
  });

  it('a window ending where the fall-back lands is over when the clock reads that time again (Berlin, daily 01:00-02:00)', () => {
    expect(windowAt(every('daily 01:00-02:00'), 'Europe/Berlin', utc(2026, 10, 24, 23, 59, 59, 999))).toBeDefined();
    expect(windowAt(every('daily 01:00-02:00'), 'Europe/Berlin', utc(2026, 10, 25, 0))).toBeUndefined(); // 02:00 CEST
    expect(windowAt(every('daily 01:00-02:00'), 'Europe/Berlin', utc(2026, 10, 25, 1))).toBeUndefined(); // 02:00 CET
  });

  it('a start skipped by the change holds from the instant the clock jumps, inclusive', () => {
    const schedule = every('daily 02:30-04:00');
    expect(windowAt(schedule, 'Europe/Berlin', utc(2026, 3, 29, 0, 59, 59, 999))).toBeUndefined();
    expect(windowAt(schedule, 'Europe/Berlin', utc(2026, 3, 29, 1))?.start).toBe(utc(2026, 3, 29, 1));
  });

  it.each([
    ['overlap after a fall-back', utc(2026, 10, 25, 1), utc(2026, 10, 24, 0, 40), utc(2026, 10, 26, 1, 20)],
    ['touch after a spring-forward', utc(2026, 3, 29, 1), utc(2026, 3, 28, 1, 40), utc(2026, 3, 30, 0, 20)],
  ])('two occurrences of a nearly-24-hour window that %s are one (daily 02:40-02:20, Berlin)', (_what, now, start, end) => {
    expect(windowAt(every('daily 02:40-02:20'), 'Europe/Berlin', now)).toEqual({ start, end });
  });
});

describe('nextWindow: the next occurrence starting after now', () => {
  // 2026-05-10 is a Sunday.
  it.each([
    ['sun 03:00-05:00', 'from Monday: next Sunday', utc(2026, 5, 11, 12), utc(2026, 5, 17, 3), utc(2026, 5, 17, 5)],
    ['sun 03:00-05:00', 'just before the start: this one', utc(2026, 5, 10, 2, 59, 59, 999), utc(2026, 5, 10, 3), utc(2026, 5, 10, 5)],
    ['sun 03:00-05:00', 'at the start: the one after (this one is windowAt’s)', utc(2026, 5, 10, 3), utc(2026, 5, 17, 3), utc(2026, 5, 17, 5)],
    ['sun 03:00-05:00', 'a week less a moment before it: that one', utc(2026, 5, 10, 3, 0, 0, 1), utc(2026, 5, 17, 3), utc(2026, 5, 17, 5)],
    ['sun 23:00-01:00', 'inside it on Monday: next Sunday', utc(2026, 5, 11, 0, 30), utc(2026, 5, 17, 23), utc(2026, 5, 18, 1)],
    ['mon-wed,fri 12:00-13:00', 'Wednesday after it: Friday', utc(2026, 5, 13, 13), utc(2026, 5, 15, 12), utc(2026, 5, 15, 13)],
    ['mon-wed,fri 12:00-13:00', 'Friday at its start: Monday', utc(2026, 5, 15, 12), utc(2026, 5, 18, 12), utc(2026, 5, 18, 13)],
    ['fri-mon 22:00-02:00', 'Tuesday: Friday night', utc(2026, 5, 12, 12), utc(2026, 5, 15, 22), utc(2026, 5, 16, 2)],
    ['daily 02:00-02:30', 'late evening: tomorrow', utc(2026, 5, 12, 23), utc(2026, 5, 13, 2), utc(2026, 5, 13, 2, 30)],
  ])('%s, %s', (text, _what, now, start, end) => {
    expect(nextWindow(every(text), 'UTC', now)).toEqual({ start, end });
  });

  it('in a zone: sun 03:00-05:00 in Berlin, from a Sunday 02:00 UTC (04:00 CEST, inside): the next Sunday, 01:00 UTC', () => {
    expect(nextWindow(every('sun 03:00-05:00'), 'Europe/Berlin', utc(2026, 5, 10, 2))).toEqual({ start: utc(2026, 5, 17, 1), end: utc(2026, 5, 17, 3) });
  });

  it.each(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'])('a weekly window on %s is never more than a week away, from any hour of a week', (day) => {
    const schedule = every(`${day} 23:30-00:30`);
    for (let now = utc(2026, 5, 10); now < utc(2026, 5, 17); now += H) {
      const next = nextWindow(schedule, 'America/New_York', now);
      expect(next.start).toBeGreaterThan(now);
      expect(next.start - now).toBeLessThanOrEqual(7 * DAY);
      expect(next.end - next.start).toBe(1 * H);
    }
  });

  it('throws a RangeError for a schedule that names no day', () => {
    expect(() => nextWindow({ days: [], startMinute: 0, endMinute: 60 }, 'UTC', 0)).toThrow(RangeError);
  });
});

describe('maintenanceFor: the window that holds a service now, and its next', () => {
  const windows: NamedWindow[] = [
    { name: 'nightly-backup', schedule: every('daily 02:00-02:30'), timeZone: 'Europe/Berlin', services: ['db', 'api'] },
    { name: 'patch-sunday', schedule: every('sun 03:00-05:00'), timeZone: 'UTC', restart: true },
  ];

  it.each([
    ['db during the backup (Tuesday 02:10 CEST)', 'db', utc(2026, 5, 12, 0, 10),
      { name: 'nightly-backup', end: utc(2026, 5, 12, 0, 30), restart: false }, { name: 'nightly-backup', start: utc(2026, 5, 13), end: utc(2026, 5, 13, 0, 30) }],
    ['web is not in the backup: none now, Sunday next', 'web', utc(2026, 5, 12, 0, 10),
      undefined, { name: 'patch-sunday', start: utc(2026, 5, 17, 3), end: utc(2026, 5, 17, 5) }],
    ['web on Sunday 04:00 UTC: the patch window, which lets restarts through', 'web', utc(2026, 5, 17, 4),
      { name: 'patch-sunday', end: utc(2026, 5, 17, 5), restart: true }, { name: 'patch-sunday', start: utc(2026, 5, 24, 3), end: utc(2026, 5, 24, 5) }],
    ['api on Saturday evening: the backup is next', 'api', utc(2026, 5, 16, 20),
      undefined, { name: 'nightly-backup', start: utc(2026, 5, 17), end: utc(2026, 5, 17, 0, 30) }],
  ])('%s', (_what, service, now, current, next) => {
    expect(maintenanceFor(windows, service, now)).toEqual({ current, next });
  });

  it('with no windows, or none that names the service, neither', () => {
    expect(maintenanceFor([], 'db', 0)).toEqual({ current: undefined, next: undefined });
    expect(maintenanceFor([{ name: 'none', schedule: every('daily 00:00-23:59'), timeZone: 'UTC', services: [] }], 'db', 0))
      .toEqual({ current: undefined, next: undefined });
  });

  const day = (name: string, text: string, restart?: boolean): NamedWindow => ({ name, schedule: every(text), timeZone: 'UTC', ...(restart === undefined ? {} : { restart }) });
  it.each([
    ['the one that ends last', [day('short', 'daily 01:00-03:00'), day('long', 'daily 00:00-05:00')], { name: 'long', end: utc(2026, 5, 12, 5), restart: false }],
    ['restart false over restart true, however long', [day('long', 'daily 00:00-05:00', true), day('short', 'daily 01:00-03:00')], { name: 'short', end: utc(2026, 5, 12, 3), restart: false }],
    ['the first listed when they end together', [day('a', 'daily 01:00-03:00'), day('b', 'daily 00:00-03:00')], { name: 'a', end: utc(2026, 5, 12, 3), restart: false }],
  ])('when several hold it: %s', (_what, several, current) => {
    expect(maintenanceFor(several, 'db', utc(2026, 5, 12, 2)).current).toEqual(current);
    expect(maintenanceNow(several, 'db', utc(2026, 5, 12, 2))).toEqual(current);
  });

  it('maintenanceNow, what a scan asks, is maintenanceFor\'s current at every quarter hour of a week, for each service', () => {
    const all = [...windows, day('short', 'daily 01:00-03:00'), day('long', 'daily 00:00-05:00', true)];
    for (let t = utc(2026, 5, 11); t < utc(2026, 5, 18); t += 15 * 60_000) {
      for (const service of ['db', 'api', 'web']) expect(maintenanceNow(all, service, t)).toEqual(maintenanceFor(all, service, t).current);
    }
  });
});
