/**
 * Writes the metrics file for node_exporter's textfile collector. The collector reads every
 * "*.prom" file in its folder on each scrape, so the file is replaced atomically (a temp file
 * in the same folder, then rename): a scrape never sees half a file. node_exporter runs as
 * another user, so the file is 0644 and folders created for it are 0755.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { chmodIfOwned, writeFileAtomic } from '../common/fs-atomic.js';

/** The metrics file's mode: readable by node_exporter's user. */
export const METRICS_FILE_MODE = 0o644;
const METRICS_DIR_MODE = 0o755;

export type WriteMetricsResult = { ok: true } | { ok: false; error: string };

/**
 * Writes `text` to `path` atomically, mode 0644, creating missing folders (0755). Never throws:
 * a failure comes back as a one-line error naming the file, for the caller to log; a metrics
 * file that cannot be written must not fail the scan.
 */
export async function writeMetricsFile(path: string, text: string): Promise<WriteMetricsResult> {
  const file = resolve(path);
  try {
    await ensureFolder(dirname(file));
    await writeFileAtomic(file, text, METRICS_FILE_MODE);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: `cannot write the metrics file ${file}: ${describe(error)}` };
  }
}

/** Creates `dir` and its missing parents, each readable by others (0755 whatever the umask). */
async function ensureFolder(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode: METRICS_DIR_MODE });
  if (first === undefined) return;
  // mkdir returns the first folder it created; it and every one below it down to dir are ours.
  const created = [first, ...relative(first, dir).split(sep).filter(Boolean)];
  let current = '';
  for (const [index, part] of created.entries()) {
    current = index === 0 ? part : `${current}${sep}${part}`;
    await chmodIfOwned(current, METRICS_DIR_MODE);
  }
}

function describe(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'a part of the path is not a folder';
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'ENOSPC') return 'no space left on the device';
  return error instanceof Error ? message : String(error);
}
