/**
 * A cache of the validated manifest, so a scan whose services.yaml has not changed skips the
 * YAML parse and the validation (on 5,000 services most of a scan's time and memory). It is a
 * pure speed-up: a miss, a stale entry or an unreadable file falls back to the full parse.
 *
 * A cached load equals a fresh load, whatever the values of the variables:
 * - An entry is keyed by the manifest's path and text, the build of heal that wrote it, and the
 *   values of every variable the text looks up — the names found by interpolation itself, kept
 *   in the entry, so a reference spelled with a YAML escape (`"\x24{TOKEN}"`) counts too.
 * - It never holds a value from the environment. Each string the interpolation filled in is kept
 *   as its template, as written in the file, at its place in the validated tree, and filled in
 *   again on a hit by the same function (`interpolateString`) from the same values: nothing is
 *   searched for or replaced in text. A duration read from a variable is kept the same way and
 *   read again. A value from the environment that validation turned into anything else cannot be
 *   placed: such a manifest is not cached (it is parsed every time, still correct).
 *
 * Where: $HEAL_CACHE_DIR, else $XDG_CACHE_HOME/heal, else ~/.cache/heal (0700, files 0600). An
 * entry someone else owns, or others may write, is ignored: heal would run what it says.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BUILD_STAMP } from '../common/build-stamp.js';
import { parseDuration } from '../common/duration.js';
import { writeFileAtomic } from '../common/fs-atomic.js';
import { found, interpolateString, type PathSegment } from './interpolate.js';
import type { ParsedManifest } from './parse.js';
import type { Manifest } from './schema.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Bump when the cached shape changes in a way the build stamp would not catch. */
const FORMAT = 2;
/** Entries not used for this long are removed when another is written. */
const STALE_AFTER_MS = 30 * 86_400_000;

/** A place in the cached tree filled in on a hit: its path, its template, a string or a duration. */
type Fill = [path: PathSegment[], template: string, kind: 'string' | 'duration'];

type Entry = { key: string; names: string[]; manifest: unknown; fills: Fill[]; lines: Record<string, number> };

export type CachedManifest = Pick<ParsedManifest, 'manifest' | 'secrets' | 'lines'>;

export function cacheDir(env: Env): string {
  if (env['HEAL_CACHE_DIR']) return env['HEAL_CACHE_DIR'];
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'heal');
}

/** The cached manifest for this path, text and environment, or undefined. Never throws. */
export async function readCachedManifest(path: string, text: string, env: Env): Promise<CachedManifest | undefined> {
  try {
    const entry = await readEntry(entryFile(path, env));
    if (!entry || entry.key !== cacheKey(path, text, env, entry.names)) return undefined;
    const manifest = entry.manifest;
    const into = found();
    let failed = false;
    for (const [at, template, kind] of entry.fills) {
      const text = interpolateString(template, env, into, () => (failed = true));
      const value = kind === 'duration' ? parseDuration(text) : text;
      if (failed || value === undefined || !fillIn(manifest, at, value)) return undefined;
    }
    return { manifest: manifest as Manifest, secrets: [...into.secrets], lines: entry.lines };
  } catch {
    return undefined;
  }
}

/** Stores a manifest that passed validation, with no value from the environment in it. Never throws. */
export async function writeCachedManifest(path: string, text: string, env: Env, parsed: ParsedManifest): Promise<void> {
  try {
    const fills = fillsOf(parsed, env);
    if (!fills) return;
    const stored = JSON.parse(JSON.stringify(parsed.manifest)) as unknown;
    for (const [at] of fills) fillIn(stored, at, null, true);
    const entry: Entry = { key: cacheKey(path, text, env, parsed.names), names: parsed.names, manifest: stored, fills, lines: parsed.lines };
    const dir = cacheDir(env);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = entryFile(path, env);
    await writeFileAtomic(file, JSON.stringify(entry), 0o600);
    await removeStale(dir, (await stat(file)).mtimeMs);
  } catch {
    // A cache that cannot be written only costs the next scan a parse.
  }
}

