/** The metrics file and the heartbeat, through real scans of the built CLI. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, workspace, type Workspace } from '../helpers/cli.js';
import { reply, serverScope, startHangingListener, startHttpServer, startTcpServer } from '../helpers/servers.js';

const servers = serverScope();
let ws: Workspace | undefined;
afterEach(() => servers.closeAll());

/** Something that accepts connections on `port` (the service is "up"), closed after the test. */
async function listen(port: number): Promise<void> {
  await servers.add(startTcpServer((socket) => socket.destroy(), port));
}

function manifest(heartbeatUrl: string, web: number, worker: number): string {
  return `version: 1
metrics_file: metrics/heal.prom
heartbeat: { url: "${heartbeatUrl}", timeout: 1s }
services:
  web: { checks: [ { type: port, port: ${web} } ] }
  worker: { checks: [ { type: port, port: ${worker} } ] }
`;
}

describe('each scan', () => {
  it('pings the heartbeat at its start and end, and writes the metrics file node_exporter reads', async () => {
    const pings = await servers.add(startHttpServer(reply(200, 'OK')));
    const web = await freePort();
    const worker = await freePort();
    await listen(web);
    ws = await workspace(manifest(pings.url('/ping/0f9c-token'), web, worker));

    const failing = await ws.heal('scan');
    expect(failing.code).toBe(1);
    expect(pings.requests.map((r) => r.path)).toEqual(['/ping/0f9c-token/start', '/ping/0f9c-token/fail']);
    expect(pings.requests[1]!.body).toMatch(/1 of 2 services down: worker/);
    const metrics = await readFile(join(ws.dir, 'metrics', 'heal.prom'), 'utf8');
    expect(metrics).toContain('heal_service_up{service="web"} 1');
    expect(metrics).toContain('heal_service_up{service="worker"} 0');
    expect(metrics).toMatch(/^heal_last_scan_timestamp_seconds \d+/m);

    await listen(worker);
    const healthy = await ws.heal('scan');
    expect(healthy.code).toBe(0);
    expect(pings.requests.slice(2).map((r) => r.path)).toEqual(['/ping/0f9c-token/start', '/ping/0f9c-token']);
    expect(await readFile(join(ws.dir, 'metrics', 'heal.prom'), 'utf8')).toContain('heal_service_up{service="worker"} 1');
  });

  it('keeps its exit code when the heartbeat endpoint hangs', async () => {
    const hanging = await servers.add(startHangingListener());
    const web = await freePort();
    await listen(web);
    const worker = await freePort();
    await listen(worker);
    ws = await workspace(manifest(`http://127.0.0.1:${hanging.port}/ping/x`, web, worker));
    const run = await ws.heal('scan');
    expect(run.code).toBe(0);
    expect(JSON.parse(await readFile(join(ws.stateDir, 'state.json'), 'utf8'))).toMatchObject({ lastScan: { exitCode: 0 } });
  });

  it('pings nothing and writes no metrics on a dry run', async () => {
    const pings = await servers.add(startHttpServer(reply(200, 'OK')));
    ws = await workspace(manifest(pings.url('/ping/x'), await freePort(), await freePort()));
    await ws.heal('scan', '--dry-run');
    expect(pings.requests).toEqual([]);
    expect(existsSync(join(ws.dir, 'metrics'))).toBe(false);
  });
});
