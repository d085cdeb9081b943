/**
 * Why the manifest file could not be read, as one line with the fix: not found, not readable, a
 * folder. Such a file is not an invalid manifest (there is none to judge), so it is a
 * {@link ManifestFileError}: the CLI prints its line alone.
 */
import { ManifestFileError } from '../common/errors.js';

/**
 * The one line for a manifest at `path` that could not be read: `code` is the errno code, or
 * `directory`; `uid`, the user heal runs as (undefined where the platform has none).
 */
export function manifestFileProblem(path: string, code: string | undefined, uid: number | undefined): string {
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return `${path}: not found: create it, or pass --config FILE / set HEAL_CONFIG`;
    case 'EACCES':
    case 'EPERM':
      return `${path}: cannot read it (${code}: permission denied): let the user heal runs as${uid === undefined ? '' : ` (uid ${uid})`} read it and enter its folders (chmod u+r, or chown)`;
    case 'directory':
      return `${path}: a folder, not a file: pass the manifest in it (--config ${path.replace(/\/+$/, '')}/services.yaml)`;
    default:
      return `${path}: cannot read it (${code ?? 'unknown error'}): pass a readable file with --config FILE or HEAL_CONFIG`;
  }
}

/** A {@link ManifestFileError} for the manifest at `path`. */
export function manifestFileError(path: string, code: string | undefined): ManifestFileError {
  return new ManifestFileError(manifestFileProblem(path, code, process.getuid?.()));
}
