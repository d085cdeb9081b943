/**
 * The built-in defaults of the manifest that running code reads, each in one place: the schema
 * names them (in `.default()` or its `@default`s) and the code that applies them reads them from
 * here. No zod here: a scan reads these on every run, also when the manifest comes from the
 * cache (cache.ts) and the schema is never loaded. Defaults that only the schema applies (a
 * restart's `timeout`, a channel's, `interval`, the breaker's, …) stay in their `.default()`.
 */
import type { ScanThreshold } from '../common/scan-window.js';

/**
 * The heal settings' built-in values (durations in ms): what a service gets when neither it nor
 * the manifest's `defaults` sets one (resolve.ts). The schema leaves these keys absent, so the
 * precedence stays service, then `defaults`, then these.
 */
export const BUILTIN_DEFAULTS = {
  timeout: 3_000,
  retries: 0,
  retry_delay: 1_000,
  cooldown: 300_000,
  max_heals_per_hour: 6,
  verify_timeout: 10_000,
  start_grace: 0,
  flap_threshold: { count: 3, of: 12 } as ScanThreshold,
} as const;

/** How many checks run at once (`concurrency`). */
export const DEFAULT_CONCURRENCY = 64;

/** How long one heartbeat ping may take (`heartbeat.timeout`), in ms. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 10_000;
