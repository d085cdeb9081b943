/** The restarter registry: one entry per restart type. */
import type { RestartSpec } from '../manifest/schema.js';
import { commandRestarter } from './command.js';
import { launchdRestarter } from './launchd.js';
import { systemdRestarter } from './systemd.js';
import type { Restarter, RestartContext, RestartOutcome } from './types.js';

const restarters: { [T in RestartSpec['type']]?: Restarter<Extract<RestartSpec, { type: T }>> } = {
  command: commandRestarter,
  launchd: launchdRestarter,
  systemd: systemdRestarter,
};

function restarterFor(spec: RestartSpec): Restarter | undefined {
  return restarters[spec.type] as Restarter | undefined;
}

export function describeRestart(spec: RestartSpec): string {
  return restarterFor(spec)?.describe(spec) ?? spec.type;
}

/** Restarts once through the spec's restarter; never throws. */
export async function restart(spec: RestartSpec, ctx: RestartContext): Promise<RestartOutcome> {
  const restarter = restarterFor(spec);
  if (!restarter) return { ok: false, error: `no restarter for type "${spec.type}" on this version of heal` };
  try {
    return await restarter.restart(spec, ctx);
  } catch (error) {
    return { ok: false, error: `${spec.type} restart failed: ${(error as Error).message}` };
  }
}
