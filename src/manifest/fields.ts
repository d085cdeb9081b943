/**
 * The zod pieces more than one part of the manifest uses: durations, scan counts, ports, argv,
 * host names, http(s) URLs and the names launchd and systemd know. Each family's schema
 * (checks, restarts, channels, alerts) and the manifest itself are built from these, so a value
 * reads the same and says the same when it is wrong, wherever it appears.
 */
import { z } from 'zod';
import { parseDuration } from '../common/duration.js';
import { parseSize } from '../common/size.js';
import { parseScanThreshold, MAX_SCAN_WINDOW } from '../common/scan-window.js';

/** An error message for a wrong type that still says "required" when the key is missing. */
export const expected = (what: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : `expected ${what}`);

/**
 * What a number written in quotes is told (`status: "200"`); parse.ts adds the fix (`write
 * status: 200`). A schema that reads numbers out of strings says it of a string that is only one.
 */
export const NUMBER_IN_QUOTES = 'a number, not a string';

/** What a value that is no duration is told; a bare number is told to add a unit (issue-text.ts). */
export const DURATION_EXPECTED = 'expected a duration such as "500ms", "3s", "5m" or "1h"';

/** A duration such as "500ms", "3s", "5m", "1h", "1d" or "1m30s", read as milliseconds. */
export const duration = z
  .string({ error: (issue) => (issue.input === undefined ? 'required' : DURATION_EXPECTED) })
  .refine((text) => parseDuration(text) !== undefined, { error: DURATION_EXPECTED })
  .transform((text) => parseDuration(text) as number);

/**
 * A count of scans: a whole number k (k in a row), or "k of n" (k of the last n scans, e.g.
 * "3 of 6"), read as `{ count, of }`; `min` is the smallest k.
 */
export const scanThreshold = (min: number) =>
  z
    .union([z.number(), z.string()], { error: expected(`a number of scans, or "k of n" such as "3 of 6"`) })
    .refine((value) => parseScanThreshold(value, min) !== undefined, {
      error: (issue) =>
        typeof issue.input === 'string' && /^\d+$/.test(issue.input)
          ? NUMBER_IN_QUOTES
          : `expected a whole number of scans (at least ${min}), or "k of n" with ${min} <= k <= n <= ${MAX_SCAN_WINDOW}, such as "3 of 6"`,
    })
    .transform((value) => parseScanThreshold(value, min)!);

/** A TCP port, 1–65535. */
export const port = z
  .number({ error: expected('a port number') })
  .int('expected a whole port number')
  .min(1, 'port must be between 1 and 65535')
  .max(65535, 'port must be between 1 and 65535');

/** A program and its arguments, run without a shell. */
export const argv = z
  .array(z.string().min(1, 'an argument cannot be empty'), { error: expected('a list of arguments (argv), not a shell string') })
  .min(1, 'needs at least the program to run');

/** A host name or an IP address. */
export const hostname = z.string().min(1).regex(/^[A-Za-z0-9.:_\-[\]]+$/, 'expected a host name or IP address');

/** An http:// or https:// URL. */
export const httpUrl = z.url({ protocol: /^https?$/, error: 'Invalid URL' });

const SIZE_EXAMPLE = 'a size such as "512MB", "1.5GB" or "800KB" (binary: 1 MB = 1 MiB = 1024² bytes)';

/** A memory size such as "512MB", "1.5GB" or "2GiB", read as bytes (binary units, as ps counts). */
export const size = z
  .string({ error: expected(SIZE_EXAMPLE) })
  .refine((text) => (parseSize(text) ?? 0) > 0, { error: `expected ${SIZE_EXAMPLE}` })
  .transform((text) => parseSize(text) as number);

const PERCENT_EXAMPLE = 'a share of one core such as "90%" (200% is two cores)';

/** A share of one CPU core such as "90%", read as a number of percent; more than 100 is several cores. */
export const percent = z
  .string({ error: expected(PERCENT_EXAMPLE) })
  .regex(/^(?!0+(?:\.0+)?%$)\d+(?:\.\d+)?%$/, { error: `expected ${PERCENT_EXAMPLE}` })
  .transform((text) => Number(text.slice(0, -1)));

/** Extra attempts, 0–10. */
export const retries = z.number().int().min(0).max(10);

/** launchd labels are reverse-DNS names; anything else is refused before it reaches launchctl. */
export const launchdLabel = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a launchd label may hold only letters, digits, ".", "_" and "-"');

/** A launchd domain: "gui", "user", "gui/<uid>" or "user/<uid>". */
export const launchdDomain = z
  .string()
  .regex(/^(gui|user)(\/\d+)?$/, 'domain must be "gui", "user", "gui/<uid>" or "user/<uid>"');

/** systemd unit names; anything else is refused before it reaches systemctl. */
export const systemdUnit = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9:_.@\\-]*$/, 'a systemd unit name starts with a letter or digit and holds only letters, digits and ":_.@-\\"');

/**
 * The specs of one plug-in family (checks, restarts, channels) as one union told apart by
 * `type`. A `type` it does not know says which it does, in the order given: "type must be one
 * of: command, launchd, systemd".
 */
export function specsByType<const Specs extends readonly [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]]>(specs: Specs) {
  const types = specs.flatMap((spec) => [...(spec._zod.propValues['type'] ?? [])]).join(', ');
  return z.discriminatedUnion('type', specs, {
    error: (issue) => (issue.code === 'invalid_union' ? `type must be one of: ${types}` : undefined),
  });
}
