/**
 * What the launchd restarter and the launchd check share: which domain a job lives in, one
 * launchctl call (argv, never a shell) within a budget, and what launchctl's exit codes mean.
 */
import type { Deps } from '../deps.js';
import { firstLine } from '../common/error-text.js';
import { callSupervisor, type SupervisorCallOptions, type SupervisorResult } from './call.js';

/** launchctl exit codes heal acts on. */
export const LAUNCHCTL_EXIT = {
  /** `kill`: the job is loaded but has no process (ESRCH). */
  noSuchProcess: 3,
  /**
   * bootstrap refused, for one of several causes: the label is already loaded, the job is
   * disabled, its plist's LimitLoadToSessionType excludes the domain's session type, or an
   * earlier bootout is still unloading it.
   */
  ioError: 5,
  /** A start of the job is already under way (EALREADY): verify it, don't fail. */
  alreadyInProgress: 37,
  /** The domain does not exist here ("Could not find domain"): `gui/<uid>` on a headless Mac. */
  domainNotFound: 112,
  /** The job is not loaded in the domain. */
  noSuchService: 113,
  /** The domain does not support the action: `gui/<uid>` on a Mac nobody is logged in to. */
  domainUnavailable: 125,
} as const;

/** Whether launchctl said the domain does not exist here (112 or 125): try `user/<uid>`. */
export function domainMissing(code: number | undefined): boolean {
  return code === LAUNCHCTL_EXIT.domainNotFound || code === LAUNCHCTL_EXIT.domainUnavailable;
}

/** What launchctl's exit codes mean (see `launchctl error <code>`). */
const EXIT_MEANINGS: Readonly<Record<number, string>> = {
  1: 'operation not permitted',
  2: 'no such file or directory',
  3: 'no such process',
  5: 'input/output error: the job is already loaded, is disabled, may not load in this session type (LimitLoadToSessionType), or is still unloading',
  17: 'already loaded',
  37: 'operation already in progress',
  112: 'could not find domain',
  113: 'could not find service',
  119: 'service is disabled',
  122: 'path had bad ownership or permissions',
  124: 'domain is tearing down',
  125: 'domain not available',
};

/** "exit 113 (could not find service)", or "exit 9" for a code without a known meaning. */
export function describeLaunchctlExit(code: number): string {
  const meaning = EXIT_MEANINGS[code];
  return meaning ? `exit ${code} (${meaning})` : `exit ${code}`;
}

/** The uid whose per-user domains (`gui/<uid>`, `user/<uid>`) heal talks to. */
export function currentUid(): number {
  return process.getuid?.() ?? 0;
}

/**
 * The domains to try for a job, in order. A configured domain is the only one ("gui" and
 * "user" get the uid appended); without one it is `gui/<uid>`, then `user/<uid>` for a Mac
 * with no GUI session (tried only when launchctl says the gui domain does not exist: 112 or 125).
 */
export function launchdDomains(configured: string | undefined, uid = currentUid()): string[] {
  if (configured === undefined) return [`gui/${uid}`, `user/${uid}`];
  return [configured.includes('/') ? configured : `${configured}/${uid}`];
}

export type LaunchctlResult = SupervisorResult;

/**
 * `launchctl print <domain>/<label>` where the job lives: its configured domain, else `gui/<uid>`,
 * then `user/<uid>` when the gui domain does not exist here (112 or 125: a Mac nobody is logged in
 * to at the screen). Every call within what is left of `options.timeoutMs`. The target last asked
 * and its answer.
 */
export async function printJob(
  deps: Pick<Deps, 'exec' | 'now'>,
  label: string,
  domain: string | undefined,
  options: SupervisorCallOptions,
): Promise<{ target: string; printed: LaunchctlResult }> {
  const until = deps.now() + options.timeoutMs;
  let asked: { target: string; printed: LaunchctlResult } | undefined;
  for (const each of launchdDomains(domain)) {
    const target = `${each}/${label}`;
    asked = { target, printed: await runLaunchctl(deps, ['print', target], { ...options, timeoutMs: Math.max(0, until - deps.now()) }) };
    if (asked.printed.ok || !domainMissing(asked.printed.exitCode)) break;
  }
  return asked as { target: string; printed: LaunchctlResult };
}

/** Runs `launchctl ARGS…` within `timeoutMs`; never throws. */
export function runLaunchctl(deps: Pick<Deps, 'exec'>, args: readonly string[], options: SupervisorCallOptions): Promise<LaunchctlResult> {
  return callSupervisor(deps, ['launchctl', ...args], options, {
    notFound: (user) => `launchctl not found: the launchd ${user} needs macOS`,
    failure: (result) => {
      if (result.exitCode === undefined) return result.failure ?? 'no exit code';
      const said = firstLine(result.stderr) || firstLine(result.stdout);
      return `${describeLaunchctlExit(result.exitCode)}${said ? `: ${said}` : ''}`;
    },
  });
}

/**
 * The legacy subcommands (`load`, `unload`) print their failure — "Load failed: 5: Input/output
 * error" — and still exit 0: the code they printed, or undefined when they printed none.
 */
export function legacyFailure(result: Extract<LaunchctlResult, { ok: true }>): { code: number; said: string } | undefined {
  for (const text of [result.stderr, result.stdout]) {
    const match = /^\s*(?:Load|Unload) failed: (\d+)(?::[^\n]*)?/m.exec(text);
    if (match) return { code: Number(match[1]), said: match[0].trim() };
  }
  return undefined;
}

/**
 * The top-level `key = value` lines of `launchctl print` output (nested blocks such as
 * `environment = { … }` are skipped, so a variable named "pid" cannot pass for the job's pid).
 */
export function printedFields(output: string): Record<string, string> {
  const fields: Record<string, string> = {};
  let depth = 0;
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '}') {
      depth = Math.max(0, depth - 1);
      continue;
    }
    const match = /^(.+?) = (.*)$/.exec(line);
    if (depth === 1 && match && !line.endsWith('{')) fields[match[1] as string] = (match[2] as string).trim();
    if (line.endsWith('{')) depth++;
  }
  return fields;
}

/** The job's pid as `launchctl print` shows it (a top-level `pid = 4242`), or undefined when it has none. */
export function printedPid(output: string): number | undefined {
  const pid = printedFields(output)['pid'];
  return pid !== undefined && /^\d+$/.test(pid) ? Number(pid) : undefined;
}
