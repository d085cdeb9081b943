/**
 * Who a process is, beyond its pid: a pid is reused once its process is gone, so a record such as
 * a lock names its writer by pid and by the moment the kernel started it. Start times come from
 * the kernel, not the wall clock, so setting the clock changes neither ours nor anyone's:
 *
 * - Linux: `/proc/<pid>/stat` field 22 (clock ticks since boot), with the boot's id
 *   (`/proc/sys/kernel/random/boot_id`) and our pid namespace (`/proc/self/ns/pid`): a pid is only
 *   meaningful within one boot and one pid namespace.
 * - macOS and other Unixes: `ps -o lstart= -p <pid>` (the start time the kernel recorded).
 */
import { execFile } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { errnoCode } from '../common/fs-errors.js';

/** What identifies a process: its pid, and where available when and where it was started. */
export type ProcessIdentity = {
  pid: number;
  /** When the kernel started it, in the platform's own terms; undefined when unknown. */
  start?: string;
  /** Linux: the boot it runs in. */
  boot?: string;
  /** Linux: its pid namespace ("pid:[4026531836]"). */
  pidns?: string;
};

/** What became of the process a record names. */
export type Liveness = 'alive' | 'gone' | 'replaced';

/** How long `ps` may take to answer. */
const PS_TIMEOUT_MS = 2_000;

let own: Promise<ProcessIdentity> | undefined;

/** This process's identity (read once). */
export function ownIdentity(): Promise<ProcessIdentity> {
  own ??= (async () => {
    const pid = process.pid;
    if (process.platform === 'linux') {
      const boot = readText('/proc/sys/kernel/random/boot_id')?.trim();
      const pidns = readLink('/proc/self/ns/pid');
      const start = await startOf(pid);
      return { pid, ...(start ? { start } : {}), ...(boot ? { boot } : {}), ...(pidns ? { pidns } : {}) };
    }
    const start = await startOf(pid);
    return { pid, ...(start ? { start } : {}) };
  })();
  return own;
}

/** When the kernel started the process `pid`, as recorded in an identity; undefined when it cannot be read. */
export async function startOf(pid: number): Promise<string | undefined> {
  return process.platform === 'linux' ? linuxStart(pid)?.start : psStart(pid);
}

/**
 * Whether the process `recorded` names still runs here: `gone` when no process has its pid (or
 * it is a zombie), `replaced` when one does but was started at another moment (the pid was
 * reused), else `alive` — also when its start time cannot be read (another user's process under
 * a `hidepid` /proc): a live process is never taken for a dead one.
 */
export async function liveness(recorded: Pick<ProcessIdentity, 'pid' | 'start'>): Promise<Liveness> {
  if (!pidExists(recorded.pid)) return 'gone';
  if (process.platform === 'linux') {
    const now = linuxStart(recorded.pid);
    if (now === undefined) return pidExists(recorded.pid) ? 'alive' : 'gone';
    if (now.zombie) return 'gone';
    return recorded.start === undefined || now.start === recorded.start ? 'alive' : 'replaced';
  }
  if (recorded.start === undefined) return 'alive';
  const now = await psStart(recorded.pid);
  if (now === undefined) return pidExists(recorded.pid) ? 'alive' : 'gone';
  return now === recorded.start ? 'alive' : 'replaced';
}

/**
 * The identity of a process this one has just started (it runs in our boot and pid namespace);
 * undefined when its start time cannot be read, because it has already exited.
 */
export async function childIdentity(pid: number): Promise<ProcessIdentity | undefined> {
  const start = await startOf(pid);
  if (start === undefined) return undefined;
  const { boot, pidns } = await ownIdentity();
  return { pid, start, ...(boot ? { boot } : {}), ...(pidns ? { pidns } : {}) };
}

/**
 * {@link liveness} of a recorded process as seen from here: a record from another boot or pid
 * namespace names no process here, so it is `gone`, whatever now has its pid.
 */
export async function livenessHere(recorded: ProcessIdentity): Promise<Liveness> {
  const me = await ownIdentity();
  if ((recorded.boot && me.boot && recorded.boot !== me.boot) || (recorded.pidns && me.pidns && recorded.pidns !== me.pidns)) return 'gone';
  return liveness(recorded);
}

/**
 * Whether a process with this pid exists, as `kill(pid, 0)` says: a zombie (exited, not reaped
 * yet) still does, and so does another user's process (EPERM: it exists, it is not ours to signal).
 */
export function pidExists(pid: number): boolean {
  return signalProbe(pid) !== 'none';
}

/** What {@link probePid} says of a pid. */
export type PidState = 'alive' | 'gone' | 'foreign';

/**
 * Whether the pid is a running process, for waiting on one to go: `gone` when no process has it
 * or it is a zombie (it has exited; only its parent's wait is missing — Linux only, elsewhere a
 * zombie counts as alive), `foreign` when it runs but belongs to someone we may not signal, else
 * `alive`.
 */
export function probePid(pid: number): PidState {
  const probe = signalProbe(pid);
  if (probe === 'none') return 'gone';
  if (probe === 'foreign') return 'foreign';
  return procStat(pid)?.[0] === 'Z' ? 'gone' : 'alive';
}

/** `kill(pid, 0)`: the process is ours to signal, exists but is not ours (EPERM), or there is none. */
function signalProbe(pid: number): 'ours' | 'foreign' | 'none' {
  try {
    process.kill(pid, 0);
    return 'ours';
  } catch (error) {
    return errnoCode(error) === 'EPERM' ? 'foreign' : 'none';
  }
}

/**
 * The fields of /proc/<pid>/stat from field 3 (the state: "R", "S", "Z", …) on; undefined when
 * it cannot be read (no such process, or no /proc).
 */
function procStat(pid: number): string[] | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  return stat === undefined ? undefined : procStatFields(stat);
}

/**
 * The fields of a /proc/<pid>/stat text from field 3 (the state) on: field N is at index N − 3.
 * The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
 */
export function procStatFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Field 22 of /proc/<pid>/stat, and whether the process is a zombie; undefined when unreadable. */
function linuxStart(pid: number): { start: string; zombie: boolean } | undefined {
  const fields = procStat(pid);
  const start = fields?.[22 - 3];
  return fields && start ? { start, zombie: fields[0] === 'Z' } : undefined;
}

/** `ps -o lstart= -p <pid>`: the process's start time as ps prints it; undefined when none. */
function psStart(pid: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'lstart=', '-p', String(pid)], { timeout: PS_TIMEOUT_MS, env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' } }, (error, stdout) => {
      const start = String(stdout).trim().replace(/\s+/g, ' ');
      resolve(error || !start ? undefined : start);
    });
  });
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
