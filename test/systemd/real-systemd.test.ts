/**
 * The systemd restarter and check against a real systemd (252, in a container booted by
 * test/helpers/container.ts), for system units and `--user` units, started the way cron starts
 * heal: no XDG_RUNTIME_DIR, no D-Bus address.
 *
 * In-process, heal's restarter and check run systemctl inside the container through `deps.exec`
 * as root (its `--user` units belong to root's own user manager, lingering); through the built
 * CLI, `heal scan` runs inside the container as a lingering user of its own.
 */
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { systemdChecker } from '../../src/checks/systemd.js';
import { systemdRestarter } from '../../src/restart/systemd.js';
import type { RestartContext } from '../../src/restart/types.js';
import { systemdCheck } from '../../src/checks/schema.js';
import { systemdRestart } from '../../src/restart/schema.js';
import { checkContext } from '../checks/context.js';
import { CLI, FIXTURES } from '../helpers/cli.js';
import { CONTAINER_NODE, useContainer, type ContainerUser, type RunOptions } from '../helpers/container.js';
import { testDeps } from '../helpers/fake-supervisors.js';

const container = useContainer();
/** What cron gives heal: neither XDG_RUNTIME_DIR nor DBUS_SESSION_BUS_ADDRESS. */
const CRON_ENV = {};
const ROOT_RUNTIME = { XDG_RUNTIME_DIR: '/run/user/0' };

/** A unit file: a service that runs (or whose program is missing), with an optional start limit. */
function unit(program: string, limit?: { burst: number; interval: string }): string {
  return [
    ...(limit ? ['[Unit]', `StartLimitIntervalSec=${limit.interval}`, `StartLimitBurst=${limit.burst}`, ''] : []),
    '[Service]',
    `ExecStart=${program}`,
    '',
  ].join('\n');
}

const SLEEPS = '/usr/bin/sleep 1000';
const HOUR_LIMIT = { burst: 1, interval: '1h' };

/** Writes units for the system manager, or root's user manager, and reloads it. */
async function install(manager: 'system' | 'user', units: Record<string, string>): Promise<void> {
  const dir = manager === 'user' ? '/root/.config/systemd/user' : '/etc/systemd/system';
  for (const [name, text] of Object.entries(units)) await container.write(`${dir}/${name}`, text);
  await container.ok(['systemctl', ...(manager === 'user' ? ['--user'] : []), 'daemon-reload'], { env: manager === 'user' ? ROOT_RUNTIME : {} });
}

/** systemctl inside, as root; for the user manager with the runtime dir a login shell would have. */
async function systemctl(manager: 'system' | 'user', ...args: string[]): Promise<string> {
  const flag = manager === 'user' ? ['--user'] : [];
  const result = await container.run(['systemctl', ...flag, ...args], { env: manager === 'user' ? ROOT_RUNTIME : {} });
  return result.stdout.trim();
}

