/**
 * Child processes, through the built CLI: a command is judged by its own exit (however much it
 * writes, whatever it leaves holding its pipes); SIGTERM/SIGINT/SIGHUP to heal ends the checks and
 * restart commands it runs — their whole process groups — releases the scan lock and exits
 * 128 + the signal, but leaves a service started with `detach: true` running; a detached service
 * that dies at once is reported with its exit code and the last lines of its log.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probePid } from '../../src/process/identity.js';
import { FIXTURES, freePort, waitFor, workspace, type Workspace } from '../helpers/cli.js';
import { builtCli, groupGone, startHeal, type HealProcess } from './support.js';

const NODE = JSON.stringify(process.execPath);

/** A `node -e` program as a YAML flow sequence, for `run:`. */
const nodeRun = (script: string): string => `[${NODE}, -e, ${JSON.stringify(script)}]`;

/**
 * A shell word that runs node ignoring SIGTERM; it writes its pid to `file` once it does (so a
 * signal sent after the file appears meets the handler) and runs ten minutes.
 */
const stubborn = (file: string): string =>
  `${process.execPath} -e 'process.on("SIGTERM", () => {}); require("fs").writeFileSync("${file}", String(process.pid)); setTimeout(() => {}, 600000)'`;

async function pidIn(ws: Workspace, name: string): Promise<number> {
  const path = join(ws.dir, name);
  await waitFor(async () => /^\d+$/.test((await readFile(path, 'utf8').catch(() => '')).trim()), 20_000);
  return Number((await readFile(path, 'utf8')).trim());
}

const gone = (pid: number): boolean => probePid(pid) === 'gone';

async function scanInBackground(ws: Workspace): Promise<HealProcess> {
  await builtCli();
  return startHeal(['scan', '--json', '--config', ws.manifest, '--state-dir', ws.stateDir], { cwd: ws.dir });
}

describe('a command is judged by its own exit', () => {
  it('a check and a restart that write 4 MiB and exit 0 pass', { timeout: 60_000 }, async () => {
    const ws = await workspace(`version: 1
defaults: { cooldown: 0s, verify_timeout: 10s }
services:
  chatty:
    checks: [ { type: command, run: ${nodeRun('process.stdout.write("x".repeat(4 << 20), () => process.exit(0))')}, timeout: 20s } ]
  restarted:
    # Up once the restart made up.flag: a command check, not a file check, which would compare the
    # file's time (the kernel's) with heal's clock (400 days ahead under CI's faketime run).
    checks: [ { type: command, run: [test, -e, up.flag] } ]
    restart: { type: command, run: ${nodeRun('process.stdout.write("y".repeat(4 << 20), () => require("fs").writeFileSync("up.flag", ""))')}, timeout: 20s }
`);
    const run = await ws.heal('scan', '--json');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { services: { name: string; status: string; reason?: string }[] };
    expect(report.services.map((s) => [s.name, s.status, s.reason])).toEqual([
      ['chatty', 'up', undefined],
      ['restarted', 'healed', undefined],
    ]);
  });

  it('a restart that puts the service in the background, holding its stdout, heals it and keeps the breaker closed', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const ws = await workspace(`version: 1
defaults: { cooldown: 0s, verify_timeout: 10s, breaker: { failure_threshold: 1 } }
services:
  api:
    checks: [ { type: port, port: ${port} } ]
    restart: { type: command, run: [/bin/sh, -c, "${process.execPath} ${join(FIXTURES, 'http-service.mjs')} --port ${port} --pidfile api.pid &"], timeout: 10s }
`);
    const run = await ws.heal('scan', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).services[0]).toMatchObject({ name: 'api', status: 'healed' });
    const pid = await pidIn(ws, 'api.pid');
    expect(probePid(pid)).toBe('alive');

    const status = JSON.parse((await ws.heal('status', '--json')).stdout) as { services: { name: string; breaker: string }[] };
    expect(status.services[0]).toMatchObject({ name: 'api', breaker: 'closed' });
    // The service outlived the scan that started it, and answers the next one.
    expect((await ws.heal('scan')).code).toBe(0);
  });
});

