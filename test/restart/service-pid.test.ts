/**
 * The service's pid as its restart knows it: a pidfile (relative to the manifest's folder), the
 * process heal's detached start made (known by pid and start time, so a reused pid is not it), the
 * pid `launchctl print` shows, and systemd's MainPID — the last two against the fake launchctl and
 * systemctl (test/fixtures/bin), which follow the real tools. Real processes throughout.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PidFound } from '../../src/checks/types.js';
import { childIdentity, type ProcessIdentity } from '../../src/process/identity.js';
import { restartSpec } from '../../src/restart/schema.js';
import { servicePid } from '../../src/restart/service-pid.js';
import { UID, testDeps, useFakeTool, type LaunchctlScenario, type SystemctlScenario } from '../helpers/fake-supervisors.js';

let dir: string;
const children: ChildProcess[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heal-service-pid-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** A live process of our own; killed after the test. */
async function liveProcess(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  await once(child, 'spawn');
  return child as ChildProcess & { pid: number };
}

/** The pid of `restart` (a restart spec's fields), looked up once within 5 s. */
function find(restart: Record<string, unknown> | undefined, recorded?: ProcessIdentity): Promise<PidFound> | undefined {
  const lookup = servicePid(restart && restartSpec.parse(restart), { deps: testDeps(), baseDir: dir, ...(recorded ? { recorded } : {}) });
  return lookup?.({ signal: AbortSignal.timeout(5_000), timeoutMs: 5_000 });
}

const command = (fields: Record<string, unknown> = {}) => ({ type: 'command', run: ['/usr/local/bin/api'], ...fields });

describe('which restarts give a pid', () => {
  it.each([
    ['no restart', undefined],
    ['a command restart without pidfile or detach', command()],
  ])('%s gives none', (_what, restart) => {
    expect(find(restart)).toBeUndefined();
  });
});

describe('the pid from a pidfile', () => {
  it('reads the pidfile relative to the manifest folder, before a detached start heal recorded', async () => {
    const service = await liveProcess();
    const other = await liveProcess();
    await writeFile(join(dir, 'api.pid'), `${service.pid}\n`);
    expect(await find(command({ pidfile: 'api.pid', detach: true }), await childIdentity(other.pid))).toEqual({ ok: true, pid: service.pid, from: 'pidfile api.pid' });
  });

  it('is not held by a FIFO in place of the pidfile', async () => {
    execFileSync('mkfifo', [join(dir, 'api.pid')]);
    expect(await find(command({ pidfile: 'api.pid' }))).toEqual({ ok: false, error: 'no pid: pidfile api.pid is missing or holds no pid' });
  });

  it('says when the pidfile is missing or holds no pid', async () => {
    expect(await find(command({ pidfile: 'run/api.pid' }))).toEqual({ ok: false, error: 'no pid: pidfile run/api.pid is missing or holds no pid' });
    await writeFile(join(dir, 'api.pid'), 'starting\n');
    expect(await find(command({ pidfile: 'api.pid' }))).toEqual({ ok: false, error: 'no pid: pidfile api.pid is missing or holds no pid' });
  });
});

describe("the pid of heal's detached start", () => {
  it('is the recorded process while it runs', async () => {
    const service = await liveProcess();
    expect(await find(command({ detach: true }), await childIdentity(service.pid))).toEqual({ ok: true, pid: service.pid, from: "heal's detached start" });
  });

  it('is none before heal started one', async () => {
    expect(await find(command({ detach: true }))).toEqual({ ok: false, error: 'no pid: heal has started no process for this service yet (detach: true); the restart starts one' });
  });

  it('is gone once the process exited', async () => {
    const service = await liveProcess();
    const recorded = (await childIdentity(service.pid))!;
    service.kill('SIGKILL');
    await once(service, 'exit');
    expect(await find(command({ detach: true }), recorded)).toEqual({ ok: false, error: `no process: pid ${service.pid} from heal's detached start is gone` });
  });

  it('is gone when its pid now belongs to a process started at another moment (the pid was reused)', async () => {
    const other = await liveProcess();
    const recorded = { ...(await childIdentity(other.pid))!, start: '1' };
    expect(await find(command({ detach: true }), recorded)).toEqual({
      ok: false,
      error: `no process: pid ${other.pid} from heal's detached start is gone (its pid now belongs to another process)`,
    });
  });

  it.skipIf(process.platform !== 'linux')('is gone when it was recorded in an earlier boot, whatever runs with its pid now', async () => {
    const other = await liveProcess();
    const recorded = { ...(await childIdentity(other.pid))!, boot: 'an-earlier-boot' };
    expect(await find(command({ detach: true }), recorded)).toMatchObject({ ok: false, error: `no process: pid ${other.pid} from heal's detached start is gone` });
  });
});

