/** What every schedule runs, whatever the scheduler: the same argv, PATH and interval. */
import { assertPrintable } from './paths.js';

export type ScanJob = {
  /** Absolute path of the node binary (schedulers do not search PATH for it reliably). */
  node: string;
  /** Absolute path of the built CLI, dist/cli.js. */
  cli: string;
  /** Absolute path of the manifest, passed as `--config`. */
  config: string;
  /** The PATH the scan runs with. */
  path: string;
  /** Seconds between two scans. */
  intervalSeconds: number;
};

/** The command a schedule runs: `<node> <cli> scan --config <manifest>`. */
export function scanArgv(job: ScanJob): string[] {
  return [job.node, job.cli, 'scan', '--config', job.config];
}

/** Throws a usage error when a path of the job cannot be written into a schedule. */
export function assertJobPrintable(job: ScanJob): void {
  assertPrintable('the node path', job.node);
  assertPrintable('the CLI path', job.cli);
  assertPrintable('the manifest path', job.config);
  assertPrintable('PATH', job.path);
}
