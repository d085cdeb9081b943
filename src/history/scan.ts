/** A full scan's line in the history (store.ts): written after the state, never at the scan's cost. */
import type { Logger } from '../log/logger.js';
import type { ScanReport } from '../scan/report.js';
import { recordOfScan } from './record.js';
import { appendRecord, historyDir } from './store.js';

export type RecordScanOptions = { keepMs: number; now: number; logger: Logger };

/**
 * Appends the scan to the history. A disk that refuses it (full, read-only, forbidden) or any
 * other fault is a warning — logged, and returned as the report's line — never a failed scan;
 * a housekeeping problem (compressing or deleting an old day) is logged only.
 */
export async function recordScan(
  stateDir: string,
  started: number,
  report: Pick<ScanReport, 'durationMs' | 'services'>,
  outcomes: readonly { service: { name: string }; heal?: { result: 'healed' | 'failed' } }[],
  { keepMs, now, logger }: RecordScanOptions,
): Promise<string | undefined> {
  const restarts = new Map(outcomes.flatMap((o) => (o.heal ? [[o.service.name, o.heal.result] as const] : [])));
  try {
    const done = await appendRecord(stateDir, recordOfScan(started, report, restarts), { keepMs, now });
    if (done) {
      for (const problem of done.problems) logger.warn({ history: historyDir(stateDir) }, `history housekeeping: ${problem}`);
      if (done.compressed.length || done.removed.length) logger.info({ compressed: done.compressed, removed: done.removed }, 'history: compressed the days before today and removed those past history.keep');
    }
    return undefined;
  } catch (error) {
    const warning = `history not recorded: cannot append to ${historyDir(stateDir)}: ${error instanceof Error ? error.message : String(error)}; the scan went on (uptime has a gap for it)`;
    logger.warn({ history: historyDir(stateDir) }, warning);
    return warning;
  }
}
