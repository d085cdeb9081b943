/**
 * The `process` check: the resident memory and the CPU share of the service's own process, found
 * by the pid its restart knows (restart/service-pid.ts; the scan hands the lookup in as `ctx.pid`).
 * Memory is what `ps -o rss=` says, in binary units; CPU is the share of one core used over
 * `sample` — two reads of the process's CPU time (process/usage.ts), not ps's lifetime average —
 * cut to half the attempt's budget so the reads fit in it. Over `max_rss` or `max_cpu` fails, and
 * so does a pid that is gone: the restart brings the service back.
 */
import { timedOutAfter } from '../common/deadline.js';
import { formatDuration } from '../common/duration.js';
import { formatSize } from '../common/size.js';
import { readUsage, residentBytes } from '../process/usage.js';
import type { ProcessCheckSpec } from './schema.js';
import type { Check, CheckOutcome } from './types.js';

/** "no process: pid 4242 from pidfile run/api.pid is gone". */
export function goneError(pid: number, from: string): string {
  return `no process: pid ${pid} from ${from} is gone`;
}

/** A CPU share in whole percent. */
const percent = (value: number): string => `${Math.round(value)}%`;

/** What the process uses against the limits: the detail when within them, else the error. */
export function judgeUsage(spec: Pick<ProcessCheckSpec, 'max_rss' | 'max_cpu'>, pid: number, usage: { rssBytes: number; cpuPercent?: number }, sampleMs: number): { ok: true; detail: string } | { ok: false; error: string } {
  const over: string[] = [];
  if (spec.max_rss !== undefined && usage.rssBytes > spec.max_rss) over.push(`${formatSize(usage.rssBytes)}, max_rss ${formatSize(spec.max_rss)}`);
  const cpu = usage.cpuPercent;
  if (spec.max_cpu !== undefined && cpu !== undefined && cpu > spec.max_cpu) over.push(`${percent(cpu)} CPU over ${formatDuration(sampleMs)}, max_cpu ${spec.max_cpu}%`);
  if (over.length) return { ok: false, error: `pid ${pid} uses ${over.join(', and ')}` };
  return { ok: true, detail: `pid ${pid}: ${formatSize(usage.rssBytes)}${cpu === undefined ? '' : `, ${percent(cpu)} CPU`}` };
}

/** The `process` check type. */
export const processChecker: Check<ProcessCheckSpec> = {
  type: 'process',
  // The dearest: with max_cpu an attempt waits its whole sample.
  cost: 5,

  describe(spec) {
    const limits = [
      ...(spec.max_rss !== undefined ? [`max_rss ${formatSize(spec.max_rss)}`] : []),
      ...(spec.max_cpu !== undefined ? [`max_cpu ${spec.max_cpu}%`] : []),
    ];
    return `process ${limits.join(', ')}`;
  },

  async run(spec, ctx): Promise<CheckOutcome> {
    const started = ctx.deps.now();
    const failed = (error: string): CheckOutcome => ({ ok: false, latencyMs: ctx.deps.now() - started, error: ctx.signal.aborted ? timedOutAfter(ctx.timeoutMs) : error });
    if (!ctx.pid) return failed("no pid: the scan gave this check no way to find the service's pid");
    const found = await ctx.pid({ signal: ctx.signal, timeoutMs: ctx.timeoutMs });
    if (!found.ok) return failed(found.error);

    const sampleMs = Math.min(spec.sample, Math.floor(ctx.timeoutMs / 2));
    const options = { exec: ctx.deps.exec, sampleMs, timeoutMs: Math.max(1, ctx.timeoutMs - (ctx.deps.now() - started)), signal: ctx.signal };
    const read = spec.max_cpu === undefined
      ? await residentBytes(found.pid, options).then((rss) => (typeof rss === 'number' ? { ok: true as const, rssBytes: rss } : { ok: false as const, ...rss }))
      : await readUsage(found.pid, options);
    if (!read.ok) return failed(read.gone ? goneError(found.pid, found.from) : read.error);
    return { latencyMs: ctx.deps.now() - started, ...judgeUsage(spec, found.pid, read, sampleMs) };
  },
};
