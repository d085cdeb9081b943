/**
 * The schedule `heal install systemd` writes, run by a real systemd (a container booted by
 * test/helpers/container.ts): a lingering user installs heal-scan.service and heal-scan.timer
 * with the built CLI, enables the timer, and the timer's own scans heal a service that is down,
 * with a `command` restart and `detach: true`. The service a scan starts must outlive that scan:
 * with Type=oneshot and systemd's default KillMode=control-group, every process the scan started
 * is killed when the scan ends.
 */
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, FIXTURES } from '../helpers/cli.js';
import { CONTAINER_NODE, useContainer, type ContainerUser } from '../helpers/container.js';

const container = useContainer();
const PORT = 4100;
/** The timer fires every 5 s; a few of its runs fit in this. */
const SCANS_MS = 60_000;

let user: ContainerUser;
let project = '';
const pidFile = (): string => join(project, 'web.pid');

beforeAll(async () => {
  if (!container.ready) return; // each test fails with the reason
  user = await container.lingeringUser('healer');
  project = join(container.scratch, 'project');
  mkdirSync(project, { mode: 0o755 });
  writeFileSync(
    join(project, 'services.yaml'),
    `version: 1
state_dir: state
log_file: heal.log
interval: 5s
defaults: { cooldown: 0s, timeout: 1s, verify_timeout: 10s }
services:
  web:
    checks: [ { type: http, url: "http://127.0.0.1:${PORT}/health" } ]
    restart: { type: command, run: [${CONTAINER_NODE}, ${join(FIXTURES, 'http-service.mjs')}, --port, "${PORT}", --pidfile, ${pidFile()}], detach: true }
`,
    { mode: 0o644 },
  );
  chownSync(project, user.uid, user.gid);
  chownSync(join(project, 'services.yaml'), user.uid, user.gid);
}, 120_000);

/** The user's shell: what `heal install systemd` tells them to run is run with this environment. */
const asUser = (argv: string[]) => container.run(argv, { user, env: { XDG_RUNTIME_DIR: `/run/user/${user.uid}` }, timeoutMs: 30_000 });

/** Milliseconds since the epoch on the container's clock (the clock heal runs with there). */
async function containerNow(): Promise<number> {
  return Number((await container.ok(['date', '+%s%3N'])).trim());
}

/** `heal status --json` as the user. */
async function status(): Promise<{ lastScan?: { startedAt: string }; services: Array<{ name: string; status: string; healsLastHour: number }> }> {
  const result = await asUser([CONTAINER_NODE, CLI, 'status', '--json', '--config', join(project, 'services.yaml')]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

/** The pid (inside the container) the service wrote when it started, once it differs from `not`. */
async function servicePid(not?: number): Promise<number> {
  const deadline = Date.now() + SCANS_MS;
  for (;;) {
    const text = await container.run(['cat', pidFile()]);
    const pid = Number(text.stdout.trim());
    if (text.code === 0 && pid > 0 && pid !== not) return pid;
    if (Date.now() > deadline) throw new Error(`no scan started the service within ${SCANS_MS / 1_000}s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Waits until a whole scan has run after `since` (container clock): it started later and has ended. */
async function scanFinishedAfter(since: number): Promise<void> {
  const deadline = Date.now() + SCANS_MS;
  for (;;) {
    const started = Date.parse((await status()).lastScan?.startedAt ?? '');
    if (started > since) return;
    if (Date.now() > deadline) throw new Error(`the timer ran no scan within ${SCANS_MS / 1_000}s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function processAlive(pid: number): Promise<boolean> {
  return (await container.run(['kill', '-0', String(pid)])).code === 0;
}

async function serviceAnswers(): Promise<boolean> {
  const probe = `fetch('http://127.0.0.1:${PORT}/health').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))`;
  return (await container.run([CONTAINER_NODE, '-e', probe])).code === 0;
}

describe('heal install systemd, run by a real systemd timer', () => {
  it('installs the user units, and the timer they enable runs heal scan every 5 s', async () => {
    const installed = await asUser([CONTAINER_NODE, CLI, 'install', 'systemd', '--interval', '5', '--config', join(project, 'services.yaml')]);
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain('systemctl --user daemon-reload && systemctl --user enable --now heal-scan.timer');
    const enabled = await asUser(['sh', '-c', 'systemctl --user daemon-reload && systemctl --user enable --now heal-scan.timer']);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect((await asUser(['systemctl', '--user', 'is-active', 'heal-scan.timer'])).stdout.trim()).toBe('active');
    expect(await container.ok(['cat', `${user.home}/.config/systemd/user/heal-scan.service`])).toContain('\nKillMode=process\n');
  });

  it('heals the service that is down, and the detached service outlives the scan that started it', async () => {
    const pid = await servicePid();
    const startedAt = await containerNow();

    // A whole later scan — started after the service came up, and ended — leaves it running.
    await scanFinishedAfter(startedAt);
    await scanFinishedAfter(await containerNow());
    expect(await processAlive(pid)).toBe(true);
    expect(await serviceAnswers()).toBe(true);
    const web = (await status()).services.find((s) => s.name === 'web');
    expect(web).toMatchObject({ status: 'up', healsLastHour: 1 });
    expect(Number((await container.ok(['cat', pidFile()])).trim())).toBe(pid);
  }, SCANS_MS * 3);

  it('heals it again after it is killed, and the new one survives its scan too', async () => {
    const before = Number((await container.ok(['cat', pidFile()])).trim());
    await container.ok(['kill', '-KILL', String(before)]);

    const after = await servicePid(before);
    await scanFinishedAfter(await containerNow());
    expect(await processAlive(after)).toBe(true);
    expect(await serviceAnswers()).toBe(true);
    expect((await status()).services.find((s) => s.name === 'web')).toMatchObject({ status: 'up', healsLastHour: 2 });
  }, SCANS_MS * 3);
});
