/**
 * The `command` restarter: runs argv (never a shell) and waits for it, or with `detach: true`
 * starts the service itself as a detached process logging to `<state dir>/logs/<service>.log`.
 */
import { join, resolve } from 'node:path';
import type { CommandRestartSpec } from '../manifest/schema.js';
import type { Restarter } from './types.js';

export const commandRestarter: Restarter<CommandRestartSpec> = {
  type: 'command',

  describe(spec) {
    return `command: ${spec.run.join(' ')}${spec.detach ? ' (detached)' : ''}`;
  },

  async restart(spec, ctx) {
    const cwd = resolve(ctx.baseDir, spec.cwd ?? '.');
    if (spec.detach) {
      const logFile = join(ctx.stateDir, 'logs', `${ctx.service}.log`);
      const started = await ctx.deps.spawnDetached(spec.run, { cwd, env: spec.env, logFile });
      return started.ok ? { ok: true, detail: `started pid ${started.pid}, output in ${logFile}` } : { ok: false, error: started.error };
    }
    const result = await ctx.deps.exec(spec.run, {
      timeoutMs: Math.min(spec.timeout, ctx.timeoutMs),
      cwd,
      env: spec.env,
      signal: ctx.signal,
    });
    return result.failure === undefined ? { ok: true } : { ok: false, error: result.failure };
  },
};
