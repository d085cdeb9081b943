/**
 * The heal policy through the real CLI: each scan is a real `heal scan` process of the built CLI
 * (dist/cli.js) over one state directory, against real service processes that the test kills
 * between scans. What is here is what only real processes show: the exit codes, `--json`,
 * `heal status --json`, `heal reset` and `--dry-run` wired to the policy, real restarts of real
 * processes in dependency order, flapping (the crash-loop guard) over restarts that really start a service,
 * and launchd and systemd restarts through the fake launchctl and systemctl of test/fixtures/bin.
 * How the policy plays out over minutes and days (open_for and its doubling, cooldowns,
 * start_grace, the hourly cap) is tested in-process with a simulated clock: test/scan/.
 *
 * No test asserts wall-clock time, and no window races a process start: waits are for
 * conditions (a port closing), and a verify_timeout that a fresh node process must beat is long
 * (it is an upper bound: a restart that works passes as soon as the service listens). A test that
 * runs the CLI many times gets 120 s: each run is a fresh node process, seconds apiece on a
 * loaded two-core machine.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, freePort, killPidFile, waitFor, workspace, type HealRun, type Workspace } from '../helpers/cli.js';
import { serviceProgram, UID, useFakeTool, type LaunchctlScenario, type SystemctlScenario } from '../helpers/fake-supervisors.js';

const NODE = JSON.stringify(process.execPath);
const SERVICE = join(FIXTURES, 'http-service.mjs');

let ws: Workspace | undefined;
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
});

// ── what a scan reports, what the state remembers ───────────────────────────────────────────

type CheckJson = { type: string; name: string; ok: boolean; latencyMs: number; error?: string };
type ServiceJson = { name: string; status: string; rule: string; checks: CheckJson[]; action?: string; reason?: string };
type ScanJson = { startedAt: string; dryRun: boolean; services: ServiceJson[] };
type StatusService = {
  name: string;
  status: string;
  healsLastHour: number;
  maxHealsPerHour: number;
  breaker: 'closed' | 'open' | 'half_open';
  halfOpenInMs?: number;
  flapping?: { since: string; reason: string };
  restartsStopped?: { until: string; why: string };
  lastHeal?: { at: string; result: string; error?: string; facts?: Record<string, string> };
};
type BreakerJson = { state: 'closed'; failures: number } | { state: 'open'; openedAt: number; openForMs: number } | { state: 'half_open'; since: number; openForMs: number; successes: number };
type ServiceStateJson = { status: string; heals: { at: number; result: string; error?: string }[]; breaker: BreakerJson; flapping?: { reason: string } };

/** `heal scan --json ARGS…`: the exit code and the report of one service. */
async function scan(name: string, ...args: string[]): Promise<{ code: number; service: ServiceJson; report: ScanJson; run: HealRun }> {
  const run = await ws!.heal('scan', '--json', ...args);
  let report: ScanJson;
  try {
    report = JSON.parse(run.stdout) as ScanJson;
  } catch {
    throw new Error(`heal scan --json printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
  const service = report.services.find((s) => s.name === name);
  if (!service) throw new Error(`no service ${name} in the report: ${run.stdout}`);
  return { code: run.code, service, report, run };
}

/** `heal status --json`, one service. */
async function status(name: string): Promise<StatusService> {
  const run = await ws!.heal('status', '--json');
  expect(run.code).toBe(0);
  const view = JSON.parse(run.stdout) as { services: StatusService[] };
  return view.services.find((s) => s.name === name)!;
}

/** What state.json remembers of a service. */
async function remembered(name: string): Promise<ServiceStateJson> {
  const state = JSON.parse(await readFile(join(ws!.stateDir, 'state.json'), 'utf8')) as { services: Record<string, ServiceStateJson> };
  return state.services[name]!;
}

// ── services and restarts ───────────────────────────────────────────────────────────────────

/** True when something accepts a TCP connection on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setTimeout(1_000);
    const end = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => end(true));
    socket.once('error', () => end(false));
    socket.once('timeout', () => end(false));
  });
}

/** Kills the service whose pid is in the workspace's `pidfile`, and waits until its port is closed. */
async function killService(pidfile: string, port: number): Promise<number> {
  const path = join(ws!.dir, pidfile);
  await waitFor(() => existsSync(path));
  const pid = await killPidFile(path);
  expect(pid).toBeGreaterThan(0);
  await waitFor(async () => !(await listening(port)));
  return pid!;
}

/** A plain TCP listener on `port`, closed after the test. */
async function listen(port: number): Promise<Server> {
  const server = createServer((socket) => socket.destroy()).listen(port, '127.0.0.1');
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return server;
}

/** A restart that starts test/fixtures/http-service.mjs on `port`, detached, writing `pidfile` once it listens. */
function serviceRestart(port: number, pidfile = 'api.pid'): string {
  return `{ type: command, run: [${NODE}, ${JSON.stringify(SERVICE)}, --port, "${port}", --pidfile, ${pidfile}], detach: true }`;
}

/** A restart that exits 0 and starts nothing, after appending one line to `restarts.txt` (the count of restarts run). */
const COUNTED_NOOP_RESTART = `{ type: command, run: [${NODE}, -e, "require('fs').appendFileSync('restarts.txt', 'restart\\\\n')"] }`;

/** How many times COUNTED_NOOP_RESTART ran in the workspace. */
async function restartsRun(): Promise<number> {
  const text = await readFile(join(ws!.dir, 'restarts.txt'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).length;
}

/** Both checks of the breaker tests: the http check first, so "only the cheapest" is not just "only the first". */
function webChecks(port: number): string {
  return `
      - { type: http, url: "http://127.0.0.1:${port}/health", body_contains: ok }
      - { type: port, port: ${port} }`;
}

/** One service "web" with webChecks and failure_threshold 2, restarted by COUNTED_NOOP_RESTART (it stays down). */
function breakerManifest(port: number): string {
  return `version: 1
defaults:
  cooldown: 0s
  max_heals_per_hour: 100
  verify_timeout: 500ms
  timeout: 5s
  breaker: { failure_threshold: 2, success_threshold: 2, open_for: 1h }
services:
  web:
    checks:${webChecks(port)}
    restart: ${COUNTED_NOOP_RESTART}
`;
}

// ── the tests ───────────────────────────────────────────────────────────────────────────────

describe('the circuit breaker', () => {
  it('opens after failure_threshold failed heals (exit 1, heal status shows it), probes only the cheapest check while open, and heal reset closes it', { timeout: 120_000 }, async () => {
    const port = await freePort();
    ws = await workspace(breakerManifest(port));

    const first = await scan('web');
    expect(first.code).toBe(1);
    expect(first.service).toMatchObject({ status: 'down', rule: 'down', action: expect.stringMatching(/^restarted \(command: /) });
    expect(first.service.reason).toMatch(/^still failing after restart: GET http:\/\/127\.0\.0\.1:\d+\/health: /);
    expect(await status('web')).toMatchObject({ breaker: 'closed', healsLastHour: 1 });

    expect((await scan('web')).service).toMatchObject({ status: 'down', rule: 'down', action: expect.stringMatching(/^restarted/) });
    expect(await status('web')).toMatchObject({ breaker: 'open', halfOpenInMs: expect.any(Number), healsLastHour: 2 });
    expect((await remembered('web')).breaker).toMatchObject({ state: 'open', openForMs: 3_600_000 });
    expect(await restartsRun()).toBe(2);

    const held = await scan('web');
    expect(held.code).toBe(1);
    expect(held.service).toMatchObject({ status: 'down', rule: 'breaker-open', action: 'held back' });
    expect(held.service.reason).toMatch(/^circuit breaker open: one restart will be tried in (59m\d+s|1h)$/);
    expect(held.service.checks).toEqual([{ type: 'port', name: `port 127.0.0.1:${port}`, ok: false, latencyMs: expect.any(Number), error: 'connection refused' }]);
    const human = await ws.heal('scan');
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/web\s+down\s+held back: circuit breaker open: one restart will be tried in /);
    expect(await restartsRun()).toBe(2);

    const reset = await ws.heal('reset', 'web');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('web: breaker closed');
    expect(await status('web')).toMatchObject({ breaker: 'closed', healsLastHour: 0 });
    expect((await scan('web')).service).toMatchObject({ rule: 'down', action: expect.stringMatching(/^restarted/) });
    expect(await restartsRun()).toBe(3);
  });
});

describe('dependency order', () => {
  it('holds back a child while its parent is down, and restarts it once the parent is up', { timeout: 120_000 }, async () => {
    const dbPort = await freePort();
    const apiPort = await freePort();
    ws = await workspace(`version: 1
defaults: { cooldown: 0s, timeout: 5s }
services:
  db:
    # Its restart starts nothing: it fails whatever the window, so the window is short.
    verify_timeout: 1s
    checks: [ { type: port, port: ${dbPort} } ]
    restart: { type: command, run: [${NODE}, -e, "process.exit(0)"] }
  api:
    depends_on: [db]
    # A fresh node process must listen within this on a loaded machine; it passes as soon as it does.
    verify_timeout: 30s
    checks: [ { type: port, port: ${apiPort} } ]
    restart: ${serviceRestart(apiPort)}
`);
    const marker = join(ws.dir, 'api.pid');

    const first = await scan('api');
    expect(first.code).toBe(1);
    expect(first.report.services.find((s) => s.name === 'db')).toMatchObject({ status: 'down', rule: 'down', action: expect.stringMatching(/^restarted/) });
    expect(first.service).toMatchObject({ status: 'skipped', rule: 'waiting-on-parent', reason: 'waiting on db' });
    expect(first.service.action).toBeUndefined();
    // api's restart would have started the service, which writes api.pid: it did not run.
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(ws.stateDir, 'logs', 'api.log'))).toBe(false);
    expect(await listening(apiPort)).toBe(false);

    await listen(dbPort);
    const second = await scan('api');
    expect(second.code).toBe(0);
    expect(second.report.services.find((s) => s.name === 'db')).toMatchObject({ status: 'up', rule: 'healthy' });
    expect(second.service).toMatchObject({ status: 'healed', rule: 'down', action: expect.stringMatching(/^restarted \(command: .*http-service\.mjs.*\(detached\)\)$/) });
    expect(existsSync(marker)).toBe(true);
    expect(await listening(apiPort)).toBe(true);
  });
});

describe('flapping (the crash-loop guard)', () => {
  it('holds a service that went down in flap_threshold scans in a row for open_for, says until when, and heal reset lifts it', { timeout: 120_000 }, async () => {
    const port = await freePort();
    ws = await workspace(`version: 1
defaults: { cooldown: 0s, max_heals_per_hour: 100, flap_threshold: 3, timeout: 5s, verify_timeout: 30s }
services:
  api:
    checks: [ { type: port, port: ${port} } ]
    restart: ${serviceRestart(port)}
`);

    const killed: number[] = [];
    for (let n = 1; n <= 3; n++) {
      const { code, service } = await scan('api');
      expect(code).toBe(0);
      expect(service).toMatchObject({ status: 'healed', rule: 'down' });
      // It dies again before the next scan.
      killed.push(await killService('api.pid', port));
    }
    expect(new Set(killed).size).toBe(3);
    const flapping = await status('api');
    expect(flapping.flapping?.reason).toBe('went down in 3 scans in a row');
    // A hold with an end: the breaker's open_for (10m by default), not a stop.
    expect(flapping.restartsStopped).toEqual({ until: expect.any(String), why: 'it is flapping: went down in 3 scans in a row' });
    expect(flapping.breaker).toBe('open');

    const held = await scan('api');
    expect(held.code).toBe(1);
    expect(held.service).toMatchObject({ status: 'down', rule: 'flapping', action: 'held back' });
    expect(held.service.reason).toMatch(/^flapping \(went down in 3 scans in a row\): one restart will be tried in (9m\d+s|10m)$/);
    expect(await listening(port)).toBe(false);

    const reset = await ws.heal('reset', 'api');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('api: breaker closed');
    expect((await status('api')).flapping).toBeUndefined();

    const again = await scan('api');
    expect(again.code).toBe(0);
    expect(again.service).toMatchObject({ status: 'healed', rule: 'down', action: expect.stringMatching(/^restarted/) });
    expect(await listening(port)).toBe(true);
  });
});

describe('heal scan --dry-run', () => {
  it('says "would restart" for a down service, and shows the cooldown holding it after a real restart', { timeout: 120_000 }, async () => {
    const port = await freePort();
    ws = await workspace(`version: 1
defaults: { cooldown: 5m, timeout: 5s, verify_timeout: 30s }
services:
  api:
    checks: [ { type: port, port: ${port} } ]
    restart: ${serviceRestart(port)}
`);

    const would = await scan('api', '--dry-run');
    expect(would.code).toBe(1);
    expect(would.report.dryRun).toBe(true);
    expect(would.service).toMatchObject({ status: 'down', rule: 'down', reason: 'checks failed', action: expect.stringMatching(/^would restart \(command: .*http-service\.mjs.*\(detached\)\)$/) });
    expect(await listening(port)).toBe(false);
    expect(existsSync(ws.stateDir)).toBe(false);
    const human = await ws.heal('scan', '--dry-run');
    expect(human.stdout).toMatch(/api\s+down\s+would restart \(command: .*\): checks failed/);

    expect((await scan('api')).service).toMatchObject({ status: 'healed' });
    await killService('api.pid', port);
    const before = await readFile(join(ws.stateDir, 'state.json'), 'utf8');

    const held = await scan('api', '--dry-run');
    expect(held.code).toBe(1);
    expect(held.service).toMatchObject({ status: 'down', rule: 'cooldown', action: 'held back' });
    expect(held.service.reason).toMatch(/^cooldown: last restart \d+(ms|s) ago, next allowed in (4m\d+s|5m)$/);
    const heldHuman = await ws.heal('scan', '--dry-run');
    expect(heldHuman.stdout).toMatch(/api\s+down\s+held back: cooldown: last restart .* ago, next allowed in (4m\d+s|5m)/);
    expect(await listening(port)).toBe(false);
    expect(await readFile(join(ws.stateDir, 'state.json'), 'utf8')).toBe(before);
  });
});

/** The env of the CLI child for a fake tool: PATH with test/fixtures/bin first, and the fake's scenario and log. */
function fakeEnv(name: 'launchctl' | 'systemctl'): Record<string, string> {
  const prefix = `FAKE_${name.toUpperCase()}`;
  const env: Record<string, string> = {};
  for (const key of ['PATH', `${prefix}_SCENARIO`, `${prefix}_LOG`]) env[key] = process.env[key]!;
  return env;
}

describe('a LaunchAgent', () => {
  // The fake launchctl (test/fixtures/bin/launchctl) stands in for macOS's launchctl, which
  // cannot run here: on kickstart it starts the job's program, a real http-service.mjs.
  const launchctl = useFakeTool<LaunchctlScenario>('launchctl');

  it('comes back through launchctl kickstart -k, each time it dies', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const target = `gui/${UID}/com.example.api`;
    await launchctl.scenario({ jobs: { [target]: { program: serviceProgram(port) } } });
    ws = await workspace(
      `version: 1
defaults: { cooldown: 0s, timeout: 5s, verify_timeout: 30s }
services:
  api:
    checks: [ { type: port, port: ${port} } ]
    restart: { type: launchd, label: com.example.api }
`,
      { env: fakeEnv('launchctl') },
    );

    const first = await scan('api');
    expect(first.code).toBe(0);
    expect(first.service).toMatchObject({ status: 'healed', rule: 'down', action: 'restarted (launchd: com.example.api)' });
    expect(await launchctl.argvs()).toEqual([['kickstart', '-k', target]]);
    expect(await listening(port)).toBe(true);

    const pid = (await launchctl.state()).jobs?.[target]?.pid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    await waitFor(async () => !(await listening(port)));

    const second = await scan('api');
    expect(second.code).toBe(0);
    expect(second.service).toMatchObject({ status: 'healed', rule: 'down' });
    expect(await launchctl.argvs()).toEqual([
      ['kickstart', '-k', target],
      ['kickstart', '-k', target],
    ]);
    expect((await launchctl.state()).jobs?.[target]?.pid).not.toBe(pid);
    expect(await listening(port)).toBe(true);
  });
});

describe('a systemd unit', () => {
  // The fake systemctl (test/fixtures/bin/systemctl) stands in for systemd's systemctl; like the
  // real one, `systemctl --user` fails without XDG_RUNTIME_DIR (as under cron).
  const systemctl = useFakeTool<SystemctlScenario>('systemctl');

  it('comes back through systemctl --user restart, and the heal record keeps what systemd said', { timeout: 120_000 }, async () => {
    const port = await freePort();
    await systemctl.scenario({ user: { 'api.service': { program: serviceProgram(port) } } });
    // The CLI's environment lacks XDG_RUNTIME_DIR and DBUS_SESSION_BUS_ADDRESS (useFakeTool removed them).
    expect(process.env.XDG_RUNTIME_DIR).toBeUndefined();
    expect(process.env.DBUS_SESSION_BUS_ADDRESS).toBeUndefined();
    ws = await workspace(
      `version: 1
defaults: { cooldown: 0s, timeout: 5s, verify_timeout: 30s }
services:
  api:
    checks: [ { type: port, port: ${port} } ]
    restart: { type: systemd, unit: api.service, user: true }
`,
      { env: fakeEnv('systemctl') },
    );

    const first = await scan('api');
    expect(first.code).toBe(0);
    expect(first.service).toMatchObject({ status: 'healed', rule: 'down', action: 'restarted (systemd: --user api.service)' });
    expect(await listening(port)).toBe(true);
    expect((await status('api')).lastHeal).toMatchObject({ result: 'healed', facts: { ActiveState: 'active', SubState: 'running', NRestarts: '0', Result: 'success' } });

    const calls = await systemctl.calls();
    expect(calls.map((c) => c.argv[1])).toEqual(['restart', 'show']);
    expect(calls[0]!.argv).toEqual(['--user', 'restart', 'api.service']);
    for (const call of calls) expect(call.env.XDG_RUNTIME_DIR).toBe(`/run/user/${UID}`);

    const pid = (await systemctl.state()).user?.['api.service']?.pid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    await waitFor(async () => !(await listening(port)));

    const second = await scan('api');
    expect(second.code).toBe(0);
    expect(second.service).toMatchObject({ status: 'healed', rule: 'down' });
    expect(await listening(port)).toBe(true);
    expect((await status('api')).lastHeal).toMatchObject({ result: 'healed', facts: { ActiveState: 'active', SubState: 'running', NRestarts: '0', Result: 'success' } });
  });
});

describe('a launchd label that is a shell command', () => {
  const launchctl = useFakeTool<LaunchctlScenario>('launchctl');

  /** Every file under `dir`, recursively. */
  async function filesUnder(dir: string): Promise<string[]> {
    return (await readdir(dir, { recursive: true })).map(String);
  }

  it('is refused by heal validate and heal scan (exit 2), and nothing runs', async () => {
    const port = await freePort();
    ws = await workspace(
      `version: 1
services:
  api:
    checks: [ { type: port, port: ${port} } ]
    restart: { type: launchd, label: "a;touch pwned" }
`,
      { env: fakeEnv('launchctl') },
    );

    const validate = await ws.heal('validate');
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain('services.api.restart.label: a launchd label may hold only letters, digits, ".", "_" and "-" (line 5)');

    const scanned = await ws.heal('scan');
    expect(scanned.code).toBe(2);
    expect(scanned.stdout).toBe('');
    expect(scanned.stderr).toContain('services.api.restart.label: a launchd label may hold only letters, digits, ".", "_" and "-" (line 5)');

    expect((await filesUnder(ws.dir)).filter((f) => f.split('/').pop() === 'pwned')).toEqual([]);
    expect((await filesUnder(launchctl.dir)).filter((f) => f.split('/').pop() === 'pwned')).toEqual([]);
    expect(existsSync(ws.stateDir)).toBe(false);
    expect(await launchctl.calls()).toEqual([]);
  });
});
