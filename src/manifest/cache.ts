/**
 * A cache of the validated manifest, so a scan whose services.yaml has not changed skips the
 * YAML parse and the validation (on 5,000 services most of a scan's time and memory). It is a
 * pure speed-up: a miss, a stale entry or an unreadable file falls back to the full parse.
 *
 * An entry is keyed by the manifest's path and text, the values of the variables it names, and
 * the build of heal that wrote it, so an edit, a changed `${VAR}` or an upgrade is a miss. It
 * never holds a secret: every value that came from the environment is stored as a placeholder
 * naming its variable and put back from the environment when the entry is read.
 *
 * Where: $HEAL_CACHE_DIR, else $XDG_CACHE_HOME/heal, else ~/.cache/heal (0700, files 0600).
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { statSync } from 'node:fs';
import { writeFileAtomic } from '../fs-atomic.js';
import type { Manifest } from './schema.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Bump when the cached shape changes in a way the build stamp would not catch. */
const FORMAT = 1;
/** Entries not used for this long are removed when another is written. */
const STALE_AFTER_MS = 30 * 86_400_000;
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g;
const PLACEHOLDER = /\u0000heal:([A-Za-z_][A-Za-z0-9_]*)\u0000/g;

export type CachedManifest = { manifest: Manifest; secrets: string[] };

export function cacheDir(env: Env): string {
  if (env['HEAL_CACHE_DIR']) return env['HEAL_CACHE_DIR'];
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'heal');
}

/** The cached manifest for this path, text and environment, or undefined. Never throws. */
export async function readCachedManifest(path: string, text: string, env: Env): Promise<CachedManifest | undefined> {
  try {
    const entry = JSON.parse(await readFile(entryFile(path, env), 'utf8')) as { key?: unknown; manifest?: unknown };
    if (entry.key !== cacheKey(path, text, env) || typeof entry.manifest !== 'object' || entry.manifest === null) return undefined;
    const secrets = new Set<string>();
    const manifest = mapStrings(entry.manifest, (s) =>
      s.includes('\u0000')
        ? s.replace(PLACEHOLDER, (_token, name: string) => {
            const value = env[name] ?? '';
            secrets.add(value);
            return value;
          })
        : s,
    ) as Manifest;
    return { manifest, secrets: [...secrets] };
  } catch {
    return undefined;
  }
}

/** Stores a manifest that passed validation, its secrets replaced by placeholders. Never throws. */
export async function writeCachedManifest(path: string, text: string, env: Env, manifest: Manifest): Promise<void> {
  try {
    const fromEnv = referencedNames(text)
      .map((name) => [name, env[name]] as const)
      .filter((pair): pair is readonly [string, string] => typeof pair[1] === 'string' && pair[1] !== '')
      .sort((a, b) => b[1].length - a[1].length);
    const hidden = mapStrings(manifest, (s) => fromEnv.reduce((out, [name, value]) => out.split(value).join(`\u0000heal:${name}\u0000`), s));
    const dir = cacheDir(env);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(entryFile(path, env), JSON.stringify({ key: cacheKey(path, text, env), manifest: hidden }), 0o600);
    await removeStale(dir);
  } catch {
    // A cache that cannot be written only costs the next scan a parse.
  }
}

function cacheKey(path: string, text: string, env: Env): string {
  const names = referencedNames(text).sort();
  return sha256(JSON.stringify([FORMAT, BUILD, path, sha256(text), names.map((n) => [n, env[n] ?? null])]));
}

function entryFile(path: string, env: Env): string {
  return join(cacheDir(env), `manifest-${sha256(path).slice(0, 20)}.json`);
}

function referencedNames(text: string): string[] {
  return [...new Set([...text.matchAll(REFERENCE)].map((m) => m[1] as string))];
}

/** This build of heal: the file the code runs from, by size and time (an upgrade changes it). */
const BUILD = (() => {
  try {
    const info = statSync(fileURLToPath(import.meta.url));
    return `${info.size}:${info.mtimeMs}`;
  } catch {
    return 'unknown';
  }
})();

function mapStrings(value: unknown, map: (s: string) => string): unknown {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, map)]));
  return value;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function removeStale(dir: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(dir)) {
    if (!name.startsWith('manifest-')) continue;
    const file = join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (info && now - info.atimeMs > STALE_AFTER_MS && now - info.mtimeMs > STALE_AFTER_MS) await unlink(file).catch(() => undefined);
  }
}
