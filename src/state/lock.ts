/**
 * The scan lock: `scan.lock` in the state directory, created whole and exclusively (a temp file
 * hard-linked into place, which fails like O_EXCL when the lock exists) and holding the holder's
 * identity: `{ pid, hostname, startedAt, token, start, boot, pidns }` (see
 * process/identity.ts). Only one scan runs at a time; a second one gets a `LockHeldError`.
 *
 * A lock is judged by who holds it, never by its age: it is stale only when its process is gone,
 * its pid now belongs to another process (another start time), or it was taken before this
 * machine last booted. So a live scan's lock is never taken, however long the scan runs and
 * whatever the clock does. A stale lock is taken over under a short-lived `scan.lock.takeover`
 * marker, and only after re-checking that it is still the same file, so two processes that both
 * saw the same stale lock never both end up holding it. The only ages measured are those of files
 * heal never leaves half-written while alive (unreadable content, a marker from another host),
 * and they are measured against the file system's own clock (the mtime of a file just written),
 * never against `Date.now()`.
 */
import { randomBytes } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { link, open, unlink } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { errnoCode, isUnwritableError } from '../common/fs-errors.js';
import { liveness, ownIdentity, type ProcessIdentity } from '../process/identity.js';
import { HealError, LockHeldError } from '../common/errors.js';
import { onInterrupt } from '../process/interrupt.js';
import { removeLeftoverTemps } from '../common/fs-atomic.js';
import type { Logger } from '../log/logger.js';
import { ensureStateDir } from './store.js';

/** The lock file's name inside the state directory. */
export const LOCK_FILE_NAME = 'scan.lock';

/**
 * A lock whose content cannot be read is left alone this long (file-system time) before it is
 * taken over. heal never writes one (a lock is created whole, see createExclusive): someone else
 * made or damaged it.
 */
const GARBAGE_GRACE_MS = 5_000;

/** A takeover marker that cannot be judged by its writer (another host, no content) is stale this old (file-system time). */
const TAKEOVER_STALE_MS = 10_000;

/** How long to wait for another process's takeover to finish before giving up. */
const TAKEOVER_WAIT_MS = 1_500;
const TAKEOVER_POLL_MS = 20;

/** A held scan lock. */
export type Lock = {
  /** The lock file. */
  readonly path: string;
  /**
   * Set when the lock could not be written (a full or read-only disk, no permission) and
   * `proceedUnwritable` was asked: no live scan holds it, but neither do we. Says why.
   */
  readonly notHeld?: string;
  /** Removes the lock file if it is still ours; safe to call more than once. */
  release(): Promise<void>;
};

/** Options of {@link acquireLock}. */
export type AcquireLockOptions = {
  /** Where a takeover of a stale lock, or a lock of another host, is reported (as a warning). */
  logger?: Logger;
  /**
   * When the lock cannot be written because the state directory cannot be written (ENOSPC,
   * EROFS, EDQUOT, EACCES, …) and no live scan holds it, resolve with a `Lock` whose `notHeld`
   * says why, instead of throwing: a scan still checks and heals on a full disk.
   * @default false
   */
  proceedUnwritable?: boolean;
};

/** What a lock file holds. */
export type LockInfo = {
  pid: number;
  hostname: string;
  /** ISO 8601, for people: never used to judge the lock. */
  startedAt: string;
  /** Random; tells two locks of one process apart, so release never removes another's lock. */
  token?: string;
  /** When the kernel started the holder (see process/identity.ts). */
  start?: string;
  /** Linux: the boot the holder ran in. */
  boot?: string;
  /** Linux: the holder's pid namespace. */
  pidns?: string;
};

/** The optional string fields of a lock, in the order they are kept. */
const OPTIONAL_FIELDS = ['token', 'start', 'boot', 'pidns'] as const;

/**
 * A lock file's JSON as {@link LockInfo}: its known fields only, or undefined when a field is
 * missing or of the wrong type (`pid` a positive integer). Checked by hand: the lock is read by
 * every scan, and a schema library would cost each one its load.
 */
export function lockInfoOf(json: unknown): LockInfo | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const value = json as Record<string, unknown>;
  const { pid, hostname, startedAt } = value;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0 || typeof hostname !== 'string' || typeof startedAt !== 'string') return undefined;
  const info: LockInfo = { pid, hostname, startedAt };
  for (const field of OPTIONAL_FIELDS) {
    const given = value[field];
    if (given === undefined) continue;
    if (typeof given !== 'string') return undefined;
    info[field] = given;
  }
  return info;
}

/** The path of the scan lock in `dir`. */
export function lockFile(dir: string): string {
  return join(dir, LOCK_FILE_NAME);
}

/**
 * Takes the scan lock of the state directory `dir` (created 0700 if missing). Throws
 * `LockHeldError` when a live scan holds it; takes over (with a warning) a lock whose holder is
 * gone. A state directory that root must not trust is a `HealError('config')` (see store.ts);
 * other file-system faults are `HealError('state')`, unless `proceedUnwritable` turns them into a
 * lock that is not held.
 */
