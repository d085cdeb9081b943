/**
 * The state store: one `state.json` in the state directory. A file heal sealed and nobody changed
 * is read without its schema (state/seal.ts). Loading never fails on a bad file —
 * a file that is not JSON or does not match the schema is moved aside with a warning and a fresh
 * state is used. Saving is atomic: temp file in the same directory, fsync, rename, fsync the
 * directory, so a scan killed mid-save leaves either the old file or the new one, never half.
 */
import { chmod, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { errnoCode } from '../common/fs-errors.js';
import { HealError } from '../common/errors.js';
import { writeFileAtomic } from '../common/fs-atomic.js';
import type { Logger } from '../log/logger.js';
import { emptyState, STATE_VERSION } from './model.js';
import type { State } from './schema.js';
import { sealedStateText, unsealState } from './seal.js';

/** The state file's name inside the state directory. */
export const STATE_FILE_NAME = 'state.json';

/** The path of the state file in `dir`. */
export function stateFile(dir: string): string {
  return join(dir, STATE_FILE_NAME);
}

/** Options of {@link loadState}. */
export type LoadStateOptions = {
  /** The clock that names a moved-aside file. @default Date.now */
  now?: () => number;
  /**
   * Leave a corrupt file where it is (still warn and return an empty state); for commands that
   * only read, such as `heal status`, and do not hold the scan lock.
   * @default false
   */
  readOnly?: boolean;
};

/**
 * Reads the state in `dir`. A missing file is an empty state. A file that does not parse or does
 * not match the schema (empty, truncated, garbage, a future `version`) is renamed to
 * `state.json.corrupt-<timestamp>` with a warning naming both paths, and an empty state is
 * returned. Only an I/O fault other than "missing" (say, EACCES) throws a `HealError('state')`.
 */
export async function loadState(dir: string, logger: Logger, options: LoadStateOptions = {}): Promise<State> {
  const file = stateFile(dir);
  await refuseUntrustedStateDir(dir);
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return emptyState();
    throw new HealError('state', `cannot read the state file ${file}: ${describe(error)}`, { cause: error });
  }
  // heal's own file, intact since it saved it, is read without its schema (state/seal.ts).
  const text = raw.toString('utf8');
  const sealed = unsealState(text);
  if (sealed) return sealed;
  const decoded = await decodeState(text);
  if (decoded.ok) return decoded.state;

  if (options.readOnly) {
    logger.warn({ file, reason: decoded.reason }, `state file ${file} is unusable (${decoded.reason}); using an empty state`);
    return emptyState();
  }
  const now = options.now ?? Date.now;
  try {
    const movedTo = await moveAside(file, now());
    logger.warn(
      { file, movedTo, reason: decoded.reason },
      `state file ${file} is unusable (${decoded.reason}); moved it to ${movedTo} and starting from an empty state`,
    );
  } catch (error) {
    logger.warn(
      { file, reason: decoded.reason, err: error },
      `state file ${file} is unusable (${decoded.reason}) and could not be moved aside (${describe(error)}); starting from an empty state`,
    );
  }
  return emptyState();
}

/**
 * Writes `state` to `dir` atomically: a temp file (named with our pid) in the same directory,
 * written 0600 and fsynced, renamed over `state.json`, then the directory fsynced. The directory
 * is created 0700 when missing. Leftover temp files of killed writers are removed. The file is
 * compact JSON sealed for this build (state/seal.ts). The state is typed, so it is not run through
 * the schema again; a state of another version is refused (`HealError('internal')`).
 */
export async function saveState(dir: string, state: State): Promise<void> {
  const wrong = state.version !== STATE_VERSION ? `version ${JSON.stringify(state.version)} is not ${STATE_VERSION}` : typeof state.services !== 'object' || state.services === null ? 'services: not an object' : undefined;
  if (wrong) throw new HealError('internal', `refusing to save a state that does not match the schema: ${wrong}`);
  const text = sealedStateText(state);
  await ensureStateDir(dir);

  const file = stateFile(dir);
  try {
    await writeFileAtomic(file, text, 0o600);
  } catch (error) {
    throw new HealError('state', `cannot write the state file ${file}: ${describe(error)}`, { cause: error });
  }
}

/** Whether a save reached the disk; when not, the one line that says why. */
export type SaveOutcome = { ok: true } | { ok: false; error: string };

/**
 * {@link saveState} for a scan, which must go on when the disk refuses the write (full,
 * read-only, forbidden): every `HealError('state')` becomes `{ ok: false, error }`, and the file
 * on disk stays the last state that was saved whole. A state that does not match the schema
 * (a bug) still throws.
 */
