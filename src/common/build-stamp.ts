/**
 * This build of heal, as a short text: the size and time of the file the code runs from (the
 * bundle's chunk, or the source file under test). An upgrade or a rebuild changes it, so what one
 * build stored for itself (the manifest cache, the state file's seal) is never trusted by another.
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `<size>:<mtimeMs>` of the running code's file, or "unknown" when it cannot be read. */
export const BUILD_STAMP = (() => {
  try {
    const info = statSync(fileURLToPath(import.meta.url));
    return `${info.size}:${info.mtimeMs}`;
  } catch {
    return 'unknown';
  }
})();
