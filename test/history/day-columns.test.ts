/**
 * A closed day's columns (`YYYY-MM-DD.cols.json.gz`): written when the day is compressed, read
 * instead of its lines, and the history read with them exactly the one read from the lines alone
 * (same starts, same services in the same order, same restarts and alerts in the same order),
 * for random histories; a cols file that does not read back is ignored, never fatal. Fixed
 * instants only: `t` and `now` are given, never read from the clock.
 */
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY_COLUMNS_VERSION, decodeDayColumns, encodeDayColumns } from '../../src/history/day-columns.js';
import { encodeRecord, STATUS_CODES } from '../../src/history/record.js';
import { historyOf, historyOfLines, type History } from '../../src/history/series.js';
import { appendRecord, dayOf, historyDir, housekeep, readHistory } from '../../src/history/store.js';
import { prng, type Rng } from '../reliability/support.js';
import { freshDir } from '../state/helpers.js';
import { DAY, HOUR, MIN, rec, T0, type ScanSpec } from './fixtures.js';

const KEEP = 400 * DAY;
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await freshDir('heal-daycols-')));
afterEach(async () => cleanup());

/** The history with its maps as lists, so their order counts too. */
const plain = (h: History) => ({
  t: h.t,
  durationMs: h.durationMs,
  services: [...h.services].map(([name, s]) => [name, s.status, s.slowestMs, [...s.restarts], [...s.alerts]]),
});

/** Lines of random scans of day `d` (from T0): services coming and going, restarts, alerts, no latencies, starts out of order and repeated. */
function dayLines(rng: Rng, d: number, names: string[]): string[] {
  const lines: string[] = [];
  const starts = Array.from({ length: rng.int(0, 40) }, () => T0 + d * DAY + rng.int(0, 95) * 15 * MIN);
  for (const t of starts) {
    const services: Record<string, ScanSpec> = {};
    for (const name of names) {
      if (rng.next() < 0.3) continue;
      const status = rng.pick(STATUS_CODES);
      services[name] = {
        status,
        latencyMs: rng.next() < 0.2 ? [] : Array.from({ length: rng.int(1, 3) }, () => rng.int(0, 3000)),
        ...(rng.next() < 0.1 ? { restart: rng.pick(['healed', 'failed'] as const) } : {}),
        alerts: rng.next() < 0.1 ? rng.int(1, 3) : 0,
      };
    }
    lines.push(encodeRecord(rec(t, services, rng.int(0, 500))));
    if (rng.next() < 0.1) lines.push(lines.at(-1)!);
  }
  return lines;
}

/** The day files of a random history: each day's plain file (some with a torn last line) and the day after them plain, as today. */
async function writeRandomHistory(seed: number, days: number, { foreign = false } = {}): Promise<string> {
  const rng = prng(seed);
  const all = Array.from({ length: 6 }, (_, i) => `svc-${i}`);
  await mkdir(historyDir(dir), { recursive: true });
  for (let d = 0; d <= days; d++) {
    // Services appear and disappear: each day sees some of them, in its own order.
    const names = all.filter(() => rng.next() < 0.7).sort(() => rng.next() - 0.5);
    const lines = dayLines(rng, d, names);
    // A line in another day's file (written by hand): the days' starts then overlap.
    if (foreign && d === 2) lines.push(encodeRecord(rec(T0 + 5 * HOUR, { 'svc-0': 'down' })));
    const torn = rng.next() < 0.3 ? encodeRecord(rec(T0 + d * DAY, { 'svc-9': 'up' })).slice(0, 15) : '';
    await writeFile(join(historyDir(dir), `${dayOf(T0 + d * DAY)}.jsonl`), `${lines.map((l) => `${l}\n`).join('')}${torn}`);
  }
  return dayOf(T0 + days * DAY);
}

/** The history read from the lines alone: a copy of the folder without its cols files. */
async function readFromLines(since?: number): Promise<History> {
  const copy = join(dir, 'lines-only');
  await rm(copy, { recursive: true, force: true });
  await cp(historyDir(dir), historyDir(copy), { recursive: true, filter: (source) => !source.endsWith('.cols.json.gz') });
  const { history, problems } = await readHistory(copy, since === undefined ? {} : { since });
  expect(problems).toEqual([]);
  return history;
}

