/**
 * The scan lock: `scan.lock` in the state directory, created whole and exclusively (a temp file
 * hard-linked into place, which fails like O_EXCL when the lock exists) and holding
 * `{ pid, hostname, startedAt }`. Only one scan runs at a time; a second one gets a
 * `LockHeldError`. A lock left behind by a dead process, an old one (pid reuse), or an old one
 * with garbage in it is stale and is taken over — under a short-lived `scan.lock.takeover` and
 * only after re-checking that the stale lock is still the same file, so two processes that both
 * saw the same stale lock never both end up holding it.
 */
import { randomBytes } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { link, open, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { HealError, LockHeldError } from '../errors.js';
import { removeLeftoverTemps } from '../fs-atomic.js';
import type { Logger } from '../logger.js';
import { ensureStateDir } from './store.js';

/** The lock file's name inside the state directory. */
export const LOCK_FILE_NAME = 'scan.lock';

/** A lock this old is stale whoever holds it. A scan never runs this long. */
export const DEFAULT_STALE_AFTER_MS = 10 * 60_000;

/** A lock whose content cannot be read is left alone this long: its writer may be mid-write. */
const GARBAGE_GRACE_MS = 5_000;

/** How long to re-read a fresh lock without content, expecting its writer to fill it in. */
const CONTENT_SETTLE_MS = 500;
const CONTENT_POLL_MS = 10;

/** A takeover marker this old was left by a process killed mid-takeover. */
const TAKEOVER_STALE_MS = 10_000;

/** How long to wait for another process's takeover to finish before giving up. */
const TAKEOVER_WAIT_MS = 1_500;
const TAKEOVER_POLL_MS = 20;

/** A held scan lock. */
export type Lock = {
  /** The lock file. */
  readonly path: string;
  /** Removes the lock file if it is still ours; safe to call more than once. */
  release(): Promise<void>;
};

/** Options of {@link acquireLock}. */
export type AcquireLockOptions = {
  /** A lock older than this is taken over even if its pid looks alive. @default 600000 (10 minutes) */
  staleAfterMs?: number;
  /** Where a takeover of a stale lock is reported (as a warning). */
  logger?: Logger;
};

/** What a lock file holds. */
export type LockInfo = z.output<typeof lockInfoSchema>;

const lockInfoSchema = z.object({
  pid: z.number().int().positive(),
  hostname: z.string(),
  /** ISO 8601. */
  startedAt: z.string(),
  /** Random; tells two locks of one process apart, so release never removes another's lock. */
  token: z.string().optional(),
});

/** The path of the scan lock in `dir`. */
export function lockFile(dir: string): string {
  return join(dir, LOCK_FILE_NAME);
}

/**
 * Takes the scan lock of the state directory `dir` (created 0700 if missing). Throws
 * `LockHeldError` when a live scan holds it; takes over (with a warning) a lock that is stale.
 * Other file-system faults are `HealError('state')`.
 */
export async function acquireLock(dir: string, options: AcquireLockOptions = {}): Promise<Lock> {
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const path = lockFile(dir);
  try {
    await ensureStateDir(dir);
    await Promise.all([removeLeftoverTemps(dir, LOCK_FILE_NAME), removeLeftoverTemps(dir, `${LOCK_FILE_NAME}.takeover`)]);
    const deadline = Date.now() + TAKEOVER_WAIT_MS;
    const settleDeadline = Date.now() + CONTENT_SETTLE_MS;
    for (;;) {
      const mine = lockContent();
      if (await createExclusive(path, mine)) return heldLock(path, mine, options.logger);

      const seen = await readSnapshot(path);
      if (!seen) {
        // Released between our create and our read: try again (others may be racing us).
        if (Date.now() > deadline) throw new LockHeldError(undefined, path);
        continue;
      }
      const verdict = judge(seen, staleAfterMs);
      if (verdict.stale === false) {
        // A fresh lock without content is most likely being written right now ('wx' creates it
        // empty): give its writer a moment, so the error can name the holder.
        if (!seen.info && Date.now() < settleDeadline) {
          await delay(CONTENT_POLL_MS);
          continue;
        }
        throw new LockHeldError(verdict.pid, path);
      }

      const outcome = await takeOver(path, seen, mine);
      if (outcome === 'acquired') return heldLock(path, mine, options.logger);
      if (outcome === 'took-over') {
        options.logger?.warn(
          { lock: path, previous: seen.info ?? seen.text.slice(0, 200), reason: verdict.reason },
          `took over a stale scan lock ${path} (${verdict.reason})`,
        );
        return heldLock(path, mine, options.logger);
      }
      if (Date.now() > deadline) throw new LockHeldError(seen.info?.pid, path);
      if (outcome === 'busy') await delay(TAKEOVER_POLL_MS);
      // 'changed': the lock is not the one we judged; judge it again.
    }
  } catch (error) {
    if (error instanceof HealError) throw error;
    throw new HealError('state', `cannot take the scan lock ${path}: ${describe(error)}`, { cause: error });
  }
}

/** What we read of a lock file, with enough of its identity to tell whether it was replaced. */
type Snapshot = { text: string; info: LockInfo | undefined; ino: number; size: number; mtimeMs: number };

type Verdict = { stale: false; pid: number | undefined } | { stale: true; reason: string };

/** Whether the lock we read is held by a live scan, or is stale (and why). */
function judge(seen: Snapshot, staleAfterMs: number): Verdict {
  const now = Date.now();
  if (!seen.info) {
    const age = now - seen.mtimeMs;
    return age > GARBAGE_GRACE_MS
      ? { stale: true, reason: `unreadable content, ${Math.round(age / 1000)}s old` }
      : { stale: false, pid: undefined };
  }
  const { pid, hostname, startedAt } = seen.info;
  const started = Date.parse(startedAt);
  const age = now - (Number.isNaN(started) ? seen.mtimeMs : started);
  if (age > staleAfterMs) return { stale: true, reason: `pid ${pid} on ${hostname} started ${Math.round(age / 1000)}s ago, longer than any scan runs` };
  if (hostname === osHostname() && !isAlive(pid)) return { stale: true, reason: `pid ${pid} is no longer running` };
  return { stale: false, pid };
}

/**
 * Replaces the stale lock `seen` with ours, under the takeover marker: re-read the lock, and
 * only if it is still exactly the file we judged, unlink it and create ours with O_EXCL.
 * `acquired`: the stale lock was gone by then and we simply created ours. `busy`: another
 * process is mid-takeover. `changed`: the lock is no longer the one we judged.
 */
async function takeOver(path: string, seen: Snapshot, mine: string): Promise<'took-over' | 'acquired' | 'busy' | 'changed'> {
  const marker = `${path}.takeover`;
  if (!(await createExclusive(marker, mine))) {
    return (await removeStaleMarker(marker)) ? 'changed' : 'busy';
  }
  try {
    const current = await readSnapshot(path);
    if (current && !sameFile(current, seen)) return 'changed';
    if (current) await unlinkIfPresent(path);
    if (!(await createExclusive(path, mine))) return 'changed';
    return current ? 'took-over' : 'acquired';
  } finally {
    await removeIfOurs(marker, mine);
  }
}

/**
 * Removes a takeover marker left by a process killed mid-takeover — one whose writer (named in
 * it, like a lock) is no longer running on this host, or one older than any takeover lasts;
 * true when it did.
 */
async function removeStaleMarker(marker: string): Promise<boolean> {
  const before = await readSnapshot(marker);
  if (!before) return false;
  const writerDead = before.info !== undefined && before.info.hostname === osHostname() && !isAlive(before.info.pid);
  if (!writerDead && Date.now() - before.mtimeMs <= TAKEOVER_STALE_MS) return false;
  // Re-check just before unlinking, so a marker someone created meanwhile is left alone.
  const again = await readSnapshot(marker);
  if (!again || !sameFile(again, before)) return false;
  await unlinkIfPresent(marker);
  return true;
}

function heldLock(path: string, mine: string, logger: Logger | undefined): Lock {
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      try {
        if (!(await removeIfOurs(path, mine))) {
          logger?.warn({ lock: path }, `scan lock ${path} was no longer ours at release; left it in place`);
        }
      } catch (error) {
        throw new HealError('state', `cannot release the scan lock ${path}: ${describe(error)}`, { cause: error });
      }
    },
  };
}

