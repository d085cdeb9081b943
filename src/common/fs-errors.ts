/** What a file-system error means, for every module that writes files. */

/** The errno code of an error (`ENOENT`, `ENOSPC`, …), if it has one. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** The codes that mean "nothing can be written here": a full, read-only or forbidden disk. */
const UNWRITABLE = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'EFBIG']);

/**
 * Whether `error` (or an error it wraps) is the file system refusing a write: the state or a log
 * cannot be written, but a scan can still check, heal and alert.
 */
export function isUnwritableError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = errnoCode(e);
    if (code && UNWRITABLE.has(code)) return true;
  }
  return false;
}
