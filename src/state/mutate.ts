import type { Logger } from '../log/logger.js';
import { acquireLock } from './lock.js';
import type { State } from './schema.js';
import { loadState, saveState } from './store.js';

/** Changes the state under the scan lock, so a command never races a scan. */
export async function updateState(stateDir: string, logger: Logger, change: (state: State) => State): Promise<State> {
  const lock = await acquireLock(stateDir, { logger });
  try {
    const next = change(await loadState(stateDir, logger));
    await saveState(stateDir, next);
    return next;
  } finally {
    await lock.release();
  }
}
