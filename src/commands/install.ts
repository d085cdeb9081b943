/**
 * `heal install launchd|cron|systemd`: write (or print) the schedule that runs `heal scan`.
 * The texts come from the pure renderers in src/install/; this file does the effects (reading
 * the manifest and the template, writing files, running crontab) and says what to run next.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HealError } from '../common/errors.js';
import { currentUid } from '../supervisors/launchctl.js';
import { writeFileAtomic } from '../common/fs-atomic.js';
import { loadManifest, manifestPath, type LoadedManifest } from '../manifest/load.js';
import { launchdLabel } from '../manifest/fields.js';
import { stateDirFor } from '../state/location.js';
import { cronLogFile, mergeCrontab, renderCronLine } from '../install/cron.js';
import { readCrontab, writeCrontab } from '../install/crontab.js';
import { describeInterval, scheduleInterval, type ScheduleInterval } from '../install/interval.js';
import { DEFAULT_LAUNCHD_LABEL, launchctlLoadLines, launchdLogPaths, plistPath, renderPlist } from '../install/launchd.js';
import { loadDomain } from '../install/launchd-domain.js';
import { cliPath, homeDir, plistTemplateUrl, schedulePath, stableNodePath } from '../install/paths.js';
import { shellQuote } from '../common/shell.js';
import { renderService, renderTimer, SYSTEMD_ENABLE, SYSTEMD_SERVICE, SYSTEMD_TIMER, systemdUserDir } from '../install/systemd.js';
import { assertJobPrintable, type ScanJob } from '../install/target.js';
import { print } from './context.js';

export type InstallCommandOptions = {
  /** Seconds (300) or a duration (5m); default the manifest's `interval`. */
  interval?: string;
  /** Print what would be written and write nothing (the default for cron). */
  print?: boolean;
  /** cron only: install the line into the user's crontab. */
  write?: boolean;
  /** launchd only. @default "com.heal.scan" */
  label?: string;
  config?: string;
};

const TARGETS = ['launchd', 'cron', 'systemd'] as const;
type Target = (typeof TARGETS)[number];

/** Plists and unit files: launchd refuses a plist that is group- or world-writable. */
const UNIT_FILE_MODE = 0o644;

export async function installCommand(target: string, options: InstallCommandOptions): Promise<number> {
  const which = checkOptions(target, options);
  const env = process.env;
  const loaded = await loadManifest(manifestPath(options.config, env), env);
  const interval = scheduleInterval(options.interval, loaded.manifest.interval, loaded.path);
  const cli = cliPath();
  if (!existsSync(cli)) throw new HealError('internal', `${cli} is missing: build heal first (npm run build)`);
  const node = stableNodePath(process.execPath, env['PATH']);
  const job: ScanJob = { node, cli, config: loaded.path, path: schedulePath(node), intervalSeconds: interval.seconds };
  assertJobPrintable(job);
  const home = homeDir(env);

  if (which === 'launchd') await installLaunchd(job, home, options);
  else if (which === 'cron') await installCron(job, interval, loaded, options);
  else await installSystemd(job, home, options);

  for (const note of environmentNotes(loaded, env)) process.stderr.write(`heal: note: ${note}\n`);
  return 0;
}

function checkOptions(target: string, options: InstallCommandOptions): Target {
  const which = TARGETS.find((t) => t === target);
  if (!which) throw new HealError('usage', `install: unknown target ${JSON.stringify(target)}; use launchd, cron or systemd`);
  if (options.print && options.write) throw new HealError('usage', 'install: --print and --write exclude each other');
  if (options.write && which !== 'cron') {
    throw new HealError('usage', `install ${which}: --write is for cron; ${which} files are written unless --print is given`);
  }
  if (options.label !== undefined) {
    if (which !== 'launchd') throw new HealError('usage', `install ${which}: --label is for launchd`);
    const label = launchdLabel.safeParse(options.label);
    if (!label.success) throw new HealError('usage', `install launchd: --label ${options.label}: ${label.error.issues[0]?.message ?? 'invalid'}`);
  }
  return which;
}

