/**
 * The edge of `heal doctor`: every fact its judgements need, gathered here and nowhere else —
 * the manifest and its problems, systemctl's and launchctl's answers about restart targets, the
 * schedules where `heal install` writes them, a stat of the state directory and the state's last
 * scan. Every child process runs within a timeout; nothing is written.
 */
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../common/errors.js';
import type { Deps } from '../deps.js';
import { CRON_MARKER } from '../install/cron.js';
import { readCrontab } from '../install/crontab.js';
import { DEFAULT_LAUNCHD_LABEL, plistPath } from '../install/launchd.js';
import { shellQuote } from '../common/shell.js';
import { SYSTEMD_ENABLE, SYSTEMD_SERVICE, SYSTEMD_TIMER, systemdUserDir } from '../install/systemd.js';
import { loadManifest, type LoadedManifest } from '../manifest/load.js';
import type { PathSegment } from '../manifest/interpolate.js';
import { lineFinder } from '../manifest/locate.js';
import { programProblemLines } from '../manifest/programs.js';
import { stateFile } from '../state/store.js';
import { LAUNCHCTL_EXIT, printJob } from '../supervisors/launchctl.js';
import { parseShow, runSystemctl } from '../supervisors/systemctl.js';
import type { LastScanFact } from './last-scan.js';
import { unsetVariables, type UnsetVariable } from './manifest.js';
import { unitName, type RestartFact } from './restarts.js';
import type { InstalledSchedule } from './schedule.js';
import type { StateDirFact } from './state-dir.js';

type Env = Readonly<Record<string, string | undefined>>;

/** How long one systemctl or launchctl question may take. */
export const SUPERVISOR_TIMEOUT_MS = 10_000;

/**
 * Stands in for a variable the environment does not set, so the rest of the manifest can be
 * checked: a value every string, URL and host field takes.
 */
const UNSET_STAND_IN = 'http://127.0.0.1/heal-doctor-unset';

/** The manifest as far as it loads: its problem lines, the unset variables, and the manifest when it loaded. */
export type ManifestFacts = { problems: string[]; unset: UnsetVariable[]; loaded?: LoadedManifest; text?: string };

/**
 * Loads the manifest (uncached) and its program problems, as `heal validate` does. When the
 * environment leaves variables unset, it is loaded again with a stand-in for each, so that doctor
 * can still judge the rest (and what only the missing values caused is not reported twice).
 */
export async function gatherManifest(path: string, env: Env): Promise<ManifestFacts> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  let problems: string[] = [];
  let unset: UnsetVariable[] = [];
  let loaded: LoadedManifest | undefined;
  try {
    loaded = await loadManifest(path, env, { cache: false });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems = [...error.problems];
    unset = unsetVariables(problems);
    if (unset.length > 0) {
      // What the unset values alone caused (`Invalid URL` for `url: ${HOOK_URL}`) goes with them.
      const standIns = Object.fromEntries(unset.map((u) => [u.name, UNSET_STAND_IN]));
      problems = unset.map((u) => u.line);
      try {
        loaded = await loadManifest(path, { ...env, ...standIns }, { cache: false });
      } catch (again) {
        if (!(again instanceof ConfigError)) throw again;
        problems.push(...again.problems);
      }
    }
  }
  if (loaded) problems.push(...(await programProblemLines(loaded, env)));
  return { problems, unset, ...(loaded ? { loaded } : {}), ...(text === undefined ? {} : { text }) };
}

/** The source line of `path` in the manifest's text; undefined without one. */
function lineLocator(text: string | undefined): (path: readonly PathSegment[]) => number | undefined {
  if (text === undefined) return () => undefined;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, logLevel: 'silent' });
  return lineFinder(doc, lines);
}

