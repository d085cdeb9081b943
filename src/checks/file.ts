/**
 * The `file` check: a heartbeat file that a service touches now and then. Healthy while the
 * file's modification time is younger than `max_age`.
 *
 * A modification time in the future (past a small tolerance for coarse or skewed file clocks)
 * fails: the clock was set back since the file was written, so it says nothing about whether its
 * writer is still alive. A live writer touches it again within its own period and the check
 * passes again; a dead one is not taken for fresh until the clock catches up.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { aheadOf, CLOCK_TOLERANCE_MS, elapsedSince } from '../common/time.js';
import { formatDuration } from '../common/duration.js';
import { errnoCode } from '../common/fs-errors.js';
import type { FileCheckSpec } from './schema.js';
import type { Check, CheckOutcome } from './types.js';

/** The `file` check type. */
export const fileChecker: Check<FileCheckSpec> = {
  type: 'file',
  cost: 1,

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
      const code = errnoCode(error);
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied:' : `cannot read (${code ?? 'error'})`;
      return { ok: false, latencyMs: latency(), error: `${why} ${spec.path}` };
    }
    const now = ctx.deps.now();
    const ahead = aheadOf(mtimeMs, now);
    if (ahead > Math.min(CLOCK_TOLERANCE_MS, spec.max_age)) {
      return { ok: false, latencyMs: latency(), error: `${spec.path} was modified ${formatDuration(ahead)} in the future (clock change?)` };
    }
    const age = elapsedSince(mtimeMs, now);
    if (age > spec.max_age) {
      return {
        ok: false,
        latencyMs: latency(),
        error: `${spec.path} is ${formatDuration(age)} old (max ${formatDuration(spec.max_age)})`,
      };
    }
    return { ok: true, latencyMs: latency(), detail: `${formatDuration(age)} old` };
  },
};
