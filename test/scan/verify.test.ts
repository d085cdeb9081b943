import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeps, spawnDetached } from '../../src/deps.js';
import { describeExit, verifyService } from '../../src/scan/verify.js';
import { silentLogger } from '../../src/log/logger.js';
import { resolveServices } from '../../src/manifest/resolve.js';
import { parseManifest } from '../../src/manifest/parse.js';
import { HTTP_SERVICE } from '../helpers/fake-supervisors.js';
import { closedPort, serverScope, startTcpServer } from '../helpers/servers.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

const serviceOn = (port: number) =>
  resolveServices(parseManifest(`version: 1\nservices:\n  api: { checks: [ { type: port, port: ${port}, timeout: 1s } ] }\n`, {}).manifest)[0]!;

describe('verifyService', () => {
  it('looks at least once even when a slow restart used the whole window up', async () => {
    const port = await closedPort();
    const deps = createDeps(silentLogger());
    const now = Date.now();
    const result = await verifyService(serviceOn(port), { deps, baseDir: '/', concurrency: 4, deadline: now - 1, scanDeadline: now + 5_000 });
    expect(result.rounds).toBe(1);
    expect(result.outcomes[0]).toMatchObject({ ok: false, error: 'connection refused' });
  });

  it('is healthy as soon as the checks pass', async () => {
    const server = await servers.add(startTcpServer((socket) => socket.end()));
    const deps = createDeps(silentLogger());
    const result = await verifyService(serviceOn(server.port), { deps, baseDir: '/', concurrency: 4, deadline: Date.now() + 5_000, scanDeadline: Date.now() + 5_000 });
    expect(result).toMatchObject({ healthy: true, rounds: 1 });
  });

  it('never runs past the scan deadline', async () => {
    const port = await closedPort();
    const deps = createDeps(silentLogger());
    const now = Date.now();
    const result = await verifyService(serviceOn(port), { deps, baseDir: '/', concurrency: 4, deadline: now - 1, scanDeadline: now - 1 });
    expect(result.outcomes[0]).toMatchObject({ ok: false, error: expect.stringContaining('deadline') });
  });
});

describe('verifyService: a service started detached', () => {
  const dirs: string[] = [];
  const pids: number[] = [];
  afterEach(async () => {
    for (const pid of pids.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function start(run: string[]) {
    const dir = await mkdtemp(join(tmpdir(), 'heal-verify-'));
    dirs.push(dir);
    const started = await spawnDetached(run, { cwd: dir, logFile: join(dir, 'logs', 'api.log') });
    if (!started.ok) throw new Error(started.error);
    pids.push(started.pid);
    return { dir, exited: started.exited };
  }

  it('stops waiting when the process exits non-zero before the checks pass, and says how, with its last lines', async () => {
    const port = await closedPort();
    const { exited } = await start([process.execPath, '-e', 'console.error("can\'t open file \'/srv/app.py\'"); process.exit(2)']);
    const deps = createDeps(silentLogger());
    const now = Date.now();
    // A window of ten minutes: only the exit can end this wait in time.
    const result = await verifyService(serviceOn(port), { deps, baseDir: '/', concurrency: 4, deadline: now + 600_000, scanDeadline: now + 600_000, exited });

    expect(result).toMatchObject({ healthy: false, exited: { code: 2, signal: null, lastLines: ["can't open file '/srv/app.py'"] } });
    expect(result.rounds).toBeGreaterThanOrEqual(1);
    expect(result.outcomes[0]).toMatchObject({ ok: false, error: 'connection refused' });
    expect(describeExit(result.exited!)).toBe("exited with code 2 right after start: can't open file '/srv/app.py'");
  });

  it('lets the checks decide when the process exits 0 because it daemonised itself', async () => {
    const port = await closedPort();
    const { dir, exited } = await start(['/bin/sh', '-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(HTTP_SERVICE)} --port ${port} --pidfile daemon.pid & exit 0`]);
    const deps = createDeps(silentLogger());
    const now = Date.now();

    const result = await verifyService(serviceOn(port), { deps, baseDir: '/', concurrency: 4, deadline: now + 60_000, scanDeadline: now + 60_000, exited });
    pids.push(Number(await readFile(join(dir, 'daemon.pid'), 'utf8')));

    expect(result).toMatchObject({ healthy: true });
    expect(result.exited).toBeUndefined();
    expect(await exited).toMatchObject({ code: 0 });
  });

  it('still says how the process ended when it exited 0 and the checks never passed', async () => {
    const port = await closedPort();
    const { exited } = await start([process.execPath, '-e', 'console.log("usage: api --port N")']);
    await exited;
    const deps = createDeps(silentLogger());
    const now = Date.now();

    const result = await verifyService(serviceOn(port), { deps, baseDir: '/', concurrency: 4, deadline: now + 300, scanDeadline: now + 5_000, exited });

    expect(result).toMatchObject({ healthy: false, exited: { code: 0, signal: null, lastLines: ['usage: api --port N'] } });
    expect(describeExit(result.exited!)).toBe('exited with code 0 right after start: usage: api --port N');
  });

  it.each([
    [{ code: null, signal: 'SIGKILL' as const, lastLines: [] }, 'was killed by SIGKILL right after start (nothing in its log)'],
    [{ code: 1, signal: null, lastLines: ['a', 'b'] }, 'exited with code 1 right after start: a | b'],
  ])('describes %j as %s', (exit, text) => {
    expect(describeExit(exit)).toBe(text);
  });
});
