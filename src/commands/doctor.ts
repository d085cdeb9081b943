/**
 * `heal doctor [--config F] [--state-dir D] [--send]`: checks the set-up and prints a line per
 * check, `✓ …` or `✗ … — <fix>`; exit 0 when all is well, 1 otherwise. The facts are gathered in
 * src/doctor/gather.ts, each judged by a pure function of src/doctor/; only `--send` sends
 * anything (a test notice per channel, through `heal alert test`'s code).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { alertConfig } from '../alerts/levels.js';
import { createDeps } from '../deps.js';
import { judgeChannels, type SendResult } from '../doctor/channels.js';
import { doctorExitCode, findingLine, type Finding } from '../doctor/finding.js';
import { gatherLastScan, gatherManifest, gatherRestarts, gatherSchedules, gatherStateDir } from '../doctor/gather.js';
import { judgeLastScan } from '../doctor/last-scan.js';
import { judgeManifest } from '../doctor/manifest.js';
import { judgeNode } from '../doctor/node-version.js';
import { judgeRestart } from '../doctor/restarts.js';
import { judgeSchedules, type InstalledSchedule } from '../doctor/schedule.js';
import { judgeStateDir } from '../doctor/state-dir.js';
import { cronLogFile } from '../install/cron.js';
import { DEFAULT_LAUNCHD_LABEL, launchdLogPaths } from '../install/launchd.js';
import { cliPath, homeDir, packageRoot } from '../install/paths.js';
import { createLogger, silentLogger } from '../log/logger.js';
import { manifestPath, type LoadedManifest } from '../manifest/load.js';
import { stateDirFor } from '../state/location.js';
import { sendTestNotices } from './alert-test.js';
import { print } from './context.js';

export type DoctorOptions = { config?: string; stateDir?: string; send?: boolean };

/** Runs every check and prints its findings; 0 all passed, 1 some did not. */
export async function doctorCommand(options: DoctorOptions): Promise<number> {
  const env = process.env;
  const deps = createDeps(silentLogger());
  const path = manifestPath(options.config, env);
  const home = homeDir(env);
  const findings: Finding[] = [judgeNode(process.version, enginesNode(), process.execPath)];

  const facts = await gatherManifest(path, env);
  const { loaded } = facts;
  findings.push(...judgeManifest(path, facts.problems, loaded !== undefined));
  if (loaded) findings.push(...(await gatherRestarts({ ...facts, loaded }, deps)).map((fact) => judgeRestart(fact, path)));

  const schedules = await gatherSchedules(home, env, deps);
  findings.push(...judgeSchedules(schedules, { cli: cliPath(), config: path }, process.platform));

  if (loaded) {
    const stateDir = stateDirFor(options.stateDir, env, loaded);
    findings.push(...judgeStateDir(await gatherStateDir(stateDir), process.getuid?.() ?? 0, userInfo().username));
    findings.push(judgeLastScan(await gatherLastScan(stateDir), loaded.manifest.interval, deps.now(), logHint(schedules, loaded, home)));
    const channels = alertConfig(loaded.manifest).channels;
    const sends = options.send ? await send(loaded, Object.keys(channels).filter((name) => !facts.unset.some((u) => u.at.startsWith(`alerts.channels.${name}.`)))) : undefined;
    findings.push(...judgeChannels(channels, facts.unset, sends));
  }

  await print(`${findings.map(findingLine).join('\n')}\n`);
  return doctorExitCode(findings);
}

/** package.json's `engines.node`. */
function enginesNode(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { engines?: { node?: unknown } };
  return typeof pkg.engines?.node === 'string' ? pkg.engines.node : '';
}

/** Where the scheduled scan's output goes, for the schedules found. */
function logHint(schedules: readonly InstalledSchedule[], loaded: LoadedManifest, home: string): string {
  const places = schedules.map((s) =>
    s.kind === 'cron'
      ? cronLogFile(stateDirFor(undefined, {}, loaded))
      : s.kind === 'systemd'
        ? 'journalctl --user -u heal-scan'
        : `${launchdLogPaths(home, DEFAULT_LAUNCHD_LABEL).dir}/`,
  );
  if (loaded.manifest.log_file) places.push(resolve(loaded.baseDir, loaded.manifest.log_file));
  return places.length ? [...new Set(places)].join(' and ') : "the schedule's log";
}

/** A test notice through each channel whose settings are all set (heal alert test's sends). */
async function send(loaded: LoadedManifest, names: string[]): Promise<Record<string, SendResult>> {
  const logFile = loaded.manifest.log_file ? resolve(loaded.baseDir, loaded.manifest.log_file) : undefined;
  const logger = createLogger({ file: logFile, secrets: loaded.secrets, level: 'info', rotate: { maxBytes: loaded.manifest.log_rotate.max_bytes, keep: loaded.manifest.log_rotate.keep } });
  const results = await sendTestNotices(loaded, logger, names, 'info');
  return Object.fromEntries(results.map(({ channel, outcome }) => [channel, outcome.ok ? { ok: true } : { ok: false, error: outcome.error }]));
}
