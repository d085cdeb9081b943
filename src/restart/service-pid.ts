/**
 * The service's pid as its restart knows it, for the `process` check (checks/process.ts), in this
 * order:
 *
 * - a command restart's `pidfile`, read at each look (relative to the manifest's folder);
 * - a command restart with `detach: true`: the process heal's last start made, recorded in the
 *   service's state with its start time, so a pid reused by another process is never taken for it;
 * - a `launchd` restart: the pid `launchctl print` shows for the job;
 * - a `systemd` restart: the unit's `MainPID` (0: it has none).
 *
 * A restart that gives none of these — a command restart without `pidfile` or `detach`, or no
 * restart — leaves heal no pid to look at: {@link pidSourceProblems} makes it a manifest error.
 */
import { resolve } from 'node:path';
import type { CheckRequest } from '../checks/run.js';
import type { CheckSpec } from '../checks/schema.js';
import { goneError } from '../checks/process.js';
import { judgeUnit } from '../checks/systemd.js';
import type { PidFound, PidLookup } from '../checks/types.js';
import type { Deps } from '../deps.js';
import type { PathSegment } from '../manifest/interpolate.js';
import type { Manifest } from '../manifest/schema.js';
import { livenessHere, type ProcessIdentity } from '../process/identity.js';
import { printedFields, printedPid, printJob } from '../supervisors/launchctl.js';
import { parseShow, runSystemctl } from '../supervisors/systemctl.js';
import type { RestartSpec } from './schema.js';
import { readPidFile } from './stop-process.js';

/** Where a service's pid is read from. */
type PidSource =
  | { kind: 'pidfile'; path: string }
  | { kind: 'detached' }
  | { kind: 'launchd'; label: string; domain: string | undefined }
  | { kind: 'systemd'; unit: string; user: boolean };

/** Where the restart lets heal read the service's pid; undefined when it gives none. */
function pidSourceOf(restart: RestartSpec | undefined): PidSource | undefined {
  switch (restart?.type) {
    case 'command':
      if (restart.pidfile !== undefined) return { kind: 'pidfile', path: restart.pidfile };
      return restart.detach ? { kind: 'detached' } : undefined;
    case 'launchd':
      return { kind: 'launchd', label: restart.label, domain: restart.domain };
    case 'systemd':
      return { kind: 'systemd', unit: restart.unit, user: restart.user };
    default:
      return undefined;
  }
}

/** Whether a check reads its service's pid. */
const needsPid = (check: CheckSpec): boolean => check.type === 'process';

/** What a request to run `check` of `service` carries of the service's pid: the lookup, when the check reads it. */
export function pidRequest(service: string, check: CheckSpec, lookup: PidLookup | undefined): Pick<CheckRequest, 'pid'> {
  return lookup && needsPid(check) ? { pid: { service, lookup } } : {};
}

/**
 * Every check that needs its service's pid in a service whose restart gives none, with the fix:
 * `services.api.checks[2]: a process check needs the service's pid: …`. Disabled services too
 * (they are validated like the others).
 */
export function pidSourceProblems(manifest: Manifest): { path: PathSegment[]; message: string }[] {
  return Object.entries(manifest.services).flatMap(([name, service]) => {
    if (pidSourceOf(service.restart)) return [];
    const message = service.restart
      ? `a process check needs the service's pid: give the command restart a pidfile, or detach: true, or use a launchd or systemd restart`
      : `a process check needs the service's pid, and the service has no restart: add a command restart with a pidfile or detach: true, or a launchd or systemd restart`;
    return service.checks.flatMap((check, index) => (needsPid(check) ? [{ path: ['services', name, 'checks', index], message }] : []));
  });
}

/** What finding the pid may use: the effects, the manifest's folder, and the detached process the state recorded. */
export type PidContext = { deps: Deps; baseDir: string; recorded?: ProcessIdentity };

/** The lookup of a service's pid the scan gives its process checks; undefined when the restart gives none. */
export function servicePid(restart: RestartSpec | undefined, ctx: PidContext): PidLookup | undefined {
  const source = pidSourceOf(restart);
  return source && ((attempt) => findPid(source, ctx, attempt));
}

async function findPid(source: PidSource, ctx: PidContext, attempt: { signal: AbortSignal; timeoutMs: number }): Promise<PidFound> {
  const call = { ...attempt, user: 'check' as const };
  switch (source.kind) {
    case 'pidfile': {
      const from = `pidfile ${source.path}`;
      const pid = await readPidFile(resolve(ctx.baseDir, source.path));
      return pid === undefined ? { ok: false, error: `no pid: ${from} is missing or holds no pid` } : { ok: true, pid, from };
    }
    case 'detached': {
      const from = "heal's detached start";
      const recorded = ctx.recorded;
      if (!recorded) return { ok: false, error: 'no pid: heal has started no process for this service yet (detach: true); the restart starts one' };
      const now = await livenessHere(recorded);
      if (now === 'alive') return { ok: true, pid: recorded.pid, from };
      return { ok: false, error: goneError(recorded.pid, from) + (now === 'replaced' ? ' (its pid now belongs to another process)' : '') };
    }
    case 'launchd': {
      const { target, printed } = await printJob(ctx.deps, source.label, source.domain, call);
      if (!printed.ok) return { ok: false, error: printed.error };
      const from = `launchctl print ${target}`;
      const pid = printedPid(printed.stdout);
      if (pid !== undefined) return { ok: true, pid, from };
      return { ok: false, error: `no pid: ${from} shows none (state = ${printedFields(printed.stdout).state ?? 'unknown'})` };
    }
    case 'systemd': {
      const shown = await runSystemctl(ctx.deps, source.user, ['show', '-p', 'MainPID', '-p', 'LoadState', '-p', 'ActiveState', '-p', 'Result', source.unit], call);
      if (!shown.ok) return { ok: false, error: shown.error };
      const from = `systemd MainPID of ${source.unit}`;
      const main = parseShow(shown.stdout).MainPID;
      const pid = Number(main);
      if (Number.isInteger(pid) && pid > 0) return { ok: true, pid, from };
      const unit = judgeUnit(source.unit, shown.stdout);
      return { ok: false, error: `no pid: ${from} is ${main || 'not shown'} (${unit.ok ? unit.detail : unit.error})` };
    }
  }
}
