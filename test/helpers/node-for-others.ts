/** A node binary a child running as another user (nobody, uid 65534) may run, for tests run as root. */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A node binary another user may run: this one, unless it lies in a folder only its owner may
 * enter (a Node installed into a private temp prefix), else the first on PATH that others may run.
 */
export function nodeForOthers(): string {
  const candidates = [process.execPath, ...(process.env.PATH ?? '').split(':').filter(Boolean).map((dir) => join(dir, 'node'))];
  const found = candidates.find((path) => existsSync(path) && othersMayRun(path));
  if (!found) throw new Error(`no node binary that uid 65534 may run (tried ${candidates.join(', ')})`);
  return found;
}

/** The file and every folder above it have the execute bit for others. */
export function othersMayRun(path: string): boolean {
  for (let at = path; ; at = dirname(at)) {
    if ((statSync(at).mode & 0o001) === 0) return false;
    if (dirname(at) === at) return true;
  }
}
