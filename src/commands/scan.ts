import { createDeps } from '../deps.js';
import { formatScanReport } from '../scan/human.js';
import { scan, scanExitCode } from '../scan/index.js';
import { terminalStyle } from '../terminal/style.js';
import { openContext, print } from './context.js';

export type ScanCommandOptions = { config?: string; stateDir?: string; dryRun?: boolean; json?: boolean; only?: string[] };

/** `heal scan`: one pass; exit 0 all healthy at the end, 1 some service still down. */
export async function scanCommand(options: ScanCommandOptions): Promise<number> {
  const { loaded, logger, stateDir } = await openContext(options);
  const report = await scan({ loaded, stateDir, deps: createDeps(logger), dryRun: options.dryRun, only: options.only });
  const code = scanExitCode(report);
  logger.info({ durationMs: report.durationMs, exitCode: code, services: report.services.length }, 'scan finished');
  await print(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatScanReport(report, terminalStyle(process.stdout)));
  return code;
}
