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
 */
import { closeSync, constants, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { writeFileAtomic } from '../common/fs-atomic.js';
import { errnoCode } from '../common/fs-errors.js';
import { decodeRecord, encodeRecord, type HistoryRecord } from './record.js';
import { historyOfLines, type History } from './series.js';

/** The history's folder inside the state directory. */
export const HISTORY_DIR_NAME = 'history';

const DAY_MS = 86_400_000;
const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.jsonl(\.gz)?$/;
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
 * compressed file of that day, if one is there already), and every file of a day that ended
 * more than `keep` before `now` is deleted. Never throws: what fails is said in `problems` and
 * tried again on the next day's first append.
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
  for (const file of files) {
    if (file.compressed || file.day === today || removed.has(file.name)) continue;
    try {
      await compressDay(dir, file.day);
      done.compressed.push(file.day);
    } catch (error) {
      done.problems.push(`cannot compress ${join(dir, file.name)}: ${describe(error)}`);
    }
  }
  return done;
}

/** Compresses a day's plain file into its `.jsonl.gz`, with the lines one may hold already; then removes the plain file. */
async function compressDay(dir: string, day: string): Promise<void> {
  const plain = join(dir, `${day}.jsonl`);
  const packed = `${plain}.gz`;
  const earlier = await readFile(packed).then((data) => gunzipAsync(data), (error: unknown) => {
    if (errnoCode(error) === 'ENOENT') return Buffer.alloc(0);
    throw error;
  });
  const lines = [...new Set([...linesOf(earlier.toString('utf8')), ...linesOf(await readFile(plain, 'utf8'))])];
  await writeFileAtomic(packed, await gzipAsync(`${lines.join('\n')}\n`), 0o600);
  await unlink(plain);
}

/** The whole lines that read as records: torn and garbled ones are dropped when a day is compressed. */
function linesOf(text: string): string[] {
  return text.split('\n').filter((line) => decodeRecord(line) !== undefined);
}

type DayFile = { name: string; day: string; compressed: boolean };

async function dayFiles(dir: string): Promise<DayFile[]> {
  const names = await readdir(dir);
  return names.flatMap((name) => {
    const match = DAY_FILE.exec(name);
    return match ? [{ name, day: match[1]!, compressed: Boolean(match[2]) }] : [];
  });
}

/** The history read back, and what could not be read. */
export type HistoryRead = { history: History; problems: string[] };

/**
 * Reads the scans from `since` on (the whole history when not given), in columns (series.ts),
 * one scan per start (a day compressed while a previous reader looked, or a scan that wrote its
 * line twice, counts once). A missing folder is an empty history; a line or a file that does not
 * read is skipped, the file named in `problems`. Lines are decoded one at a time into the
 * columns, never held as objects all at once.
 */
export async function readHistory(stateDir: string, options: { since?: number } = {}): Promise<HistoryRead> {
  const dir = historyDir(stateDir);
  const problems: string[] = [];
  let files: DayFile[];
  try {
    files = await dayFiles(dir);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') problems.push(`cannot list ${dir}: ${describe(error)}`);
    return { history: historyOfLines([]), problems };
  }
  const since = options.since ?? -Infinity;
  // Oldest day first, a day's .gz before its plain file: the columns come out in order as read.
  files.sort((a, b) => a.day.localeCompare(b.day) || Number(b.compressed) - Number(a.compressed));
  const texts: string[] = [];
  for (const file of files) {
    if (dayStart(file.day) + DAY_MS <= since) continue;
    try {
      const data = await readFile(join(dir, file.name));
      texts.push((file.compressed ? await gunzipAsync(data) : data).toString('utf8'));
    } catch (error) {
      // Compressed by a scan since the folder was listed: its .gz holds the same lines.
      if (errnoCode(error) === 'ENOENT' && !file.compressed) {
        if (!files.some((f) => f.day === file.day && f.compressed)) files.push({ name: `${file.day}.jsonl.gz`, day: file.day, compressed: true });
        continue;
      }
      problems.push(`cannot read ${join(dir, file.name)}: ${describe(error)}`);
    }
  }
  function* lines(): Generator<string> {
    for (const text of texts) yield* text.split('\n');
  }
  return { history: historyOfLines(lines(), since), problems };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
