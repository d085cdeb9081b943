/**
 * `heal init --from launchd` (effects): the user's LaunchAgents (`~/Library/LaunchAgents/*.plist`)
 * and the jobs `launchctl list` shows loaded in the user's domain, each job's pid, its
 * descendants (`ps -axo pid=,ppid=`), and the TCP ports they listen on
 * (`lsof -nP -iTCP -sTCP:LISTEN -a -p PID,…`).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Deps } from '../deps.js';
import { HealError } from '../common/errors.js';
import { runLaunchctl } from '../supervisors/launchctl.js';
import { parseLaunchctlList } from './launchctl-list.js';
import { parseLsof } from './listeners.js';
import { readLaunchAgent } from './plist.js';
import { parsePsParents, withDescendants } from './process-tree.js';
import type { FoundJob } from './types.js';

/** How long each launchctl, ps or lsof call may take. */
const CALL_TIMEOUT_MS = 15_000;

/** The user's LaunchAgents folder. */
export function launchAgentsDir(home: string): string {
  return join(home, 'Library', 'LaunchAgents');
}

/** The LaunchAgents jobs and what they listen on; `notes` names the plists that could not be read. */
export async function discoverLaunchd(deps: Pick<Deps, 'exec' | 'env'>, home: string): Promise<{ jobs: FoundJob[]; notes: string[] }> {
  const notes: string[] = [];
  const dir = launchAgentsDir(home);
  const plists = new Map<string, { path: string; program: string[] }>();
  for (const file of (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.plist')).sort()) {
    const path = join(dir, file);
    const read = readLaunchAgent(await readFile(path, 'utf8').catch((error: Error) => `unreadable: ${error.message}`));
    if (read.ok) plists.set(read.label, { path, program: read.program });
    else notes.push(`${path}: ${read.error}`);
  }

  const listed = await runLaunchctl(deps, ['list'], { timeoutMs: CALL_TIMEOUT_MS, user: 'init' });
  if (!listed.ok) throw new HealError('usage', `init --from launchd: ${listed.error}`);
  const loaded = new Map(parseLaunchctlList(listed.stdout).map((job) => [job.label, job.pid]));

  const labels = [...new Set([...plists.keys(), ...loaded.keys()])];
  const pidOf = (label: string): number | undefined => loaded.get(label);
  const running = labels.map(pidOf).filter((pid): pid is number => pid !== undefined);

  const ps = running.length ? await deps.exec(['ps', '-axo', 'pid=,ppid='], { timeoutMs: CALL_TIMEOUT_MS }) : undefined;
  const parents = parsePsParents(ps?.exitCode === 0 ? ps.stdout : '');
  const trees = new Map(running.map((pid) => [pid, withDescendants(pid, parents)]));
  const allPids = [...new Set([...trees.values()].flat())];
  const lsof = allPids.length
    ? await deps.exec(['lsof', '-nP', '-iTCP', '-sTCP:LISTEN', '-a', '-p', allPids.join(',')], { timeoutMs: CALL_TIMEOUT_MS })
    : undefined;
  // lsof exits 1 when it found nothing to list.
  if (lsof && lsof.notFound) notes.push('lsof not found: no ports were read');
  else if (lsof && lsof.exitCode !== 0 && lsof.stdout.trim() !== '') notes.push(`lsof: ${lsof.failure ?? 'failed'}`);
  const listeners = parseLsof(lsof?.stdout ?? '');

  const jobs = labels.map((label): FoundJob => {
    const plist = plists.get(label);
    const pid = pidOf(label);
    const tree = new Set(pid === undefined ? [] : trees.get(pid));
    return {
      supervisor: 'launchd',
      id: label,
      ...(plist ? { plist: plist.path, ...(plist.program.length ? { about: plist.program.join(' ') } : {}) } : {}),
      ...(pid !== undefined ? { pid } : {}),
      own: plist !== undefined,
      listeners: listeners.filter((l) => l.pids.some((p) => tree.has(p))).map(({ address, port }) => ({ address, port })),
    };
  });
  return { jobs, notes };
}
