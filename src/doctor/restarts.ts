/**
 * Does each service's restart target exist? Pure, over what gather.ts asked: systemd's LoadState
 * of the unit, whether launchd knows the label (and whether the plist heal could bootstrap it
 * from exists), and the program problems of a command restart (manifest/programs.ts, as `heal
 * validate` gives them). Each failure names where in the manifest to fix it.
 */
import { describeLaunchctlExit, LAUNCHCTL_EXIT } from '../supervisors/launchctl.js';
import { fail, pass, type Finding } from './finding.js';

/** What was found out about one service's restart target. */
export type RestartFact =
  | { service: string; type: 'systemd'; unit: string; user: boolean; line?: number; loadState?: string; error?: string }
  | {
      service: string;
      type: 'launchd';
      label: string;
      line?: number;
      /** The `launchctl print` target asked last, e.g. `gui/501/com.example.api`. */
      target: string;
      known: boolean;
      exitCode?: number;
      notFound?: boolean;
      error?: string;
      plist?: { path: string; exists: boolean };
    }
  | { service: string; type: 'command'; program: string; problems: readonly string[] };

/** `api` → `api.service`; a name with a type suffix is kept. */
export function unitName(unit: string): string {
  return /\.[a-z]+$/.test(unit) ? unit : `${unit}.service`;
}

function inManifest(manifest: string, line: number | undefined): string {
  return line === undefined ? manifest : `${manifest} (line ${line})`;
}

/** The finding for one restart target; `manifest` is the manifest's file name as shown. */
export function judgeRestart(fact: RestartFact, manifest: string): Finding {
  const what = `restart of ${fact.service}`;
  if (fact.type === 'command') {
    if (fact.problems.length === 0) return pass(`${what}: ${fact.program} is there and executable`);
    return fail(`${what}: ${fact.problems.join('; ')}`, `fix the program's path in ${manifest}, or install it / chmod +x it`);
  }
  if (fact.type === 'systemd') {
    const manager = fact.user ? 'the user manager (systemctl --user)' : 'systemd';
    const unit = unitName(fact.unit);
    if (fact.error !== undefined) return fail(`${what}: cannot ask ${manager} about ${unit}: ${fact.error}`, `run heal where systemd runs, or use a command restart`);
    if (fact.loadState === 'loaded') return pass(`${what}: ${manager} has the unit ${unit}`);
    if (fact.loadState === 'masked') return fail(`${what}: ${manager} has ${unit} masked`, `systemctl ${fact.user ? '--user ' : ''}unmask ${unit}`);
    return fail(
      `${what}: ${manager} has no unit ${unit}${fact.loadState && fact.loadState !== 'not-found' ? ` (LoadState=${fact.loadState})` : ''}`,
      `fix the unit name in ${inManifest(manifest, fact.line)} or create the unit`,
    );
  }
  if (fact.known) return pass(`${what}: launchd knows ${fact.label} (${fact.target})`);
  if (fact.notFound) return fail(`${what}: launchctl is not on this machine, and a launchd restart needs macOS`, `use a systemd or command restart for ${fact.service} here`);
  if (fact.exitCode !== LAUNCHCTL_EXIT.noSuchService) {
    return fail(`${what}: cannot ask launchd about ${fact.label}: ${fact.error ?? (fact.exitCode === undefined ? 'no answer' : describeLaunchctlExit(fact.exitCode))}`, 'run heal as the user whose LaunchAgent it restarts');
  }
  if (fact.plist?.exists) return pass(`${what}: ${fact.label} is not loaded, and heal's restart bootstraps it from ${fact.plist.path}`);
  const domain = fact.target.slice(0, fact.target.length - fact.label.length - 1);
  if (fact.plist) {
    return fail(`${what}: launchd has no job ${fact.label} in ${domain}, and its plist ${fact.plist.path} does not exist`, `fix label or plist in ${inManifest(manifest, fact.line)}, or create the plist`);
  }
  return fail(
    `${what}: launchd has no job ${fact.label} in ${domain}`,
    `fix the label in ${inManifest(manifest, fact.line)}, or load the job (launchctl bootstrap ${domain} <its plist>) and give heal its plist`,
  );
}
