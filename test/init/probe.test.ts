/** The health probe of heal init against real HTTP servers and a plain TCP listener. */
import { createServer as createHttp, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_PATHS, PROBE_CONCURRENCY, probeHealthPaths } from '../../src/init/probe.js';

const statusBy = (routes: Record<string, number>) =>
  createHttp((req, res) => {
    res.writeHead(routes[req.url ?? ''] ?? 404);
    res.end();
  });
const listen = (server: HttpServer | Server, host = '127.0.0.1') => new Promise<number>((resolve) => server.listen(0, host, () => resolve((server.address() as { port: number }).port)));

describe('probeHealthPaths', () => {
  const health = statusBy({ '/health': 200, '/': 200 });
  const healthz = statusBy({ '/healthz': 204, '/health': 500 });
  const rootOnly = statusBy({ '/': 200 });
  const redirects = statusBy({ '/': 302, '/health': 301 });
  const v6 = statusBy({ '/status': 200 });
  const tcp = createServer((socket) => socket.end());
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    ports.health = await listen(health);
    ports.healthz = await listen(healthz);
    ports.rootOnly = await listen(rootOnly);
    ports.redirects = await listen(redirects);
    ports.v6 = await listen(v6, '::1');
    ports.tcp = await listen(tcp);
  });

  afterAll(() => {
    for (const server of [health, healthz, rootOnly, redirects, v6, tcp]) server.close();
  });

  it('takes the first usual path that answers 2xx on each port, and none where nothing does', async () => {
    const found = await probeHealthPaths([
      { address: '127.0.0.1', port: ports.health as number },
      { address: '0.0.0.0', port: ports.healthz as number },
      { address: '*', port: ports.rootOnly as number },
      { address: '127.0.0.1', port: ports.redirects as number },
      { address: '::1', port: ports.v6 as number },
      { address: '127.0.0.1', port: ports.tcp as number },
    ]);
    expect(Object.fromEntries(found)).toEqual({
      [ports.health as number]: '/health',
      [ports.healthz as number]: '/healthz',
      [ports.rootOnly as number]: '/',
      [ports.v6 as number]: '/status',
    });
  }, 60_000);

  it('probes more paths than it runs at once, and still answers for every port', async () => {
    const many = Array.from({ length: Math.ceil(PROBE_CONCURRENCY / HEALTH_PATHS.length) + 1 }, () => statusBy({ '/healthz': 200 }));
    try {
      const manyPorts = await Promise.all(many.map((server) => listen(server)));
      const found = await probeHealthPaths(manyPorts.map((port) => ({ address: '127.0.0.1', port })));
      expect(manyPorts.map((port) => found.get(port))).toEqual(manyPorts.map(() => '/healthz'));
    } finally {
      for (const server of many) server.close();
    }
  }, 60_000);
});
