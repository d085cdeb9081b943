import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LoadedManifest } from '../manifest/load.js';

/**
 * The state directory: --state-dir, else $HEAL_STATE_DIR, else the manifest's `state_dir`
 * (relative to the manifest's folder), else ~/.local/state/heal.
 */
export function stateDirFor(
  option: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  loaded: LoadedManifest,
): string {
  if (option) return resolve(option);
  if (env['HEAL_STATE_DIR']) return resolve(env['HEAL_STATE_DIR']);
  if (loaded.manifest.state_dir) return resolve(loaded.baseDir, loaded.manifest.state_dir);
  return join(homedir(), '.local', 'state', 'heal');
}
