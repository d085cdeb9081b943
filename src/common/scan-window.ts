/**
 * "k of the last n scans": thresholds that see intermittent failure as well as a steady one. A
 * plain number k means "k of the last k" — k scans in a row. What a rule remembers of recent
 * scans is a window: a string with one character per scan, newest last, kept no longer than the
 * rule's n (plus what the rule needs to see where the window begins).
 */

/** k of the last n scans. */
export type ScanThreshold = { count: number; of: number };

/** The longest window a threshold may look back over, in scans. */
export const MAX_SCAN_WINDOW = 1000;

const K_OF_N = /^\s*(\d+)\s+of\s+(\d+)\s*$/;

/**
 * `3` → 3 of 3 (three in a row); `"3 of 6"` → 3 of the last 6. Undefined for anything else, a
 * count below `min`, a count above the window, or a window longer than {@link MAX_SCAN_WINDOW}.
 */
export function parseScanThreshold(value: number | string, min = 1): ScanThreshold | undefined {
  const [count, of] = typeof value === 'number' ? [value, value] : (K_OF_N.exec(value)?.slice(1).map(Number) ?? []);
  if (count === undefined || of === undefined || !Number.isInteger(count) || !Number.isInteger(of)) return undefined;
  if (count < min || of < count || of > MAX_SCAN_WINDOW) return undefined;
  return { count, of };
}

/** "3 in a row", or "3 of the last 6". */
export function describeScanThreshold({ count, of }: ScanThreshold): string {
  return count === of ? `${count} in a row` : `${count} of the last ${of}`;
}

/** The window with `mark` added as the newest scan, keeping the last `keep` scans. */
export function pushScan(window: string, mark: string, keep: number): string {
  return (window + mark).slice(-Math.max(1, keep));
}

/** How many of the last `last` scans of `window` are `mark`. */
export function countLast(window: string, mark: string, last: number): number {
  let n = 0;
  for (const c of window.slice(-last)) if (c === mark) n += 1;
  return n;
}
