/**
 * One call of a supervisor's command-line client — `launchctl` or `systemctl` — as the checks,
 * the restarters and `heal install` make it: argv (never a shell) within a budget, never
 * throwing, its failure one line that names the call. Each client says only what is its own: the
 * words for "not found" and what its exit codes mean.
 */
import type { Deps, ExecResult } from '../deps.js';
import { timedOutAfter } from '../common/deadline.js';
import { formatDuration } from '../common/duration.js';

/** A call's result: its output, or a one-line error naming the call. */
export type SupervisorResult =
  | { ok: true; stdout: string; stderr: string }
  | { ok: false; error: string; exitCode?: number; notFound?: boolean; timedOut?: boolean };

/** Who makes the call, for the "not found" message. */
export type SupervisorUser = 'restarter' | 'check' | 'install' | 'init';

export type SupervisorCallOptions = {
  timeoutMs: number;
  signal?: AbortSignal;
  user: SupervisorUser;
  /** The whole restart's budget, when this call had only part of it: the timeout names it. */
  budgetMs?: number;
};

/** How a client words what is its own. */
export type SupervisorClient = {
  /** Added to heal's environment for the call. */
  env?: Record<string, string>;
  /** "launchctl not found: the launchd check needs macOS". */
  notFound: (user: SupervisorUser) => string;
  /** Why a call that exited non-zero failed, after "<call> failed: ". */
  failure: (result: ExecResult) => string;
};

/** "launchctl print … timed out after 2s", or naming the whole budget when the call had only part of it. */
export function timedOut(call: string, options: Pick<SupervisorCallOptions, 'timeoutMs' | 'budgetMs'>): string {
  return options.budgetMs === undefined
    ? `${call} ${timedOutAfter(options.timeoutMs)}`
    : `${call} timed out: the ${formatDuration(options.budgetMs)} restart timeout ran out`;
}

/** Runs `argv` within `options.timeoutMs`; never throws. */
export async function callSupervisor(
  deps: Pick<Deps, 'exec'>,
  argv: readonly string[],
  options: SupervisorCallOptions,
  client: SupervisorClient,
): Promise<SupervisorResult> {
  const call = argv.join(' ');
  if (options.timeoutMs <= 0) return { ok: false, timedOut: true, error: timedOut(call, options) };
  const result = await deps.exec(argv, { timeoutMs: options.timeoutMs, signal: options.signal, ...(client.env ? { env: client.env } : {}) });
  if (result.notFound) return { ok: false, notFound: true, error: client.notFound(options.user) };
  if (result.exitCode === 0 && result.failure === undefined) return { ok: true, stdout: result.stdout, stderr: result.stderr };
  if (result.timedOut || options.signal?.aborted) return { ok: false, timedOut: true, error: timedOut(call, options) };
  return { ok: false, ...(result.exitCode === undefined ? {} : { exitCode: result.exitCode }), error: `${call} failed: ${client.failure(result)}` };
}