function lockContent(): string {
  const info: LockInfo = {
    pid: process.pid,
    hostname: osHostname(),
    startedAt: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  return `${JSON.stringify(info)}\n`;
}

/**
 * Creates `path` holding `content`, atomically: `content` goes to a temp file first, which is then
 * hard-linked to `path` (failing, like O_EXCL, when `path` exists) and removed. So a lock or a
 * marker is never seen empty, even when its writer is killed mid-create; a killed writer's temp
 * file is removed by the next acquire. False when `path` already exists.
 */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  await writeFile(temp, content, { encoding: 'utf8', mode: 0o600, flag: 'wx' });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await unlinkIfPresent(temp);
  }
}

/** Reads a lock file and its identity through one descriptor; undefined when it is missing. */
async function readSnapshot(path: string): Promise<Snapshot | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const info = await handle.stat();
    const text = await handle.readFile('utf8');
    return { text, info: parseInfo(text), ino: info.ino, size: info.size, mtimeMs: info.mtimeMs };
  } finally {
    await handle.close();
  }
}

function parseInfo(text: string): LockInfo | undefined {
  try {
    const parsed = lockInfoSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function sameFile(a: Snapshot, b: Snapshot): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.text === b.text;
}

/** Unlinks `path` if it holds exactly `content`; true when it did. */
async function removeIfOurs(path: string, content: string): Promise<boolean> {
  const current = await readSnapshot(path);
  if (!current || current.text !== content) return false;
  await unlinkIfPresent(path);
  return true;
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
}

/** Whether a process with this pid exists (EPERM: it does, it just is not ours). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) !== 'ESRCH';
  }
}

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
