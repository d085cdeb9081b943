/**
 * The `command` restarter: runs argv (never a shell) and waits for it, or with `detach: true`
 * starts the service itself as a detached process logging to `<state dir>/logs/<service>.log`.
 * The detached process's exit is handed on, so verify can stop waiting for a service that died.
 * Before the start it stops the old process: `stop` (argv) is run, and the pid in `pidfile` — and,
 * with `detach: true`, the process heal's last start made, known by its pid and start time — gets
 * SIGTERM, then SIGKILL after `stop_grace`. None of them failing prevents the start. The detached
 * process's identity goes back with the outcome, for the state to record.
 */
import { shellJoin } from '../common/shell.js';
import { join, resolve } from 'node:path';
import { childIdentity, livenessHere } from '../process/identity.js';
import type { CommandRestartSpec } from './schema.js';
import { stopPidFile, stopPidNote } from './stop-process.js';
import type { RestartContext, Restarter } from './types.js';

/** Runs `stop` and stops the pidfile's process; lines for the outcome's detail. */
async function stopOld(spec: CommandRestartSpec, ctx: RestartContext, cwd: string, left: () => number): Promise<string[]> {
  const notes: string[] = [];
  if (spec.stop) {
    const stopped = await ctx.deps.exec(spec.stop, { timeoutMs: Math.min(spec.timeout, left()), cwd, env: spec.env, signal: ctx.signal });
    if (stopped.failure !== undefined) notes.push(`stop failed: ${stopped.failure}`);
  }
  if (spec.pidfile) {
    const note = await stopPidFile(resolve(ctx.baseDir, spec.pidfile), Math.min(spec.stop_grace, left()), ctx.deps, ctx.signal);
    if (note) notes.push(note);
  }
  // Only a process whose start time matches the record: a reused pid is someone else's.
  const recorded = ctx.recorded;
  if (spec.detach && recorded?.start !== undefined && (await livenessHere(recorded)) === 'alive') {
    const note = await stopPidNote(recorded.pid, Math.min(spec.stop_grace, left()), ctx.deps, ctx.signal);
    if (note) notes.push(note);
  }
  if (notes.length) ctx.deps.logger.info({ service: ctx.service, stop: notes }, 'stopped the old process');
  return notes;
}

export const commandRestarter: Restarter<CommandRestartSpec> = {
  type: 'command',

  describe(spec) {
    return `command: ${shellJoin(spec.run)}${spec.detach ? ' (detached)' : ''}`;
  },

  async restart(spec, ctx) {
    const deadline = ctx.deps.now() + ctx.timeoutMs;
    const left = (): number => Math.max(0, deadline - ctx.deps.now());
    const cwd = resolve(ctx.baseDir, spec.cwd ?? '.');
    const notes = await stopOld(spec, ctx, cwd, left);
    const withNotes = (line: string | undefined): string | undefined => [...notes, ...(line ? [line] : [])].join('; ') || undefined;
    const failed = (error: string) => ({ ok: false as const, error: notes.length ? `${error} (before the start: ${notes.join('; ')})` : error });

    if (spec.detach) {
      const logFile = join(ctx.stateDir, 'logs', `${ctx.service}.log`);
      const started = await ctx.deps.spawnDetached(spec.run, { cwd, env: spec.env, logFile });
      if (!started.ok) return failed(started.error);
      const output = started.logLost ?? `output in ${logFile}`;
      if (started.logLost) ctx.deps.logger.warn({ service: ctx.service, pid: started.pid }, `started, but ${started.logLost}`);
      const identity = await childIdentity(started.pid);
      return {
        ok: true,
        detail: withNotes(`started pid ${started.pid}, ${output}`),
        exited: started.exited,
        ...(identity ? { started: identity } : {}),
        ...(started.logLost ? { note: started.logLost } : {}),
      };
    }
    if (left() <= 0) return failed('no time left to run the restart command');
    const result = await ctx.deps.exec(spec.run, { timeoutMs: Math.min(spec.timeout, left()), cwd, env: spec.env, signal: ctx.signal });
    if (result.failure !== undefined) return failed(result.failure);
    const detail = withNotes(undefined);
    return detail ? { ok: true, detail } : { ok: true };
  },
};
