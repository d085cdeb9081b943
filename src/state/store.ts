/**
 * The state store: one `state.json` in the state directory. Loading never fails on a bad file —
 * a file that is not JSON or does not match the schema is moved aside with a warning and a fresh
 * state is used. Saving is atomic: temp file in the same directory, fsync, rename, fsync the
 * directory, so a scan killed mid-save leaves either the old file or the new one, never half.
 */
import { chmod, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { HealError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import type { Logger } from '../logger.js';
import { emptyState, STATE_VERSION, stateSchema, type State } from './schema.js';

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
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return emptyState();
    throw new HealError('state', `cannot read the state file ${file}: ${describe(error)}`, { cause: error });
  }
  const decoded = decodeState(raw);
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
 * is created 0700 when missing. Leftover temp files of killed writers are removed. A state that
 * does not match the schema is refused (`HealError('internal')`) rather than written.
 */
export async function saveState(dir: string, state: State): Promise<void> {
  const checked = stateSchema.safeParse(state);
  if (!checked.success) {
    throw new HealError('internal', `refusing to save a state that does not match the schema: ${summarizeIssues(checked.error.issues)}`);
  }
  const text = `${JSON.stringify(checked.data, null, 2)}\n`;
  await ensureStateDir(dir);

  const file = stateFile(dir);
  try {
    await writeFileAtomic(file, text, 0o600);
  } catch (error) {
    throw new HealError('state', `cannot write the state file ${file}: ${describe(error)}`, { cause: error });
  }
}

/**
 * Makes sure the state directory exists and is private: created 0700 when missing (parents with
 * the default mode), and chmod'ed to 0700 when it is group- or world-accessible and owned by us.
 * A path that exists but is not a directory is a `HealError('state')`.
 */
export async function ensureStateDir(dir: string): Promise<void> {
  const absolute = resolve(dir);
  try {
    await mkdir(dirname(absolute), { recursive: true });
    await mkdir(absolute, { mode: 0o700 }).catch((error: unknown) => {
      if (errnoCode(error) !== 'EEXIST') throw error;
    });
    const info = await stat(absolute);
    if (!info.isDirectory()) throw new HealError('state', `the state directory ${dir} is not a directory`);
    if ((info.mode & 0o077) !== 0 && info.uid === process.getuid?.()) await chmod(absolute, 0o700);
  } catch (error) {
    if (error instanceof HealError) throw error;
    throw new HealError('state', `cannot prepare the state directory ${dir}: ${describe(error)}`, { cause: error });
  }
}

type Decoded = { ok: true; state: State } | { ok: false; reason: string };

function decodeState(raw: Buffer): Decoded {
  const text = raw.toString('utf8');
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

function errnoCode(error: unknown): string | undefined {
  return isRecord(error) && typeof error.code === 'string' ? error.code : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
