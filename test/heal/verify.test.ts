import { afterEach, describe, expect, it } from 'vitest';
import { createDeps } from '../../src/deps.js';
import { verifyService } from '../../src/heal/verify.js';
import { silentLogger } from '../../src/logger.js';
import { resolveServices } from '../../src/manifest/resolve.js';
import { parseManifest } from '../../src/manifest/parse.js';
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
