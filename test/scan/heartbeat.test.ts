import { afterEach, describe, expect, it } from 'vitest';
import { capBody, heartbeatSummary, heartbeatUrl, MAX_HEARTBEAT_BODY_BYTES, pingHeartbeat, type SummaryReport } from '../../src/scan/heartbeat.js';
import { closedPort, reply, serverScope, startHangingListener, startHttpServer, type HttpHandler } from '../helpers/servers.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

const TOKEN = '5f1c9a2e-7b3d-4e8f-a1c6-0d9e8b7a6c54';

async function pingServer(handler: HttpHandler = reply(200, 'OK')) {
  const server = await servers.add(startHttpServer(handler));
  return { server, url: server.url(`/ping/${TOKEN}`) };
}

describe('pingHeartbeat', () => {
  it('POSTs <url>/start with no body when a scan starts', async () => {
    const { server, url } = await pingServer();
    expect(await pingHeartbeat(url, 'start')).toEqual({ ok: true });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: `/ping/${TOKEN}/start`, body: '' });
    expect(server.requests[0]?.headers['content-length']).toBe('0');
  });

  it('POSTs <url> itself when a scan succeeds, with the summary when given', async () => {
    const { server, url } = await pingServer();
    expect(await pingHeartbeat(url, 'success', 'all 3 services up')).toEqual({ ok: true });
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: `/ping/${TOKEN}`, body: 'all 3 services up' });
  });

  it('POSTs <url>/fail with the summary as a text/plain body when a scan fails', async () => {
    const { server, url } = await pingServer();
    const summary = '1 of 2 services down: api (restart failed: exit 1: address in use — ünïcode)';
    expect(await pingHeartbeat(url, 'fail', summary)).toEqual({ ok: true });
    const [request] = server.requests;
    expect(request).toMatchObject({ method: 'POST', path: `/ping/${TOKEN}/fail`, body: summary });
    expect(request?.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(request?.headers['user-agent']).toBe('heal (heartbeat)');
  });

  it.each([
    ['a trailing slash', `/ping/${TOKEN}/`, 'start', `/ping/${TOKEN}/start`],
    ['a query string (kept after the phase)', `/ping/${TOKEN}?rid=abc`, 'fail', `/ping/${TOKEN}/fail?rid=abc`],
    ['a query string on success', `/ping/${TOKEN}?rid=abc`, 'success', `/ping/${TOKEN}?rid=abc`],
  ] as const)('puts the phase in the path of a URL with %s', async (_, path, phase, expected) => {
    const server = await servers.add(startHttpServer(reply(200, 'OK')));
    expect(await pingHeartbeat(server.url(path), phase)).toEqual({ ok: true });
    expect(server.requests[0]?.path).toBe(expected);
    expect(heartbeatUrl(server.url(path), phase).pathname + heartbeatUrl(server.url(path), phase).search).toBe(expected);
  });

  it('cuts a body over 10 kB, never inside a character', async () => {
    const { server, url } = await pingServer();
    expect(await pingHeartbeat(url, 'fail', 'é'.repeat(20_000))).toEqual({ ok: true });
    const body = server.requests[0]?.body ?? '';
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_HEARTBEAT_BODY_BYTES);
    expect(body).toMatch(/^é+\n…\(cut\)$/);
    expect(capBody('short')).toBe('short');
  });

  it('fails with the status when the server answers 500', async () => {
    const { url } = await pingServer(reply(500, 'boom'));
    expect(await pingHeartbeat(url, 'success')).toEqual({ ok: false, error: 'heartbeat ping failed: status 500' });
  });

  it('does not follow a redirect', async () => {
    const { server, url } = await pingServer(reply(302, '', { location: '/elsewhere' }));
    expect(await pingHeartbeat(url, 'start')).toEqual({ ok: false, error: 'heartbeat ping failed: status 302 (redirects are not followed)' });
    expect(server.requests).toHaveLength(1);
  });

  it('gives up on a server that never answers at its timeout', async () => {
    const hung = await servers.add(startHangingListener());
    const result = await pingHeartbeat(`http://127.0.0.1:${hung.port}/ping/${TOKEN}`, 'start', undefined, { timeoutMs: 300 });
    // The server never answers: only the timeout can end it, and the error names it.
    expect(result).toEqual({ ok: false, error: 'heartbeat ping failed: timed out after 300ms' });
    expect(hung.connections.total).toBe(1);
    await expect.poll(() => hung.connections.open, { timeout: 20_000 }).toBe(0); // the socket was closed, not left behind
  });

  it('fails with "connection refused" when nothing listens', async () => {
    const port = await closedPort();
    expect(await pingHeartbeat(`http://127.0.0.1:${port}/ping/${TOKEN}`, 'fail', 'x')).toEqual({ ok: false, error: 'heartbeat ping failed: connection refused' });
  });

  it('stops when its signal aborts, and at once when it already had', async () => {
    const hung = await servers.add(startHangingListener());
    const controller = new AbortController();
    const pending = pingHeartbeat(`http://127.0.0.1:${hung.port}/x`, 'start', undefined, { timeoutMs: 5_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toEqual({ ok: false, error: 'heartbeat ping failed: cancelled' });
    expect(await pingHeartbeat(`http://127.0.0.1:${hung.port}/x`, 'start', undefined, { signal: AbortSignal.abort() })).toEqual({
      ok: false,
      error: 'heartbeat ping failed: cancelled',
    });
  });

  it.each(['not a url', 'ftp://example.com/ping/abc'])('never throws on a bad URL (%s)', async (url) => {
    const result = await pingHeartbeat(url, 'start');
    expect(result.ok).toBe(false);
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/^heartbeat ping failed: (invalid URL|the URL must be http or https)$/) });
  });

  describe('keeps the URL, which holds the token, out of every error', () => {
    const SECRET_QUERY = 'q-secret-value-123';
    const PASSWORD = 'hunter2-password';
    const secretUrl = (port: number) => `http://ops:${PASSWORD}@127.0.0.1:${port}/ping/${TOKEN}?key=${SECRET_QUERY}`;

    it.each<[string, () => Promise<number>]>([
      ['a 500', async () => (await servers.add(startHttpServer(reply(500, `no such check ${TOKEN}`)))).port],
      ['a 404 that echoes the path', async () => (await servers.add(startHttpServer((req, res) => res.writeHead(404).end(`not found: ${req.url}`)))).port],
      ['a redirect to the same URL', async () => (await servers.add(startHttpServer((req, res) => res.writeHead(301, { location: req.url }).end()))).port],
      ['a hang', async () => (await servers.add(startHangingListener())).port],
      ['a refused connection', closedPort],
      ['a server that hangs up', async () => (await servers.add(startHttpServer((req) => req.socket.destroy()))).port],
    ])('%s', async (_, start) => {
      const port = await start();
      const result = await pingHeartbeat(secretUrl(port), 'fail', 'summary', { timeoutMs: 300 });
      expect(result.ok).toBe(false);
      const error = result.ok ? '' : result.error;
      expect(error).toMatch(/^heartbeat ping failed: /);
      for (const secret of [TOKEN, SECRET_QUERY, PASSWORD, '/ping/', 'key=']) expect(error).not.toContain(secret);
    });
  });
});

