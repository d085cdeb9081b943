/**
 * The `launchd` restarter: brings a macOS LaunchAgent back through launchctl (argv, never a
 * shell), every call within what is left of the restart's budget.
 *
 * - `kickstart` (default): `launchctl kickstart -k <domain>/<label>`. When the job is not loaded
 *   (exit 113) and `plist` is given: `enable`, then `bootstrap <domain> <plist>`, retried once
 *   after a pause when it fails with 5 (a bootout still unloading).
 * - `reload`: the old sequence `unload <plist>`, 2 s, `load <plist>`, 3 s.
 *
 * Without a configured domain a job lives in `gui/<uid>`; when that domain is not available
 * (exit 125, a Mac nobody is logged in to) the same is tried in `user/<uid>`.
 */
import { resolve } from 'node:path';
import type { LaunchdRestartSpec } from '../manifest/schema.js';
import { LAUNCHCTL_EXIT, launchdDomains, runLaunchctl, type LaunchctlResult } from './launchctl.js';
import type { RestartContext, RestartOutcome, Restarter } from './types.js';

/** Pause before bootstrap is tried again after exit 5. */
const BOOTSTRAP_RETRY_PAUSE_MS = 1_000;
/** The reload sequence's pauses: after unload, after load. */
const RELOAD_PAUSES_MS = [2_000, 3_000] as const;

/** launchctl calls and pauses that share one deadline. */
type Session = {
  launchctl(...args: string[]): Promise<LaunchctlResult>;
  pause(ms: number): Promise<void>;
};

function session(ctx: RestartContext, budgetMs: number): Session {
  const deadline = ctx.deps.now() + budgetMs;
  const left = (): number => Math.max(0, deadline - ctx.deps.now());
  return {
    launchctl: (...args) => runLaunchctl(ctx.deps, args, { timeoutMs: left(), budgetMs, signal: ctx.signal, user: 'restarter' }),
    pause: (ms) => ctx.deps.sleep(Math.min(ms, left()), ctx.signal),
  };
}

type Attempt = { ok: true; detail: string } | { ok: false; error: string; exitCode?: number };

/** Failures that end the restart at once: no launchctl, or no time. */
const fatal = (result: LaunchctlResult): boolean => !result.ok && (result.notFound === true || result.timedOut === true);

/** kickstart in one domain, bootstrapping the plist when the job is not loaded. */
async function kickstartIn(domain: string, label: string, plist: string | undefined, run: Session): Promise<Attempt> {
  const target = `${domain}/${label}`;
  const kicked = await run.launchctl('kickstart', '-k', target);
  if (kicked.ok) return { ok: true, detail: `kickstart -k ${target}` };
  if (kicked.exitCode !== LAUNCHCTL_EXIT.noSuchService || plist === undefined) {
    const hint = kicked.exitCode === LAUNCHCTL_EXIT.noSuchService ? ' (the job is not loaded: give `plist` so heal can bootstrap it)' : '';
    return { ok: false, error: kicked.error + hint, exitCode: kicked.exitCode };
  }

  const notes: string[] = [];
  const enabled = await run.launchctl('enable', target);
  if (!enabled.ok) {
    if (fatal(enabled) || enabled.exitCode === LAUNCHCTL_EXIT.domainUnavailable) return { ok: false, error: enabled.error, exitCode: enabled.exitCode };
    notes.push(enabled.error);
  }
  let booted = await run.launchctl('bootstrap', domain, plist);
  if (!booted.ok && booted.exitCode === LAUNCHCTL_EXIT.ioError) {
    notes.push('bootstrap retried after exit 5');
    await run.pause(BOOTSTRAP_RETRY_PAUSE_MS);
    booted = await run.launchctl('bootstrap', domain, plist);
  }
  if (!booted.ok) return { ok: false, error: [booted.error, ...notes].join('; '), exitCode: booted.exitCode };
  // A job without RunAtLoad is loaded but not running after bootstrap: start it (a no-op when it runs).
  const started = await run.launchctl('kickstart', target);
  if (!started.ok) notes.push(started.error);
  return { ok: true, detail: [`bootstrap ${domain} ${plist} (the job was not loaded), then kickstart ${target}`, ...notes].join('; ') };
}

async function kickstart(spec: LaunchdRestartSpec, plist: string | undefined, run: Session): Promise<RestartOutcome> {
  const [first, fallback] = launchdDomains(spec.domain) as [string, string | undefined];
  const attempt = await kickstartIn(first, spec.label, plist, run);
  if (attempt.ok) return attempt;
  if (attempt.exitCode !== LAUNCHCTL_EXIT.domainUnavailable || fallback === undefined) return { ok: false, error: attempt.error };
  const again = await kickstartIn(fallback, spec.label, plist, run);
  const why = `${first} not available, used ${fallback}`;
  return again.ok ? { ok: true, detail: `${again.detail} (${why})` } : { ok: false, error: `${again.error} (after ${attempt.error})` };
}

async function reload(plist: string | undefined, run: Session): Promise<RestartOutcome> {
  if (plist === undefined) return { ok: false, error: 'launchd method "reload" needs `plist`: the path of the job\'s .plist file' };
  const notes: string[] = [];
  const unloaded = await run.launchctl('unload', plist);
  if (!unloaded.ok) {
    if (fatal(unloaded)) return { ok: false, error: unloaded.error };
    notes.push(unloaded.error);
  }
  await run.pause(RELOAD_PAUSES_MS[0]);
  const loaded = await run.launchctl('load', plist);
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
