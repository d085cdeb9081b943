/**
 * `heal doctor` through the built CLI (npm run build first): a set-up broken in every way doctor
 * checks names each mistake with its fix and exits 1; a good one exits 0 with every line a ✓.
 * macOS's launchctl cannot run here: the fake launchctl (test/fixtures/bin/launchctl, which
 * follows what a real Mac answers) stands in for it, and a fake crontab (test/install/helpers.ts)
 * for cron's crontab(1). The systemd unit check runs against the real systemd in
 * test/systemd/doctor.test.ts.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_VERSION } from '../../src/state/schema.js';
import { CLI, workspace } from '../helpers/cli.js';
import { serviceProgram, UID, useFakeTool, type LaunchctlScenario } from '../helpers/fake-supervisors.js';
import { fakeCrontab } from '../install/helpers.js';

const launchctl = useFakeTool<LaunchctlScenario>('launchctl');
let crontab: Awaited<ReturnType<typeof fakeCrontab>>;
let port = 0;
let server: Server;
let hook: HttpServer;
let hookUrl = '';
let hooked = 0;

beforeAll(async () => {
  crontab = await fakeCrontab();
  server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  hook = createHttpServer((request, response) => {
    hooked++;
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
});

afterAll(() => {
  server?.close();
  hook?.close();
});

const MANIFEST = (label: string): string => `version: 1
state_dir: state
alerts:
  channels:
    hook: { type: webhook, url: "\${HEAL_DOCTOR_HOOK_URL}", timeout: 5s }
services:
  mac:
    checks: [ { type: port, port: ${port} } ]
    restart: { type: launchd, label: ${label} }
  worker:
    checks: [ { type: port, port: ${port} } ]
    restart: { type: command, run: [./worker.sh] }
`;

async function setUp(label: string, workerMode: number, env: Record<string, string>) {
  const table = join(crontab.dir, `table-${label}`);
  const ws = await workspace(MANIFEST(label), {
    env: { PATH: [crontab.bin, process.env.PATH].join(delimiter), FAKE_CRONTAB_FILE: table, FAKE_CRONTAB_LOG: crontab.log, ...env },
  });
  await writeFile(join(ws.dir, 'worker.sh'), '#!/bin/sh\nexit 0\n');
  await chmod(join(ws.dir, 'worker.sh'), workerMode);
  return ws;
}

describe('heal doctor', () => {
  it('names each mistake of a broken set-up with its fix, and exits 1', { timeout: 120_000 }, async () => {
    // A wrong label (launchd knows com.example.mac only), a restart program that is not
    // executable, no schedule, a last scan two days old, a world-writable state folder, and the
    // webhook's variable unset.
    await launchctl.scenario({ jobs: { [`gui/${UID}/com.example.mac`]: { program: serviceProgram(port) } } });
    const ws = await setUp('com.example.wrong', 0o644, {});
    await mkdir(ws.stateDir);
    await chmod(ws.stateDir, 0o777);
    const twoDaysAgo = Date.now() - 2 * 86_400_000;
    await writeFile(join(ws.stateDir, 'state.json'), JSON.stringify({ version: STATE_VERSION, lastScan: { startedAt: twoDaysAgo, durationMs: 40, exitCode: 0 }, services: {} }));

    const result = await ws.heal('doctor');
    expect(result.stderr).toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    const manifest = ws.manifest;
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^✓ Node ${process.version.replace(/\./g, '\\.')} runs heal \\(`)),
      `✓ manifest ${manifest} is valid`,
      `✗ restart of mac: launchd has no job com.example.wrong in gui/${UID} — fix the label in ${manifest} (line 9), or load the job (launchctl bootstrap gui/${UID} <its plist>) and give heal its plist`,
      `✗ restart of worker: services.worker.restart.run[0]: ./worker.sh (${join(ws.dir, 'worker.sh')}) is not executable: chmod +x ${join(ws.dir, 'worker.sh')} (line 12) — fix the program's path in ${manifest}, or install it / chmod +x it`,
      `✗ no schedule runs heal scan: no heal line in your crontab, no heal-scan.service, no com.heal.scan.plist — heal install cron --write --config ${manifest} (or heal install systemd --config ${manifest} and enable the timer)`,
      `✗ state directory ${ws.stateDir} is writable by group or others (mode 0777) — chmod go-w ${ws.stateDir}`,
      expect.stringMatching(/^✗ the last scan ran 2d ago, but the schedule runs every 5m: it has stopped — read the schedule's log for why/),
      '✗ alert channel hook (webhook): HEAL_DOCTOR_HOOK_URL is not set — export HEAL_DOCTOR_HOOK_URL where heal runs, and for the schedule too (the cron line, Environment= in heal-scan.service, EnvironmentVariables in the plist)',
      // The log channel every manifest has.
      '✓ alert channel log (log) is configured (heal doctor --send sends it a test notice)',
    ]);
    expect(result.code).toBe(1);
  });

  it('passes a good set-up with every line a ✓, sends a test notice with --send, and exits 0', { timeout: 180_000 }, async () => {
    await launchctl.scenario({ jobs: { [`gui/${UID}/com.example.mac`]: { program: serviceProgram(port) } } });
    const ws = await setUp('com.example.mac', 0o755, { HEAL_DOCTOR_HOOK_URL: hookUrl });
    const installed = await ws.heal('install', 'cron', '--write');
    expect(installed.code, installed.stderr).toBe(0);
    const scanned = await ws.heal('scan');
    expect(scanned.code, scanned.stdout + scanned.stderr).toBe(0);

    const result = await ws.heal('doctor', '--send');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.filter((line) => !line.startsWith('✓ '))).toEqual([]);
    expect(lines).toEqual([
      expect.stringMatching(/^✓ Node v\d+/),
      `✓ manifest ${ws.manifest} is valid`,
      `✓ restart of mac: launchd knows com.example.mac (gui/${UID}/com.example.mac)`,
      '✓ restart of worker: ./worker.sh is there and executable',
      `✓ schedule (cron, your crontab) runs this heal (${CLI}) on ${ws.manifest}`,
      `✓ state directory ${ws.stateDir} belongs to ${(await import('node:os')).userInfo().username} and only it may write there (mode 0700)`,
      expect.stringMatching(/^✓ the last scan ran \S+ ago \(every 5m\)$/),
      '✓ alert channel hook (webhook) is configured',
      '✓ alert channel hook: a test notice was sent',
      '✓ alert channel log (log) is configured',
      '✓ alert channel log: a test notice was sent',
    ]);
    expect(hooked).toBe(1);
    expect(result.code).toBe(0);
  });

  it('finds the LaunchAgent heal install launchd wrote, says it is not loaded with the bootstrap line, and passes it once loaded', { timeout: 120_000 }, async () => {
    const ws = await setUp('com.example.mac', 0o755, { HEAL_DOCTOR_HOOK_URL: hookUrl });
    const installed = await ws.heal('install', 'launchd');
    expect(installed.code, installed.stderr).toBe(0);
    const plist = join(ws.dir, 'home', 'Library', 'LaunchAgents', 'com.heal.scan.plist');
    const schedule = (lines: string) => lines.split('\n').find((line) => line.includes('schedule (launchd'));

    const before = await ws.heal('doctor');
    expect(schedule(before.stdout)).toBe(
      `✗ schedule (launchd, ${plist}) runs this heal on ${ws.manifest}, but launchd has not loaded it (gui/${UID}/com.heal.scan) — launchctl bootstrap gui/${UID} ${plist}`,
    );

    await launchctl.scenario({ jobs: { [`gui/${UID}/com.heal.scan`]: { program: [process.execPath, CLI, 'scan', '--config', ws.manifest], plist } } });
    const after = await ws.heal('doctor');
    expect(schedule(after.stdout)).toBe(`✓ schedule (launchd, ${plist}) runs this heal (${CLI}) on ${ws.manifest}`);
  });
});
