/**
 * Is the Node that runs heal one package.json's `engines.node` allows? Pure: heal's ranges are
 * `>=N` or `>=N.M.P` (several joined with `||` are each tried), compared numerically.
 */
import { fail, pass, type Finding } from './finding.js';

/** `v20.19.1` or `20.19.1` → [20, 19, 1]; undefined for anything else. */
export function parseVersion(text: string): [number, number, number] | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

function atLeast(version: readonly number[], floor: readonly number[]): boolean {
  for (let i = 0; i < 3; i++) {
    const a = version[i] ?? 0;
    const b = floor[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/**
 * The finding for `version` (process.version) against `engines` (package.json's `engines.node`):
 * `✓ Node v20.19.1 runs heal (supported: >=20)`, or `✗ Node v18.20.0 runs heal, which needs >=20 — …`.
 * A range it cannot read fails, naming it.
 */
export function judgeNode(version: string, engines: string, execPath: string): Finding {
  const floors = engines.split('||').map((part) => /^\s*>=\s*(\S+)\s*$/.exec(part)?.[1]).map((v) => (v === undefined ? undefined : parseVersion(v)));
  const running = parseVersion(version);
  if (running === undefined || floors.length === 0 || floors.some((f) => f === undefined)) {
    return fail(`cannot compare Node ${version} with engines ${JSON.stringify(engines)} in heal's package.json`, 'reinstall heal: its package.json is not one heal wrote');
  }
  if (floors.some((floor) => atLeast(running, floor as number[]))) return pass(`Node ${version} runs heal (${execPath}; supported: ${engines})`);
  return fail(
    `Node ${version} runs heal (${execPath}), which needs ${engines}`,
    `install a supported Node (nodejs.org, or your package manager) and re-run heal install so the schedule uses it`,
  );
}
