/**
 * End to end against the built CLI: real manifests, a real service process that heal starts,
 * that the test kills, and that heal brings back.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, FIXTURES, freePort, killPidFile, waitFor, workspace, type Workspace } from '../helpers/cli.js';

const SERVICE = join(FIXTURES, 'http-service.mjs');
let ws: Workspace | undefined;
const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) server.close();
});

/** A manifest with one service "api" on `port`, restarted by starting the fixture detached. */
function apiManifest(port: number, extra = ''): string {
  return `version: 1
defaults: { cooldown: 0s, verify_timeout: 30s, timeout: 5s }
services:
  api:
    checks:
      - { type: port, port: ${port} }
      - { type: http, url: "http://127.0.0.1:${port}/health", body_contains: ok }
    restart: { type: command, run: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SERVICE)}, --port, "${port}", --pidfile, api.pid], detach: true }
${extra}`;
}

async function answers(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1_000) });
    return (await response.text()).startsWith('ok');
  } catch {
    return false;
  }
}

describe('heal scan', () => {
  it('starts a dead service, and after the service is killed brings it back', async () => {
    const port = await freePort();
    ws = await workspace(apiManifest(port));

    const first = await ws.heal('scan');
    expect(first.stderr).not.toMatch(/Error|at .*\.js:\d+/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/api\s+healed\s+restarted \(command: .* \(detached\)\)/);
    expect(await answers(port)).toBe(true);

    const killed = await killPidFile(join(ws.dir, 'api.pid'));
    expect(killed).toBeGreaterThan(0);
    await waitFor(() => !alive(killed!));
    expect(await answers(port)).toBe(false);

    const second = await ws.heal('scan');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/api\s+healed/);
    expect(await answers(port)).toBe(true);
    const pid = Number(await readFile(join(ws.dir, 'api.pid'), 'utf8'));
    expect(pid).not.toBe(killed);

    const third = await ws.heal('scan');
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/api\s+up\s+port 127\.0\.0\.1:\d+ \d+ms/);
    expect(await readFile(join(ws.stateDir, 'logs', 'api.log'), 'utf8')).toContain(`listening on ${port}`);
  });

  it('exits 1 and says why when the restart cannot bring the service back', async () => {
    const port = await freePort();
    ws = await workspace(`version: 1
defaults: { verify_timeout: 1s, timeout: 500ms }
services:
  api:
    checks: [ { type: port, port: ${port} } ]
    restart: { type: command, run: [${JSON.stringify(process.execPath)}, -e, "process.exit(0)"] }
`);
    const run = await ws.heal('scan');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/api\s+down\s+restarted \(command: .*\): still failing after restart: port 127\.0\.0\.1:\d+: connection refused/);
  });

  it('exits 1 with the restart command\'s own words when it fails', async () => {
    const port = await freePort();
    ws = await workspace(`version: 1
services:
  api:
    checks: [ { type: port, port: ${port} } ]
    restart: { type: command, run: [${JSON.stringify(process.execPath)}, -e, "console.error('no such unit'); process.exit(4)"] }
`);
    const run = await ws.heal('scan');
    expect(run.code).toBe(1);
    // One statement, the command quoted as a shell would need it: not "restarted (…): restart failed: …".
    expect(run.stdout).toContain(`restart failed (command: ${process.execPath} -e 'console.error('\\''no such unit'\\''); process.exit(4)'): exit 4: no such unit`);
    expect(run.stdout).not.toContain('restarted');
  });

  it('holds back a second restart inside the cooldown, and says so', async () => {
    const port = await freePort();
    ws = await workspace(apiManifest(port).replace('cooldown: 0s', 'cooldown: 5m'));
    expect((await ws.heal('scan')).code).toBe(0);
    const killed = await killPidFile(join(ws.dir, 'api.pid'));
    await waitFor(() => !alive(killed!));
    const held = await ws.heal('scan');
    expect(held.code).toBe(1);
    expect(held.stdout).toMatch(/api\s+down\s+held back: cooldown: last restart \d+(ms|s) ago, next allowed in (4m\d+s|5m)/);
    expect(await answers(port)).toBe(false);
  });

  it('reports every service as one JSON document with --json', async () => {
    const port = await freePort();
    const down = await freePort();
    ws = await workspace(`version: 1
services:
  web:
    checks: [ { type: port, port: ${port} } ]
  worker:
    checks: [ { type: port, port: ${down} } ]
`);
    const listener = createServer().listen(port, '127.0.0.1');
    servers.push(listener);
    await new Promise((r) => listener.once('listening', r));
    const run = await ws.heal('scan', '--json');
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(Date.parse(report.startedAt)).toBeGreaterThan(0);
    expect(report.durationMs).toBeGreaterThanOrEqual(0);
    expect(report.services).toEqual([
      { name: 'web', status: 'up', rule: 'healthy', checks: [{ type: 'port', name: `port 127.0.0.1:${port}`, ok: true, latencyMs: expect.any(Number) }] },
      { name: 'worker', status: 'down', rule: 'no-restart', reason: 'no restart configured', checks: [{ type: 'port', name: `port 127.0.0.1:${down}`, ok: false, latencyMs: expect.any(Number), error: 'connection refused' }] },
    ]);
  });

  it('restarts nothing and writes no state with --dry-run', async () => {
    const port = await freePort();
    ws = await workspace(apiManifest(port));
    const run = await ws.heal('scan', '--dry-run');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/dry run/);
    expect(run.stdout).toMatch(/api\s+down\s+would restart \(command: .*\): checks failed/);
    expect(await answers(port)).toBe(false);
    expect(existsSync(ws.stateDir)).toBe(false);
  });

  it('scans only the services named with --only, and refuses a name it does not know', async () => {
    const port = await freePort();
    const other = await freePort();
    ws = await workspace(`version: 1
services:
  a: { checks: [ { type: port, port: ${port} } ] }
  b: { checks: [ { type: port, port: ${other} } ] }
`);
    const run = await ws.heal('scan', '--only', 'b', '--json');
    expect(JSON.parse(run.stdout).services.map((s: { name: string }) => s.name)).toEqual(['b']);
    const unknown = await ws.heal('scan', '--only', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('heal: --only nope: no service of that name in the manifest\n');
  });

  it('exits 2 with one line per problem for a bad manifest, and touches no state', async () => {
    ws = await workspace(`version: 1
services:
  api:
    checks:
      - { type: port, port: 99999 }
      - { type: http, url: "nope" }
`);
    const run = await ws.heal('scan');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'services.api.checks[0].port: port must be between 1 and 65535 (line 5)\n' +
        'services.api.checks[1].url: Invalid URL (line 6)\n' +
        'heal: the manifest is invalid (2 problems)\n',
    );
    expect(existsSync(ws.stateDir)).toBe(false);
  });

  it('exits 3 with one line when another scan holds the lock', async () => {
    const hanging = createServer(() => undefined).listen(0, '127.0.0.1');
    servers.push(hanging);
    await new Promise((r) => hanging.once('listening', r));
    const { port } = hanging.address() as { port: number };
    ws = await workspace(`version: 1
services:
  slow: { checks: [ { type: http, url: "http://127.0.0.1:${port}/", timeout: 3s } ] }
`);
    const first = ws.heal('scan');
    await waitFor(() => existsSync(join(ws!.stateDir, 'scan.lock')));
    const second = await ws.heal('scan');
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(/^heal: another heal scan is running \(pid \d+, lock .*scan\.lock\); skipped\n$/);
    expect((await first).code).toBe(1);
  });

  it('takes over a lock left by a scan that died', async () => {
    const port = await freePort();
    ws = await workspace(`version: 1\nservices:\n  a: { checks: [ { type: port, port: ${port} } ] }\n`);
    await mkdir(ws.stateDir, { recursive: true, mode: 0o700 });
    // A pid far above any pid_max in use here: no such process.
    await writeFile(join(ws.stateDir, 'scan.lock'), JSON.stringify({ pid: 4_000_000, hostname: (await import('node:os')).hostname(), startedAt: new Date().toISOString() }));
    const run = await ws.heal('scan');
    expect(run.code).toBe(1);
    expect(existsSync(join(ws.stateDir, 'scan.lock'))).toBe(false);
  });
});

describe('heal validate', () => {
  it('accepts the bundled services.yaml', async () => {
    const { runHeal, ROOT } = await import('../helpers/cli.js');
    const run = await runHeal(['validate', '--config', join(ROOT, 'services.yaml')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/services\.yaml: valid · 4 services \(1 enabled\), 5 checks, 1 alert channel\n$/);
  });

  it('rejects a launchd label that would be a shell command, without running anything', async () => {
    ws = await workspace(`version: 1\nservices:\n  a:\n    checks: [ { type: port, port: 1 } ]\n    restart: { type: launchd, label: "a;touch pwned" }\n`);
    const run = await ws.heal('validate');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('services.a.restart.label: a launchd label may hold only letters, digits, ".", "_" and "-" (line 5)');
    expect(existsSync(join(ws.dir, 'pwned'))).toBe(false);
  });
});
