/**
 * The history on disk: `<state dir>/history/`, one file per UTC day. The day a scan runs in gets
 * one line appended (`2026-11-22.jsonl`, record.ts); the first append of a new day compresses the
 * days before it (`2026-11-21.jsonl.gz`, written atomically, then the plain file removed) and
 * deletes the days that ended more than `keep` ago, whole. A healthy scan therefore costs one
 * open, one stat, a one-byte read and one write; the housekeeping runs once a day.
 *
 * Crash-safe without fsync on the hot path: an append is one write of one line, so a process
 * killed mid-append leaves at most a torn last line, which the reader skips; the next append
 * starts on a line of its own (it looks at the last byte first). A write the disk refuses part of
 * way is cut back off. A power cut may lose the last few seconds of lines the kernel had not
 * written back yet, or leave zeros at the end of the file: those read as no record too.
 *
 * Beside each closed day's `.gz` its columns (`2026-11-21.cols.json.gz`, day-columns.ts, gzipped:
 * a third of the plain JSON, less than the day's lines), written when the day is compressed, so a
 * reader of thirty days parses thirty small documents instead of every line. They are a cache of the `.gz`, never the truth: removed before
 * the `.gz` is rewritten and written (atomically) only after it, so a crash anywhere leaves either
 * the columns of the `.gz` beside it or none; a day without them (closed before they existed, or
 * whose write failed) gets them at the next day's housekeeping, and reads from its `.gz` until
 * then; a file that does not read back, of another version or day, is ignored in favour of the `.gz`.
 */