/** Every line of every day file at once, oldest day first: how the history was read before cols files. */
async function readAllLines(since?: number): Promise<History> {
  const names = (await readdir(historyDir(dir))).filter((n) => /\.jsonl(\.gz)?$/.test(n)).sort();
  const texts = await Promise.all(names.map(async (n) => {
    const data = await readFile(join(historyDir(dir), n));
    return (n.endsWith('.gz') ? gunzipSync(data) : data).toString('utf8');
  }));
  return historyOfLines(texts.join('\n').split('\n'), since);
}

const colsFiles = async () => (await readdir(historyDir(dir))).filter((n) => n.endsWith('.cols.json.gz')).sort();
const colsPath = (day: number) => join(historyDir(dir), `${dayOf(T0 + day * DAY)}.cols.json.gz`);

describe('the history read with cols files is the one read from the lines', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('random history %i, whole and from random instants', async (seed) => {
    const today = await writeRandomHistory(seed, 6);
    const done = await housekeep(historyDir(dir), today, { keepMs: KEEP, now: T0 + 6 * DAY });
    expect(done.problems).toEqual([]);
    expect(await colsFiles()).toHaveLength(6);
    const rng = prng(100 + seed);
    for (const since of [undefined, T0 + 2 * DAY, T0 + rng.int(0, 7 * 24) * HOUR + rng.int(0, 59) * MIN]) {
      const { history, problems } = await readHistory(dir, since === undefined ? {} : { since });
      expect(problems).toEqual([]);
      expect(plain(history)).toEqual(plain(await readFromLines(since)));
      expect(plain(history)).toEqual(plain(await readAllLines(since)));
    }
  });

  it('also when a line sits in another day\'s file, so starts overlap across days', async () => {
    const today = await writeRandomHistory(3, 4, { foreign: true });
    await housekeep(historyDir(dir), today, { keepMs: KEEP, now: T0 + 4 * DAY });
    const { history } = await readHistory(dir);
    expect(history.t).toContain(T0 + 5 * HOUR);
    expect(plain(history)).toEqual(plain(await readAllLines()));
  });

  it('a day merged again (a late line after it was closed) gets the columns of its new .gz', async () => {
    await appendRecord(dir, rec(T0 + HOUR, { api: 'up' }), { keepMs: KEEP, now: T0 + HOUR });
    await appendRecord(dir, rec(T0 + DAY + HOUR, { api: 'up' }), { keepMs: KEEP, now: T0 + DAY + HOUR });
    await writeFile(join(historyDir(dir), `${dayOf(T0)}.jsonl`), `${encodeRecord(rec(T0 + 3 * HOUR, { api: 'down', db: 'up' }))}\n`);
    await appendRecord(dir, rec(T0 + 2 * DAY, { api: 'up' }), { keepMs: KEEP, now: T0 + 2 * DAY });
    expect(await colsFiles()).toHaveLength(2);
    const { history } = await readHistory(dir);
    expect(history.t).toEqual([T0 + HOUR, T0 + 3 * HOUR, T0 + DAY + HOUR, T0 + 2 * DAY]);
    expect(plain(history)).toEqual(plain(await readAllLines()));
  });
});

