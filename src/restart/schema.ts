/**
 * The manifest's restart specs (`services.<name>.restart`), one per restart type, and their
 * union. A new restart type adds its spec here, its `Restarter` in a file of its own and its
 * entry in the registry (index.ts), which does not compile until all three agree.
 */
import { z } from 'zod';
import { argv, duration, launchdDomain, launchdLabel, specsByType, systemdUnit } from '../manifest/fields.js';

/** How long a restart may run (cut to the scan's deadline). @default 30s */
const timeout = duration.default(30_000);

/** Restart by running a program; with `detach` it is the service itself, left running. */
export const commandRestart = z.strictObject({
  type: z.literal('command'),
  run: argv,
  /** Start it as a detached process whose output goes to <state dir>/logs/<service>.log. @default false */
  detach: z.boolean().default(false),
  cwd: z.string().min(1).optional(),
  env: z.record(z.string(), z.string()).optional(),
  /** How long a non-detached restart may run. @default 30s */
  timeout,
  /** A program that stops the old (maybe hung) process before the new one starts. */
  stop: argv.optional(),
  /** A file holding the old process's pid: it gets SIGTERM, then SIGKILL after `stop_grace`. */
  pidfile: z.string().min(1).optional(),
  /** How long the old process has to exit after SIGTERM. @default 5s */
  stop_grace: duration.default(5_000),
});

/** Restart a macOS LaunchAgent through launchctl. */
export const launchdRestart = z.strictObject({
  type: z.literal('launchd'),
  label: launchdLabel,
  plist: z.string().min(1).optional(),
  domain: launchdDomain.optional(),
  /** @default "kickstart" */
  method: z.enum(['kickstart', 'reload']).default('kickstart'),
  /** @default 30s */
  timeout,
  /**
   * Stop the job gracefully before the restart: `launchctl kill SIGTERM`, up to this long for it
   * to exit, then `kickstart` (`kickstart -k`, SIGKILL, only if it is still running). Without it
   * heal restarts with `kickstart -k`, which sends SIGKILL at once.
   */
  stop_grace: duration.optional(),
});

/** Restart a systemd unit through systemctl. */
export const systemdRestart = z.strictObject({
  type: z.literal('systemd'),
  unit: systemdUnit,
  /** Use the user's manager (`systemctl --user`). @default false */
  user: z.boolean().default(false),
  /** @default 30s */
  timeout,
});

/** How a service is restarted, by its `type`. */
export const restartSpec = specsByType([commandRestart, launchdRestart, systemdRestart]);

export type RestartSpec = z.output<typeof restartSpec>;
export type CommandRestartSpec = z.output<typeof commandRestart>;
export type LaunchdRestartSpec = z.output<typeof launchdRestart>;
export type SystemdRestartSpec = z.output<typeof systemdRestart>;
