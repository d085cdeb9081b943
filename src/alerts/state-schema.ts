/**
 * The zod schema of what the alert manager remembers (alerts/state.ts), part of the state file's
 * schema: loaded only when a state file is validated, never by a scan whose state is intact.
 */
import { z } from 'zod';
import type { Message, Notice } from './types.js';

const level = z.enum(['critical', 'warning', 'info']);

const noticeSchema: z.ZodType<Notice> = z.object({
  id: z.string(),
  key: z.string(),
  kind: z.enum(['down', 'degraded', 'healed', 'flapping', 'resolved', 'test', 'folded']),
  level,
  service: z.string(),
  title: z.string(),
  detail: z.string(),
  action: z.string().optional(),
  since: z.number(),
  at: z.number(),
  downForMs: z.number().optional(),
  reminder: z.boolean().optional(),
  host: z.string(),
  folded: z
    .object({ messages: z.number().int().min(0), notices: z.number().int().min(0), services: z.array(z.string()), moreServices: z.boolean().optional() })
    .optional(),
});

const messageSchema: z.ZodType<Message> = z.object({
  id: z.string(),
  channel: z.string(),
  level,
  notices: z.array(noticeSchema),
  createdAt: z.number(),
});

export const keyStateSchema = z.object({
  /** Consecutive scans in which the key's condition held. */
  failing: z.number().int().min(0),
  /** When the condition began. */
  since: z.number(),
  level,
  /**
   * The last notice sent for it: the cooldown runs from `at`; `channels` is every channel that got
   * a notice of this incident (a reminder adds the level's channels, never drops one), and the
   * resolved notice goes to all of them.
   */
  notified: z.object({ at: z.number(), channels: z.array(z.string()), count: z.number().int().min(1) }).optional(),
  // The incident of a down key (alerts/incident.ts); absent in keys written before it, and in other keys.
  /** Recent scans that judged the key, newest last: x failing, . passing (for "k of n" thresholds). */
  recent: z.string().optional(),
  /** Outages folded into this incident (a recovery, then down again within the level's cooldown). */
  outages: z.number().int().min(0).optional(),
  /** When the current outage began; absent while the service is up. */
  downSince: z.number().optional(),
  /** Down time of the incident's earlier outages, in ms. */
  downMs: z.number().min(0).optional(),
  /** When its resolved notice went: kept for the level's cooldown, so an outage within it reopens the incident. */
  resolvedAt: z.number().optional(),
  /** Resolved notices sent for this incident. */
  resolutions: z.number().int().min(0).optional(),
  /** Reopened after a resolved notice: it resolves again only once the service stayed up for the level's window. */
  reopened: z.boolean().optional(),
  /** A notice is owed whatever the cooldown (after a silence, if need be): it went down again after "back up", or its level was raised. */
  owed: z.enum(['again', 'raised']).optional(),
  /** Consecutive scans up while the incident is open. */
  upScans: z.number().int().min(0).optional(),
  /** When the key reached its level (escalate_after counts from here). */
  levelSince: z.number().optional(),
  /** "heal stopped restarting it until …" was said for this incident. */
  stoppedSaid: z.boolean().optional(),
  /** For a healed key: heals whose notice its level's cooldown held back since the last one went out. */
  held: z.number().int().min(0).optional(),
});

export const outboxEntrySchema = z.object({
  message: messageSchema,
  /** Delivery attempts so far, over all scans. */
  attempts: z.number().int().min(0),
  lastError: z.string().optional(),
});

export const channelStatusSchema = z.object({
  /** A 429 asked to wait: nothing is sent to the channel before this. */
  retryAfterUntil: z.number().optional(),
  /** The endpoint said it does not exist (a webhook's 404). */
  gone: z.object({ at: z.number(), error: z.string() }).optional(),
  lastError: z.object({ at: z.number(), error: z.string() }).optional(),
  lastSuccessAt: z.number().optional(),
});

export const silenceSchema = z.object({ until: z.number(), reason: z.string().optional(), createdAt: z.number() });

export const alertsStateSchema = z.object({
  keys: z.record(z.string(), keyStateSchema).default({}),
  outbox: z.array(outboxEntrySchema).default([]),
  channels: z.record(z.string(), channelStatusSchema).default({}),
  silences: z.record(z.string(), silenceSchema).default({}),
  /** Messages delivered, by "<level>/<channel>". */
  sent: z.record(z.string(), z.number().int().min(0)).default({}),
  /** Messages given up on: too old, or refused for good by their channel. */
  dropped: z.number().int().min(0).default(0),
});
