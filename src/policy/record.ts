/**
 * How one scan changes what the state remembers of a service: a pure function of `now`. This is
 * where the breaker moves and where flapping is judged.
 *
 * Flapping is one rule: the service went down (was found down after being up) in k of the last n
 * scans it was judged in (`flap_threshold`, "3 of 12"; a plain k is k in a row, so "healed in 3
 * scans in a row" is the same rule). Its mark lifts once the service has stayed up on its own
 * for n scans. A flapping service's breaker opens (the crash-loop guard is a step of the ladder,
 * with an end, not a stop) and stays on probation while it flaps, so each time it goes down again
 * heal waits twice as long, up to max_open_for.
 */
import { breakerAt, CLOSED, onFlapping, onFoundDown, onHealFailed, onHealthy } from './breaker.js';
import { elapsedSince } from '../common/time.js';
import { pushScan } from '../common/scan-window.js';
import type { DecisionRule } from './rules.js';
import type { ProcessIdentity } from '../process/identity.js';
import type { ServiceConfig } from '../manifest/resolve.js';
import type { CheckRecord, HealRecord, ServiceState } from '../state/schema.js';

/** What the scan ended with for one service. */
export type ServiceScanResult = {
  /** Healthy at the end of the scan (after any heal). */
  healthy: boolean;
  /** The checks as they last ran. */
  checks: CheckRecord[];
  /** The restart attempted in this scan, if any. */
  heal?: HealRecord;
  /** The policy rule that decided the scan. */
  rule: DecisionRule;
  /** The process this scan's restart started detached. */
  started?: ProcessIdentity;
};

/** Heal records older than this are forgotten; no rule looks back further. */
export const HEAL_MEMORY_MS = 24 * 3_600_000;
const HEAL_MEMORY_COUNT = 100;

/**
 * One judged scan in `recent`: up on its own, healed (found down, a restart brought it back), or
 * down at the end. Scans that judge nothing (waiting on a parent, still starting) leave no mark.
 */
export const SCAN_MARK = { up: 'u', healed: 'h', down: 'd' } as const;
export type ScanMark = (typeof SCAN_MARK)[keyof typeof SCAN_MARK];

/** The mark a scan leaves in `recent`, or undefined when it judged nothing. */
export function scanMark(result: Pick<ServiceScanResult, 'healthy' | 'heal' | 'rule'>): ScanMark | undefined {
  if (result.rule === 'waiting-on-parent' || result.rule === 'starting') return undefined;
  if (!result.healthy) return SCAN_MARK.down;
  // Restarted with its parent, it was never found down: up, not healed.
  return result.heal && result.rule !== 'parent-restarted' ? SCAN_MARK.healed : SCAN_MARK.up;
}

/**
 * How many times the service went down in the last `last` marks of `recent`: a scan that found it
 * down (down, or healed) right after one that ended with it up (up, or healed). The oldest mark
 * counts when nothing is known before it.
 */
export function outagesIn(recent: string, last: number): number {
  let n = 0;
  for (let i = Math.max(0, recent.length - last); i < recent.length; i++) {
    const found = recent[i] !== SCAN_MARK.up;
    const before = i === 0 ? undefined : recent[i - 1];
    if (found && before !== SCAN_MARK.down) n += 1;
  }
  return n;
}

/**
 * What the state remembers of the service after a scan that ended at `now`. `startedAt` (the
 * scan's start, `now` by default) stamps a breaker that opens in it: its wait counts from the
 * scheduled scan, not from the end of a slow restart, which would cost a whole interval.
 */
