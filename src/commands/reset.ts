import { HealError } from '../errors.js';
import { acquireLock } from '../state/lock.js';
import { loadState, saveState } from '../state/store.js';
import { openContext, print } from './context.js';

/** `heal reset NAME`: forget a service's heals, cooldown and counters (under the scan lock). */
export async function resetCommand(name: string, options: { config?: string; stateDir?: string }): Promise<number> {
  const { loaded, logger, stateDir } = await openContext(options);
  if (!(name in loaded.manifest.services)) throw new HealError('usage', `reset ${name}: no service of that name in the manifest`);
  const lock = await acquireLock(stateDir, { logger });
  try {
    const state = await loadState(stateDir, logger);
    const { [name]: _dropped, ...rest } = state.services;
    await saveState(stateDir, { ...state, services: rest });
    logger.info({ service: name }, 'reset');
  } finally {
    await lock.release();
  }
  await print(`${name}: heal history, cooldown and counters cleared\n`);
  return 0;
}
