/**
 * Counters for the metrics file that only ever go up. Heal records in the state are pruned (a
 * day at most), so `heal_heals_total` cannot be counted from them: a Prometheus counter that
 * drops reads as a reset and `increase()` would invent heals. These live in the state file
 * instead, bumped once per scan from that scan's heal results, and are never pruned or reset
 * (not even by `heal reset`).
 */

/** What a heal attempt came to, as in the state's heal records. */
export type HealResult = 'healed' | 'failed';

/** Every result, in the order the metrics file lists them. */
export const HEAL_RESULTS: readonly HealResult[] = ['healed', 'failed'];

/** The counters in the state file (their schema: metrics/counters-schema.ts). */
export type MetricsCounters = {
  /** Heal attempts ever made, by "<service>/<result>" (result: healed | failed). */
  heals: Record<string, number>;
};

/** One heal attempt of one scan. */
export type HealCount = { service: string; result: HealResult };

export function emptyMetricsCounters(): MetricsCounters {
  return { heals: {} };
}

/** The key of a heal counter: "<service>/<result>". Service names hold no "/". */
export function healCounterKey(service: string, result: HealResult): string {
  return `${service}/${result}`;
}

/** Splits a heal counter key; undefined for a key that is not "<service>/healed|failed". */
export function parseHealCounterKey(key: string): HealCount | undefined {
  const slash = key.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const result = key.slice(slash + 1);
  return result === 'healed' || result === 'failed' ? { service: key.slice(0, slash), result } : undefined;
}

/**
 * The counters after one scan: each heal attempt of the scan adds one to its
 * "<service>/<result>". Pure; returns new objects, never touches `counters`.
 */
export function countHeals(counters: MetricsCounters | undefined, heals: Iterable<HealCount>): MetricsCounters {
  const next = { ...(counters?.heals ?? {}) };
  for (const { service, result } of heals) {
    const key = healCounterKey(service, result);
    next[key] = (next[key] ?? 0) + 1;
  }
  return { ...(counters ?? {}), heals: next };
}