/** Kills the unit's processes behind systemd's back and waits until systemd has seen it fail. */
async function killAndWaitFailed(manager: 'system' | 'user', unitName: string, user?: ContainerUser): Promise<void> {
  const flag = manager === 'user' ? ['--user'] : [];
  const env: Record<string, string> = manager === 'user' ? { XDG_RUNTIME_DIR: user ? `/run/user/${user.uid}` : '/run/user/0' } : {};
  const as: RunOptions = { env, ...(user ? { user } : {}) };
  await container.ok(['systemctl', ...flag, 'kill', '-s', 'KILL', unitName], as);
  const deadline = Date.now() + 10_000;
  while ((await container.run(['systemctl', ...flag, 'is-active', unitName], as)).stdout.trim() !== 'failed') {
    if (Date.now() > deadline) throw new Error(`${unitName} was not failed 10s after SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The restarter's context: heal's real effects, with every command run inside the container. */
function context(timeoutMs = 20_000): RestartContext {
  return {
    deps: testDeps({ exec: container.exec, env: CRON_ENV }),
    service: 'web',
    baseDir: container.scratch,
    stateDir: join(container.scratch, 'state'),
    timeoutMs,
    signal: AbortSignal.timeout(timeoutMs),
  };
}

const restarter = (unitName: string, user: boolean) => systemdRestarter.restart(systemdRestart.parse({ type: 'systemd', unit: unitName, user }), context());
const check = (unitName: string, user: boolean) => {
  const ctx = checkContext(10_000);
  return systemdChecker.run(systemdCheck.parse({ type: 'systemd', unit: unitName, user }), { ...ctx, deps: { ...ctx.deps, exec: container.exec, env: CRON_ENV } });
};

beforeAll(async () => {
  if (!container.ready) return; // each test fails with the reason
  // root's own user manager, for the `--user` units of the in-process tests.
  await container.ok(['loginctl', 'enable-linger', 'root']);
  const deadline = Date.now() + 60_000;
  while (!['running', 'degraded'].includes(await systemctl('user', 'is-system-running', '--wait'))) {
    if (Date.now() > deadline) throw new Error("root's user manager did not start in the container");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 120_000);

describe.each([
  ['system', false],
  ['user', true],
] as const)('the %s manager, from a cron-like environment', (manager, user) => {
  const name = (base: string): string => `${manager}-${base}.service`;

  it('restarts a stopped unit, records what systemd says, and the check sees it come back', async () => {
    await install(manager, { [name('web')]: unit(SLEEPS) });
    expect(await check(name('web'), user)).toMatchObject({ ok: false, error: 'ActiveState=inactive' });

    const outcome = await restarter(name('web'), user);

    expect(outcome).toEqual({
      ok: true,
      detail: `systemctl ${user ? '--user ' : ''}restart ${name('web')}`,
      facts: { ActiveState: 'active', SubState: 'running', NRestarts: '0', Result: 'success' },
    });
    expect(await check(name('web'), user)).toMatchObject({ ok: true, detail: 'ActiveState=active' });
    expect(await systemctl(manager, 'is-active', name('web'))).toBe('active');
  });

  it('brings back a unit whose start limit was hit: reset-failed, then one restart, and says so', async () => {
    await install(manager, { [name('limited')]: unit(SLEEPS, HOUR_LIMIT) });
    // The one start the hour allows, then the service dies: a plain restart is now refused, and
    // worded after the unit's earlier failure (systemd keeps Result=signal).
    await systemctl(manager, 'start', name('limited'));
    await killAndWaitFailed(manager, name('limited'));
    const refused = await container.run(['systemctl', ...(user ? ['--user'] : []), 'restart', name('limited')], { env: user ? ROOT_RUNTIME : {} });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('failed because a fatal signal was delivered to the control process');
    expect(await systemctl(manager, 'show', '-p', 'Result', '--value', name('limited'))).toBe('signal');

    const outcome = await restarter(name('limited'), user);

    const flag = user ? '--user ' : '';
    expect(outcome).toMatchObject({
      ok: true,
      note: `its start limit was hit: ran systemctl ${flag}reset-failed ${name('limited')} and restarted it once`,
      facts: { ActiveState: 'active', SubState: 'running', Result: 'success' },
    });
    expect(await check(name('limited'), user)).toMatchObject({ ok: true });
  });

  it('reports a Type=simple unit whose program is missing: restart says it started, the check sees it failed', async () => {
    await install(manager, { [name('missing')]: unit('/nonexistent/heal-test-program') });

    expect(await restarter(name('missing'), user)).toMatchObject({ ok: true });

    const deadline = Date.now() + 10_000;
    let seen = await check(name('missing'), user);
    while (seen.ok && Date.now() < deadline) seen = await check(name('missing'), user);
    expect(seen).toMatchObject({ ok: false, error: 'ActiveState=failed, Result=exit-code' });
  });

  it('fails a unit systemd does not know: restart exit 5, the check says not found', async () => {
    expect(await restarter(name('nope'), user)).toMatchObject({
      ok: false,
      error: `systemctl ${user ? '--user ' : ''}restart ${name('nope')} failed: exit 5: Failed to restart ${name('nope')}: Unit ${name('nope')} not found.`,
    });
    expect(await check(name('nope'), user)).toMatchObject({ ok: false, error: `not found: systemd has no unit ${name('nope')} (LoadState=not-found)` });
  });
});

describe('heal scan, as a lingering user, started the way cron starts it', () => {
  let user: ContainerUser;
  let project = '';
  const PORT = 4200;

  beforeAll(async () => {
    if (!container.ready) return; // each test fails with the reason
    user = await container.lingeringUser('healer');
    project = join(container.scratch, 'scan-project');
    mkdirSync(project);
    const service = `${CONTAINER_NODE} ${join(FIXTURES, 'http-service.mjs')} --port ${PORT}`;
    await container.write(`${user.home}/.config/systemd/user/web.service`, unit(service), user);
    await container.write(`${user.home}/.config/systemd/user/limited.service`, unit(`${CONTAINER_NODE} ${join(FIXTURES, 'http-service.mjs')} --port ${PORT + 1}`, HOUR_LIMIT), user);
    await container.ok(['systemctl', '--user', 'daemon-reload'], { user, env: { XDG_RUNTIME_DIR: `/run/user/${user.uid}` } });
    writeFileSync(
      join(project, 'services.yaml'),
      `version: 1
state_dir: state
defaults: { cooldown: 0s, timeout: 2s, verify_timeout: 10s }
services:
  web:
    checks: [ { type: systemd, unit: web.service, user: true }, { type: port, port: ${PORT} } ]
    restart: { type: systemd, unit: web.service, user: true }
  limited:
    checks: [ { type: systemd, unit: limited.service, user: true }, { type: port, port: ${PORT + 1} } ]
    restart: { type: systemd, unit: limited.service, user: true }
`,
    );
    chownSync(project, user.uid, user.gid);
    chownSync(join(project, 'services.yaml'), user.uid, user.gid);
  }, 120_000);

  /** `heal scan --json` inside, as the user, with only PATH and HOME: cron's environment. */
  async function scan(): Promise<{ code: number | null; report: { services: Array<Record<string, unknown>> }; stderr: string }> {
    const result = await container.run([CONTAINER_NODE, CLI, 'scan', '--json', '--config', join(project, 'services.yaml')], { user, timeoutMs: 60_000 });
    return { code: result.code, report: JSON.parse(result.stdout || '{"services":[]}'), stderr: result.stderr };
  }

  it('heals a stopped --user unit and one refused by its start limit, saying what it did for the second', async () => {
    const asUser = { user, env: { XDG_RUNTIME_DIR: `/run/user/${user.uid}` } };
    await container.ok(['systemctl', '--user', 'start', 'limited.service'], asUser);
    await killAndWaitFailed('user', 'limited.service', user);

    const first = await scan();

    expect(first.code, first.stderr).toBe(0);
    const [web, limited] = first.report.services;
    expect(web).toMatchObject({ name: 'web', status: 'healed', action: 'restarted (systemd: --user web.service)' });
    expect(limited).toMatchObject({
      name: 'limited',
      status: 'healed',
      action: 'restarted (systemd: --user limited.service), its start limit was hit: ran systemctl --user reset-failed limited.service and restarted it once',
    });
    expect((await container.run(['systemctl', '--user', 'is-active', 'web.service', 'limited.service'], asUser)).stdout.trim()).toBe('active\nactive');

    const second = await scan();
    expect(second.code, second.stderr).toBe(0);
    expect(second.report.services.map((s) => s['status'])).toEqual(['up', 'up']);
  }, 120_000);
});
