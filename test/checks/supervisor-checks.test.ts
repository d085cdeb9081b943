/**
 * The launchd and systemd checks against fake `launchctl` and `systemctl`
 * (test/fixtures/bin), which stand in for macOS's launchctl and systemd's systemctl: same
 * arguments, same output layout and exit codes, real service processes behind them.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeCheck, runCheckOnce } from '../../src/checks/index.js';
import { launchdChecker } from '../../src/checks/launchd.js';
import { systemdChecker } from '../../src/checks/systemd.js';
import { printedFields } from '../../src/supervisors/launchctl.js';
import { launchdRestarter } from '../../src/restart/launchd.js';
import { systemdRestarter } from '../../src/restart/systemd.js';
import { checkSpec, launchdCheck, systemdCheck } from '../../src/checks/schema.js';
import { launchdRestart, systemdRestart } from '../../src/restart/schema.js';
import { freePort } from '../helpers/cli.js';
import {
  UID,
  restartContext,
  serviceProgram,
  useFakeTool,
  type LaunchctlScenario,
  type SystemctlScenario,
} from '../helpers/fake-supervisors.js';
import { checkContext } from './context.js';

const LABEL = 'com.example.api';
const GUI = `gui/${UID}`;
const USER = `user/${UID}`;

/** A real process the fake reports as the job's or unit's pid (killed by useFakeTool after the test). */
async function liveProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', detached: true });
  child.unref();
  await new Promise((resolve) => child.once('spawn', resolve));
  return child.pid as number;
}

