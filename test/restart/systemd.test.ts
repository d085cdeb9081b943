/**
 * The systemd restarter against a fake `systemctl` (test/fixtures/bin/systemctl), which stands
 * in for systemd's systemctl: same options, same failures (a `--user` call without
 * XDG_RUNTIME_DIR cannot reach the user's manager, as from cron), and `restart` starts a real
 * service process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { restart } from '../../src/restart/index.js';
import { parseShow, systemctlArgv, userManagerEnv } from '../../src/supervisors/systemctl.js';
import { refusedByStartLimit, SHOWN_PROPERTIES, systemdRestarter } from '../../src/restart/systemd.js';
import { systemdRestart } from '../../src/restart/schema.js';
import { freePort, waitFor } from '../helpers/cli.js';
import { UID, healthy, restartContext, serviceProgram, useFakeTool, type SystemctlScenario } from '../helpers/fake-supervisors.js';

const fake = useFakeTool<SystemctlScenario>('systemctl');
const SHOW = ['show', ...SHOWN_PROPERTIES.flatMap((name) => ['-p', name])];

function spec(fields: Record<string, unknown> = {}) {
  return systemdRestart.parse({ type: 'systemd', unit: 'api.service', ...fields });
}

describe('systemd restarter', () => {
  it.each([
    [false, 'system', ['restart', 'api.service'], [...SHOW, 'api.service']],
    [true, 'user', ['--user', 'restart', 'api.service'], ['--user', ...SHOW, 'api.service']],
  ] as const)('with user: %s restarts the %s unit, then reads its state: argv %j', async (user, manager, restartArgv, showArgv) => {
    const port = await freePort();
    await fake.scenario({ [manager]: { 'api.service': { program: serviceProgram(port) } } });

    const outcome = await restart(spec({ user }), restartContext(fake.dir));

    expect(outcome).toMatchObject({ ok: true, detail: `systemctl ${user ? '--user ' : ''}restart api.service` });
    expect(await fake.argvs()).toEqual([restartArgv, showArgv]);
    await waitFor(() => healthy(port));
  });

  it('records what systemd says of the unit afterwards as facts (NRestarts counts only systemd\'s own restarts)', async () => {
    await fake.scenario({ system: { 'api.service': { program: serviceProgram(await freePort()), NRestarts: 2 } } });

    const outcome = await systemdRestarter.restart(spec(), restartContext(fake.dir));

    expect(outcome).toEqual({
      ok: true,
      detail: 'systemctl restart api.service',
      facts: { ActiveState: 'active', SubState: 'running', NRestarts: '2', Result: 'success' },
    });
  });

  describe('a unit whose start limit was hit', () => {
    /** A unit that allows one start an hour and has had it: the next start is refused. */
    async function limited(port: number, extra: Record<string, unknown> = {}, manager: 'system' | 'user' = 'system'): Promise<void> {
      await fake.scenario({
        [manager]: { 'api.service': { program: serviceProgram(port), startLimitBurst: 1, startLimitIntervalSec: 3_600, starts: [Date.now()], ...extra } },
      });
    }

    it.each([
      [false, 'system', ''],
      [true, 'user', '--user '],
    ] as const)('with user: %s runs reset-failed and restarts it once, and says so', async (user, manager, flag) => {
      const port = await freePort();
      await limited(port, {}, manager);

      const outcome = await restart(spec({ user }), restartContext(fake.dir));

      expect(outcome).toEqual({
        ok: true,
        detail: `systemctl ${flag}restart api.service (refused by its start limit), systemctl ${flag}reset-failed api.service, systemctl ${flag}restart api.service`,
        note: `its start limit was hit: ran systemctl ${flag}reset-failed api.service and restarted it once`,
        facts: { ActiveState: 'active', SubState: 'running', NRestarts: '0', Result: 'success' },
      });
      const u = user ? ['--user'] : [];
      expect(await fake.argvs()).toEqual([
        [...u, 'restart', 'api.service'],
        [...u, ...SHOW, 'api.service'],
        [...u, 'reset-failed', 'api.service'],
        [...u, 'restart', 'api.service'],
        [...u, ...SHOW, 'api.service'],
      ]);
      await waitFor(() => healthy(port));
    });

    it('restarts only once: a restart that fails again after reset-failed is a failure naming both', async () => {
      await limited(await freePort(), { failRestart: true });

      const outcome = await systemdRestarter.restart(spec(), restartContext(fake.dir));

      expect(outcome).toEqual({
        ok: false,
        error:
          'systemctl restart api.service failed: exit 1: Job for api.service failed because start of the service was attempted too often.; ' +
          'refused by its start limit: after systemctl reset-failed the restart failed again: ' +
          'systemctl restart api.service failed: exit 1: Job for api.service failed because the control process exited with error code.',
        facts: { ActiveState: 'failed', SubState: 'failed', NRestarts: '0', Result: 'exit-code' },
      });
      expect((await fake.argvs()).map((argv) => argv[0])).toEqual(['restart', 'show', 'reset-failed', 'restart', 'show']);
    });

    it('sees the refusal of a unit that had already failed, though systemd then keeps its earlier Result', async () => {
      const port = await freePort();
      // The hour's one start happened; the service was then killed by a signal: Result=signal.
      await fake.scenario({ system: { 'api.service': { program: serviceProgram(port), startLimitBurst: 1, startLimitIntervalSec: 3_600 } } });
      const { exec } = await import('../../src/deps.js');
      await exec(['systemctl', 'start', 'api.service'], { timeoutMs: 5_000 });
      await exec(['systemctl', 'kill', '-s', 'KILL', 'api.service'], { timeoutMs: 5_000 });
      await waitFor(async () => (await exec(['systemctl', 'is-active', 'api.service'], { timeoutMs: 5_000 })).stdout === 'failed');

      const outcome = await systemdRestarter.restart(spec(), restartContext(fake.dir));

      expect(outcome).toMatchObject({ ok: true, note: 'its start limit was hit: ran systemctl reset-failed api.service and restarted it once' });
      await waitFor(() => healthy(port));
    });

    it('leaves a unit alone that failed for another reason: no reset-failed', async () => {
      await fake.scenario({ system: { 'api.service': { program: serviceProgram(await freePort()), failRestart: true } } });
      await systemdRestarter.restart(spec(), restartContext(fake.dir));
      expect((await fake.argvs()).map((argv) => argv[0])).toEqual(['restart', 'show']);
    });
  });

  it('points --user at /run/user/<uid> when cron left XDG_RUNTIME_DIR and the session bus unset', async () => {
    await fake.scenario({ user: { 'api.service': { program: serviceProgram(await freePort()) } } });

    const outcome = await systemdRestarter.restart(spec({ user: true }), restartContext(fake.dir));

    expect(outcome).toMatchObject({ ok: true });
    const calls = await fake.calls();
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.env).toEqual({ XDG_RUNTIME_DIR: `/run/user/${UID}`, DBUS_SESSION_BUS_ADDRESS: `unix:path=/run/user/${UID}/bus` });
    }
  });

  it('keeps an XDG_RUNTIME_DIR that is already set, and adds nothing', async () => {
    process.env.XDG_RUNTIME_DIR = '/run/user/custom'; // restored by useFakeTool after the test
    await fake.scenario({ user: { 'api.service': { program: serviceProgram(await freePort()) } } });

    await systemdRestarter.restart(spec({ user: true }), restartContext(fake.dir));

    expect((await fake.calls())[0]?.env).toEqual({ XDG_RUNTIME_DIR: '/run/user/custom' });
  });

  it('shows what real systemctl says without that environment: the bus cannot be reached', async () => {
    // The fake itself, called as cron would: proof that the test above is not passing by accident.
    const { exec } = await import('../../src/deps.js');
    const result = await exec(['systemctl', '--user', 'restart', 'api.service'], { timeoutMs: 5_000 });
    expect(result).toMatchObject({ exitCode: 1, failure: 'exit 1: Failed to connect to bus: No medium found' });
  });

  it.each([
    [false, { XDG_RUNTIME_DIR: undefined }, undefined],
    [true, { XDG_RUNTIME_DIR: '/run/user/7' }, undefined],
    [true, {}, { XDG_RUNTIME_DIR: '/run/user/1000', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus' }],
    [true, { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' }, { XDG_RUNTIME_DIR: '/run/user/1000' }],
  ])('user %s with env %j adds %j', (user, env, expected) => {
    expect(userManagerEnv(user, env, 1000)).toEqual(expected);
  });

  it('fails a unit that does not start, in systemctl\'s words, and still records its state', async () => {
    await fake.scenario({ system: { 'api.service': { program: serviceProgram(await freePort()), failRestart: true } } });

    const outcome = await systemdRestarter.restart(spec(), restartContext(fake.dir));

    expect(outcome).toEqual({
      ok: false,
      error: 'systemctl restart api.service failed: exit 1: Job for api.service failed because the control process exited with error code.',
      facts: { ActiveState: 'failed', SubState: 'failed', NRestarts: '0', Result: 'exit-code' },
    });
  });

  it('fails a unit systemd does not know, with exit 5 and its message', async () => {
    const outcome = await systemdRestarter.restart(spec({ unit: 'nope' }), restartContext(fake.dir));

    expect(outcome).toMatchObject({ ok: false, error: 'systemctl restart nope failed: exit 5: Failed to restart nope.service: Unit nope.service not found.' });
  });

  it('fails with one clear line when systemctl is not installed, and asks nothing more', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'heal-no-systemctl-'));
    process.env.PATH = empty; // restored by useFakeTool after the test
    try {
      expect(await systemdRestarter.restart(spec(), restartContext(fake.dir))).toEqual({
        ok: false,
        error: 'systemctl not found: the systemd restarter needs Linux with systemd',
      });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it.each([
    ['its own timeout', { timeout: '1s' }, 10_000, 'the 1s restart timeout ran out'],
    ['the time the scan has left', {}, 700, 'the 700ms restart timeout ran out'],
  ])('fails a systemctl that hangs at %s', async (_, fields, timeoutMs, says) => {
    // The fake systemctl never returns: the outcome names the budget that ended it (a hang would never settle).
    await fake.scenario({ hang: ['restart'], system: { 'api.service': { program: serviceProgram(await freePort()) } } });

    const outcome = await systemdRestarter.restart(spec(fields), restartContext(fake.dir, timeoutMs));

    expect(outcome).toEqual({ ok: false, error: `systemctl restart api.service timed out: ${says}` });
  });

  it.each(['api.service; reboot', '$(reboot)', 'api service', '../api.service', ''])('the manifest refuses the unit %j', (unit) => {
    expect(systemdRestart.safeParse({ type: 'systemd', unit }).success).toBe(false);
  });

  it('passes odd but valid unit names verbatim', async () => {
    await systemdRestarter.restart(spec({ unit: 'api@-x\\x2d1:2.service' }), restartContext(fake.dir));
    expect((await fake.argvs())[0]).toEqual(['restart', 'api@-x\\x2d1:2.service']);
  });

  it.each([
    [false, ['show', 'x'], ['systemctl', 'show', 'x']],
    [true, ['restart', 'x'], ['systemctl', '--user', 'restart', 'x']],
  ])('builds argv for user %s, %j as %j', (user, args, argv) => {
    expect(systemctlArgv(user, args)).toEqual(argv);
  });

  it.each([
    ['Result=start-limit-hit', { Result: 'start-limit-hit', ActiveState: 'failed' }, true],
    [
      'a failed unit whose conditions passed after it last left inactive',
      { Result: 'signal', ActiveState: 'failed', ConditionResult: 'yes', AssertResult: 'yes', ConditionTimestampMonotonic: '2056400228', InactiveExitTimestampMonotonic: '2055406567' },
      true,
    ],
    [
      'a oneshot that started and failed (it left inactive after the check)',
      { Result: 'exit-code', ActiveState: 'failed', ConditionResult: 'yes', AssertResult: 'yes', ConditionTimestampMonotonic: '2073404269', InactiveExitTimestampMonotonic: '2073449135' },
      false,
    ],
    [
      'a failed assertion',
      { Result: 'success', ActiveState: 'failed', ConditionResult: 'yes', AssertResult: 'no', ConditionTimestampMonotonic: '20', InactiveExitTimestampMonotonic: '10' },
      false,
    ],
    ['a unit systemd does not know', { Result: 'success', ActiveState: 'inactive', ConditionResult: 'no', AssertResult: 'no', ConditionTimestampMonotonic: '0', InactiveExitTimestampMonotonic: '0' }, false],
  ])('tells a start limit refusal from `systemctl show` (values seen on systemd 252): %s → %s', (_what, properties, refused) => {
    expect(refusedByStartLimit(properties)).toBe(refused);
  });

  it('reads `systemctl show` by name, whatever order systemd prints in', () => {
    expect(parseShow('NRestarts=4\nActiveState=active\nSubState=running\nDescription=a=b\n')).toEqual({
      NRestarts: '4',
      ActiveState: 'active',
      SubState: 'running',
      Description: 'a=b',
    });
  });

  it.each([
    [{}, 'systemd: api.service'],
    [{ user: true }, 'systemd: --user api.service'],
  ])('describes %j as %s', (fields, label) => {
    expect(systemdRestarter.describe(spec(fields))).toBe(label);
  });
});
