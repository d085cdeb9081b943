/**
 * The check registry: one `Check` per manifest `type`, and the ways the rest of the code uses
 * them — a label for reports, one attempt that never throws, and the cheapest check of a service.
 */
import { formatLatency } from '../common/duration.js';
import type { CheckSpec } from './schema.js';
import { certificateChecker } from './certificate.js';
import { commandChecker } from './command.js';
import { fileChecker } from './file.js';
import { httpChecker } from './http.js';
import { launchdChecker } from './launchd.js';
import { portChecker } from './port.js';
import { processChecker } from './process.js';
import { systemdChecker } from './systemd.js';
import type { Check, CheckContext, CheckOutcome } from './types.js';

/**
 * The check type of each manifest `type`: a type the schema knows without an implementation
 * does not compile.
 */
export type CheckRegistry = { readonly [T in CheckSpec['type']]: Check<Extract<CheckSpec, { type: T }>> };

/** Every check type, by its manifest `type`. */
export const checkTypes: CheckRegistry = {
  port: portChecker,
  http: httpChecker,
  file: fileChecker,
  command: commandChecker,
  launchd: launchdChecker,
  systemd: systemdChecker,
  certificate: certificateChecker,
  process: processChecker,
};

/** The check type that runs `spec`, or undefined for a type this build does not know. */
export function checkFor<S extends CheckSpec>(spec: S): Check<S> | undefined {
  const check = (checkTypes as Record<string, Check<CheckSpec> | undefined>)[spec.type];
  return check as Check<S> | undefined;
}

/**
 * The index of the cheapest check of a service, by its check type's `cost` (the first of
 * equals): what an open breaker still runs as its probe. A type this build does not know is
 * never picked over the first check, nor does it push a cheaper one aside.
 */
export function cheapestCheckIndex(checks: readonly CheckSpec[]): number {
  const cost = (spec: CheckSpec): number => checkFor(spec)?.cost ?? Number.NaN;
  let best = 0;
  checks.forEach((check, index) => {
    if (cost(check) < cost(checks[best]!)) best = index;
  });
  return best;
}

/** A short label derived from the check itself: "port 127.0.0.1:3002", "GET http://…/health". */
export function describeCheck(spec: CheckSpec): string {
  return checkFor(spec)?.describe(spec) ?? `${String(spec.type)} check`;
}

/** The name a check goes by in reports: its `name`, else its description. */
export function checkName(spec: CheckSpec): string {
  return spec.name ?? describeCheck(spec);
}

/**
 * Runs one attempt of a check. Never throws: an unknown type or a check that breaks its
 * contract and throws comes back as a failed outcome.
 */
export async function runCheckOnce(spec: CheckSpec, ctx: CheckContext): Promise<CheckOutcome> {
  const started = ctx.deps.now();
  const check = checkFor(spec);
  if (!check) return { ok: false, latencyMs: 0, error: `unknown check type ${JSON.stringify(spec.type)}` };
  try {
    return slowAsFailed(spec, await check.run(spec, ctx));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, latencyMs: ctx.deps.now() - started, error: `check failed unexpectedly: ${message}` };
  }
}

/** An answer slower than the check's `max_latency` fails as slow: "answered in 1.2s, max_latency 800ms". */
function slowAsFailed(spec: CheckSpec, outcome: CheckOutcome): CheckOutcome {
  const max = 'max_latency' in spec ? spec.max_latency : undefined;
  if (!outcome.ok || max === undefined || outcome.latencyMs <= max) return outcome;
  return { ok: false, latencyMs: outcome.latencyMs, error: `answered in ${formatLatency(outcome.latencyMs)}, max_latency ${formatLatency(max)}` };
}
