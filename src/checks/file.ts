/**
 * The `file` check: a heartbeat file that a service touches now and then. Healthy while the
 * file's modification time is younger than `max_age`.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatDuration } from '../duration.js';
import type { FileCheckSpec } from '../manifest/schema.js';
import type { Check, CheckOutcome } from './types.js';

/** The `file` check type. */
export const fileChecker: Check<FileCheckSpec> = {
  type: 'file',

  describe(spec) {
    return `file ${spec.path}`;
  },

  async run(spec, ctx): Promise<CheckOutcome> {
    const started = ctx.deps.now();
    const latency = (): number => ctx.deps.now() - started;
    let mtimeMs: number;
    try {
      ({ mtimeMs } = await stat(resolve(ctx.baseDir, spec.path)));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied:' : `cannot read (${code ?? 'error'})`;
      return { ok: false, latencyMs: latency(), error: `${why} ${spec.path}` };
    }
    const age = ctx.deps.now() - mtimeMs;
    if (age > spec.max_age) {
      return {
        ok: false,
        latencyMs: latency(),
        error: `${spec.path} is ${formatDuration(age)} old (max ${formatDuration(spec.max_age)})`,
      };
    }
    return { ok: true, latencyMs: latency(), detail: `${formatDuration(Math.max(0, age))} old` };
  },
};
