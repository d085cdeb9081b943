/**
 * The check runner: every requested check at once, under a concurrency cap and one absolute
 * deadline for the whole scan. Identical checks run once and share their outcome, so a hung
 * endpoint that several services watch costs one timeout and one connection. It decides
 * nothing about services: it only says what each check saw.
 */
import { setMaxListeners } from 'node:events';
import { deadlineSignal, onceAborted, timedOutAfter } from '../common/deadline.js';
import type { Deps } from '../deps.js';
import { DEFAULT_CONCURRENCY } from '../manifest/defaults.js';
import type { CheckPlan } from '../manifest/resolve.js';
import { checkFor, describeCheck, runCheckOnce } from './index.js';
import type { CheckOutcome, PidLookup } from './types.js';

/**
 * One check the caller wants run, under a key of its choosing (e.g. "api#0"); keys are unique. A
 * check that reads its service's pid (`process`) gets the lookup, and `service` keeps it apart from
 * the same check of another service.
 */
export type CheckRequest = { key: string; plan: CheckPlan; pid?: { service: string; lookup: PidLookup } };

/** How a batch of checks runs. */
export type RunChecksOptions = {
  deps: Deps;
  /** The manifest's folder; relative paths in checks are read from here. */
  baseDir: string;
  /** When the whole batch must be over, in ms since the epoch (compared to `deps.now()`). */
  deadline: number;
  /** How many checks run at once. @default {@link DEFAULT_CONCURRENCY} */
  concurrency?: number;
  /** Ends every attempt early (a scan being stopped); what was cut is a failure. */
  signal?: AbortSignal;
};

/**
 * How long a check may take to report on its own after its signal aborted before the runner
 * stops waiting for it. Checks settle at once on abort; this only bounds one that does not.
 */
const ABANDON_AFTER_MS = 20;

/**
 * Runs every item, each attempt bounded by min(plan.timeoutMs, time left to the deadline),
 * retrying failures `plan.retries` times `plan.retryDelayMs` apart while the deadline allows.
 * Resolves with one outcome per key, in request order. Never throws, and settles within a few
 * milliseconds of the deadline whatever the checks do.
 */
export async function runChecks(
  items: readonly CheckRequest[],
  options: RunChecksOptions,
): Promise<Map<string, CheckOutcome>> {
  const byIdentity = new Map<string, CheckOutcome>();
  // Each request's identity, worked out once (canonical JSON is not free on thousands of checks).
  const identities = new Map<CheckRequest, string>();
  // Aborts at the deadline or when the caller's signal does; every attempt and retry pause listens to it.
  const scan = deadlineSignal(options.deadline - options.deps.now(), [options.signal]);
  setMaxListeners(0, scan.signal);
  try {
    const requests = new Map<string, CheckRequest>();
    for (const item of items) {
      const identity = requestIdentity(item);
      identities.set(item, identity);
      if (!requests.has(identity)) requests.set(identity, item);
    }
    const limit = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY) || DEFAULT_CONCURRENCY);
    const all = forEachLimited([...requests], limit, async ([identity, request]) => {
      byIdentity.set(identity, await runPlan(request, options, scan.signal));
    });
    // Belt and braces: whatever an injected sleep or a check does, the batch ends at the deadline.
    await Promise.race([all, afterAbort(scan.signal, 2 * ABANDON_AFTER_MS)]);
  } catch (error) {
    options.deps.logger.error({ err: error }, 'check runner failed');
  } finally {
    scan.dispose();
  }

  const outcomes = new Map<string, CheckOutcome>();
  for (const item of items) {
    const outcome = safeIdentity(item, byIdentity, identities) ?? notRun(options);
    outcomes.set(item.key, { ...outcome });
  }
  return outcomes;
}

/**
 * What makes two checks the same: the canonical JSON of the spec (without its report `name`)
 * and of the attempt settings. Two services watching one URL the same way share one run.
 */
export function checkIdentity(plan: CheckPlan): string {
  const { name: _name, timeout: _timeout, retries: _retries, retry_delay: _retryDelay, ...spec } = plan.spec;
  return canonicalJson({ spec, timeoutMs: plan.timeoutMs, retries: plan.retries, retryDelayMs: plan.retryDelayMs });
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(inner).sort()) sorted[key] = (inner as Record<string, unknown>)[key];
    return sorted;
  });
}

/** A request's identity: its check's, and the service whose pid it reads. */
function requestIdentity({ plan, pid }: CheckRequest): string {
  return pid ? `${checkIdentity(plan)} pid of ${pid.service}` : checkIdentity(plan);
}

