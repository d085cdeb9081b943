import type { DetachedExit, Deps } from '../deps.js';
import type { ProcessIdentity } from '../process/identity.js';
import type { RestartSpec } from './schema.js';

/**
 * What a restart attempt did. A failure is a value, not an exception. `facts` are what the
 * supervisor said about the service (systemd's ActiveState, SubState, NRestarts), kept in the
 * heal record.
 */
export type RestartOutcome =
  | {
      ok: true;
      detail?: string;
      /** Something the restarter had to do besides the restart, for the report ("its start limit was hit: …"). */
      note?: string;
      facts?: Record<string, string>;
      /** A service started detached: resolves when it exits (verify watches it). */
      exited?: Promise<DetachedExit>;
      /** A service started detached: its process, recorded in the service's state (its pid for a process check). */
      started?: ProcessIdentity;
    }
  | { ok: false; error: string; facts?: Record<string, string> };

/** Everything a restarter may use besides its spec. */
export type RestartContext = {
  deps: Deps;
  /** The service being restarted. */
  service: string;
  /** The manifest's folder: relative paths and the default working directory. */
  baseDir: string;
  /** The state directory: detached services log to `<stateDir>/logs/<service>.log`. */
  stateDir: string;
  /** Time this restart may take, already cut to the scan's deadline. */
  timeoutMs: number;
  /** Aborts at the scan's deadline. */
  signal: AbortSignal;
  /** The process the service's last detached start made, as the state recorded it: stopped before the next one starts. */
  recorded?: ProcessIdentity;
};

/** The plug-in contract of a restart type: one file under src/restart/ each. */
export interface Restarter<S extends RestartSpec = RestartSpec> {
  readonly type: S['type'];
  /** A short label for reports: "command: node demo.mjs", "launchd: com.example.api". */
  describe(spec: S): string;
  /** Restarts the service once. Must not throw, and must settle by `ctx.timeoutMs`. */
  restart(spec: S, ctx: RestartContext): Promise<RestartOutcome>;
}