describe('heal stopped by a signal', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
    ['SIGHUP', 129],
  ] as const)('%s during the checks ends the check and all it started, releases the lock, records nothing and exits %i', { timeout: 60_000 }, async (signal, code) => {
    const ws = await workspace(`version: 1
scan_timeout: 10m
services:
  slow:
    checks: [ { type: command, run: [/bin/sh, -c, "echo $$$$ > check.pid; ${stubborn('stubborn.pid').replaceAll('"', '\\"')} & sleep 600 & wait"], timeout: 5m } ]
`);
    const heal = await scanInBackground(ws);
    const [shell, ignoring] = [await pidIn(ws, 'check.pid'), await pidIn(ws, 'stubborn.pid')];
    expect(existsSync(join(ws.stateDir, 'scan.lock'))).toBe(true);

    process.kill(heal.pid, signal);
    const exit = await heal.exited;

    expect(exit).toMatchObject({ code, signal: null, stdout: '' });
    expect(exit.stderr).toContain(`heal: stopped by ${signal}: ended 1 running command; exit ${code}\n`);
    expect(existsSync(join(ws.stateDir, 'scan.lock'))).toBe(false);
    expect(existsSync(join(ws.stateDir, 'state.json'))).toBe(false);
    // The one that ignored SIGTERM got SIGKILL: nothing the check started is left.
    await waitFor(() => gone(shell) && gone(ignoring), 20_000);
    await groupGone(heal.pid);
  });

  it('SIGTERM during a restart ends the restart command, but a service started detached keeps running', { timeout: 60_000 }, async () => {
    const ws = await workspace(`version: 1
scan_timeout: 10m
defaults: { cooldown: 0s, verify_timeout: 5m }
services:
  waited:
    checks: [ { type: port, port: ${await freePort()} } ]
    restart: { type: command, run: [/bin/sh, -c, "echo $$$$ > restart.pid; ${stubborn('restart-child.pid').replaceAll('"', '\\"')} & wait"], timeout: 5m }
  detached:
    checks: [ { type: port, port: ${await freePort()} } ]
    restart: { type: command, run: ${nodeRun('require("fs").writeFileSync("detached.pid", String(process.pid)); setInterval(() => {}, 1000)')}, detach: true }
`);
    const heal = await scanInBackground(ws);
    const [shell, child, service] = [await pidIn(ws, 'restart.pid'), await pidIn(ws, 'restart-child.pid'), await pidIn(ws, 'detached.pid')];

    process.kill(heal.pid, 'SIGTERM');
    const exit = await heal.exited;

    expect(exit).toMatchObject({ code: 143, signal: null });
    expect(exit.stderr).toContain('heal: stopped by SIGTERM: ended 1 running command; exit 143\n');
    expect(existsSync(join(ws.stateDir, 'scan.lock'))).toBe(false);
    await waitFor(() => gone(shell) && gone(child), 20_000);
    expect(probePid(service)).toBe('alive');
    // Both heals were written down before their restarts ran: the hourly cap knows of them.
    const state = JSON.parse(await readFile(join(ws.stateDir, 'state.json'), 'utf8')) as { services: Record<string, { heals: unknown[] }> };
    expect(Object.fromEntries(Object.entries(state.services).map(([name, s]) => [name, s.heals.length]))).toEqual({ waited: 1, detached: 1 });
  });
});

describe('a detached service that dies at once', () => {
  it('is reported, in the report, the alert and the state, with its exit code and the last lines of its log, without waiting out verify_timeout', { timeout: 60_000 }, async () => {
    const said = "python3: can't open file '/srv/api/app.py': [Errno 2] No such file or directory";
    const ws = await workspace(`version: 1
log_file: heal.log
scan_timeout: 10m
defaults: { cooldown: 0s, verify_timeout: 5m }
alerts:
  levels:
    critical: { threshold: 1, cooldown: 0s, channels: [log] }
services:
  api:
    checks: [ { type: port, port: ${await freePort()} } ]
    restart: { type: command, run: ${nodeRun(`console.log("starting"); console.error(${JSON.stringify(said)}); process.exit(2)`)}, detach: true }
`);
    const run = await ws.heal('scan', '--json');

    expect(run.code, run.stderr).toBe(1);
    const reason = `exited with code 2 right after start: starting | ${said}`;
    expect(JSON.parse(run.stdout).services[0]).toMatchObject({ name: 'api', status: 'down', reason });
    const alerts = (await readFile(join(ws.dir, 'heal.log'), 'utf8'))
      .split('\n')
      .filter((line) => line.includes('"alert":true'))
      .map((line) => JSON.parse(line) as { service: string; action?: string });
    expect(alerts).toEqual([expect.objectContaining({ service: 'api', action: expect.stringContaining(reason) })]);
    const state = JSON.parse(await readFile(join(ws.stateDir, 'state.json'), 'utf8')) as { services: { api: { heals: { error?: string }[] } } };
    expect(state.services.api.heals.at(-1)?.error).toBe(reason);
  });
});