export async function acquireLock(dir: string, options: AcquireLockOptions = {}): Promise<Lock> {
  const path = lockFile(dir);
  try {
    await ensureStateDir(dir);
    return await acquire(path, dir, options.logger);
  } catch (error) {
    if (error instanceof HealError && error.code !== 'state') throw error;
    if (options.proceedUnwritable && isUnwritableError(error)) return unheld(path, error, options.logger);
    if (error instanceof HealError) throw error;
    throw new HealError('state', `cannot take the scan lock ${path}: ${describe(error)}`, { cause: error });
  }
}

async function acquire(path: string, dir: string, logger: Logger | undefined): Promise<Lock> {
  const me = await ownIdentity();
  // Temp files of dead writers first: on a full disk they may hold the space our lock needs.
  await removeLeftovers(dir);
  const deadline = performance.now() + TAKEOVER_WAIT_MS;
  let tidied = false;
  for (;;) {
    const mine = lockContent(me);
    const created = await createExclusive(path, mine);
    if (!tidied) {
      tidied = true;
      await removeLeftovers(dir, created.fsNow);
    }
    if (created.ok) return heldLock(path, mine, logger);

    const seen = await readSnapshot(path);
    if (!seen) {
      // Released between our create and our read: try again (others may be racing us).
      if (performance.now() > deadline) throw new LockHeldError(undefined, path);
      continue;
    }
    const verdict = await judge(seen, me, created.fsNow);
    if (verdict.stale === false) {
      if (verdict.elsewhere) {
        logger?.warn(
          { lock: path, holder: seen.info },
          `scan lock ${path} is held by pid ${verdict.pid} on ${verdict.elsewhere}, which this machine cannot check: if no heal scan runs there any more, remove ${path}`,
        );
      }
      throw new LockHeldError(verdict.pid, path);
    }

    const outcome = await takeOver(path, seen, mine, me);
    if (outcome === 'acquired') return heldLock(path, mine, logger);
    if (outcome === 'took-over') {
      logger?.warn(
        { lock: path, previous: seen.info ?? seen.text.slice(0, 200), reason: verdict.reason },
        `took over a stale scan lock ${path} (${verdict.reason})`,
      );
      return heldLock(path, mine, logger);
    }
    if (performance.now() > deadline) throw new LockHeldError(seen.info?.pid, path);
    if (outcome === 'busy') await delay(TAKEOVER_POLL_MS);
    // 'changed': the lock is not the one we judged; judge it again.
  }
}

/**
 * The lock could not be written. If a live scan holds it, that scan runs and we skip, as always;
 * otherwise we run without the lock, saying why (a full disk must not stop the checks).
 */
async function unheld(path: string, cause: unknown, logger: Logger | undefined): Promise<Lock> {
  const seen = await readSnapshot(path).catch(() => undefined);
  if (seen?.info) {
    const verdict = await judge(seen, await ownIdentity(), undefined);
    if (verdict.stale === false) throw new LockHeldError(verdict.pid, path);
  }
  const notHeld = `cannot write the scan lock ${path}: ${describe(cause)}`;
  logger?.warn({ lock: path, err: cause }, `${notHeld}; scanning without the lock`);
  return { path, notHeld, release: async () => undefined };
}

/** What we read of a lock file, with enough of its identity to tell whether it was replaced. */
type Snapshot = { text: string; info: LockInfo | undefined; ino: number; size: number; mtimeMs: number };

type Verdict = { stale: false; pid: number | undefined; elsewhere?: string } | { stale: true; reason: string };

/**
 * Whether the lock we read is held by a live scan, or is stale (and why). `fsNow` is a time from
 * the file system's clock (undefined: none at hand, and a lock without content is then not
 * judged stale for its age).
 */
async function judge(seen: Snapshot, me: ProcessIdentity, fsNow: number | undefined): Promise<Verdict> {
  if (!seen.info) {
    const age = fsNow === undefined ? 0 : fsNow - seen.mtimeMs;
    return age > GARBAGE_GRACE_MS
      ? { stale: true, reason: `unreadable content, unchanged for ${Math.round(age / 1000)}s` }
      : { stale: false, pid: undefined };
  }
  const { pid, hostname } = seen.info;
  const place = placeOf(seen.info, me);
  if (place === 'elsewhere') return { stale: false, pid, elsewhere: hostname };
  if (place === 'previous-boot') return { stale: true, reason: `pid ${pid} ran before this machine last booted` };
  switch (await liveness(seen.info)) {
    case 'gone':
      return { stale: true, reason: `pid ${pid} is no longer running` };
    case 'replaced':
      return { stale: true, reason: `pid ${pid} is now another process: the scan that took the lock is gone` };
    case 'alive':
      return { stale: false, pid };
  }
}

/**
 * Where the holder ran, as far as its pid can be checked from here: in this boot and pid
 * namespace (`here`), on this machine before its last boot, or somewhere we cannot look (another
 * host, another container's pid namespace).
 */
