const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
/** Units largest first: a compound duration names each at most once, in this order. */
const ORDER: readonly Unit[] = ['d', 'h', 'm', 's', 'ms'];
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * Parses a duration into milliseconds; undefined when it is not one. One unit ("500ms", "1.5s",
 * "5m", "1h", "1d") or several, largest first, each once, as heal prints them ("1m30s", "1h30m",
 * "2d12h", "1h30m15s"); only the last part may have a fraction ("1m1.5s").
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION.test(trimmed)) return undefined;
  const parts = [...trimmed.matchAll(PART)];
  let total = 0;
  let previous = -1;
  for (const [index, [, amount, unit]] of parts.entries()) {
    const rank = ORDER.indexOf(unit as Unit);
    if (rank <= previous) return undefined;
    if (amount!.includes('.') && index < parts.length - 1) return undefined;
    previous = rank;
    total += Number(amount) * UNIT_MS[unit as Unit];
  }
  return Math.round(total);
}

/** Formats milliseconds for people: 850ms, 12s, 4m30s, 2h5m, 3d. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))}ms`;
  const seconds = Math.round(ms / 1_000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 ? `${minutes}m${seconds % 60}s` : `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours}h${minutes % 60}m` : `${hours}h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days}d${hours % 24}h` : `${days}d`;
}

/** A latency for people, to a tenth of a second under 10 s: 850ms, 1.2s, 12s. */
export function formatLatency(ms: number): string {
  if (ms < 1_000 || ms >= 10_000) return formatDuration(ms);
  return `${(Math.round(ms / 100) / 10).toFixed(1)}s`;
}
