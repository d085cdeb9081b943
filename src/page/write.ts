/**
 * The status page's effects: read what it shows (state, history), render it, and replace the
 * file atomically (common/fs-atomic.ts) so a web server or a browser never reads half a page.
 * The file is 0644 (a web server's user reads it) and missing folders are made 0755.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../common/fs-atomic.js';
import { errnoCode } from '../common/fs-errors.js';
import { readHistory } from '../history/store.js';
import { statusHistorySince } from '../history/summary.js';
import type { Logger } from '../log/logger.js';
import type { LoadedManifest } from '../manifest/load.js';
import type { State } from '../state/schema.js';
import { pageModel } from './model.js';
import { renderPage } from './render.js';

/** The page file's mode: readable by a web server's user. */
export const PAGE_FILE_MODE = 0o644;

/** What the page is made of: the manifest, the state directory (its history) and the state, at `now`. */
export type PageSources = { loaded: LoadedManifest; stateDir: string; state: State; now: number; logger: Logger };

export type WritePageResult = { ok: true; path: string } | { ok: false; error: string };

/** Where the manifest's `status_page` is: relative to the manifest's folder. Undefined when not set. */
export function statusPagePath(loaded: LoadedManifest): string | undefined {
  const page = loaded.manifest.status_page;
  return page ? resolve(loaded.baseDir, page) : undefined;
}

/**
 * Reads the history the page needs, renders the page at `now` and writes it to `path`. Never
 * throws: a failure comes back as one line naming the file (and a history problem is logged).
 */
export async function writeStatusPage(path: string, { loaded, stateDir, state, now, logger }: PageSources): Promise<WritePageResult> {
  const file = resolve(path);
  try {
    const { history, problems } = await readHistory(stateDir, { since: statusHistorySince(now, loaded.manifest.interval) });
    for (const problem of problems) logger.warn({ page: file }, `history: ${problem}`);
    await mkdir(dirname(file), { recursive: true, mode: 0o755 });
    await writeFileAtomic(file, renderPage(pageModel(loaded, state, history, now)), PAGE_FILE_MODE);
    return { ok: true, path: file };
  } catch (error) {
    return { ok: false, error: `status page not written: cannot write ${file}: ${reason(error)}; give status_page (or --out) a file in a folder heal may write` };
  }
}

/** What a failed write means, in words. */
function reason(error: unknown): string {
  const code = errnoCode(error);
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'a part of its path is a file, not a folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EROFS') return 'a read-only file system';
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}
