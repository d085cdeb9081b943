/**
 * The `launchd` restarter: brings a macOS LaunchAgent back through launchctl (argv, never a
 * shell), every call within what is left of the restart's budget.
 *
 * - `kickstart` (default): `launchctl kickstart -k <domain>/<label>`, which kills a running
 *   instance with SIGKILL. With `stop_grace`, heal first asks the job to stop — `launchctl kill
 *   SIGTERM <target>` — and waits up to that long for its process to go, then `kickstart` (still
 *   `-k` if it would not stop). When the job is not loaded (exit 113) and `plist` is given:
 *   `enable` (a bootout leaves a job disabled), then `bootstrap <domain> <plist>`, retried once
 *   after a pause when it fails with 5, then `kickstart`.
 * - `reload`: the old sequence `unload <plist>`, 2 s, `load <plist>`, 3 s. These legacy
 *   subcommands print "Load failed: N" and exit 0, so their output is read.
 *
 * Exit 37 ("operation already in progress") means launchd is already starting the job: heal
 * does not fail it, it lets verify look. Without a configured domain a job lives in `gui/<uid>`;
 * when that domain does not exist (112 or 125: a Mac nobody is logged in to at the screen) the
 * same is tried in `user/<uid>`, which only a plist allowing the Background session type (see
 * LimitLoadToSessionType) may load into.
 */
import { resolve } from 'node:path';
import { formatDuration } from '../common/duration.js';
import type { LaunchdRestartSpec } from './schema.js';
import { domainMissing, LAUNCHCTL_EXIT, launchdDomains, legacyFailure, describeLaunchctlExit, printedPid, runLaunchctl, type LaunchctlResult } from '../supervisors/launchctl.js';
import type { RestartContext, RestartOutcome, Restarter } from './types.js';

/** Pause before bootstrap is tried again after exit 5. */
const BOOTSTRAP_RETRY_PAUSE_MS = 1_000;
/** The reload sequence's pauses: after unload, after load. */
const RELOAD_PAUSES_MS = [2_000, 3_000] as const;
/** Between two looks at a job asked to stop. */
const STOP_POLL_MS = 200;

/** launchctl calls and pauses that share one deadline. */
type Session = {
  launchctl(...args: string[]): Promise<LaunchctlResult>;
  pause(ms: number): Promise<void>;
  now(): number;
};

function session(ctx: RestartContext, budgetMs: number): Session {
  const deadline = ctx.deps.now() + budgetMs;
  const left = (): number => Math.max(0, deadline - ctx.deps.now());
  return {
    launchctl: (...args) => runLaunchctl(ctx.deps, args, { timeoutMs: left(), budgetMs, signal: ctx.signal, user: 'restarter' }),
    pause: (ms) => ctx.deps.sleep(Math.min(ms, left()), ctx.signal),
    now: () => ctx.deps.now(),
  };
}

type Attempt = { ok: true; detail: string; note?: string } | { ok: false; error: string; exitCode?: number };

/** Failures that end the restart at once: no launchctl, or no time. */
const fatal = (result: LaunchctlResult): boolean => !result.ok && (result.notFound === true || result.timedOut === true);

/** What heal says when launchd was already starting the job. */
const IN_PROGRESS = 'launchd was already starting it (exit 37)';

/** The job's pid as `launchctl print` shows it, or undefined when it has none. */
function pidOf(result: LaunchctlResult): number | undefined {
  return result.ok ? printedPid(result.stdout) : undefined;
}

/**
 * Asks a running job to stop: SIGTERM, then up to `graceMs` for its process to go. The
 * kickstart that follows, and the notes for the detail; or the failure that ends the attempt
 * (113: not loaded, handled by the caller like kickstart's).
 */
async function stopGracefully(target: string, graceMs: number, run: Session): Promise<{ kickstart: string[]; notes: string[] } | { failed: LaunchctlResult }> {
  const before = await run.launchctl('print', target);
  if (!before.ok) return { failed: before };
  const pid = pidOf(before);
  if (pid === undefined) return { kickstart: ['kickstart', target], notes: ['it was not running'] };
  const killed = await run.launchctl('kill', 'SIGTERM', target);
  if (!killed.ok) {
    // 3: it exited meanwhile, nothing to wait for.
    if (killed.exitCode === LAUNCHCTL_EXIT.noSuchProcess) return { kickstart: ['kickstart', target], notes: [] };
    if (fatal(killed)) return { failed: killed };
    return { kickstart: ['kickstart', '-k', target], notes: [`${killed.error}: kickstart -k`] };
  }
  const until = run.now() + graceMs;
  for (;;) {
    const now = await run.launchctl('print', target);
    if (fatal(now)) return { failed: now };
    // Gone, or already replaced by launchd itself (KeepAlive): it stopped.
    if (pidOf(now) !== pid) return { kickstart: ['kickstart', target], notes: [`launchctl kill SIGTERM ${target}: pid ${pid} exited`] };
    if (run.now() >= until) break;
    await run.pause(Math.min(STOP_POLL_MS, until - run.now()));
  }
  return { kickstart: ['kickstart', '-k', target], notes: [`pid ${pid} did not exit within ${formatDuration(graceMs)} of SIGTERM: kickstart -k (SIGKILL)`] };
}

