/**
 * Atomic file replacement: a temp file in the same folder (so the rename never crosses file
 * systems), written with the final mode and fsynced, renamed over the target, then the folder
 * fsynced. A reader sees the old file or the new one, never half of either.
 *
 * Temp files are named "<name>.tmp-<pid>-<hex>", which never ends in the target's extension
 * (node_exporter reads only "*.prom"), and a killed writer's leftovers are removed by the next
 * write: a temp file whose writer is gone, or older than any write lasts. Ages are measured
 * against the file system's own clock (the mtime of the temp file just written), never against
 * `Date.now()`, which a changed clock (or faketime) moves while file times stay put.
 */
import { randomBytes } from 'node:crypto';
import { chmod, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pidExists } from '../process/identity.js';

/** A temp file older than this whose writer cannot be shown alive is a leftover and is removed. */
const LEFTOVER_TEMP_AGE_MS = 60_000;

/**
 * Replaces `path` with `text` (UTF-8) or bytes atomically, the file ending with exactly `mode`
 * (the umask cannot take from it). The folder must exist. Throws the underlying error (ENOENT,
 * EACCES, …); the temp file is removed on failure.
 */
export async function writeFileAtomic(path: string, text: string | Uint8Array, mode: number): Promise<void> {
  const dir = dirname(path);
  const name = basename(path);
  // Those of dead writers first: on a full disk, they may hold the very space this write needs.
  await removeLeftoverTemps(dir, name);
  const temp = join(dir, `${name}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  let fsNow: number;
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.chmod(mode);
      await handle.writeFile(text, 'utf8');
      await handle.sync();
      fsNow = (await handle.stat()).mtimeMs;
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    // Also when the write failed: a full disk leaves the temp file created but short.
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dir);
  await removeLeftoverTemps(dir, name, fsNow);
}

/**
 * Removes temp files of `name` left in `dir` by writers that were killed mid-write: the writer's
 * pid is gone, or (when `fsNow` is given) the file is older than a minute at `fsNow` — a time
 * read from the file system's clock (the mtime of a file just written), so a changed system clock
 * cannot make a live writer's temp file look old.
 */
export async function removeLeftoverTemps(dir: string, name: string, fsNow?: number): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const prefix = `${name}.tmp-`;
  await Promise.all(
    names.map(async (entry) => {
      if (!entry.startsWith(prefix)) return;
      const match = /^(\d+)-[0-9a-f]+$/.exec(entry.slice(prefix.length));
      if (!match) return;
      const pid = Number(match[1]);
      const path = join(dir, entry);
      try {
        const info = await stat(path);
        if (pid !== process.pid && (!pidExists(pid) || (fsNow !== undefined && fsNow - info.mtimeMs > LEFTOVER_TEMP_AGE_MS))) await unlink(path);
      } catch {
        // gone already, or not ours to remove: harmless either way
      }
    }),
  );
}

/** fsyncs a directory so a rename in it is durable; platforms that cannot are skipped quietly. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR / EPERM / EINVAL / ENOTSUP: the rename happened; durability is best effort here
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** chmod that leaves a path alone when it is not ours to change. */
export async function chmodIfOwned(path: string, mode: number): Promise<void> {
  const info = await stat(path);
  if (info.uid === process.getuid?.() && (info.mode & 0o777) !== mode) await chmod(path, mode);
}