import { closeSync, constants, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { writeFileAtomic } from '../common/fs-atomic.js';
import { errnoCode } from '../common/fs-errors.js';
import { concatDays } from './concat-days.js';
import { decodeDayColumns, encodeDayColumns } from './day-columns.js';
import { decodeRecord, encodeRecord, type HistoryRecord } from './record.js';
import { historyOfLines, type History } from './series.js';

/** The history's folder inside the state directory. */
export const HISTORY_DIR_NAME = 'history';

const DAY_MS = 86_400_000;
const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.(jsonl|jsonl\.gz|cols\.json\.gz)$/;
const KINDS = { jsonl: 'plain', 'jsonl.gz': 'gz', 'cols.json.gz': 'cols' } as const;
const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export function historyDir(stateDir: string): string {
  return join(stateDir, HISTORY_DIR_NAME);
}

/** The UTC day of an instant, as files are named: "2026-11-22". */
export function dayOf(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** When a day (as named) begins, in ms since the epoch. */
function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00.000Z`);
}

/** What the day's first append did to the days before it. */
export type Housekeeping = {
  /** Days whose plain file was compressed. */
  compressed: string[];
  /** Files deleted because their day ended more than `keep` ago. */
  removed: string[];
  /** What could not be done, one line each (the append itself succeeded). */
  problems: string[];
};

export type AppendOptions = {
  /** How long the history is kept (the manifest's `history.keep`), in ms. */
  keepMs: number;
  /** The clock `keep` is measured against: the scan's now. */
  now: number;
};

/**
 * Appends one scan to its day's file, creating the folder (0700) and the file (0600) as needed.
 * Throws the file system's error (ENOSPC, EROFS, …) when the line could not be written; what a
 * failed write had put down is cut off again. Returns the housekeeping the day's first append
 * did, or undefined when the file already had lines.
 *
 * The append itself uses the synchronous calls: four system calls of a few microseconds each,
 * where each promise would cost a round trip through libuv's thread pool (measured: ~90 µs
 * against ~700 µs on a loaded two-core machine), at the end of a scan that has nothing else to do.
 */
export async function appendRecord(stateDir: string, record: HistoryRecord, options: AppendOptions): Promise<Housekeeping | undefined> {
  const dir = historyDir(stateDir);
  const day = dayOf(record.t);
  const fd = openDayFile(dir, day);
  let size = 0;
  try {
    size = fstatSync(fd).size;
    // A torn last line (a killed writer) ends without a newline: this record starts a line of its own.
    const last = Buffer.alloc(1);
    const torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
    const line = Buffer.from(`${torn ? '\n' : ''}${encodeRecord(record)}\n`);
    try {
      const written = writeSync(fd, line);
      if (written !== line.length) throw Object.assign(new Error(`ENOSPC: no space left on device, wrote ${written} of ${line.length} bytes`), { code: 'ENOSPC' });
    } catch (error) {
      try {
        ftruncateSync(fd, size);
      } catch {
        // the disk refused that too: the reader skips the torn line
      }
      throw error;
    }
  } finally {
    closeSync(fd);
  }
  return size === 0 ? housekeep(dir, day, options) : undefined;
}

/** Opens a day's file for appending (never through a link), making the folder 0700 when it is missing. */
function openDayFile(dir: string, day: string): number {
  const path = join(dir, `${day}.jsonl`);
  const open = () => openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    return open();
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return open();
  }
}

/**
 * The day's housekeeping: every plain file of another day is compressed (merged with a
 * compressed file of that day, if one is there already) and its columns written beside it; a
 * compressed day without columns gets them; and every file of a day that ended more than `keep`
 * before `now` is deleted. Never throws: what fails is said in `problems` and tried again on the
 * next day's first append.
 */
export async function housekeep(dir: string, today: string, { keepMs, now }: AppendOptions): Promise<Housekeeping> {
  const done: Housekeeping = { compressed: [], removed: [], problems: [] };
  const files = await dayFiles(dir).catch((error: unknown) => {
    done.problems.push(`cannot list ${dir}: ${describe(error)}`);
    return [];
  });
  const keepFrom = now - keepMs;
  for (const file of files) {
    if (dayStart(file.day) + DAY_MS > keepFrom || file.day === today) continue;
    await unlink(join(dir, file.name)).then(
      () => done.removed.push(file.name),
      (error: unknown) => done.problems.push(`cannot remove ${join(dir, file.name)}: ${describe(error)}`),
    );
  }
  const removed = new Set(done.removed);
  const kept = files.filter((file) => file.day !== today && !removed.has(file.name));
  const tried = new Set<string>();
  for (const file of kept) {
    if (file.kind !== 'plain') continue;
    tried.add(file.day);
    try {
      const lines = await compressDay(dir, file.day);
      done.compressed.push(file.day);
      await writeDayColumns(dir, file.day, lines).catch((error: unknown) => done.problems.push(`cannot write ${columnsPath(dir, file.day)}: ${describe(error)}`));
    } catch (error) {
      done.problems.push(`cannot compress ${join(dir, file.name)}: ${describe(error)}`);
    }
  }
  // Days compressed before columns existed, or whose columns could not be written then.
  const withColumns = new Set(kept.filter((file) => file.kind === 'cols').map((file) => file.day));
  for (const file of kept) {
    if (file.kind !== 'gz' || tried.has(file.day) || withColumns.has(file.day)) continue;
    try {
      const text = (await gunzipAsync(await readFile(join(dir, file.name)))).toString('utf8');
      await writeDayColumns(dir, file.day, text.split('\n'));
    } catch (error) {
      done.problems.push(`cannot write ${columnsPath(dir, file.day)}: ${describe(error)}`);
    }
  }
  return done;
}

/**
 * Compresses a day's plain file into its `.jsonl.gz`, with the lines one may hold already; then
 * removes the plain file. Its columns are removed first, so none stand beside a `.gz` they were
 * not made from. Returns the day's lines.
 */
async function compressDay(dir: string, day: string): Promise<string[]> {
  const plain = join(dir, `${day}.jsonl`);
  const packed = `${plain}.gz`;
  await unlink(columnsPath(dir, day)).catch((error: unknown) => {
    if (errnoCode(error) !== 'ENOENT') throw error;
  });
  const earlier = await readFile(packed).then((data) => gunzipAsync(data), (error: unknown) => {
    if (errnoCode(error) === 'ENOENT') return Buffer.alloc(0);
    throw error;
  });
  const lines = [...new Set([...linesOf(earlier.toString('utf8')), ...linesOf(await readFile(plain, 'utf8'))])];
  await writeFileAtomic(packed, await gzipAsync(`${lines.join('\n')}\n`), 0o600);
  await unlink(plain);
  return lines;
}

/** Where a day's columns are kept. */
function columnsPath(dir: string, day: string): string {
  return join(dir, `${day}.cols.json.gz`);
}

/** Writes a day's columns, from its lines (those of its .gz), gzipped, atomically. */
async function writeDayColumns(dir: string, day: string, lines: Iterable<string>): Promise<void> {
  await writeFileAtomic(columnsPath(dir, day), await gzipAsync(encodeDayColumns(day, historyOfLines(lines))), 0o600);
}

/** A day's columns read back; undefined when they cannot be read or do not read back as that day's (the caller reads the .gz). */
async function readDayColumns(dir: string, day: Day): Promise<History | undefined> {
  try {
    const text = (await gunzipAsync(await readFile(join(dir, day.cols!)))).toString('utf8');
    return decodeDayColumns(text, day.day);
  } catch {
    return undefined;
  }
}

/** The whole lines that read as records: torn and garbled ones are dropped when a day is compressed. */
function linesOf(text: string): string[] {
  return text.split('\n').filter((line) => decodeRecord(line) !== undefined);
}

type DayFile = { name: string; day: string; kind: 'plain' | 'gz' | 'cols' };

async function dayFiles(dir: string): Promise<DayFile[]> {
  const names = await readdir(dir);
  return names.flatMap((name) => {
    const match = DAY_FILE.exec(name);
    return match ? [{ name, day: match[1]!, kind: KINDS[match[2] as keyof typeof KINDS] }] : [];
  });
}

/** The history read back, and what could not be read. */
export type HistoryRead = { history: History; problems: string[] };

/** A day's files, as listed. */
type Day = { day: string; plain?: string; gz?: string; cols?: string };

/**
 * Reads the scans from `since` on (the whole history when not given), in columns (series.ts),
 * one scan per start (a day compressed while a previous reader looked, or a scan that wrote its
 * line twice, counts once). A missing folder is an empty history; a line or a file that does not
 * read is skipped, the file named in `problems`. A closed day wholly from `since` on is read from
 * its columns when they are there and read back (and no plain file of the day is, which a
 * compression under way would leave); any other day from its lines, decoded one at a time into
 * the columns, never held as objects all at once. The same history as reading every line.
 */
export async function readHistory(stateDir: string, options: { since?: number } = {}): Promise<HistoryRead> {
  const dir = historyDir(stateDir);
  let files: DayFile[];
  try {
    files = await dayFiles(dir);
  } catch (error) {
    const problems = errnoCode(error) !== 'ENOENT' ? [`cannot list ${dir}: ${describe(error)}`] : [];
    return { history: historyOfLines([]), problems };
  }
  const since = options.since ?? -Infinity;
  const byDay = new Map<string, Day>();
  for (const file of files) {
    if (dayStart(file.day) + DAY_MS <= since) continue;
    let day = byDay.get(file.day);
    if (!day) byDay.set(file.day, (day = { day: file.day }));
    day[file.kind] = file.name;
  }
  // Oldest day first: the columns come out in order as read.
  const days = [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
  const problems: string[] = [];
  const histories: History[] = [];
  for (const day of days) {
    if (day.cols && day.gz && !day.plain && dayStart(day.day) >= since) {
      const columns = await readDayColumns(dir, day);
      // Starts before `since` in a day's file (a foreign line) are dropped by reading the lines.
      if (columns && !(columns.t[0]! < since)) {
        histories.push(columns);
        continue;
      }
    }
    histories.push(historyOfLines(splitLines(await dayTexts(dir, day, problems)), since));
  }
  const joined = concatDays(histories);
  if (joined) return { history: joined, problems };
  // Days whose starts overlap (lines in another day's file): every line at once, as they are sorted together.
  const again: string[] = [];
  const texts: string[] = [];
  for (const day of days) texts.push(...(await dayTexts(dir, day, again)));
  return { history: historyOfLines(splitLines(texts), since), problems: again };
}

/** A day's texts: its .gz's, then its plain file's; that one, removed by a compression since the listing, read from the .gz. */
async function dayTexts(dir: string, day: Day, problems: string[]): Promise<string[]> {
  const texts: string[] = [];
  const read = async (name: string, compressed: boolean): Promise<void> => {
    const data = await readFile(join(dir, name));
    texts.push((compressed ? await gunzipAsync(data) : data).toString('utf8'));
  };
  const names: [string, boolean][] = [];
  if (day.gz) names.push([day.gz, true]);
  if (day.plain) names.push([day.plain, false]);
  for (const [name, compressed] of names) {
    try {
      await read(name, compressed);
    } catch (error) {
      // Compressed by a scan since the folder was listed: its .gz holds the same lines.
      if (errnoCode(error) === 'ENOENT' && !compressed) {
        if (!day.gz) names.push([`${day.day}.jsonl.gz`, true]);
        continue;
      }
      problems.push(`cannot read ${join(dir, name)}: ${describe(error)}`);
    }
  }
  return texts;
}

function* splitLines(texts: readonly string[]): Generator<string> {
  for (const text of texts) yield* text.split('\n');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
