import { afterEach, describe, expect, it } from 'vitest';
import { portChecker } from '../../src/checks/port.js';
import { portCheck } from '../../src/checks/schema.js';
import { checkContext } from './context.js';
import { closedPort, serverScope, startHangingListener, startTcpServer } from '../helpers/servers.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

describe('port check', () => {
  it('passes when something listens on the port, and reports latency', async () => {
    const listener = await servers.add(startHangingListener());
    const outcome = await portChecker.run(portCheck.parse({ type: 'port', port: listener.port }), checkContext());
    expect(outcome).toMatchObject({ ok: true });
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
    expect(outcome.latencyMs).toBeLessThan(1_000);
  });

  it('closes its connection once it has opened', async () => {
    const listener = await servers.add(startHangingListener());
    await portChecker.run(portCheck.parse({ type: 'port', port: listener.port }), checkContext());
    await expect.poll(() => listener.connections.open).toBe(0);
    expect(listener.connections.total).toBe(1);
  });

  it('fails a closed port with "connection refused"', async () => {
    const port = await closedPort();
    const outcome = await portChecker.run(portCheck.parse({ type: 'port', port }), checkContext());
    expect(outcome).toMatchObject({ ok: false, error: 'connection refused' });
  });

  it('settles as soon as its signal aborts, naming the budget', async () => {
    const listener = await servers.add(startHangingListener());
    const controller = new AbortController();
    controller.abort();
    const outcome = await portChecker.run(
      portCheck.parse({ type: 'port', port: listener.port }),
      checkContext(3_000, { signal: controller.signal }),
    );
    expect(outcome).toMatchObject({ ok: false, error: 'timed out after 3s' });
  });

  it('passes a server that closes the connection right after accepting it', async () => {
    const server = await servers.add(startTcpServer((socket) => socket.destroy()));
    const outcome = await portChecker.run(portCheck.parse({ type: 'port', port: server.port }), checkContext());
    expect(outcome.ok).toBe(true);
  });

  it.each([
    [{ type: 'port', port: 3002 }, 'port 127.0.0.1:3002'],
    [{ type: 'port', host: 'db.local', port: 5432 }, 'port db.local:5432'],
    [{ type: 'port', host: '::1', port: 80 }, 'port [::1]:80'],
  ])('describes %j as %s', (input, label) => {
    expect(portChecker.describe(portCheck.parse(input))).toBe(label);
  });
});