export function recordService(
  previous: ServiceState | undefined,
  result: ServiceScanResult,
  service: Pick<ServiceConfig, 'breaker' | 'flapThreshold'>,
  now: number,
  startedAt = now,
): ServiceState {
  const status = result.healthy ? 'up' : 'down';
  const changed = previous?.status !== status;
  const heals = [...(previous?.heals ?? []), ...(result.heal ? [result.heal] : [])]
    .filter((heal) => elapsedSince(heal.at, now) < HEAL_MEMORY_MS)
    .slice(-HEAL_MEMORY_COUNT);

  const mark = scanMark(result);
  const window = service.flapThreshold.of;
  // One more than the window: where the window begins, the scan before it says whether its first scan went down.
  const recent = mark ? pushScan(previous?.recent ?? '', mark, window + 1) : (previous?.recent ?? '');
  const flapping = mark ? nextFlapping(previous?.flapping, recent, service.flapThreshold, now) : previous?.flapping;

  // The process a detached start made is kept until the next restart replaces it (or leaves none).
  const detached = result.heal ? result.started : previous?.process;

  const at = Math.min(startedAt, now);
  let breaker = previous?.breaker ?? CLOSED;
  if (mark && mark !== SCAN_MARK.up) breaker = onFoundDown(breaker, service.breaker, now, at);
  breaker =
    result.heal?.result === 'failed'
      ? onHealFailed(breaker, service.breaker, now, at)
      : result.healthy
        ? onHealthy(breaker, service.breaker, now, flapping !== undefined, at)
        : breakerAt(breaker, now);
  if (flapping && !previous?.flapping) breaker = onFlapping(breaker, service.breaker, now, at);

  return {
    status,
    // Up again after a restart: it has been up since the restart, not since it was first seen up.
    since: result.healthy && result.heal?.result === 'healed' ? Math.min(result.heal.at, now) : changed || !previous ? now : previous.since,
    lastScanAt: now,
    failingScans: result.healthy ? 0 : (previous?.failingScans ?? 0) + 1,
    healthyScans: result.healthy ? (previous?.healthyScans ?? 0) + 1 : 0,
    checks: result.checks,
    heals,
    breaker,
    recent,
    ...(flapping ? { flapping } : {}),
    ...(detached ? { process: detached } : {}),
    ...(previous?.lastAlert ? { lastAlert: previous.lastAlert } : {}),
  };
}

/**
 * `heal reset`: the breaker closed; heal history, cooldown, counters and flapping mark forgotten.
 * What the last scan saw stays (status and since, its checks, the process heal started, the last
 * alert): a running service is still up, not unknown.
 */
export function resetRecord(previous: ServiceState): ServiceState {
  const { flapping: _flapping, ...kept } = previous;
  return { ...kept, failingScans: 0, healthyScans: 0, heals: [], breaker: CLOSED, recent: '' };
}

/** Set when the service went down in k of the last n scans; lifted once it stayed up on its own for n scans. */
function nextFlapping(current: ServiceState['flapping'], recent: string, threshold: ServiceConfig['flapThreshold'], now: number): ServiceState['flapping'] {
  const window = recent.slice(-threshold.of);
  if (current) return window.length >= threshold.of && [...window].every((m) => m === SCAN_MARK.up) ? undefined : current;
  const outages = outagesIn(recent, threshold.of);
  if (outages < threshold.count) return undefined;
  const reason = threshold.count === threshold.of ? `went down in ${outages} scans in a row` : `went down ${outages} times in the last ${threshold.of} scans`;
  return { since: now, reason };
}

/** The error of a heal recorded before its restart ran, by a scan that never recorded its outcome. */
export const INTERRUPTED_HEAL = 'interrupted: heal stopped before it recorded how this restart went';

/**
 * The service's state with a heal written down before its restart runs (the intent), so a scan
 * killed between the restart and the save still counts it for the cooldown and the hourly cap.
 * Saved as a failed heal; the scan's own save replaces it with the outcome. The breaker and the
 * recent scans are left as they are: nobody saw the restart fail.
 */
export function withHealIntent(previous: ServiceState | undefined, at: number): ServiceState {
  const intent: HealRecord = { at, result: 'failed', error: INTERRUPTED_HEAL };
  if (previous) return { ...previous, heals: [...previous.heals, intent] };
  return { status: 'down', since: at, lastScanAt: at, failingScans: 0, healthyScans: 0, checks: [], heals: [intent], breaker: CLOSED, recent: '' };
}

/**
 * The service's state with the process a detached restart just started, written down at once
 * (after the heal's intent), so a scan killed before its own save still knows that process: the
 * next restart stops it before it starts another, and the process check finds it.
 */
export function withStartedProcess(previous: ServiceState | undefined, started: ProcessIdentity, at: number): ServiceState {
  return { ...(previous ?? withHealIntent(undefined, at)), process: started };
}
