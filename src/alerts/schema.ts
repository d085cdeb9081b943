/**
 * The manifest's `alerts` block: the levels (when, how often and where a notice goes), the
 * channels by name (their specs are in channels/schema.ts) and how long an undelivered notice
 * is kept. A level left out keeps its built-in default (levels.ts, `DEFAULT_LEVELS`).
 */
import { z } from 'zod';
import { duration, scanThreshold } from '../manifest/fields.js';
import { channelSpec } from './channels/schema.js';

/** The alert levels, highest first. */
export const alertLevelName = z.enum(['critical', 'warning', 'info']);

const levelSchema = z.strictObject({
  /** Failing scans before the first notice: k in a row, or "k of n" (k of the last n scans). */
  threshold: scanThreshold(1),
  /** No repeat for the same key before this ends; outages within it fold into one incident. */
  cooldown: duration,
  channels: z.array(z.string().min(1)).min(1, 'a level needs at least one channel: name one, or [log] for the log only'),
  /** A service still down this long is raised to the next level up (info → warning → critical). */
  escalate_after: duration.optional(),
});

/** The highest level: there is none to escalate to. */
const criticalLevelSchema = levelSchema.extend({
  escalate_after: z.never({ error: 'critical is the highest level: escalate_after belongs on warning or info' }).optional(),
});

/** The `alerts` block. */
export const alertsSchema = z.strictObject({
  /** A level left out keeps its built-in one. @default levels.ts `DEFAULT_LEVELS` */
  levels: z
    .strictObject({
      critical: criticalLevelSchema.optional(),
      warning: levelSchema.optional(),
      info: levelSchema.optional(),
    })
    .prefault({}),
  /** The channels by name; "log" exists unless one of that name is defined. @default {} */
  channels: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'channel names may hold only letters, digits, ".", "_" and "-"'), channelSpec).default({}),
  /** Undelivered notices older than this are dropped (and counted). @default 24h */
  max_age: duration.default(86_400_000),
});

export type AlertLevel = z.output<typeof alertLevelName>;
