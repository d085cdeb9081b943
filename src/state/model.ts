/**
 * The state's pieces a scan needs at run time, without zod: the version, the empty state and a
 * service's record. The types are the schema's (state/schema.ts), imported as types only.
 */
import { emptyAlertsState } from '../alerts/state.js';
import { emptyMetricsCounters } from '../metrics/counters.js';
import type { ServiceState, State } from './schema.js';

/** The state file's format version; a file of another version is moved aside. */
export const STATE_VERSION = 1;

/**
 * What the state remembers of the service `name`; undefined for one it has never seen — also
 * for a service named like a property every object has ("constructor"), which plain indexing
 * would find on the prototype.
 */
export function serviceStateOf(state: Pick<State, 'services'>, name: string): ServiceState | undefined {
  return Object.hasOwn(state.services, name) ? state.services[name] : undefined;
}

/** The state of a first scan: no service seen, nothing sent, no counter. */
export function emptyState(): State {
  return { version: STATE_VERSION, services: {}, alerts: emptyAlertsState(), metrics: emptyMetricsCounters() };
}
