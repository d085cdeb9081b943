/**
 * The process a detached restart started is written into the state as soon as it runs, not at the
 * scan's end: heal SIGKILLed while it verifies the restart still leaves that process in the state,
 * so the next scan stops it before it starts another (no second copy, no orphan) — the built CLI,
 * a real detached service, a real SIGKILL.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, waitFor, workspace } from '../helpers/cli.js';
import { startHeal } from './support.js';

/** The service: appends its pid to `pids`, then runs until stopped. It never opens its port. */
const SERVICE = [process.execPath, '-e', "require('fs').appendFileSync('pids', process.pid + '\\n'); setInterval(() => {}, 1000)"];

function manifest(port: number, verifyTimeout: string): string {
  return `version: 1
scan_timeout: 3m
defaults: { timeout: 500ms, cooldown: 0s, verify_timeout: ${verifyTimeout}, flap_threshold: 1000 }
services:
  svc:
    checks: [ { type: port, port: ${port} } ]
    restart: { type: command, detach: true, stop_grace: 10s, run: ${JSON.stringify(SERVICE)} }
`;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** What a test started: the services (detached, in sessions of their own) and heal's process group. */
let servicePids: number[] = [];
let healGroup: number | undefined;
afterEach(() => {
  if (healGroup !== undefined && alive(healGroup)) process.kill(-healGroup, 'SIGKILL');
  for (const pid of servicePids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  [servicePids, healGroup] = [[], undefined];
});

describe('a detached restart\'s process', () => {
  it('is in the state while the scan still verifies it; killed there, the next scan stops it before starting another', async () => {
    const port = await freePort();
    const ws = await workspace(manifest(port, '2m'));
    const pids = async () => (await readFile(join(ws.dir, 'pids'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
    const recorded = async () => {
      const text = await readFile(join(ws.stateDir, 'state.json'), 'utf8').catch(() => '');
      try {
        return (JSON.parse(text) as { services?: { svc?: { process?: { pid: number } } } }).services?.svc?.process?.pid;
      } catch {
        return undefined; // not written yet
      }
    };

    // The port never opens: the scan waits in verify (2 minutes) while the test looks at the state.
    const heal = startHeal(['scan', '--config', ws.manifest, '--state-dir', ws.stateDir], { cwd: ws.dir });
    healGroup = heal.pid;
    try {
      await waitFor(async () => (await pids()).length === 1 && (await recorded()) !== undefined, 60_000);
    } finally {
      servicePids.push(...(await pids()));
    }
    const [first] = await pids();
    expect(await recorded()).toBe(first);

    process.kill(-heal.pid, 'SIGKILL');
    expect((await heal.exited).signal).toBe('SIGKILL');
    expect(alive(first!)).toBe(true);
    expect(await recorded()).toBe(first);

    // The next scan (verify now short) stops the process it finds written down, then starts one.
    await ws.write(manifest(port, '1s'));
    const next = await ws.heal('scan');
    expect(next.code, next.stderr).toBe(1);
    const [, second] = await pids();
    servicePids.push(second!);
    expect(second).toBeGreaterThan(0);
    await waitFor(() => !alive(first!), 20_000);
    expect(await recorded()).toBe(second);
  }, 180_000);
});
