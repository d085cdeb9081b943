/**
 * What the alert manager remembers between scans, inside the state file: per alert key its
 * count of failing scans and what was sent; the outbox of messages not yet delivered; what
 * each channel last said; silences; counters that only go up. The types are the schema's
 * (alerts/state-schema.ts), imported as types only, so a scan never loads zod for them.
 */
import type { z } from 'zod';
import type { alertsStateSchema, channelStatusSchema, keyStateSchema, outboxEntrySchema, silenceSchema } from './state-schema.js';

export type AlertsState = z.output<typeof alertsStateSchema>;
export type AlertKeyState = z.output<typeof keyStateSchema>;
export type OutboxEntry = z.output<typeof outboxEntrySchema>;
export type ChannelStatus = z.output<typeof channelStatusSchema>;
export type Silence = z.output<typeof silenceSchema>;

/** The alert state of a first scan: nothing remembered, nothing waiting. */
export function emptyAlertsState(): AlertsState {
  return { keys: {}, outbox: [], channels: {}, silences: {}, sent: {}, dropped: 0 };
}
