/**
 * Where the pieces a schedule names live: the package's own files (the CLI, the plist template),
 * the node binary, the home folder, and the PATH a scheduled scan runs with.
 *
 * Paths into the package are found from this module's own location by walking up to the
 * package root (the folder whose package.json is heal's), so they hold from src/ (tests), from
 * dist/ and from whichever bundle chunk this code lands in.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HealError } from '../common/errors.js';

/** heal's package root: the nearest folder above this module whose package.json is named "heal". */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === 'heal') return dir;
    } catch {
      // no package.json here, or not JSON: keep walking up
    }
    if (dirname(dir) === dir) throw new HealError('internal', `cannot find heal's package.json above ${from}`);
  }
}

/**
 * The built CLI (`<package>/dist/cli.js`) that a schedule runs, as an absolute path with every
 * link resolved: for a global install, `<prefix>/lib/node_modules/heal/dist/cli.js`, never the
 * `<prefix>/bin/heal` link (which a later `npm install -g` of another copy would repoint).
 */
export function cliPath(): string {
  return realpathOrUndefined(join(packageRoot(), 'dist', 'cli.js')) ?? join(packageRoot(), 'dist', 'cli.js');
}

/** The launchd plist template shipped in the package (`<package>/launchd/heal.plist.template`). */
export function plistTemplateUrl(): URL {
  return pathToFileURL(join(packageRoot(), 'launchd', 'heal.plist.template'));
}

/** The home folder: $HOME when set (so tests can point it elsewhere), else the account's. */
export function homeDir(env: Readonly<Record<string, string | undefined>>): string {
  const home = env['HOME'];
  return home && isAbsolute(home) ? home : homedir();
}

/** The folders a scheduled scan's PATH holds after the node binary's own. */
export const SYSTEM_PATH = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'] as const;

/** Homebrew's bin folders: Apple silicon's prefix, then Intel's (which is also a system folder). */
export const HOMEBREW_PATH = ['/opt/homebrew/bin', '/usr/local/bin'] as const;

/**
 * The PATH a scheduled scan runs with: the node binary's folder first (so restart commands that
 * run `node` or `#!/usr/bin/env node` scripts find the same node), then — for a Mac, with
 * `homebrew` — Homebrew's folders, where the tools restart commands call usually live, then the
 * usual system folders. launchd starts jobs with PATH=/usr/bin:/bin:/usr/sbin:/sbin and cron with
 * /usr/bin:/bin.
 */
export function schedulePath(nodePath: string, options: { homebrew?: boolean } = {}): string {
  return [...new Set([dirname(nodePath), ...(options.homebrew ? HOMEBREW_PATH : []), ...SYSTEM_PATH])].join(':');
}

/**
 * The node binary a schedule should name. `process.execPath` is the resolved binary, which for
 * Homebrew is a versioned Cellar path that `brew upgrade` deletes; when a `node` on PATH is the
 * same file (e.g. /opt/homebrew/bin/node → ../Cellar/node/22.1.0/bin/node), that stable name is
 * used instead. Falls back to `execPath`.
 */
export function stableNodePath(execPath: string, pathVariable: string | undefined): string {
  const target = realpathOrUndefined(execPath);
  if (target === undefined) return execPath;
  for (const dir of (pathVariable ?? '').split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, 'node');
    if (realpathOrUndefined(candidate) === target && isFile(candidate)) return candidate;
  }
  return execPath;
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Control characters (newlines included) cannot be written into a crontab line, a unit file or XML 1.0. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Throws a usage error when a path or value holds a control character. */
export function assertPrintable(what: string, value: string): void {
  if (CONTROL.test(value)) {
    throw new HealError('usage', `${what} ${JSON.stringify(value)} holds a control character (a newline?), which a schedule cannot carry`);
  }
}
