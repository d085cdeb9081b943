/** The restarter registry: one entry per restart type; a type without one does not compile. */
import type { RestartSpec } from './schema.js';
import { commandRestarter } from './command.js';
import { launchdRestarter } from './launchd.js';
import { systemdRestarter } from './systemd.js';
import type { Restarter, RestartContext, RestartOutcome } from './types.js';

const restarters: { [T in RestartSpec['type']]: Restarter<Extract<RestartSpec, { type: T }>> } = {
  command: commandRestarter,
  launchd: launchdRestarter,
  systemd: systemdRestarter,
};

function restarterFor(spec: RestartSpec): Restarter {
  return restarters[spec.type] as Restarter;
}

export function describeRestart(spec: RestartSpec): string {
  return restarterFor(spec).describe(spec);
}

/**
 * Restarts once through the spec's restarter; never throws. A restarter that throws gives its
 * message as the error (the report already says "restart failed (…)").
 */
export async function restart(spec: RestartSpec, ctx: RestartContext): Promise<RestartOutcome> {
  try {
    return await restarterFor(spec).restart(spec, ctx);
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