function safeIdentity(request: CheckRequest, byIdentity: Map<string, CheckOutcome>, identities: Map<CheckRequest, string>): CheckOutcome | undefined {
  try {
    return byIdentity.get(identities.get(request) ?? requestIdentity(request));
  } catch {
    return undefined;
  }
}

function notRun(options: RunChecksOptions): CheckOutcome {
  const why = options.signal?.aborted ? 'the scan was stopped' : 'the scan deadline passed';
  return { ok: false, latencyMs: 0, error: `not run: ${why}` };
}

/** All attempts of one check: the first success, else the last failure. */
async function runPlan(request: CheckRequest, options: RunChecksOptions, scan: AbortSignal): Promise<CheckOutcome> {
  const { deps, deadline } = options;
  const { plan } = request;
  let last: CheckOutcome | undefined;
  let attempts = 0;
  for (let attempt = 0; attempt <= plan.retries; attempt++) {
    if (attempt > 0) {
      if (deps.now() + plan.retryDelayMs >= deadline) break;
      deps.logger.debug({ check: describeCheck(plan.spec), attempt, error: last?.ok === false ? last.error : undefined }, 'check failed, retrying');
      await deps.sleep(plan.retryDelayMs, scan);
    }
    const left = deadline - deps.now();
    if (left <= 0 || scan.aborted) break;
    last = await runAttempt(request, Math.min(plan.timeoutMs, left), options, scan);
    attempts += 1;
    if (last.ok) {
      return attempts > 1 ? { ...last, detail: [last.detail, `passed on attempt ${attempts}`].filter(Boolean).join('; ') } : last;
    }
  }
  if (!last) return notRun(options);
  return attempts > 1 && !last.ok ? { ...last, error: `${last.error} (after ${attempts} attempts)` } : last;
}

/**
 * One attempt, bounded by `timeoutMs` and the scan's signal. A check that keeps its own time
 * (`timesItself`: port, http) runs on the scan's signal alone; any other gets a signal of its own,
 * aborted at its budget or when the scan ends, and is abandoned if it does not settle soon after.
 */
async function runAttempt(
  { plan, pid }: CheckRequest,
  timeoutMs: number,
  options: RunChecksOptions,
  scan: AbortSignal,
): Promise<CheckOutcome> {
  const ctx = { deps: options.deps, timeoutMs, baseDir: options.baseDir, ...(pid ? { pid: pid.lookup } : {}) };
  if (checkFor(plan.spec)?.timesItself) {
    const outcome = await runCheckOnce(plan.spec, { ...ctx, signal: scan });
    // Its budget ran out, or the scan ended: what the check's own signal would have said.
    const cut = !outcome.ok && (scan.aborted || outcome.error === timedOutAfter(timeoutMs));
    return cut ? explainCut(outcome, timeoutMs, plan.timeoutMs, options) : outcome;
  }
  const attempt = deadlineSignal(timeoutMs, [scan]);
  try {
    const run = runCheckOnce(plan.spec, { ...ctx, signal: attempt.signal });
    const outcome = await settleSoonAfterAbort(run, attempt.signal, () => ({
      ok: false,
      latencyMs: timeoutMs,
      error: timedOutAfter(timeoutMs),
    }));
    if (outcome.ok || !attempt.signal.aborted) return outcome;
    return explainCut(outcome, timeoutMs, plan.timeoutMs, options);
  } finally {
    attempt.end();
  }
}

/** Says why an attempt's budget was short: the checks only know that their time or signal ran out. */
function explainCut(outcome: CheckOutcome & { ok: false }, timeoutMs: number, planTimeoutMs: number, options: RunChecksOptions): CheckOutcome {
  if (options.signal?.aborted) return { ...outcome, error: 'stopped before it finished' };
  if (timeoutMs < planTimeoutMs && outcome.error === timedOutAfter(timeoutMs)) {
    return { ...outcome, error: `${outcome.error} (cut by the scan deadline)` };
  }
  return outcome;
}

/** The check's own outcome, unless it is still running ABANDON_AFTER_MS after its signal aborted. */
function settleSoonAfterAbort(
  run: Promise<CheckOutcome>,
  signal: AbortSignal,
  abandoned: () => CheckOutcome,
): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    let grace: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      grace = setTimeout(() => resolve(abandoned()), ABANDON_AFTER_MS);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    run
      .catch((error: unknown) => ({ ok: false as const, latencyMs: 0, error: String(error) }))
      .then((outcome) => {
        clearTimeout(grace);
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      });
  });
}

/** Resolves `ms` after the signal aborts. */
function afterAbort(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => onceAborted(signal, () => void setTimeout(resolve, ms).unref()));
}

/** Runs `work` on every item, at most `limit` at a time (also heal init's health probe). */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
