import { formatDuration, parseDuration } from '../common/duration.js';
import { formatLocalTime } from '../common/local-time.js';
import { HealError } from '../common/errors.js';
import { updateState } from '../state/mutate.js';
import { openContext, print } from './context.js';

type Options = { config?: string; stateDir?: string };

/** `heal silence NAME --for 2h [--reason …]`: still checked and healed, not alerted. */
export async function silenceCommand(name: string, options: Options & { for: string; reason?: string }): Promise<number> {
  const forMs = parseDuration(options.for);
  if (forMs === undefined || forMs <= 0) throw new HealError('usage', `silence --for ${options.for}: expected a duration such as "30m" or "2h"`);
  const { loaded, logger, stateDir } = await openContext(options);
  if (!Object.hasOwn(loaded.manifest.services, name)) throw new HealError('usage', `silence ${name}: no service of that name in the manifest`);
  const now = Date.now();
  const until = now + forMs;
  await updateState(stateDir, logger, (state) => ({
    ...state,
    alerts: { ...state.alerts, silences: { ...state.alerts.silences, [name]: { until, createdAt: now, ...(options.reason ? { reason: options.reason } : {}) } } },
  }));
  logger.info({ service: name, until: new Date(until).toISOString(), reason: options.reason }, 'silenced');
  await print(`${name}: silenced for ${formatDuration(forMs)}, until ${formatLocalTime(until, now)}${options.reason ? ` (${options.reason})` : ''}\n`);
  return 0;
}

/** `heal unsilence NAME`. */
export async function unsilenceCommand(name: string, options: Options): Promise<number> {
  const { loaded, logger, stateDir } = await openContext(options);
  if (!Object.hasOwn(loaded.manifest.services, name)) throw new HealError('usage', `unsilence ${name}: no service of that name in the manifest`);
  let had = false;
  await updateState(stateDir, logger, (state) => {
    const { [name]: dropped, ...silences } = state.alerts.silences;
    had = dropped !== undefined;
    return { ...state, alerts: { ...state.alerts, silences } };
  });
  logger.info({ service: name }, 'unsilenced');
  await print(had ? `${name}: silence lifted\n` : `${name}: was not silenced\n`);
  return 0;
}