/** Runs `probe` against an empty PATH: no launchctl, no systemctl. */
async function withoutTools<T>(probe: () => Promise<T>): Promise<T> {
  const empty = await mkdtemp(join(tmpdir(), 'heal-no-tools-'));
  process.env.PATH = empty; // restored by useFakeTool after the test
  try {
    return await probe();
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
}

describe('launchd check', () => {
  const fake = useFakeTool<LaunchctlScenario>('launchctl');
  const check = (fields: Record<string, unknown> = {}, timeoutMs = 5_000) =>
    launchdChecker.run(launchdCheck.parse({ type: 'launchd', label: LABEL, ...fields }), checkContext(timeoutMs));

  it('passes a loaded job with a pid, asking `launchctl print gui/<uid>/<label>`', async () => {
    const pid = await liveProcess();
    await fake.scenario({ jobs: { [`${GUI}/${LABEL}`]: { program: ['/usr/local/bin/api'], pid } }, started: [pid] });

    expect(await check()).toMatchObject({ ok: true, detail: `pid ${pid}` });
    expect(await fake.argvs()).toEqual([['print', `${GUI}/${LABEL}`]]);
  });

  it('fails a job that is loaded but not running, with its last exit code', async () => {
    await fake.scenario({ jobs: { [`${GUI}/${LABEL}`]: { program: ['/usr/local/bin/api'], lastExitCode: 78 } } });

    expect(await check()).toMatchObject({
      ok: false,
      error: `${GUI}/${LABEL} is loaded but not running (state = not running, last exit code = 78)`,
    });
  });

  it('fails a job launchd does not know (113) as not loaded', async () => {
    expect(await check()).toMatchObject({ ok: false, error: `not loaded: launchd has no ${GUI}/${LABEL}` });
  });

  it.each([112, 125] as const)('asks user/<uid> when the gui domain does not exist (%i)', async (code) => {
    const pid = await liveProcess();
    await fake.scenario({
      missingDomains: [GUI],
      missingDomainCode: code,
      jobs: { [`${USER}/${LABEL}`]: { program: ['/usr/local/bin/api'], pid } },
      started: [pid],
    });

    expect(await check()).toMatchObject({ ok: true, detail: `pid ${pid}` });
    expect(await fake.argvs()).toEqual([
      ['print', `${GUI}/${LABEL}`],
      ['print', `${USER}/${LABEL}`],
    ]);
  });

  it.each([
    ['gui', `${GUI}/${LABEL}`],
    ['user', `${USER}/${LABEL}`],
    ['user/501', `user/501/${LABEL}`],
  ])('asks only the configured domain %s: print %s', async (domain, target) => {
    await fake.scenario({ missingDomains: [GUI] });
    await check({ domain });
    expect(await fake.argvs()).toEqual([['print', target]]);
  });

  it('sees a job come back after the launchd restarter kickstarted it', async () => {
    await fake.scenario({ jobs: { [`${GUI}/${LABEL}`]: { program: serviceProgram(await freePort()) } } });
    expect(await check()).toMatchObject({ ok: false });

    await launchdRestarter.restart(launchdRestart.parse({ type: 'launchd', label: LABEL }), restartContext(fake.dir));

    const pid = (await fake.state()).jobs?.[`${GUI}/${LABEL}`]?.pid;
    expect(await check()).toMatchObject({ ok: true, detail: `pid ${pid}` });
  });

  it('fails with one clear line when launchctl is not installed', async () => {
    expect(await withoutTools(() => check())).toMatchObject({ ok: false, error: 'launchctl not found: the launchd check needs macOS' });
  });

  it('fails at its timeout when launchctl hangs', async () => {
    await fake.scenario({ hang: ['print'] });
    // The fake never returns: only the check's own budget can end it, and it says so.
    expect(await check({}, 500)).toMatchObject({ ok: false, error: 'timed out after 500ms' });
  });

  it('runs through the check registry', async () => {
    const spec = checkSpec.parse({ type: 'launchd', label: LABEL });
    expect(describeCheck(spec)).toBe(`launchd ${LABEL}`);
    expect(await runCheckOnce(spec, checkContext())).toMatchObject({ ok: false, error: `not loaded: launchd has no ${GUI}/${LABEL}` });
  });

  it.each([
    ['a pid at the top level', '\tpid = 42\n', { pid: '42' }],
    ['a pid inside a nested block', '\tenvironment = {\n\t\tpid = 7\n\t}\n', {}],
    ['state and last exit code', '\tstate = not running\n\tlast exit code = 1\n', { state: 'not running', 'last exit code': '1' }],
  ])('reads `launchctl print` with %s', (_, body, fields) => {
    expect(printedFields(`${GUI}/${LABEL} = {\n${body}}\n`)).toEqual(fields);
  });
});

describe('systemd check', () => {
  const fake = useFakeTool<SystemctlScenario>('systemctl');
  const check = (fields: Record<string, unknown> = {}, timeoutMs = 5_000) =>
    systemdChecker.run(systemdCheck.parse({ type: 'systemd', unit: 'api.service', ...fields }), checkContext(timeoutMs));

  const SHOW = ['show', '-p', 'LoadState', '-p', 'ActiveState', '-p', 'Result', 'api.service'];

  it.each([
    [false, 'system', SHOW],
    [true, 'user', ['--user', ...SHOW]],
  ] as const)('with user: %s passes an active %s unit, asking %j', async (user, manager, argv) => {
    const pid = await liveProcess();
    await fake.scenario({ [manager]: { 'api.service': { program: ['/usr/bin/api'], pid } }, started: [pid] });

    expect(await check({ user })).toMatchObject({ ok: true, detail: 'ActiveState=active' });
    expect(await fake.argvs()).toEqual([argv]);
  });

  it.each([
    ['a failed unit', { program: ['/usr/bin/api'], failed: true, Result: 'exit-code' }, 'ActiveState=failed, Result=exit-code'],
    ['a unit refused by its start limit', { program: ['/usr/bin/api'], failed: true, Result: 'start-limit-hit' }, 'ActiveState=failed, Result=start-limit-hit'],
    ['a stopped unit', { program: ['/usr/bin/api'] }, 'ActiveState=inactive'],
  ])('fails %s with its ActiveState and why', async (_, unit, error) => {
    await fake.scenario({ system: { 'api.service': unit } });
    expect(await check()).toMatchObject({ ok: false, error });
  });

  it('fails a unit systemd does not know as not found, though systemctl exits 0 for it', async () => {
    expect(await check()).toMatchObject({ ok: false, error: 'not found: systemd has no unit api.service (LoadState=not-found)' });
  });

  it('fails a unit whose program is missing, which systemctl restart still reported as started', async () => {
    await fake.scenario({ system: { 'api.service': { program: ['/nonexistent/heal-test-program'] } } });
    const restarted = await systemdRestarter.restart(systemdRestart.parse({ type: 'systemd', unit: 'api.service' }), restartContext(fake.dir));
    expect(restarted).toMatchObject({ ok: true });
    expect(await check()).toMatchObject({ ok: false, error: 'ActiveState=failed, Result=exit-code' });
  });

  it('reaches the user manager from cron: XDG_RUNTIME_DIR set to /run/user/<uid>', async () => {
    await check({ user: true });
    expect((await fake.calls())[0]?.env).toMatchObject({ XDG_RUNTIME_DIR: `/run/user/${UID}` });
  });

  it('sees a unit come back after the systemd restarter restarted it', async () => {
    await fake.scenario({ system: { 'api.service': { program: serviceProgram(await freePort()), failed: true } } });
    expect(await check()).toMatchObject({ ok: false, error: 'ActiveState=failed' });

    await systemdRestarter.restart(systemdRestart.parse({ type: 'systemd', unit: 'api.service' }), restartContext(fake.dir));

    expect(await check()).toMatchObject({ ok: true });
  });

  it('fails with one clear line when systemctl is not installed', async () => {
    expect(await withoutTools(() => check())).toMatchObject({ ok: false, error: 'systemctl not found: the systemd check needs Linux with systemd' });
  });

  it('fails at its timeout when systemctl hangs', async () => {
    await fake.scenario({ hang: ['show'] });
    // The fake never returns: only the check's own budget can end it, and it says so.
    expect(await check({}, 500)).toMatchObject({ ok: false, error: 'timed out after 500ms' });
  });

  it('runs through the check registry', async () => {
    const spec = checkSpec.parse({ type: 'systemd', unit: 'api.service', user: true });
    expect(describeCheck(spec)).toBe('systemd --user api.service');
    expect(await runCheckOnce(spec, checkContext())).toMatchObject({ ok: false, error: 'not found: systemd has no unit api.service (LoadState=not-found)' });
  });
});
