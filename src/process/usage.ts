/**
 * How much memory and CPU a process uses now. Resident memory is what `ps -o rss= -p PID` says
 * (KiB on Linux and macOS alike: binary units, as ps counts). CPU is the share of one core it used
 * over a short interval, from two reads of its CPU time — not ps's `%cpu`, which is an average
 * over the process's whole life and hides a process that has just started spinning. The CPU time
 * is read from `/proc/PID/stat` on Linux (utime + stime, in clock ticks) and from
 * `ps -o time= -p PID` elsewhere (macOS prints it to the hundredth of a second).
 *
 * The interval is real time (a timer, not `Deps.sleep`): it measures work the process really did.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { ExecOptions, ExecResult } from './exec.js';
import { procStatFields } from './identity.js';

/** The clock ticks per second of /proc's CPU times: USER_HZ, 100 on every Linux architecture heal runs on. */
const LINUX_TICKS_PER_SECOND = 100;

export type ProcessUsage = {
  /** Resident memory, in bytes. */
  rssBytes: number;
  /** Share of one core used over the sample, in percent (200 = two cores busy). */
  cpuPercent: number;
};

export type UsageRead = ({ ok: true } & ProcessUsage) | { ok: false; error: string; gone?: boolean };

type Exec = (argv: readonly string[], options: ExecOptions) => Promise<ExecResult>;

export type UsageOptions = {
  exec: Exec;
  /** How long the CPU sample lasts. */
  sampleMs: number;
  /** Each `ps` call is cut at this. */
  timeoutMs: number;
  signal?: AbortSignal;
  platform?: NodeJS.Platform;
};

/** Resident memory in bytes, from `ps -o rss= -p PID` (KiB). */
export async function residentBytes(pid: number, options: Pick<UsageOptions, 'exec' | 'timeoutMs' | 'signal'>): Promise<number | { error: string; gone?: boolean }> {
  const result = await options.exec(['ps', '-o', 'rss=', '-p', String(pid)], { timeoutMs: options.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
  const kib = Number(result.stdout.trim());
  if (result.exitCode === 0 && result.stdout.trim() !== '' && Number.isFinite(kib)) return kib * 1024;
  // ps exits 1 and prints nothing when no process has the pid.
  if (result.exitCode === 1 && result.stdout.trim() === '') return { error: `no process ${pid}`, gone: true };
  return { error: `ps -o rss= -p ${pid}: ${result.failure ?? `unreadable output ${JSON.stringify(result.stdout.slice(0, 80))}`}` };
}

/** "1:02.50" (macOS), "01:02:03", "2-01:02:03" → milliseconds. */
export function parsePsTime(text: string): number | undefined {
  const match = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!match) return undefined;
  const [, days, hours, minutes, seconds] = match;
  return Math.round((((Number(days ?? 0) * 24 + Number(hours ?? 0)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000);
}

/** utime + stime (fields 14 and 15) of a /proc/PID/stat text, in milliseconds. */
export function parseProcStatCpuMs(stat: string): number | undefined {
  const fields = procStatFields(stat);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1000) / LINUX_TICKS_PER_SECOND;
}

/** The CPU time the process has used so far, in milliseconds. */
export async function cpuTimeMs(pid: number, options: Pick<UsageOptions, 'exec' | 'timeoutMs' | 'signal' | 'platform'>): Promise<number | { error: string; gone?: boolean }> {
  if ((options.platform ?? process.platform) === 'linux') {
    try {
      const ms = parseProcStatCpuMs(await readFile(`/proc/${pid}/stat`, 'utf8'));
      return ms ?? { error: `/proc/${pid}/stat: unreadable` };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ESRCH' ? { error: `no process ${pid}`, gone: true } : { error: `/proc/${pid}/stat: ${code ?? (error as Error).message}` };
    }
  }
  const result = await options.exec(['ps', '-o', 'time=', '-p', String(pid)], { timeoutMs: options.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
  if (result.exitCode === 1 && result.stdout.trim() === '') return { error: `no process ${pid}`, gone: true };
  const ms = result.exitCode === 0 ? parsePsTime(result.stdout) : undefined;
  return ms ?? { error: `ps -o time= -p ${pid}: ${result.failure ?? `unreadable output ${JSON.stringify(result.stdout.slice(0, 80))}`}` };
}

/** Memory now and CPU over `sampleMs` of one process. Never throws. */
export async function readUsage(pid: number, options: UsageOptions): Promise<UsageRead> {
  const before = await cpuTimeMs(pid, options);
  if (typeof before !== 'number') return { ok: false, ...before };
  const from = performance.now();
  await delay(options.sampleMs, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
  const [after, rss] = await Promise.all([cpuTimeMs(pid, options), residentBytes(pid, options)]);
  const elapsed = performance.now() - from;
  if (typeof after !== 'number') return { ok: false, ...after };
  if (typeof rss !== 'number') return { ok: false, ...rss };
  return { ok: true, rssBytes: rss, cpuPercent: elapsed > 0 ? Math.max(0, ((after - before) / elapsed) * 100) : 0 };
}