/** What systemd, launchd or the file system says about each enabled service's restart target. */
export async function gatherRestarts(facts: ManifestFacts & { loaded: LoadedManifest }, deps: Pick<Deps, 'exec' | 'env' | 'now'>): Promise<RestartFact[]> {
  const { loaded } = facts;
  const lineOf = lineLocator(facts.text);
  const asked = Object.entries(loaded.manifest.services).map(async ([service, spec]): Promise<RestartFact[]> => {
    const restart = spec.restart;
    if (!spec.enabled || restart === undefined) return [];
    if (restart.type === 'command') {
      const problems = facts.problems.filter((line) => line.startsWith(`services.${service}.restart.`));
      return [{ service, type: 'command', program: restart.run[0] as string, problems }];
    }
    if (restart.type === 'systemd') {
      const line = lineOf(['services', service, 'restart', 'unit']);
      const shown = await runSystemctl(deps, restart.user, ['show', '-p', 'LoadState', unitName(restart.unit)], { timeoutMs: SUPERVISOR_TIMEOUT_MS, user: 'check' });
      const base = { service, type: 'systemd' as const, unit: restart.unit, user: restart.user, ...(line === undefined ? {} : { line }) };
      return [shown.ok ? { ...base, loadState: parseShow(shown.stdout)['LoadState'] ?? '' } : { ...base, error: shown.error }];
    }
    const line = lineOf(['services', service, 'restart', 'label']);
    const { target, printed } = await printJob(deps, restart.label, restart.domain, { timeoutMs: SUPERVISOR_TIMEOUT_MS, user: 'check' });
    const plist = restart.plist === undefined ? undefined : resolve(loaded.baseDir, restart.plist);
    return [
      {
        service,
        type: 'launchd',
        label: restart.label,
        target,
        known: printed.ok,
        ...(line === undefined ? {} : { line }),
        ...(printed.ok ? {} : { error: printed.error, ...(printed.exitCode === undefined ? {} : { exitCode: printed.exitCode }), ...(printed.notFound ? { notFound: true } : {}) }),
        ...(plist === undefined ? {} : { plist: { path: plist, exists: await exists(plist) } }),
      },
    ];
  });
  return (await Promise.all(asked)).flat();
}

/**
 * The schedules `heal install` writes, where it writes them: the crontab line holding heal's
 * marker (no crontab program, or none for this user: none), `heal-scan.service` in the user unit
 * folder, and the LaunchAgent plist of the default label.
 */
export async function gatherSchedules(home: string, env: Env, deps: Pick<Deps, 'exec' | 'env' | 'now'>): Promise<InstalledSchedule[]> {
  const found: InstalledSchedule[] = [];
  const table = await readCrontab(env as NodeJS.ProcessEnv).catch(() => '');
  for (const line of table.split('\n')) if (line.includes(CRON_MARKER)) found.push({ kind: 'cron', where: 'your crontab', text: line });
  for (const [kind, path] of [
    ['systemd', resolve(systemdUserDir(home, env), SYSTEMD_SERVICE)],
    ['launchd', plistPath(home, DEFAULT_LAUNCHD_LABEL)],
  ] as const) {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text !== undefined) found.push({ kind, where: path, text, active: kind === 'systemd' ? await timerEnabled(deps) : await agentLoaded(deps, path) });
  }
  return found;
}

/** Whether the user manager has heal-scan.timer enabled (`systemctl --user is-enabled`). */
async function timerEnabled(deps: Pick<Deps, 'exec' | 'env'>): Promise<NonNullable<InstalledSchedule['active']>> {
  const asked = await runSystemctl(deps, true, ['is-enabled', SYSTEMD_TIMER], { timeoutMs: SUPERVISOR_TIMEOUT_MS, user: 'install' });
  if (asked.ok) return { ok: true };
  return { ok: false, reason: `${SYSTEMD_TIMER} is not enabled (${asked.error})`, fix: SYSTEMD_ENABLE };
}

/** Whether launchd has heal's LaunchAgent loaded (`launchctl print`, gui then user domain). */
async function agentLoaded(deps: Pick<Deps, 'exec' | 'now'>, plist: string): Promise<NonNullable<InstalledSchedule['active']>> {
  const { target, printed } = await printJob(deps, DEFAULT_LAUNCHD_LABEL, undefined, { timeoutMs: SUPERVISOR_TIMEOUT_MS, user: 'install' });
  if (printed.ok) return { ok: true };
  const domain = target.slice(0, target.length - DEFAULT_LAUNCHD_LABEL.length - 1);
  const why = printed.exitCode === LAUNCHCTL_EXIT.noSuchService ? `launchd has not loaded it (${target})` : `launchd cannot say whether it has loaded it (${printed.error})`;
  return { ok: false, reason: why, fix: `launchctl bootstrap ${domain} ${shellQuote(plist)}` };
}

/** A stat of the state directory, as heal scan sees it (a link followed). */
export async function gatherStateDir(dir: string): Promise<StateDirFact> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) return { dir, exists: false };
  return { dir, exists: true, isDirectory: info.isDirectory(), uid: info.uid, mode: info.mode };
}

/** When the state says the last scan started; read as JSON, never moved aside or changed. */
export async function gatherLastScan(dir: string): Promise<LastScanFact> {
  const file = stateFile(dir);
  const text = await readFile(file, 'utf8').catch(() => undefined);
  let lastScanAt: number | undefined;
  try {
    const startedAt = (JSON.parse(text ?? 'null') as { lastScan?: { startedAt?: unknown } } | null)?.lastScan?.startedAt;
    if (typeof startedAt === 'number') lastScanAt = startedAt;
  } catch {
    // a state file that is not JSON: the next scan moves it aside; no last scan to judge
  }
  return { stateFile: file, lastScanAt };
}

async function exists(path: string): Promise<boolean> {
  return access(path, constants.F_OK).then(
    () => true,
    () => false,
  );
}
