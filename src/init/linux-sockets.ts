/**
 * Who listens on which TCP port on Linux, and the process tree (effects): `ss -Hltnp` first; when
 * ss is missing, fails, or prints more than heal keeps of a command's output, `/proc/net/tcp` and
 * `/proc/net/tcp6` matched with the sockets in each pid's `/proc/PID/fd`.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { Deps } from '../deps.js';
import { OUTPUT_CAP_BYTES } from '../process/exec.js';
import { parseProcNetTcp, parseSs, socketInode, type OwnedListener } from './listeners.js';
import { parentFromStat } from './process-tree.js';

/** How long `ss` may take. */
const SS_TIMEOUT_MS = 10_000;

/** The TCP listeners and the pids holding them, and which tool said so. */
export async function linuxListeners(deps: Pick<Deps, 'exec'>, pids: readonly number[], procRoot = '/proc'): Promise<{ listeners: OwnedListener[]; via: 'ss' | 'proc' }> {
  const ss = await deps.exec(['ss', '-Hltnp'], { timeoutMs: SS_TIMEOUT_MS });
  // exec keeps at most OUTPUT_CAP_BYTES of output: a machine with thousands of listeners is read from /proc.
  const whole = Buffer.byteLength(ss.stdout) < OUTPUT_CAP_BYTES - 1_024;
  if (ss.exitCode === 0 && ss.failure === undefined && whole) return { listeners: parseSs(ss.stdout), via: 'ss' };
  return { listeners: await procListeners(pids, procRoot), via: 'proc' };
}

/** The listeners of /proc/net/tcp{,6} whose socket one of `pids` holds open. */
export async function procListeners(pids: readonly number[], procRoot = '/proc'): Promise<OwnedListener[]> {
  const sockets = new Map<number, OwnedListener>();
  for (const file of ['tcp', 'tcp6']) {
    const text = await readFile(`${procRoot}/net/${file}`, 'utf8').catch(() => '');
    for (const { inode, ...listener } of parseProcNetTcp(text)) sockets.set(inode, { ...listener, pids: [] });
  }
  for (const pid of pids) {
    const fds = await readdir(`${procRoot}/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const inode = socketInode(await readlink(`${procRoot}/${pid}/fd/${fd}`).catch(() => ''));
      const socket = inode === undefined ? undefined : sockets.get(inode);
      if (socket && !socket.pids.includes(pid)) socket.pids.push(pid);
    }
  }
  return [...sockets.values()].filter((s) => s.pids.length > 0);
}

/** Every process's parent, from /proc/PID/stat. */
export async function processParents(procRoot = '/proc'): Promise<Map<number, number>> {
  const parents = new Map<number, number>();
  for (const entry of await readdir(procRoot).catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentFromStat(await readFile(`${procRoot}/${entry}/stat`, 'utf8').catch(() => ''));
    if (ppid !== undefined) parents.set(Number(entry), ppid);
  }
  return parents;
}