/** bootstrap in one domain (enable first, retry once on 5), then kickstart: for a job that is not loaded. */
async function bootstrapIn(domain: string, target: string, plist: string, run: Session): Promise<Attempt> {
  const notes: string[] = [];
  const enabled = await run.launchctl('enable', target);
  if (!enabled.ok) {
    if (fatal(enabled) || domainMissing(enabled.exitCode)) return { ok: false, error: enabled.error, exitCode: enabled.exitCode };
    notes.push(enabled.error);
  }
  let booted = await run.launchctl('bootstrap', domain, plist);
  if (!booted.ok && booted.exitCode === LAUNCHCTL_EXIT.ioError) {
    await run.pause(BOOTSTRAP_RETRY_PAUSE_MS);
    booted = await run.launchctl('bootstrap', domain, plist);
    notes.push(`bootstrap retried after exit 5${booted.ok ? '' : ' (heal had run enable first)'}`);
  }
  let note: string | undefined;
  if (!booted.ok) {
    if (booted.exitCode !== LAUNCHCTL_EXIT.alreadyInProgress) return { ok: false, error: [booted.error, ...notes].join('; '), exitCode: booted.exitCode };
    note = IN_PROGRESS;
    notes.push(`bootstrap: ${IN_PROGRESS}`);
  }
  // A job without RunAtLoad is loaded but not running after bootstrap: start it (a no-op when it runs).
  const started = await run.launchctl('kickstart', target);
  if (!started.ok && started.exitCode !== LAUNCHCTL_EXIT.alreadyInProgress) notes.push(started.error);
  return {
    ok: true,
    detail: [`bootstrap ${domain} ${plist} (the job was not loaded), then kickstart ${target}`, ...notes].join('; '),
    ...(note ? { note } : {}),
  };
}

/** kickstart in one domain (after a graceful stop, when asked), bootstrapping the plist when the job is not loaded. */
async function kickstartIn(domain: string, spec: LaunchdRestartSpec, plist: string | undefined, run: Session): Promise<Attempt> {
  const target = `${domain}/${spec.label}`;
  let argv = ['kickstart', '-k', target];
  const notes: string[] = [];
  let kicked: LaunchctlResult;
  if (spec.stop_grace === undefined) {
    kicked = await run.launchctl(...argv);
  } else {
    const stopped = await stopGracefully(target, spec.stop_grace, run);
    if ('failed' in stopped) {
      kicked = stopped.failed;
    } else {
      argv = stopped.kickstart;
      notes.push(...stopped.notes);
      kicked = await run.launchctl(...argv);
    }
  }
  const done = [argv.join(' '), ...notes].join('; ');
  if (kicked.ok) return { ok: true, detail: done };
  if (kicked.exitCode === LAUNCHCTL_EXIT.alreadyInProgress) return { ok: true, detail: `${done}: ${IN_PROGRESS}`, note: IN_PROGRESS };
  if (kicked.exitCode !== LAUNCHCTL_EXIT.noSuchService || plist === undefined) {
    const hint = kicked.exitCode === LAUNCHCTL_EXIT.noSuchService ? ' (the job is not loaded: give `plist` so heal can bootstrap it)' : '';
    return { ok: false, error: kicked.error + hint, exitCode: kicked.exitCode };
  }
  return bootstrapIn(domain, target, plist, run);
}

async function kickstart(spec: LaunchdRestartSpec, plist: string | undefined, run: Session): Promise<RestartOutcome> {
  const [first, fallback] = launchdDomains(spec.domain) as [string, string | undefined];
  const attempt = await kickstartIn(first, spec, plist, run);
  if (attempt.ok) return attempt;
  if (!domainMissing(attempt.exitCode) || fallback === undefined) return { ok: false, error: attempt.error };
  const again = await kickstartIn(fallback, spec, plist, run);
  const why = `${first}: ${describeLaunchctlExit(attempt.exitCode as number)}; used ${fallback}`;
  return again.ok ? { ...again, detail: `${again.detail} (${why})` } : { ok: false, error: `${again.error} (after ${attempt.error})` };
}

/** A legacy call's outcome: a printed "Load failed: N" is a failure, whatever the exit code. */
function legacy(result: LaunchctlResult, call: string): LaunchctlResult {
  if (!result.ok) return result;
  const failure = legacyFailure(result);
  if (!failure) return result;
  return { ok: false, exitCode: failure.code, error: `launchctl ${call} failed: ${describeLaunchctlExit(failure.code)}: ${failure.said} (it exited 0)` };
}

async function reload(plist: string | undefined, run: Session): Promise<RestartOutcome> {
  if (plist === undefined) return { ok: false, error: 'launchd method "reload" needs `plist`: the path of the job\'s .plist file' };
  const notes: string[] = [];
  const unloaded = legacy(await run.launchctl('unload', plist), `unload ${plist}`);
  if (!unloaded.ok) {
    if (fatal(unloaded)) return { ok: false, error: unloaded.error };
    notes.push(unloaded.error);
  }
  await run.pause(RELOAD_PAUSES_MS[0]);
  const loaded = legacy(await run.launchctl('load', plist), `load ${plist}`);
  if (!loaded.ok) return { ok: false, error: [loaded.error, ...notes].join('; ') };
  await run.pause(RELOAD_PAUSES_MS[1]);
  return { ok: true, detail: [`unload + load ${plist}`, ...notes].join('; ') };
}

/** The `launchd` restart type. */
export const launchdRestarter: Restarter<LaunchdRestartSpec> = {
  type: 'launchd',

  describe(spec) {
    return `launchd: ${spec.label}${spec.method === 'reload' ? ' (reload)' : ''}`;
  },

  async restart(spec, ctx) {
    const run = session(ctx, Math.min(spec.timeout, ctx.timeoutMs));
    const plist = spec.plist === undefined ? undefined : resolve(ctx.baseDir, spec.plist);
    return spec.method === 'reload' ? reload(plist, run) : kickstart(spec, plist, run);
  },
};
