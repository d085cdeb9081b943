/**
 * Is the schedule running? Pure: the state's last scan time against the manifest's `interval`,
 * with `heal status`'s rule (older than three intervals: the schedule has stopped).
 */
import { formatDuration } from '../common/duration.js';
import { elapsedSince } from '../common/time.js';
import { STALE_INTERVALS } from '../status/view.js';
import { fail, pass, type Finding } from './finding.js';

/** What the state says of the last scan: no state file yet, or when the last scan started. */
export type LastScanFact = { stateFile: string; lastScanAt: number | undefined };

/** The finding for the last scan at `now`; `logHint` says where the schedule's output goes. */
export function judgeLastScan(fact: LastScanFact, intervalMs: number, now: number, logHint: string): Finding {
  const every = formatDuration(intervalMs);
  if (fact.lastScanAt === undefined) {
    return fail(`no scan has run yet: there is no state in ${fact.stateFile}`, `run heal scan once, or wait for the schedule (every ${every}) and read ${logHint} if none comes`);
  }
  const ago = elapsedSince(fact.lastScanAt, now);
  if (ago > STALE_INTERVALS * intervalMs) {
    return fail(`the last scan ran ${formatDuration(ago)} ago, but the schedule runs every ${every}: it has stopped`, `read ${logHint} for why the scheduled scan does not run or fails, and fix that`);
  }
  return pass(`the last scan ran ${formatDuration(ago)} ago (every ${every})`);
}
