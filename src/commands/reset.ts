import { HealError } from '../common/errors.js';
import { resetRecord } from '../policy/record.js';
import { updateState } from '../state/mutate.js';
import { serviceStateOf } from '../state/schema.js';
import { openContext, print } from './context.js';

/** `heal reset NAME`: close the breaker, forget heals, cooldown, counters and the flapping mark. */
export async function resetCommand(name: string, options: { config?: string; stateDir?: string }): Promise<number> {
  const { loaded, logger, stateDir } = await openContext(options);
  if (!Object.hasOwn(loaded.manifest.services, name)) throw new HealError('usage', `reset ${name}: no service of that name in the manifest`);
  await updateState(stateDir, logger, (state) => {
    const known = serviceStateOf(state, name);
    return known ? { ...state, services: { ...state.services, [name]: resetRecord(known) } } : state;
  });
  logger.info({ service: name }, 'reset');
  await print(`${name}: breaker closed; heal history, cooldown, counters and flapping mark cleared\n`);
  return 0;
}