function service(name: string, status: SummaryReport['services'][number]['status'], extra: Partial<SummaryReport['services'][number]> = {}): SummaryReport['services'][number] {
  return { name, status, checks: [], ...extra };
}

describe('heartbeatSummary', () => {
  it.each<[string, SummaryReport['services'], string]>([
    ['all up', [service('api', 'up'), service('db', 'up')], 'all 2 services up'],
    ['one service up', [service('api', 'up')], '1 service up'],
    ['healed ones named', [service('api', 'healed'), service('db', 'up'), service('web', 'healed')], 'all 3 services up (2 healed: api, web)'],
    ['no services', [], 'all 0 services up'],
    [
      'a failed restart and a held-back heal',
      [
        service('api', 'down', { action: 'restart failed (command: /usr/local/bin/api)', reason: 'exit 1: address in use' }),
        service('db', 'down', { action: 'held back', reason: 'cooldown 3m left' }),
        service('web', 'up'),
        service('proxy', 'healed'),
        service('worker', 'up'),
      ],
      '2 of 5 services down: api (restart failed: exit 1: address in use), db (held back: cooldown 3m left)',
    ],
    ['a skipped service counts as down', [service('db', 'down', { reason: 'no restart configured' }), service('api', 'skipped', { reason: 'depends on db, which is down' })], '2 of 2 services down: db (no restart configured), api (skipped: depends on db, which is down)'],
    [
      'a down service without a reason shows its first failing check',
      [service('api', 'down', { checks: [{ name: 'port 127.0.0.1:4000', ok: true }, { name: 'GET /health', ok: false, error: 'status 503' }] })],
      '1 of 1 service down: api (GET /health: status 503)',
    ],
    ['line breaks in a reason become spaces', [service('api', 'down', { reason: 'still failing after restart:\nline two' })], '1 of 1 service down: api (still failing after restart: line two)'],
  ])('%s', (_, services, summary) => {
    expect(heartbeatSummary({ services })).toBe(summary);
  });

  it('cuts a long reason', () => {
    const summary = heartbeatSummary({ services: [service('api', 'down', { reason: 'x'.repeat(1_000) })] });
    expect(summary.length).toBeLessThan(260);
    expect(summary.endsWith('…)')).toBe(true);
  });
});
