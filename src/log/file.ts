/**
 * The log file and its rotation. heal runs once per scan, so the file is rotated when a scan
 * opens it, never while it is written: past `maxBytes`, `heal.log.(keep-1)` becomes
 * `heal.log.keep` (the old `heal.log.keep` falls off the end), …, `heal.log` becomes
 * `heal.log.1`, and the scan starts a new `heal.log`. At most `keep + 1` files remain, each at
 * most `maxBytes` plus what one scan wrote after the check. Files are 0600, the folder 0700.
 *
 * Two scans that rotate at once (the scan lock is taken after the logger exists) lose nothing
 * worse than one extra rotation: a file that is already gone is skipped.
 */
import { chmodSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { errnoCode } from '../common/fs-errors.js';

/** The manifest's `log_rotate`, in the logger's terms. */
export type LogRotation = {
  /** Rotate when the file is larger than this at the start of a scan. */
  maxBytes: number;
  /** Rotated files kept: heal.log.1 … heal.log.<keep>. At least 1. */
  keep: number;
};

/** What a rotation did; an `error` means the old file is still written to, unrotated. */
export type RotationResult = { rotated: boolean; error?: string };

/** The n-th rotated file of `file`: heal.log.1 is the newest. */
export function rotatedFile(file: string, n: number): string {
  return `${file}.${n}`;
}

function isMissing(error: unknown): boolean {
  return errnoCode(error) === 'ENOENT';
}

/** Renames `from` to `to` (replacing it); false when `from` does not exist. */
function renameIfPresent(from: string, to: string): boolean {
  try {
    renameSync(from, to);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

/**
 * Rotates `file` when it is larger than `rotate.maxBytes`; does nothing when it is absent or
 * small. Never throws: a failure is returned, and the file is left to grow.
 */
export function rotateLogFile(file: string, rotate: LogRotation): RotationResult {
  const keep = Math.max(1, Math.floor(rotate.keep));
  try {
    let size: number;
    try {
      size = statSync(file).size;
    } catch (error) {
      if (isMissing(error)) return { rotated: false };
      throw error;
    }
    if (size <= rotate.maxBytes) return { rotated: false };

    // What falls off the end goes first, so no rename replaces a file: on ext4, a rename over
    // an existing file forces the renamed one's data to disk, a stall for nothing in a log.
    dropFrom(file, keep);
    for (let n = keep - 1; n >= 1; n -= 1) renameIfPresent(rotatedFile(file, n), rotatedFile(file, n + 1));
    if (!renameIfPresent(file, rotatedFile(file, 1))) return { rotated: false };
    try {
      chmodSync(rotatedFile(file, 1), 0o600);
    } catch {
      // Best effort: the file was made 0600 by heal in the first place.
    }
    return { rotated: true };
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    return { rotated: false, error: code ? `${code}: ${message}` : String(message ?? error) };
  }
}

/**
 * Removes heal.log.<n> for every n from `from` up: the oldest file, which a rotation pushes off
 * the end, and any left behind when `keep` was lowered.
 */
function dropFrom(file: string, from: number): void {
  const prefix = `${basename(file)}.`;
  const dir = dirname(file);
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const suffix = name.slice(prefix.length);
    if (!/^\d+$/.test(suffix) || Number(suffix) < from) continue;
    try {
      unlinkSync(join(dir, name));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
}

/**
 * Readies the log file for a scan and opens it for appending: its folder (0700), its rotation
 * when asked, and the file itself, created 0600 when absent. Throws the file system's error when
 * the folder cannot be made or the file cannot be opened (a folder, no permission, a read-only
 * disk); a failed rotation is returned for the logger to report.
 */
export function openLogFile(file: string, rotate?: LogRotation): { fd: number; rotation: RotationResult } {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  } catch (error) {
    // A recursive mkdir says ENOENT for what is really EROFS or EACCES: ask once more, plainly.
    if (!isMissing(error)) throw error;
    mkdirSync(dirname(file), { mode: 0o700 });
  }
  const rotation = rotate ? rotateLogFile(file, rotate) : { rotated: false };
  return { fd: openSync(file, 'a', 0o600), rotation };
}

/**
 * The one line heal prints on stderr when it cannot use `log_file`: where (the key and the
 * path), what went wrong, that it logs to stderr instead, and the fix.
 */
export function logFileProblem(file: string, error: unknown, when: 'open' | 'write'): string {
  const { code, message } = error as NodeJS.ErrnoException;
  const what = when === 'open' ? 'cannot open it' : 'cannot write to it';
  const why = code ? `${code}: ${String(message).replace(/^[A-Z]+: /, '').split(',')[0]}` : String(message ?? error);
  const since = when === 'open' ? 'logging to stderr instead' : 'logging to stderr from here on';
  return `heal: log_file ${file}: ${what} (${why}); ${since}: ${LOG_FILE_FIX[code ?? ''] ?? 'name a file that heal can create and append to'}`;
}

const LOG_FILE_FIX: Record<string, string> = {
  EISDIR: 'it is a folder, name a file (e.g. heal.log inside it)',
  ENOTDIR: 'a part of its path is a file, not a folder: name a file in a folder',
  EEXIST: 'a part of its path is a file, not a folder: name a file in a folder',
  EACCES: 'heal may not write there: give the user that runs heal write access, or name another file',
  EPERM: 'heal may not write there: give the user that runs heal write access, or name another file',
  EROFS: 'the disk is read-only: name a file on a writable disk',
  ENOSPC: 'the disk is full: free some space, or name a file on another disk',
  EDQUOT: 'the disk quota is used up: free some space, or name a file on another disk',
  ENOENT: 'its folder is missing and cannot be made: create the folder, or name a file in one that exists',
  ELOOP: 'it is a symbolic link loop: name a regular file',
  ENAMETOOLONG: 'the path is too long: name a shorter one',
};
