/**
 * What the systemd restarter and the systemd check share: building systemctl's argv (never a
 * shell), the environment `systemctl --user` needs when cron started heal, one call within a
 * budget, and reading `systemctl show` output.
 */
import type { Deps } from '../deps.js';
import { callSupervisor, type SupervisorCallOptions, type SupervisorResult } from './call.js';
import { currentUid } from './launchctl.js';

/** `systemctl [--user] ARGS…`. */
export function systemctlArgv(user: boolean, args: readonly string[]): string[] {
  return ['systemctl', ...(user ? ['--user'] : []), ...args];
}

/**
 * Extra environment for `systemctl --user`. cron starts heal without XDG_RUNTIME_DIR (and
 * without a session bus), and systemctl then cannot find the user's manager ("Failed to
 * connect to bus"); both point into `/run/user/<uid>`. Nothing is added for the system manager
 * or when the variable is already set.
 */
export function userManagerEnv(
  user: boolean,
  env: Readonly<Record<string, string | undefined>>,
  uid = currentUid(),
): Record<string, string> | undefined {
  if (!user || env.XDG_RUNTIME_DIR) return undefined;
  const runtimeDir = `/run/user/${uid}`;
  return {
    XDG_RUNTIME_DIR: runtimeDir,
    ...(env.DBUS_SESSION_BUS_ADDRESS ? {} : { DBUS_SESSION_BUS_ADDRESS: `unix:path=${runtimeDir}/bus` }),
  };
}

export type SystemctlResult = SupervisorResult;

/** Runs `systemctl [--user] ARGS…` within `timeoutMs`; never throws. */
export function runSystemctl(deps: Pick<Deps, 'exec' | 'env'>, user: boolean, args: readonly string[], options: SupervisorCallOptions): Promise<SystemctlResult> {
  const env = userManagerEnv(user, deps.env);
  return callSupervisor(deps, systemctlArgv(user, args), options, {
    ...(env ? { env } : {}),
    notFound: (who) => `systemctl not found: the systemd ${who} needs Linux with systemd`,
    failure: (result) => result.failure ?? `exit ${result.exitCode ?? 'unknown'}`,
  });
}

/**
 * `Key=Value` lines of `systemctl show` into a record. systemctl prints properties in its own
 * (D-Bus) order, not the order of the `-p` options, so they are read by name.
 */
export function parseShow(stdout: string): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) properties[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return properties;
}