export async function trySaveState(dir: string, state: State): Promise<SaveOutcome> {
  try {
    await saveState(dir, state);
    return { ok: true };
  } catch (error) {
    if (error instanceof HealError && error.code === 'state') return { ok: false, error: error.message };
    throw error;
  }
}

/**
 * Makes sure the state directory exists and is private: created 0700 when missing (parents with
 * the default mode), and chmod'ed to 0700 when it is group- or world-readable and owned by us.
 * Run as root, a state directory that another user owns or that group or others may write is
 * refused (`HealError('config')`, see {@link untrustedStateDirProblem}). A path that exists but is
 * not a directory, or a directory that cannot be made, is a `HealError('state')` whose `cause` is
 * the file system's error.
 */
export async function ensureStateDir(dir: string): Promise<void> {
  const absolute = resolve(dir);
  try {
    await mkdir(dirname(absolute), { recursive: true });
    await mkdir(absolute, { mode: 0o700 }).catch((error: unknown) => {
      if (errnoCode(error) !== 'EEXIST') throw error;
    });
    const info = await stat(absolute);
    if (!info.isDirectory()) throw new HealError('state', `the state directory ${dir} is not a directory: move that file away, or point --state-dir, $HEAL_STATE_DIR or state_dir at a folder`);
    const untrusted = untrustedStateDirProblem(absolute, info, process.getuid?.());
    if (untrusted) throw new HealError('config', untrusted);
    if ((info.mode & 0o077) !== 0 && info.uid === process.getuid?.()) await chmod(absolute, 0o700);
  } catch (error) {
    if (error instanceof HealError) throw error;
    throw new HealError('state', `cannot prepare the state directory ${dir}: ${describe(error)}`, { cause: error });
  }
}

/**
 * Running as root, heal restarts services and opens files as root on the strength of what the
 * state directory holds, so a directory that another user owns, or that group or others may
 * write, must not be used: they could plant a state file or a link there. The problem line says
 * how to fix it; undefined when the directory is fine or heal is not root.
 */
export function untrustedStateDirProblem(dir: string, info: { mode: number; uid: number }, uid: number | undefined): string | undefined {
  if (uid !== 0) return undefined;
  const foreign = info.uid !== 0;
  const loose = (info.mode & 0o022) !== 0;
  if (!foreign && !loose) return undefined;
  const shown = (info.mode & 0o7777).toString(8).padStart(4, '0');
  const what = [foreign ? `owned by uid ${info.uid}` : '', loose ? `writable by group or others (mode ${shown})` : ''].filter(Boolean).join(' and ');
  const fix = [foreign ? `chown root ${dir}` : '', loose ? `chmod go-w ${dir}` : ''].filter(Boolean).join(' && ');
  return `${dir}: state directory ${what}; heal runs as root and would trust what others put there: ${fix}`;
}

/** Refuses, as root, a state directory that exists and must not be trusted; a missing one is fine. */
async function refuseUntrustedStateDir(dir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const absolute = resolve(dir);
  const info = await stat(absolute).catch(() => undefined);
  const untrusted = info?.isDirectory() ? untrustedStateDirProblem(absolute, info, 0) : undefined;
  if (untrusted) throw new HealError('config', untrusted);
}

type Decoded = { ok: true; state: State } | { ok: false; reason: string };

/** Parses and validates a state file heal did not seal (its schema loaded only now). */
async function decodeState(text: string): Promise<Decoded> {
  if (text.trim() === '') return { ok: false, reason: 'empty file' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${describe(error)}` };
  }
  if (isRecord(json) && 'version' in json && json.version !== STATE_VERSION) {
    return { ok: false, reason: `version ${JSON.stringify(json.version)} is not ${STATE_VERSION}` };
  }
  const { stateSchema } = await import('./schema.js');
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `does not match the state schema: ${summarizeIssues(parsed.error.issues)}` };
  return { ok: true, state: parsed.data };
}

/** Renames `file` to `<file>.corrupt-<timestamp>` (never over an existing file); returns the new path. */
async function moveAside(file: string, now: number): Promise<string> {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  for (let n = 0; ; n++) {
    const target = `${file}.corrupt-${stamp}${n === 0 ? '' : `-${n}`}`;
    if (await exists(target)) continue;
    await rename(file, target);
    return target;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function summarizeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const shown = issues.slice(0, 3).map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  return issues.length > 3 ? `${shown.join('; ')}; …` : shown.join('; ');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
