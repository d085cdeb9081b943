/**
 * Saving the state in the middle of a scan, so a scan killed at any moment forgets nothing that
 * already happened: a restart that ran, a message a channel accepted. Saves are serialised and
 * coalesced; a failed one is logged and the scan's own save at the end tries again.
 */
import type { Deps } from '../deps.js';
import { withHealIntent, withStartedProcess } from '../policy/record.js';
import type { ProcessIdentity } from '../process/identity.js';
import { serviceStateOf } from './model.js';
import type { State } from './schema.js';
import { saveState } from './store.js';

/** What the heal journal writes down during a scan's restarts. */
export type HealJournal = {
  /** A heal, before its restart runs. */
  beforeRestart: (service: string, at: number) => Promise<void>;
  /** The process a detached restart (`at`) started, as soon as it runs. */
  afterStart: (service: string, started: ProcessIdentity, at: number) => Promise<void>;
};

/**
 * Writes each heal into the state before its restart runs, so a scan killed between the restart
 * and its save still counts the restart for the cooldown and the hourly cap; and the process a
 * detached restart started, so that scan's successor still stops it before starting another and
 * still checks it. The scan's own save replaces these records with the outcomes. A failed write is
 * logged, and the restart goes ahead: a service left down for a full disk would be worse.
 */
export function healJournal(stateDir: string, state: State, deps: Deps): HealJournal {
  let journal = state;
  const save = stateSaver(stateDir, () => journal, (error) => deps.logger.warn({ err: error }, `could not write down a heal before its restart: ${(error as Error).message}`));
  const record = (service: string, next: State['services'][string]) => {
    journal = { ...journal, services: { ...journal.services, [service]: next } };
    return save();
  };
  return {
    beforeRestart: (service, at) => record(service, withHealIntent(serviceStateOf(journal, service), at)),
    afterStart: (service, started, at) => record(service, withStartedProcess(serviceStateOf(journal, service), started, at)),
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
