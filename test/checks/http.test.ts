import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { httpChecker, jsonAt, MAX_BODY_BYTES } from '../../src/checks/http.js';
import { httpCheck } from '../../src/checks/schema.js';
import { checkContext } from './context.js';
import {
  closedPort,
  neverEnd,
  reply,
  serverScope,
  startHangingListener,
  startHttpServer,
  startHttpsServer,
  type HttpHandler,
} from '../helpers/servers.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

/** Runs an http check built from the manifest fields given. */
function check(fields: Record<string, unknown>, timeoutMs = 2_000) {
  return httpChecker.run(httpCheck.parse({ type: 'http', ...fields }), checkContext(timeoutMs));
}

/** Writes 64 KiB chunks for as long as the client reads, counting what it sent. */
function endlessBody(prefix = ''): { handler: HttpHandler; sent: () => number; closed: Promise<void> } {
  let sent = 0;
  let onClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (onClosed = resolve));
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const handler: HttpHandler = (_req, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.on('close', onClosed);
    if (prefix) res.write(prefix);
    const pump = (): void => {
      while (!res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
  };
  return { handler, sent: () => sent, closed };
}

describe('http check: status', () => {
  it('passes a 200 and reports the latency of the response', async () => {
    const server = await servers.add(startHttpServer(reply(200, 'ok')));
    const outcome = await check({ url: server.url('/health') });
    expect(outcome).toMatchObject({ ok: true, detail: 'status 200' });
    expect(outcome.latencyMs).toBeLessThan(1_000);
    expect(server.requests).toMatchObject([{ method: 'GET', path: '/health' }]);
  });

  it('fails a 500 naming the accepted statuses', async () => {
    const server = await servers.add(startHttpServer(reply(500, 'boom')));
    expect(await check({ url: server.url() })).toMatchObject({ ok: false, error: 'status 500 (expected 200-399)' });
  });

  it.each([
    { status: undefined, sent: 204, error: undefined },
    { status: undefined, sent: 399, error: undefined },
    { status: undefined, sent: 404, error: 'status 404 (expected 200-399)' },
    { status: 200, sent: 201, error: 'status 201 (expected 200)' },
    { status: 503, sent: 503, error: undefined },
    { status: [200, 204], sent: 204, error: undefined },
    { status: [200, 204], sent: 202, error: 'status 202 (expected 200, 204)' },
  ])('with status $status judges a $sent as $error', async ({ status, sent, error }) => {
    const server = await servers.add(startHttpServer(reply(sent)));
    const outcome = await check({ url: server.url(), ...(status === undefined ? {} : { status }) });
    expect(outcome).toMatchObject(error === undefined ? { ok: true } : { ok: false, error });
  });

  it('does not follow a redirect: the 3xx is judged as a status', async () => {
    const moved = reply(302, '', { location: '/elsewhere' });
    const server = await servers.add(startHttpServer((req, res, seen) => (req.url === '/' ? moved : reply(200, 'ok'))(req, res, seen)));
    expect(await check({ url: server.url('/') })).toMatchObject({ ok: true, detail: 'status 302' });
    expect(await check({ url: server.url('/'), status: 200 })).toMatchObject({
      ok: false,
      error: 'status 302 (expected 200), redirects to /elsewhere',
    });
    expect(server.requests.map((r) => r.path)).toEqual(['/', '/']);
  });

  it('judges the status without waiting for a body nobody asked about', async () => {
    const server = await servers.add(startHttpServer(neverEnd));
    // The body never ends and the timeout is past the test's own: settling at all proves it did not wait for it.
    expect(await check({ url: server.url() }, 120_000)).toMatchObject({ ok: true, detail: 'status 200' });
    await expect.poll(() => server.connections.open, { timeout: 20_000 }).toBe(0);
  });
});

describe('http check: request', () => {
  it('sends the method, headers and body it is given', async () => {
    const server = await servers.add(startHttpServer(reply(200)));
    const outcome = await check({
      url: server.url('/probe'),
      method: 'POST',
      headers: { Authorization: 'Bearer t0ken', 'X-Probe': 'heal' },
      body: '{"ping":1}',
    });
    expect(outcome.ok).toBe(true);
    const [seen] = server.requests;
    expect(seen).toMatchObject({ method: 'POST', path: '/probe', body: '{"ping":1}' });
    expect(seen?.headers).toMatchObject({ authorization: 'Bearer t0ken', 'x-probe': 'heal', 'content-length': '10' });
  });

  it('fails a closed port with "connection refused"', async () => {
    const port = await closedPort();
    expect(await check({ url: `http://127.0.0.1:${port}/` })).toMatchObject({ ok: false, error: 'connection refused' });
  });

  it('fails a listener that accepts and never replies at its timeout', async () => {
    const listener = await servers.add(startHangingListener());
    const outcome = await check({ url: `http://127.0.0.1:${listener.port}/` }, 500);
    // The budget's end, said as such, and the client hung up (a hang would never settle).
    expect(outcome).toMatchObject({ ok: false, error: 'timed out after 500ms' });
    expect(listener.connections.total).toBe(1);
    await expect.poll(() => listener.connections.open, { timeout: 20_000 }).toBe(0);
  });

  it('fails a server that hangs up without answering', async () => {
    const server = await servers.add(startHttpServer((req) => req.socket.destroy()));
    expect(await check({ url: server.url() })).toMatchObject({ ok: false, error: 'connection closed without a response' });
  });

  it('fails a request node refuses to send, without throwing', async () => {
    const server = await servers.add(startHttpServer(reply(200)));
    const outcome = await check({ url: server.url(), headers: { 'x-bad': 'line\nbreak' } });
    expect(outcome).toMatchObject({ ok: false, error: expect.stringContaining('Invalid character in header content') });
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a self-signed certificate unless insecure is set', async () => {
    const server = await servers.add(startHttpsServer(reply(200, 'ok')));
    const strict = await check({ url: server.url(), body_contains: 'ok' });
    expect(strict.ok).toBe(false);
    expect(strict.ok === false && strict.error).toMatch(/^TLS: /);
    expect(await check({ url: server.url(), body_contains: 'ok', insecure: true })).toMatchObject({ ok: true });
  });

  it.each([
    [{ url: 'http://127.0.0.1:3002/health' }, 'GET http://127.0.0.1:3002/health'],
    [{ url: 'https://example.com/', method: 'HEAD' }, 'HEAD https://example.com/'],
    [{ url: 'https://user:secret@example.com/x' }, 'GET https://***@example.com/x'],
  ])('describes %j as %s', (fields, label) => {
    expect(httpChecker.describe(httpCheck.parse({ type: 'http', ...fields }))).toBe(label);
  });
});

describe('http check: body', () => {
  it('passes when the body contains the text', async () => {
    const server = await servers.add(startHttpServer(reply(200, 'status: ok')));
    expect(await check({ url: server.url(), body_contains: 'ok' })).toMatchObject({ ok: true });
  });

  it('fails when the body lacks the text', async () => {
    const server = await servers.add(startHttpServer(reply(200, 'status: degraded')));
    expect(await check({ url: server.url(), body_contains: 'ok' })).toMatchObject({
      ok: false,
      error: 'body does not contain "ok"',
    });
  });

  it('finds text split across two chunks', async () => {
    const server = await servers.add(
      startHttpServer((_req, res) => {
        res.writeHead(200);
        res.write('all systems o');
        setTimeout(() => res.end('perational'), 50);
      }),
    );
    expect(await check({ url: server.url(), body_contains: 'operational' })).toMatchObject({ ok: true });
  });

  it('fails a body that starts and never ends at its timeout', async () => {
    const server = await servers.add(
      startHttpServer((_req, res) => {
        res.writeHead(200);
        res.write('loading…');
      }),
    );
    expect(await check({ url: server.url(), body_contains: 'ok' }, 500)).toMatchObject({
      ok: false,
      error: 'timed out after 500ms',
    });
    // It let go of the body it was reading.
    await expect.poll(() => server.connections.open, { timeout: 20_000 }).toBe(0);
  });

  it('fails a body cut off by the server', async () => {
    const server = await servers.add(
      startHttpServer((req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        setTimeout(() => req.socket.destroy(), 20);
      }),
    );
    expect(await check({ url: server.url(), body_contains: 'ok' })).toMatchObject({
      ok: false,
      error: 'connection closed before the body ended',
    });
  });

  it('stops reading an endless body at 1 MiB and says so', async () => {
    const endless = endlessBody();
    const server = await servers.add(startHttpServer(endless.handler));
    const outcome = await check({ url: server.url(), body_contains: 'needle' }, 10_000);
    expect(outcome).toMatchObject({ ok: false, error: 'body does not contain "needle" in its first 1 MiB' });
    await endless.closed;
    // What the server managed to send is the cap plus what the socket buffers held, not more.
    expect(endless.sent()).toBeLessThan(MAX_BODY_BYTES * 8);
  });

  it('refuses an endless body for a json check at 1 MiB', async () => {
    const endless = endlessBody('{"a":"');
    const server = await servers.add(startHttpServer(endless.handler));
    const outcome = await check({ url: server.url(), json: { path: 'a', equals: 'x' } }, 10_000);
    expect(outcome).toMatchObject({ ok: false, error: 'body is larger than 1 MiB (json a not read)' });
    await endless.closed;
    expect(endless.sent()).toBeLessThan(MAX_BODY_BYTES * 8);
  });

  it('passes as soon as the text shows up, without reading the rest', async () => {
    const endless = endlessBody('ok\n');
    const server = await servers.add(startHttpServer(endless.handler));
    expect(await check({ url: server.url(), body_contains: 'ok' }, 10_000)).toMatchObject({ ok: true });
    await endless.closed;
  });
});

describe('http check: json', () => {
  const health = { status: 'ok', checks: { db: { status: 'down' }, cache: { status: 'up' } }, items: [{ id: 1 }, { id: 2 }], code: '200', ready: true, error: null };

  it.each([
    { path: 'checks.cache.status', equals: 'up', error: undefined },
    { path: 'checks.db.status', equals: 'up', error: 'json checks.db.status is "down" (expected "up")' },
    { path: 'items.1.id', equals: 2, error: undefined },
    { path: 'items.5.id', equals: 2, error: 'json items.5.id is missing (expected 2)' },
    { path: 'checks.queue.status', equals: 'up', error: 'json checks.queue.status is missing (expected "up")' },
    { path: 'code', equals: 200, error: 'json code is "200" (expected 200)' },
    { path: 'ready', equals: true, error: undefined },
    { path: 'error', equals: null, error: undefined },
    { path: 'checks.db', equals: 'up', error: 'json checks.db is {"status":"down"} (expected "up")' },
  ])('json $path = $equals → $error', async ({ path, equals, error }) => {
    const server = await servers.add(startHttpServer(reply(200, health)));
    const outcome = await check({ url: server.url(), json: { path, equals } });
    expect(outcome).toMatchObject(error === undefined ? { ok: true } : { ok: false, error });
  });

  it('fails a body that is not JSON', async () => {
    const server = await servers.add(startHttpServer(reply(200, '<html>ok</html>')));
    expect(await check({ url: server.url(), json: { path: 'status', equals: 'ok' } })).toMatchObject({
      ok: false,
      error: 'body is not JSON (looking for status)',
    });
  });

  it('checks body_contains and json together', async () => {
    const server = await servers.add(startHttpServer(reply(200, health)));
    expect(await check({ url: server.url(), body_contains: 'cache', json: { path: 'status', equals: 'ok' } })).toMatchObject({ ok: true });
    expect(await check({ url: server.url(), body_contains: 'queue', json: { path: 'status', equals: 'ok' } })).toMatchObject({
      ok: false,
      error: 'body does not contain "queue"',
    });
  });

  it.each([
    [{ a: { b: [10, { c: 'x' }] } }, 'a.b.1.c', { found: true, value: 'x' }],
    [{ a: { '0': 'key' } }, 'a.0', { found: true, value: 'key' }],
    [{ a: [1] }, 'a.x', { found: false }],
    [{ a: 'text' }, 'a.length', { found: false }],
    [{ a: null }, 'a.b', { found: false }],
  ])('jsonAt(%j, %s) is %j', (root, path, expected) => {
    expect(jsonAt(root, path)).toEqual(expected);
  });
});