describe('the pid launchd shows', () => {
  const fake = useFakeTool<LaunchctlScenario>('launchctl');
  const LABEL = 'com.example.api';

  it('is the job\'s pid in `launchctl print gui/<uid>/<label>`', async () => {
    const service = await liveProcess();
    await fake.scenario({ jobs: { [`gui/${UID}/${LABEL}`]: { program: ['/usr/local/bin/api'], pid: service.pid } } });
    expect(await find({ type: 'launchd', label: LABEL })).toEqual({ ok: true, pid: service.pid, from: `launchctl print gui/${UID}/${LABEL}` });
    expect(await fake.argvs()).toEqual([['print', `gui/${UID}/${LABEL}`]]);
  });

  it('is looked up in user/<uid> on a Mac nobody is logged in to at the screen', async () => {
    const service = await liveProcess();
    await fake.scenario({ missingDomains: [`gui/${UID}`], jobs: { [`user/${UID}/${LABEL}`]: { program: ['/usr/local/bin/api'], pid: service.pid } } });
    expect(await find({ type: 'launchd', label: LABEL })).toEqual({ ok: true, pid: service.pid, from: `launchctl print user/${UID}/${LABEL}` });
  });

  it('is none for a job that is loaded but not running', async () => {
    await fake.scenario({ jobs: { [`gui/${UID}/${LABEL}`]: { program: ['/usr/local/bin/api'], lastExitCode: 1 } } });
    expect(await find({ type: 'launchd', label: LABEL })).toEqual({ ok: false, error: `no pid: launchctl print gui/${UID}/${LABEL} shows none (state = not running)` });
  });

  it('is what launchctl said for a job that is not loaded', async () => {
    expect(await find({ type: 'launchd', label: LABEL })).toMatchObject({ ok: false, error: expect.stringContaining('exit 113 (could not find service)') });
  });
});

describe("systemd's MainPID", () => {
  const fake = useFakeTool<SystemctlScenario>('systemctl');

  it('is the pid of the running unit (`systemctl show -p MainPID`)', async () => {
    const service = await liveProcess();
    await fake.scenario({ system: { 'api.service': { program: ['/usr/local/bin/api'], pid: service.pid } } });
    expect(await find({ type: 'systemd', unit: 'api.service' })).toEqual({ ok: true, pid: service.pid, from: 'systemd MainPID of api.service' });
  });

  it('asks the user manager for a --user unit', async () => {
    const service = await liveProcess();
    await fake.scenario({ user: { 'api.service': { program: ['/usr/local/bin/api'], pid: service.pid } } });
    expect(await find({ type: 'systemd', unit: 'api.service', user: true })).toMatchObject({ ok: true, pid: service.pid });
    expect((await fake.argvs())[0]).toEqual(expect.arrayContaining(['--user', 'show', 'api.service']));
  });

  it('is none while the unit is not running (MainPID=0), saying its state', async () => {
    await fake.scenario({ system: { 'api.service': { program: ['/usr/local/bin/api'] } } });
    expect(await find({ type: 'systemd', unit: 'api.service' })).toEqual({ ok: false, error: 'no pid: systemd MainPID of api.service is 0 (ActiveState=inactive)' });
  });

  it('is none for a unit systemd does not know', async () => {
    expect(await find({ type: 'systemd', unit: 'nope.service' })).toEqual({
      ok: false,
      error: 'no pid: systemd MainPID of nope.service is 0 (not found: systemd has no unit nope.service (LoadState=not-found))',
    });
  });
});
