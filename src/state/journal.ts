/**
 * Saving the state in the middle of a scan, so a scan killed at any moment forgets nothing that
 * already happened: a restart that ran, a message a channel accepted. Saves are serialised and
 * coalesced; a failed one is logged and the scan's own save at the end tries again.
 */
import type { Deps } from '../deps.js';
import { withHealIntent } from '../policy/record.js';
import { serviceStateOf } from './model.js';
import type { State } from './schema.js';
import { saveState } from './store.js';

/**
 * Writes each heal into the state before its restart runs, so a scan killed between the restart
 * and its save still counts the restart for the cooldown and the hourly cap. The scan's own save
 * replaces these records with the outcomes. A failed write is logged, and the restart goes ahead:
 * a service left down for a full disk would be worse.
 */
export function healJournal(stateDir: string, state: State, deps: Deps): (service: string, at: number) => Promise<void> {
  let journal = state;
  const save = stateSaver(stateDir, () => journal, (error) => deps.logger.warn({ err: error }, `could not write down a heal before its restart: ${(error as Error).message}`));
  return (service, at) => {
    journal = { ...journal, services: { ...journal.services, [service]: withHealIntent(serviceStateOf(journal, service), at) } };
    return save();
  };
}

/**
 * Saves the state each time a message leaves the outbox, so a scan killed mid-delivery sends
 * again at most the one message per channel it had not recorded yet (at least once, with few
 * repeats). A failed save is logged; the scan's own save at the end tries again.
 */
export function deliveryJournal(stateDir: string, next: State, deps: Deps): (alerts: State['alerts']) => Promise<void> {
  let latest = next.alerts;
  const save = stateSaver(stateDir, () => ({ ...next, alerts: latest }), (error) => deps.logger.warn({ err: error }, `could not record a delivered alert: ${(error as Error).message}`));
  return (alerts) => {
    latest = alerts;
    return save();
  };
}

/**
 * Saves `current()` one save at a time; a call resolves once a save that began after it is done.
 * Calls that come while a save waits to begin share it (it writes the latest state), so fifty
 * restarts at once cost two or three saves, not fifty.
 */
function stateSaver(stateDir: string, current: () => State, failed: (error: unknown) => void): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;
  return () => {
    queued ??= running.then(() => {
      queued = undefined;
      running = saveState(stateDir, current()).catch(failed);
      return running;
    });
    return queued;
  };
}
