/**
 * `heal init --from systemd` (effects): the running services of the system manager and, when
 * there is one, the user's (`systemctl --user`), each unit's MainPID, FragmentPath and
 * Description, and the TCP ports its main process and that process's descendants listen on.
 */
import type { Deps } from '../deps.js';
import { HealError } from '../common/errors.js';
import { currentUid } from '../supervisors/launchctl.js';
import { runSystemctl } from '../supervisors/systemctl.js';
import { linuxListeners, processParents } from './linux-sockets.js';
import { withDescendants } from './process-tree.js';
import { isOwnUnit, parseListUnits, parseShowBlocks, SHOW_PROPERTIES, type ShownUnit } from './systemd-units.js';
import type { FoundJob } from './types.js';

/** How long each systemctl call may take. */
const SYSTEMCTL_TIMEOUT_MS = 15_000;

/** The running units of one manager; undefined when that manager cannot be reached. */
async function runningUnits(deps: Pick<Deps, 'exec' | 'env'>, user: boolean): Promise<ShownUnit[] | undefined> {
  const call = { timeoutMs: SYSTEMCTL_TIMEOUT_MS, user: 'init' as const };
  const listed = await runSystemctl(deps, user, ['list-units', '--type=service', '--state=running', '--no-legend', '--plain', '--no-pager'], call);
  if (!listed.ok) {
    if (user) return undefined;
    throw new HealError('usage', `init --from systemd: ${listed.error} — heal init reads a running systemd's units (on macOS: heal init --from launchd)`);
  }
  const units = parseListUnits(listed.stdout);
  if (units.length === 0) return [];
  const shown = await runSystemctl(deps, user, ['show', `--property=${SHOW_PROPERTIES.join(',')}`, '--', ...units], call);
  if (!shown.ok) throw new HealError('usage', `init --from systemd: ${shown.error}`);
  return parseShowBlocks(shown.stdout);
}

/** The running systemd services and what they listen on; `notes` says what could not be asked. */
export async function discoverSystemd(deps: Pick<Deps, 'exec' | 'env'>, home: string, uid = currentUid()): Promise<{ jobs: FoundJob[]; notes: string[] }> {
  const notes: string[] = [];
  const system = (await runningUnits(deps, false)) ?? [];
  const user = await runningUnits(deps, true);
  if (user === undefined) notes.push('no user manager answered (systemctl --user): only the system manager was asked');
  const units = [...system.map((unit) => ({ unit, user: false })), ...(user ?? []).map((unit) => ({ unit, user: true }))];

  if (uid !== 0 && system.some((unit) => unit.mainPid !== undefined)) {
    notes.push("not run as root: the ports of the system's units that run as other users cannot be seen (ss and /proc show only your own processes' sockets); sudo heal init sees them");
  }
  const parents = await processParents();
  const trees = units.map(({ unit }) => (unit.mainPid === undefined ? [] : withDescendants(unit.mainPid, parents)));
  const { listeners, via } = await linuxListeners(deps, [...new Set(trees.flat())]);
  if (via === 'proc') notes.push('ss did not answer in full: listeners were read from /proc/net/tcp and /proc/PID/fd');

  const jobs = units.map(({ unit, user: isUser }, i): FoundJob => {
    const tree = new Set(trees[i]);
    return {
      supervisor: 'systemd',
      id: unit.id,
      ...(isUser ? { user: true } : {}),
      ...(unit.fragment ? { fragment: unit.fragment } : {}),
      // systemd's Description is the unit's name when the unit gives none: nothing to say then.
      ...(unit.description && unit.description !== unit.id ? { about: unit.description } : {}),
      ...(unit.mainPid !== undefined ? { pid: unit.mainPid } : {}),
      own: isOwnUnit(unit.fragment, home),
      listeners: listeners.filter((l) => l.pids.some((pid) => tree.has(pid))).map(({ address, port }) => ({ address, port })),
    };
  });
  return { jobs, notes };
}
