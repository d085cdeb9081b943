/**
 * Overlapping schedules: launchd, cron and a person at a terminal may start `heal scan` while
 * another runs. Exactly one works; the others exit 3 with one line. A lock (or a takeover
 * marker) left by a scan that was killed never blocks the next one.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, waitFor, workspace, type HealRun, type Workspace } from '../helpers/cli.js';
import { withClock } from '../helpers/faketime.js';
import { serverScope, startHangingListener } from '../helpers/servers.js';
import { builtCli, groupGone, startHeal } from './support.js';

const servers = serverScope();
let ws: Workspace | undefined;
afterEach(() => servers.closeAll());

/** A scan that takes about `seconds`: its one check waits on a listener that never answers. */
async function slowManifest(seconds: number): Promise<string> {
  const hang = await servers.add(startHangingListener());
  return `version: 1
log_file: heal.log
scan_timeout: ${seconds * 2 + 2}s
services:
  slow:
    checks: [ { type: http, url: "http://127.0.0.1:${hang.port}/health", timeout: ${seconds}s } ]
`;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid as number;
}

/** `heal ARGS…` under faketime, its clock moved `clock` ('+1d', '-1d') from the real one. */
function healWithClock(clock: string, args: readonly string[], cwd: string): Promise<HealRun> {
  return new Promise((resolve) => {
    const run = withClock(clock, [process.execPath, CLI, ...args]);
    execFile(run.file, run.args, { cwd, env: { ...run.env, HEAL_CONFIG: '', HEAL_STATE_DIR: '' }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const SKIPPED = /^heal: another heal scan is running \(pid \d+, lock .*scan\.lock\); skipped\n$/;

describe('overlapping scans', () => {
  it('ten scans started at once: exactly one works, the nine others exit 3 with one line', async () => {
    ws = await workspace(await slowManifest(5));
    await builtCli();
    const runs = await Promise.all(Array.from({ length: 10 }, () => ws!.heal('scan', '--json')));
    const worked = runs.filter((r) => r.code === 0 || r.code === 1);
    const skipped = runs.filter((r) => r.code === 3);
    expect(worked).toHaveLength(1);
    expect(skipped).toHaveLength(9);
    expect(JSON.parse(worked[0]!.stdout).services[0]).toMatchObject({ name: 'slow', status: 'down' });
    for (const run of skipped) {
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(SKIPPED);
    }
    expect(existsSync(join(ws.stateDir, 'scan.lock'))).toBe(false);
  });

  it.each(['+1d', '+400d', '-1d'])("a scan whose clock is %s off never takes a running scan's lock (a scan_timeout over ten minutes, a clock step)", async (clock) => {
    // The first scan's one check waits until the test lets it go: however slow the second one starts, the first still runs.
    ws = await workspace(`version: 1
log_file: heal.log
scan_timeout: 20m
services:
  slow:
    checks: [ { type: command, run: [/bin/sh, -c, "while [ ! -e go ]; do sleep 0.05; done; exit 1"], timeout: 15m } ]
`);
    await builtCli();
    const heal = startHeal(['scan', '--config', ws.manifest, '--state-dir', ws.stateDir], { cwd: ws.dir });
    const lock = join(ws.stateDir, 'scan.lock');
    let second: HealRun;
    try {
      await waitFor(async () => (await readFile(lock, 'utf8').catch(() => '')).includes(`"pid":${heal.pid}`), 10_000);
      second = await healWithClock(clock, ['scan', '--config', ws.manifest, '--state-dir', ws.stateDir], ws.dir);
    } finally {
      await writeFile(join(ws.dir, 'go'), ''); // whatever happened, the first scan ends
    }
    expect(second.stderr).toMatch(SKIPPED);
    expect(second.code).toBe(3);
    const first = await heal.exited;
    expect(first.code).toBe(1); // it ran to its end: the slow service is down
    expect(await readFile(join(ws.dir, 'heal.log'), 'utf8')).not.toMatch(/took over/);
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over the lock of a scan that was SIGKILLed mid-scan', async () => {
    ws = await workspace(await slowManifest(3));
    await builtCli();
    const heal = startHeal(['scan', '--config', ws.manifest, '--state-dir', ws.stateDir], { cwd: ws.dir });
    const lock = join(ws.stateDir, 'scan.lock');
    await waitFor(async () => (await readFile(lock, 'utf8').catch(() => '')).includes(`"pid":${heal.pid}`), 10_000);
    process.kill(heal.pid, 'SIGKILL');
    expect((await heal.exited).signal).toBe('SIGKILL');
    await groupGone(heal.pid);
    expect(existsSync(lock)).toBe(true);

    const next = await ws.heal('scan');
    expect(next.code).toBe(1); // the slow service is down; not 3
    expect(await readFile(join(ws.dir, 'heal.log'), 'utf8')).toMatch(/took over a stale scan lock .*pid \d+ is no longer running/);
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over at once when the scan was killed in the middle of a takeover (its marker left behind)', async () => {
    ws = await workspace(await slowManifest(1));
    const dead = await deadPid();
    const content = `${JSON.stringify({ pid: dead, hostname: hostname(), startedAt: new Date().toISOString(), token: 'feedbeef' })}\n`;
    const { mkdir } = await import('node:fs/promises');
    await mkdir(ws.stateDir, { recursive: true, mode: 0o700 });
    // The killed scan had created the marker and its own lock, and died before removing the marker.
    await writeFile(join(ws.stateDir, 'scan.lock'), content);
    await writeFile(join(ws.stateDir, 'scan.lock.takeover'), content);
    // And another one died before its lock was linked into place, leaving the temp file behind.
    await writeFile(join(ws.stateDir, `scan.lock.tmp-${dead}-0123abcd`), content);
    const next = await ws.heal('scan');
    expect(next.stderr).toBe('');
    expect(next.code).toBe(1);
    expect(existsSync(join(ws.stateDir, 'scan.lock.takeover'))).toBe(false);
    expect((await readdir(ws.stateDir)).filter((name) => name.startsWith('scan.lock'))).toEqual([]);
  });
});
