import type { CheckSpec } from './schema.js';
import type { Deps } from '../deps.js';

/** What one check saw. A failure is a value, not an exception. */
export type CheckOutcome =
  | { ok: true; latencyMs: number; detail?: string }
  | { ok: false; latencyMs: number; error: string };

/** Everything a check may use besides its spec. */
export type CheckContext = {
  deps: Deps;
  /** Abort when this attempt's timeout or the scan's deadline passes. */
  signal: AbortSignal;
  /** This attempt's budget in milliseconds (already cut to the scan's deadline). */
  timeoutMs: number;
  /** The manifest's folder; relative paths are read from here. */
  baseDir: string;
  /** The pid of the service the check belongs to, for a check that reads it (`process`); the scan gives it. */
  pid?: PidLookup;
};

/** Where the service's pid was found ("pidfile run/api.pid"), or why there is none. */
export type PidFound = { ok: true; pid: number; from: string } | { ok: false; error: string };

/** Finds the service's pid now, within the attempt's budget (restart/service-pid.ts). */
export type PidLookup = (attempt: { signal: AbortSignal; timeoutMs: number }) => Promise<PidFound>;

/** The plug-in contract of a check type: one file under src/checks/ each. */
export interface Check<S extends CheckSpec = CheckSpec> {
  readonly type: S['type'];
  /**
   * How dear one attempt is beside the other check types, 0 the cheapest: while a service's
   * breaker is open only its cheapest check runs, as the probe (of equals, the first in the
   * manifest).
   */
  readonly cost: number;
  /**
   * Set when `run` keeps its own time: it ends with `timedOutAfter(ctx.timeoutMs)` once
   * `ctx.timeoutMs` has passed and settles at once when `ctx.signal` aborts. The runner then hands
   * it the scan's signal, instead of an abort signal, a timer and listeners of its own per attempt.
   */
  readonly timesItself?: true;
  /** A short label for reports: "port 127.0.0.1:3002", "GET http://…/health". */
  describe(spec: S): string;
  /** Runs one attempt. Must settle soon after `ctx.signal` aborts, and must not throw. */
  run(spec: S, ctx: CheckContext): Promise<CheckOutcome>;
}
