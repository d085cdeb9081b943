/**
 * The zod schema of the metrics counters (metrics/counters.ts), part of the state file's schema:
 * loaded only when a state file is validated, never by a scan whose state is intact.
 */
import { z } from 'zod';

export const metricsCountersSchema = z.object({
  /** Heal attempts ever made, by "<service>/<result>" (result: healed | failed). */
  heals: z.record(z.string(), z.number().int().min(0)).default({}),
});