function placeOf(info: LockInfo, me: ProcessIdentity): 'here' | 'previous-boot' | 'elsewhere' {
  const sameHost = info.hostname === osHostname();
  if (info.boot && me.boot) {
    if (info.boot !== me.boot) return sameHost ? 'previous-boot' : 'elsewhere';
    return info.pidns && me.pidns && info.pidns !== me.pidns ? 'elsewhere' : 'here';
  }
  return sameHost ? 'here' : 'elsewhere';
}

/**
 * Replaces the stale lock `seen` with ours, under the takeover marker: re-read the lock, and
 * only if it is still exactly the file we judged, unlink it and create ours with O_EXCL.
 * `acquired`: the stale lock was gone by then and we simply created ours. `busy`: another
 * process is mid-takeover. `changed`: the lock is no longer the one we judged.
 */
async function takeOver(path: string, seen: Snapshot, mine: string, me: ProcessIdentity): Promise<'took-over' | 'acquired' | 'busy' | 'changed'> {
  const marker = `${path}.takeover`;
  const created = await createExclusive(marker, mine);
  if (!created.ok) {
    return (await removeStaleMarker(marker, me, created.fsNow)) ? 'changed' : 'busy';
  }
  try {
    const current = await readSnapshot(path);
    if (current && !sameFile(current, seen)) return 'changed';
    if (current) await unlinkIfPresent(path);
    if (!(await createExclusive(path, mine)).ok) return 'changed';
    return current ? 'took-over' : 'acquired';
  } finally {
    await removeIfOurs(marker, mine);
  }
}

/**
 * Removes a takeover marker left by a process killed mid-takeover — one whose writer (named in
 * it, like a lock) is gone, or, when its writer cannot be checked from here, one older than any
 * takeover lasts by the file system's clock; true when it did.
 */
async function removeStaleMarker(marker: string, me: ProcessIdentity, fsNow: number): Promise<boolean> {
  const before = await readSnapshot(marker);
  if (!before) return false;
  const verdict = before.info ? await judge(before, me, fsNow) : undefined;
  const stale = verdict ? verdict.stale || (verdict.elsewhere !== undefined && fsNow - before.mtimeMs > TAKEOVER_STALE_MS) : fsNow - before.mtimeMs > TAKEOVER_STALE_MS;
  if (!stale) return false;
  // Re-check just before unlinking, so a marker someone created meanwhile is left alone.
  const again = await readSnapshot(marker);
  if (!again || !sameFile(again, before)) return false;
  await unlinkIfPresent(marker);
  return true;
}

/** A lock this process holds. Stopped by a signal, heal releases it on its way out (process/interrupt.ts). */
function heldLock(path: string, mine: string, logger: Logger | undefined): Lock {
  let released = false;
  const lock: Lock = {
    path,
    async release() {
      if (released) return;
      released = true;
      forgetOnInterrupt();
      try {
        if (!(await removeIfOurs(path, mine))) {
          logger?.warn({ lock: path }, `scan lock ${path} was no longer ours at release; left it in place`);
        }
      } catch (error) {
        throw new HealError('state', `cannot release the scan lock ${path}: ${describe(error)}`, { cause: error });
      }
    },
  };
  const forgetOnInterrupt = onInterrupt(() => lock.release());
  return lock;
}

function lockContent(me: ProcessIdentity): string {
  const info: LockInfo = {
    pid: me.pid,
    hostname: osHostname(),
    startedAt: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
    ...(me.start ? { start: me.start } : {}),
    ...(me.boot ? { boot: me.boot } : {}),
    ...(me.pidns ? { pidns: me.pidns } : {}),
  };
  return `${JSON.stringify(info)}\n`;
}

/** Temp files of killed writers of the lock and of the marker; `fsNow`: the file system's time, to remove old ones too. */
async function removeLeftovers(dir: string, fsNow?: number): Promise<void> {
  await Promise.all([removeLeftoverTemps(dir, LOCK_FILE_NAME, fsNow), removeLeftoverTemps(dir, `${LOCK_FILE_NAME}.takeover`, fsNow)]);
}

/**
 * Creates `path` holding `content`, atomically: `content` goes to a temp file first, which is then
 * hard-linked to `path` (failing, like O_EXCL, when `path` exists) and removed. So a lock or a
 * marker is never seen empty, even when its writer is killed mid-create; a killed writer's temp
 * file is removed by the next acquire. `ok` is false when `path` already exists; `fsNow` is the
 * temp file's mtime: "now" by the clock the file system stamps files with.
 */
async function createExclusive(path: string, content: string): Promise<{ ok: boolean; fsNow: number }> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    let fsNow: number;
    try {
      await handle.writeFile(content, 'utf8');
      fsNow = (await handle.stat()).mtimeMs;
    } finally {
      await handle.close();
    }
    try {
      await link(temp, path);
      return { ok: true, fsNow };
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return { ok: false, fsNow };
      throw error;
    }
  } finally {
    // Also when the write failed (a full disk leaves the temp file created but empty).
    await unlinkIfPresent(temp).catch(() => undefined);
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
    return lockInfoOf(JSON.parse(text));
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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