describe('cols files', () => {
  it('are what a closed day is read from when they read back', async () => {
    await appendRecord(dir, rec(T0 + HOUR, { api: 'up' }), { keepMs: KEEP, now: T0 + HOUR });
    await appendRecord(dir, rec(T0 + DAY + HOUR, { api: 'up' }), { keepMs: KEEP, now: T0 + DAY + HOUR });
    // A valid file saying something else than the .gz: what is read shows which one was.
    await writeFile(colsPath(0), gzipSync(encodeDayColumns(dayOf(T0), historyOf([rec(T0 + 2 * HOUR, { db: 'down' })]))));
    expect((await readHistory(dir)).history.t).toEqual([T0 + 2 * HOUR, T0 + DAY + HOUR]);
  });

  it('round-trip, run-length encoding the status column', () => {
    const history = historyOf([rec(T0, { api: 'up' }), rec(T0 + MIN, { api: 'up', db: { status: 'down', restart: 'failed', alerts: 2 } }), rec(T0 + 2 * MIN, { api: 'up' })]);
    const text = encodeDayColumns(dayOf(T0), history);
    expect(JSON.parse(text).s[0][1]).toEqual([0, 3]);
    expect(plain(decodeDayColumns(text, dayOf(T0))!)).toEqual(plain(history));
  });

  const good = () => JSON.parse(encodeDayColumns(dayOf(T0), historyOf([rec(T0 + HOUR, { api: 'down' }), rec(T0 + 2 * HOUR, { api: { status: 'down', restart: 'healed', alerts: 1 } })])));
  const bad: [string, () => Buffer | string][] = [
    ['not gzip', () => 'not gzip'],
    ['a truncated gzip', () => gzipSync(JSON.stringify(good())).subarray(0, 30)],
    ['truncated JSON', () => gzipSync(JSON.stringify(good()).slice(0, 60))],
    ['another version', () => gzipSync(JSON.stringify({ ...good(), v: DAY_COLUMNS_VERSION + 1 }))],
    ['another day', () => gzipSync(JSON.stringify({ ...good(), day: dayOf(T0 + DAY) }))],
    ['starts out of order', () => gzipSync(JSON.stringify({ ...good(), t: [T0 + 2 * HOUR, T0 + HOUR] }))],
    ['a status column too short', () => gzipSync(JSON.stringify({ ...good(), s: [['api', [3, 1], [-1, -1], [], []]] }))],
    ['a restart out of range', () => gzipSync(JSON.stringify({ ...good(), s: [['api', [3, 2], [-1, -1], [5, 1], []]] }))],
    ['a latency that is not one', () => gzipSync(JSON.stringify({ ...good(), s: [['api', [3, 2], ['x', -1], [], []]] }))],
    ['an empty file', () => ''],
  ];
  it.each(bad)('%s: ignored, the day read from its .gz, no problem', async (_, content) => {
    await appendRecord(dir, rec(T0 + HOUR, { api: 'up' }), { keepMs: KEEP, now: T0 + HOUR });
    await appendRecord(dir, rec(T0 + 3 * HOUR, { api: 'down', db: 'up' }), { keepMs: KEEP, now: T0 + 3 * HOUR });
    await appendRecord(dir, rec(T0 + DAY + HOUR, { api: 'up' }), { keepMs: KEEP, now: T0 + DAY + HOUR });
    await writeFile(colsPath(0), content());
    const { history, problems } = await readHistory(dir);
    expect(problems).toEqual([]);
    expect(history.t).toEqual([T0 + HOUR, T0 + 3 * HOUR, T0 + DAY + HOUR]);
    expect(plain(history)).toEqual(plain(await readAllLines()));
  });

  it('a day closed without them (before they existed) gets them on the next day\'s first append', async () => {
    for (let d = 0; d < 3; d++) await appendRecord(dir, rec(T0 + d * DAY + HOUR, { api: 'up' }), { keepMs: KEEP, now: T0 + d * DAY + HOUR });
    await rm(colsPath(0));
    expect(await colsFiles()).toEqual([`${dayOf(T0 + DAY)}.cols.json.gz`]);
    expect((await readHistory(dir)).history.t).toEqual([T0 + HOUR, T0 + DAY + HOUR, T0 + 2 * DAY + HOUR]);
    await appendRecord(dir, rec(T0 + 3 * DAY + HOUR, { api: 'up' }), { keepMs: KEEP, now: T0 + 3 * DAY + HOUR });
    expect(await colsFiles()).toEqual([0, 1, 2].map((d) => `${dayOf(T0 + d * DAY)}.cols.json.gz`));
    expect(plain((await readHistory(dir)).history)).toEqual(plain(await readAllLines()));
  });

  it('are deleted with their day past keep', async () => {
    for (let d = 0; d < 5; d++) await appendRecord(dir, rec(T0 + d * DAY + HOUR, { api: 'up' }), { keepMs: 2 * DAY, now: T0 + d * DAY + HOUR });
    expect(await colsFiles()).toEqual([2, 3].map((d) => `${dayOf(T0 + d * DAY)}.cols.json.gz`));
  });
});
