/**
 * The process check through the real `scan()`, in this process, with real services
 * (test/fixtures/process-service.mjs): a detached service that grows past max_rss is replaced, and
 * the pid of the new process is recorded and read on the next scan; a service that writes a
 * pidfile and spins the CPU past max_cpu is replaced; a service whose process is gone is brought
 * back; a LaunchAgent's pid is read from `launchctl print` (the fake launchctl, test/fixtures/bin,
 * which follows the real one) before and after `kickstart -k` replaced it. Limits sit far from what the services use (a fresh node process holds some 50 MiB, the
 * grown one 320 MiB more; an idle one uses no CPU, the spinning one two threads' worth), so a
 * loaded two-core machine cannot tip them. A dry run shows what the checks saw before the heal.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onTestFinished, describe, expect, it } from 'vitest';
import { probePid } from '../../src/process/identity.js';
import { FIXTURES, waitFor } from '../helpers/cli.js';
import { UID, useFakeTool, type LaunchctlScenario } from '../helpers/fake-supervisors.js';
import { MINUTE, simWorkspace, type SimWorkspace } from '../helpers/sim.js';

const SERVICE = join(FIXTURES, 'process-service.mjs');
const NODE = JSON.stringify(process.execPath);

/**
 * Once the test is over (passed or not), kills every pid `pids` gives and the process the state
 * last recorded for api.
 */
