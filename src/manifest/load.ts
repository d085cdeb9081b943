/**
 * Finds and reads the manifest: from the cache when it has not changed since it last passed,
 * else parsed and validated by parse.ts (one located line per problem, all at once).
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../common/errors.js';
import { errnoCode } from '../common/fs-errors.js';
import { manifestFileError } from './file-problem.js';
import { readCachedManifest, writeCachedManifest } from './cache.js';
import type { Manifest } from './schema.js';

/** The largest manifest read; anything bigger is surely not a hand-written services.yaml. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

export type LoadedManifest = {
  manifest: Manifest;
  /** Absolute path of the file. */
  path: string;
  /** Its folder: relative paths in the manifest are read from here. */
  baseDir: string;
  /** Values substituted from the environment: never to be logged. */
  secrets: string[];
  /** The source line of each program and `cwd` (programs.ts), by printed path. */
  lines?: Readonly<Record<string, number>>;
};

/** Where the manifest is: --config, else $HEAL_CONFIG, else ./services.yaml. */
export function manifestPath(option: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  return resolve(option || env['HEAL_CONFIG'] || 'services.yaml');
}

/**
 * Running as root, heal runs whatever the manifest says (restart commands, checks) as root, so a
 * manifest that anyone but its owner may write is refused, as Monit refuses such a control file.
 * The problem line says how to fix it; undefined when the mode is fine or heal is not root.
 */
export function looseModeProblem(path: string, mode: number, uid: number | undefined): string | undefined {
  if (uid !== 0 || (mode & 0o022) === 0) return undefined;
  const shown = (mode & 0o7777).toString(8).padStart(4, '0');
  return `${path}: writable by group or others (mode ${shown}); heal runs as root and would run what it says: chmod go-w ${path}`;
}

/**
 * Running as root, a manifest another user owns is theirs to change, whatever its mode: refused
 * like a loose mode, with the fix. Undefined when root owns it or heal is not root.
 */
export function foreignOwnerProblem(path: string, owner: number, uid: number | undefined): string | undefined {
  if (uid !== 0 || owner === 0) return undefined;
  return `${path}: owned by another user (uid ${owner}); heal runs as root and would run what it says: chown root ${path}`;
}

/**
 * Reads and validates the manifest at `path`. A manifest that has not changed since it last passed
 * is read from the cache (manifest/cache.ts) unless `cache: false`.
 */
export async function loadManifest(
  path: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: { cache?: boolean } = {},
): Promise<LoadedManifest> {
  const absolute = resolve(path);
  let text: string;
  try {
    const info = await stat(absolute);
    if (info.isDirectory()) throw manifestFileError(absolute, 'directory');
    if (!info.isFile()) throw new ConfigError([`${absolute}: not a file`]);
    const uid = process.getuid?.();
    const untrusted = [foreignOwnerProblem(absolute, info.uid, uid), looseModeProblem(absolute, info.mode, uid)].filter((p) => p !== undefined);
    if (untrusted.length) throw new ConfigError(untrusted);
    if (info.size > MAX_MANIFEST_BYTES) throw new ConfigError([`${absolute}: ${info.size} bytes is larger than the 1 MiB a manifest may be`]);
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw manifestFileError(absolute, errnoCode(error));
  }
  const cached = options.cache === false ? undefined : await readCachedManifest(absolute, text, env);
  if (cached) return { ...cached, path: absolute, baseDir: dirname(absolute) };
  const { parseManifest } = await import('./parse.js');
  const parsed = parseManifest(text, env);
  if (options.cache !== false) await writeCachedManifest(absolute, text, env, parsed);
  return { manifest: parsed.manifest, path: absolute, baseDir: dirname(absolute), secrets: parsed.secrets, lines: parsed.lines };
}