/**
 * Where each interpolated string sits in the validated tree, or undefined when a value from the
 * environment ended up somewhere a template cannot put it back (then the manifest is not cached).
 * A template that used no variable (only `$$` or fallbacks) may stay as validated.
 */
function fillsOf(parsed: ParsedManifest, env: Env): Fill[] | undefined {
  const fills: Fill[] = [];
  for (const { path, template } of parsed.templates) {
    const into = found();
    const text = interpolateString(template, env, into, () => undefined);
    const at = valueAt(parsed.manifest, path);
    if (at.found && at.value === text) fills.push([path, template, 'string']);
    else if (at.found && typeof at.value === 'number' && at.value === parseDuration(text)) fills.push([path, template, 'duration']);
    else if (into.used.size) return undefined;
  }
  return fills;
}

function valueAt(tree: unknown, path: readonly PathSegment[]): { found: boolean; value?: unknown } {
  let node = tree;
  for (const segment of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) return { found: false };
    node = (node as Record<PathSegment, unknown>)[segment];
  }
  return { found: true, value: node };
}

/**
 * Puts `value` at `path` of a tree read from JSON, where the writer left a null (or, when
 * writing, anything). Own properties only, and defined rather than assigned, so a key such as
 * `__proto__` is an ordinary key. False when the path is not there.
 */
function fillIn(tree: unknown, path: readonly PathSegment[], value: unknown, writing = false): boolean {
  const last = path[path.length - 1];
  const parent = valueAt(tree, path.slice(0, -1));
  if (last === undefined || !parent.found || parent.value === null || typeof parent.value !== 'object') return false;
  const holder = parent.value as object;
  if (!Object.hasOwn(holder, last) || (!writing && (holder as Record<PathSegment, unknown>)[last] !== null)) return false;
  Object.defineProperty(holder, last, { value, writable: true, enumerable: true, configurable: true });
  return true;
}

/** The entry, when it is a file this user owns that nobody else may write, and well formed. */
async function readEntry(file: string): Promise<Entry | undefined> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const info = await handle.stat();
    const uid = process.geteuid?.();
    if (!info.isFile() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0) return undefined;
    const entry = JSON.parse(await handle.readFile('utf8')) as Partial<Entry> | null;
    const ok =
      entry !== null &&
      typeof entry === 'object' &&
      typeof entry.key === 'string' &&
      Array.isArray(entry.names) &&
      entry.names.every((n) => typeof n === 'string') &&
      typeof entry.manifest === 'object' &&
      entry.manifest !== null &&
      Array.isArray(entry.fills) &&
      entry.fills.every(isFill) &&
      typeof entry.lines === 'object' &&
      entry.lines !== null;
    return ok ? (entry as Entry) : undefined;
  } finally {
    await handle.close();
  }
}

function isFill(fill: unknown): fill is Fill {
  if (!Array.isArray(fill) || fill.length !== 3) return false;
  const [path, template, kind] = fill as unknown[];
  return Array.isArray(path) && path.every((s) => typeof s === 'string' || typeof s === 'number') && typeof template === 'string' && (kind === 'string' || kind === 'duration');
}

function cacheKey(path: string, text: string, env: Env, names: readonly string[]): string {
  const sorted = [...names].sort();
  return sha256(JSON.stringify([FORMAT, BUILD_STAMP, path, sha256(text), sorted.map((n) => [n, env[n] ?? null])]));
}

function entryFile(path: string, env: Env): string {
  return join(cacheDir(env), `manifest-${sha256(path).slice(0, 20)}.json`);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Removes entries not used for STALE_AFTER_MS. `now` is the file system's clock (the time of the
 * entry just written), never Date.now(): file times and the process clock can disagree (a clock
 * step, a network file system, libfaketime), and a fresh entry must never look stale.
 */
async function removeStale(dir: string, now: number): Promise<void> {
  for (const name of await readdir(dir)) {
    if (!name.startsWith('manifest-')) continue;
    const file = join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (info && now - info.atimeMs > STALE_AFTER_MS && now - info.mtimeMs > STALE_AFTER_MS) await unlink(file).catch(() => undefined);
  }
}
