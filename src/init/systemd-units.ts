/** Reading what systemctl says about units for `heal init` (pure). */
import { parseShow } from '../supervisors/systemctl.js';

/** The properties `heal init` asks `systemctl show` for. */
export const SHOW_PROPERTIES = ['Id', 'MainPID', 'FragmentPath', 'Description'] as const;

/** `systemctl list-units --type=service --state=running --no-legend --plain`: the first column of each line. */
export function parseListUnits(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((unit) => unit.endsWith('.service'));
}

/** A unit as `systemctl show -p Id,MainPID,FragmentPath,Description A B …` tells it. */
export type ShownUnit = { id: string; mainPid: number | undefined; fragment: string | undefined; description: string | undefined };

/** `systemctl show` of several units: one block of `Key=Value` lines per unit, blank lines between. */
export function parseShowBlocks(stdout: string): ShownUnit[] {
  return stdout
    .split(/\n\s*\n/)
    .map((block) => parseShow(block))
    .filter((props) => props['Id'])
    .map((props) => {
      const pid = Number(props['MainPID']);
      return {
        id: props['Id'] as string,
        mainPid: Number.isInteger(pid) && pid > 0 ? pid : undefined,
        fragment: props['FragmentPath'] || undefined,
        description: props['Description'] || undefined,
      };
    });
}

/** Where the user's own units live (FragmentPath under one of them): the admin's, the runtime's, the user's. */
export function ownUnitDirs(home: string): string[] {
  return ['/etc/systemd/system/', '/run/systemd/system/', '/etc/systemd/user/', `${home.replace(/\/$/, '')}/.config/systemd/user/`];
}

/** Whether a unit loaded from `fragment` is one of the user's own. */
export function isOwnUnit(fragment: string | undefined, home: string): boolean {
  return fragment !== undefined && ownUnitDirs(home).some((dir) => fragment.startsWith(dir));
}