/** Writes ~/Library/LaunchAgents/<label>.plist (0644) and its log folder, or prints the plist. */
async function installLaunchd(job: ScanJob, home: string, options: InstallCommandOptions): Promise<void> {
  const label = options.label ?? DEFAULT_LAUNCHD_LABEL;
  const logs = launchdLogPaths(home, label);
  const template = await readFile(plistTemplateUrl(), 'utf8');
  // A Mac's job PATH also holds Homebrew's folders (Apple silicon's and Intel's).
  const text = renderPlist(template, { ...job, path: schedulePath(job.node, { homebrew: true }), label, stdout: logs.stdout, stderr: logs.stderr });
  if (options.print) return print(text);

  const path = plistPath(home, label);
  const replacing = existsSync(path);
  await mkdir(dirname(path), { recursive: true });
  // launchd opens StandardOutPath itself and does not create its folder.
  await mkdir(logs.dir, { recursive: true });
  await writeFileAtomic(path, text, UNIT_FILE_MODE);
  // gui/<uid> with someone logged in at the screen, user/<uid> on a Mac reached only over SSH.
  const where = await loadDomain(currentUid());
  const load = launchctlLoadLines(where.domain, label, path, replacing);
  await print(
    [
      `wrote ${path}: heal scan every ${describeInterval(job.intervalSeconds)}, output in ${logs.dir}/`,
      replacing ? 'it replaced an earlier plist: unload that, then load this one:' : 'load it with:',
      ...load.map((line) => `  ${line}`),
      ...(where.note ? [`(${where.note})`] : []),
      '',
    ].join('\n'),
  );
}

/** Prints the crontab line, or (--write) puts it in the user's crontab in place of an earlier one. */
async function installCron(job: ScanJob, interval: ScheduleInterval, loaded: LoadedManifest, options: InstallCommandOptions): Promise<void> {
  // The state directory a cron-run scan uses: cron passes no HEAL_STATE_DIR.
  const stateDir = stateDirFor(undefined, {}, loaded);
  const logFile = cronLogFile(stateDir);
  const line = renderCronLine({ ...job, interval, logFile });
  if (!options.write) {
    await print(`${line}\n`);
    process.stderr.write('heal: add it with heal install cron --write (or crontab -e)\n');
    if (!existsSync(stateDir)) {
      process.stderr.write(`heal: its log folder does not exist yet, and cron will not run a line whose output cannot be opened: mkdir -p -m 700 ${shellQuote(stateDir)}\n`);
    }
    return;
  }
  const existing = await readCrontab(process.env);
  const { table, replaced } = mergeCrontab(existing, line);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeCrontab(table, process.env);
  await print(
    `${replaced ? 'replaced the heal line in' : 'added a heal line to'} your crontab: heal scan every ${describeInterval(interval.seconds)}, output appended to ${logFile}\n${line}\n`,
  );
}

/** Writes heal-scan.service and heal-scan.timer (0644) into the user unit folder, or prints them. */
async function installSystemd(job: ScanJob, home: string, options: InstallCommandOptions): Promise<void> {
  const dir = systemdUserDir(home, process.env);
  const files = [
    { path: join(dir, SYSTEMD_SERVICE), text: renderService(job) },
    { path: join(dir, SYSTEMD_TIMER), text: renderTimer(job) },
  ];
  if (options.print) return print(files.map((file) => `# ${file.path}\n${file.text}`).join('\n'));

  await mkdir(dir, { recursive: true });
  for (const file of files) await writeFileAtomic(file.path, file.text, UNIT_FILE_MODE);
  await print(
    [
      ...files.map((file) => `wrote ${file.path}`),
      `heal scan every ${describeInterval(job.intervalSeconds)}, output in the journal (journalctl --user -u heal-scan); enable it with:`,
      `  ${SYSTEMD_ENABLE}`,
      'user timers run only while you are logged in, unless lingering is on: loginctl enable-linger',
      '',
    ].join('\n'),
  );
}

/** What the scheduled scan will not inherit from the shell that ran `heal install`. */
function environmentNotes(loaded: LoadedManifest, env: Readonly<Record<string, string | undefined>>): string[] {
  const notes: string[] = [];
  if (loaded.secrets.length > 0) {
    notes.push(
      `${loaded.path} takes values from the environment (\${VAR}); the scheduled scan does not inherit this shell's, so those variables must be set for the job as well`,
    );
  }
  if (env['HEAL_STATE_DIR']) {
    notes.push(
      `HEAL_STATE_DIR is set here but the scheduled scan will not see it: it uses ${stateDirFor(undefined, {}, loaded)} (set state_dir in the manifest to change that)`,
    );
  }
  return notes;
}