function killAfterTest(ws: SimWorkspace, pids: () => Promise<number[]>): void {
  onTestFinished(async () => {
    const recorded = (await ws.state()).services['api']?.process?.pid ?? 0;
    // Never 0 or 1 (a missing pidfile reads as 0, and kill(0) is our own process group).
    for (const pid of [...(await pids()), recorded].filter((pid) => pid > 1 && pid !== process.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
}

/** Settings that leave the clock, not the policy, to decide: each scan may restart. */
const DEFAULTS = 'defaults: { cooldown: 0s, verify_timeout: 40s, timeout: 5s }\nscan_timeout: 2m';

/** A workspace with one service "api": its process check's limits, and its restart (flow YAML, or an indented block). */
function apiWorkspace(check: string, restart: string): Promise<SimWorkspace> {
  return simWorkspace(`version: 1
${DEFAULTS}
services:
  api:
    checks: [ { type: process, ${check} } ]
    restart: ${restart}
`);
}

/** Creates the trigger `name` in the workspace and waits for the service to write `done` (its pid). */
async function trigger(ws: SimWorkspace, name: 'grow' | 'spin', done: 'grown' | 'spinning'): Promise<number> {
  await writeFile(join(ws.dir, name), '');
  let pid = 0;
  await waitFor(async () => (pid = Number(await readFile(join(ws.dir, done), 'utf8').catch(() => ''))) > 0, 30_000);
  return pid;
}

/** The one check of `api` in a report of `scan()`. */
async function processCheckOf(ws: SimWorkspace, options: { dryRun?: boolean } = {}) {
  const report = await ws.scan(options);
  const api = report.services.find((s) => s.name === 'api')!;
  return { api, check: api.checks[0]! };
}

describe('a process check in a scan', () => {
  it('replaces a detached service that grew past max_rss, records the new pid, and reads that pid on the next scan', async () => {
    const ws = await apiWorkspace('max_rss: 200MB', `{ type: command, run: [${NODE}, ${JSON.stringify(SERVICE)}], detach: true }`);
    const seen: number[] = [];
    killAfterTest(ws, async () => seen);
    const recordedPid = async (): Promise<number> => {
      const pid = (await ws.remembered('api')).process?.pid;
      if (pid === undefined) throw new Error('the state records no process for api');
      seen.push(pid);
      return pid;
    };

    // Heal never started it: no pid to look at, and the restart starts one.
    expect((await processCheckOf(ws, { dryRun: true })).check).toMatchObject({ ok: false, error: 'no pid: heal has started no process for this service yet (detach: true); the restart starts one' });
    expect((await processCheckOf(ws)).api).toMatchObject({ status: 'healed', checks: [{ type: 'process', ok: true }] });
    const first = await recordedPid();
    expect(await ws.remembered('api')).toMatchObject({ process: { pid: first, start: expect.any(String) } });

    // It grows past max_rss: down, and the restart replaces it (stopping the old one first).
    expect(await trigger(ws, 'grow', 'grown')).toBe(first);
    ws.clock.advance(5 * MINUTE);
    expect((await processCheckOf(ws, { dryRun: true })).check).toMatchObject({ ok: false, error: expect.stringMatching(new RegExp(`^pid ${first} uses \\d{3} MiB, max_rss 200 MiB$`)) });
    expect((await processCheckOf(ws)).api).toMatchObject({ status: 'healed', action: expect.stringMatching(/^restarted/) });
    const second = await recordedPid();
    expect(second).not.toBe(first);
    await waitFor(() => probePid(first) === 'gone', 10_000);

    // The next scan reads the new pid: up while it is small, and named when it grows too.
    ws.clock.advance(5 * MINUTE);
    expect((await processCheckOf(ws)).api).toMatchObject({ status: 'up', checks: [{ ok: true }] });
    await writeFile(join(ws.dir, 'grown'), '');
    expect(await trigger(ws, 'grow', 'grown')).toBe(second);
    ws.clock.advance(5 * MINUTE);
    expect((await processCheckOf(ws, { dryRun: true })).check).toMatchObject({ ok: false, error: expect.stringMatching(new RegExp(`^pid ${second} uses \\d{3} MiB, max_rss 200 MiB$`)) });
  });

  it('brings back a detached service whose process is gone, naming the pid it had', async () => {
    const ws = await apiWorkspace('max_rss: 1GB, max_cpu: 300%', `{ type: command, run: [${NODE}, ${JSON.stringify(SERVICE)}], detach: true }`);
    const seen: number[] = [];
    killAfterTest(ws, async () => seen);
    expect((await processCheckOf(ws)).api).toMatchObject({ status: 'healed' });
    const first = (await ws.remembered('api')).process!.pid;
    seen.push(first);

    process.kill(first, 'SIGKILL');
    await waitFor(() => probePid(first) === 'gone', 10_000);
    ws.clock.advance(5 * MINUTE);
    expect((await processCheckOf(ws, { dryRun: true })).check).toMatchObject({ ok: false, error: `no process: pid ${first} from heal's detached start is gone` });
    expect((await processCheckOf(ws)).api).toMatchObject({ status: 'healed' });
    const second = (await ws.remembered('api')).process!.pid;
    seen.push(second);
    expect(second).not.toBe(first);
    expect(probePid(second)).toBe('alive');
  });

  it('replaces a service that writes a pidfile once it spins the CPU past max_cpu', async () => {
    const ws = await apiWorkspace('max_cpu: 20%, sample: 1s', `
      type: command
      # Starts the service in the background and returns once it wrote its pidfile, as a start script does.
      run: [sh, -c, 'rm -f api.pid; ${process.execPath} ${SERVICE} --pidfile api.pid >/dev/null 2>&1 & while [ ! -s api.pid ]; do sleep 0.05; done']
      pidfile: api.pid
      stop_grace: 2s`);
    const pidfile = async (): Promise<number> => Number(await readFile(join(ws.dir, 'api.pid'), 'utf8').catch(() => ''));
    const seen: number[] = [];
    killAfterTest(ws, async () => [...seen, await pidfile()]);

    expect((await processCheckOf(ws, { dryRun: true })).check).toMatchObject({ ok: false, error: 'no pid: pidfile api.pid is missing or holds no pid' });
    expect((await processCheckOf(ws)).api).toMatchObject({ status: 'healed', checks: [{ ok: true }] });
    const first = await pidfile();
    seen.push(first);
    // Not detached: the pid is the pidfile's, and the state records no process.
    expect(await ws.remembered('api')).not.toHaveProperty('process');

    expect(await trigger(ws, 'spin', 'spinning')).toBe(first);
    ws.clock.advance(5 * MINUTE);
    expect((await processCheckOf(ws, { dryRun: true })).check).toMatchObject({ ok: false, error: expect.stringMatching(new RegExp(`^pid ${first} uses \\d+% CPU over 1s, max_cpu 20%$`)) });
    expect((await processCheckOf(ws)).api).toMatchObject({ status: 'healed', action: expect.stringMatching(/^restarted/), checks: [{ ok: true }] });
    const second = await pidfile();
    seen.push(second);
    expect(second).not.toBe(first);
    await waitFor(() => probePid(first) === 'gone', 10_000);
  });
});

describe('a process check of a LaunchAgent', () => {
  const fake = useFakeTool<LaunchctlScenario>('launchctl');
  const LABEL = 'com.example.grower';
  const TARGET = `gui/${UID}/${LABEL}`;

  it('reads the pid launchctl print shows, and after kickstart -k replaced the grown process, the new one', async () => {
    const ws = await apiWorkspace('max_rss: 200MB', `{ type: launchd, label: ${LABEL} }`);
    // Loaded, not running (no RunAtLoad): the fake starts the program, in the workspace, on kickstart.
    await fake.scenario({ jobs: { [TARGET]: { program: [process.execPath, SERVICE], cwd: ws.dir } } });
    const pid = async (): Promise<number> => (await fake.state()).jobs?.[TARGET]?.pid ?? 0;

    expect((await processCheckOf(ws, { dryRun: true })).check).toMatchObject({ ok: false, error: `no pid: launchctl print ${TARGET} shows none (state = not running)` });
    expect((await processCheckOf(ws)).api).toMatchObject({ status: 'healed', action: `restarted (launchd: ${LABEL})`, checks: [{ ok: true }] });
    const first = await pid();
    expect(first).toBeGreaterThan(0);

    expect(await trigger(ws, 'grow', 'grown')).toBe(first);
    ws.clock.advance(5 * MINUTE);
    expect((await processCheckOf(ws, { dryRun: true })).check).toMatchObject({ ok: false, error: expect.stringMatching(new RegExp(`^pid ${first} uses \\d{3} MiB, max_rss 200 MiB$`)) });
    expect((await processCheckOf(ws)).api).toMatchObject({ status: 'healed', checks: [{ ok: true }] });
    const second = await pid();
    expect(second).not.toBe(first);
    expect(await fake.argvs()).toContainEqual(['kickstart', '-k', TARGET]);
    ws.clock.advance(5 * MINUTE);
    expect((await processCheckOf(ws)).api).toMatchObject({ status: 'up' });
  });
});
