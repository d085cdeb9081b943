import { afterEach, describe, expect, it } from 'vitest';
import { sendRequest } from '../../src/common/http-request.js';
import { closedPort, neverEnd, reply, serverScope, startHangingListener, startHttpServer } from '../helpers/servers.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

describe('sendRequest', () => {
  it('sends the method, headers and body, and reads a 200 with its body', async () => {
    const server = await servers.add(startHttpServer(reply(200, { hello: 'world' }, { 'x-answer': '42' })));
    const result = await sendRequest(new URL(server.url('/in?x=1')), {
      method: 'POST',
      headers: { 'user-agent': 'heal (test)', 'content-type': 'text/plain' },
      body: 'héllo',
      timeoutMs: 2_000,
      maxBodyBytes: 1024,
    });
    expect(result).toMatchObject({ ok: true, status: 200, body: '{"hello":"world"}', truncated: false });
    expect(result.ok && result.headers['x-answer']).toBe('42');
    expect(result.ok && 'bodyError' in result).toBe(false);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/in?x=1', body: 'héllo' });
    expect(server.requests[0]?.headers).toMatchObject({ 'user-agent': 'heal (test)', 'content-length': '6', connection: 'close' });
  });

  it('settles at the status line when no body is wanted, and reads only the bodies asked for', async () => {
    const server = await servers.add(startHttpServer(neverEnd));
    // The body never ends and the timeout is past the test's own: settling at all proves it did not wait for it.
    const headersOnly = await sendRequest(new URL(server.url()), { timeoutMs: 120_000 });
    expect(headersOnly).toMatchObject({ ok: true, status: 200, body: '', truncated: false });
    expect(headersOnly.ok && 'bodyError' in headersOnly).toBe(false);

    const errors = await servers.add(startHttpServer(reply(503, 'overloaded')));
    const byStatus = (status: number) => (status === 200 ? 0 : 100);
    expect(await sendRequest(new URL(errors.url()), { timeoutMs: 2_000, maxBodyBytes: byStatus })).toMatchObject({ ok: true, status: 503, body: 'overloaded' });
  });

  it('cuts a body over the cap and stops reading', async () => {
    const server = await servers.add(startHttpServer(reply(200, 'x'.repeat(100_000))));
    const result = await sendRequest(new URL(server.url()), { timeoutMs: 2_000, maxBodyBytes: 1000 });
    expect(result).toMatchObject({ ok: true, status: 200, truncated: true });
    expect(result.ok && result.body).toBe('x'.repeat(1000));
    await expect.poll(() => server.connections.open, { timeout: 20_000 }).toBe(0);
  });

  it('gives up at its timeout on a server that never answers, and closes the socket', async () => {
    const hung = await servers.add(startHangingListener());
    const result = await sendRequest(new URL(`http://127.0.0.1:${hung.port}/`), { timeoutMs: 300 });
    // Its own timer ended it (not an error, not an abort), and it hung up on the server.
    expect(result).toMatchObject({ ok: false, error: 'timed out after 300ms', timedOut: true, aborted: false });
    expect(hung.connections.total).toBe(1);
    await expect.poll(() => hung.connections.open, { timeout: 20_000 }).toBe(0);
  });

  it('keeps the status of a response whose body never ends, and says why the body stopped', async () => {
    const server = await servers.add(
      startHttpServer((_req, res) => {
        res.writeHead(503, { 'retry-after': '30' });
        res.write('overloa');
      }),
    );
    const result = await sendRequest(new URL(server.url()), { timeoutMs: 300, maxBodyBytes: 4096 });
    expect(result).toMatchObject({ ok: true, status: 503, body: 'overloa', truncated: false, bodyError: 'timed out after 300ms' });
    expect(result.ok && result.headers['retry-after']).toBe('30');
    await expect.poll(() => server.connections.open, { timeout: 20_000 }).toBe(0);
  });

  it('says "connection refused" when nothing listens', async () => {
    const port = await closedPort();
    expect(await sendRequest(new URL(`http://127.0.0.1:${port}/x`), { timeoutMs: 2_000 })).toEqual({
      ok: false,
      error: 'connection refused',
      timedOut: false,
      aborted: false,
      written: false,
    });
  });

  it('says whether the request was written before it failed: the server may have acted on it', async () => {
    const server = await servers.add(startHttpServer(() => undefined));
    const controller = new AbortController();
    const pending = sendRequest(new URL(server.url('/hook')), { method: 'POST', body: '{"id":"m1"}', timeoutMs: 10_000, signal: controller.signal });
    await expect.poll(() => server.requests.length, { timeout: 20_000 }).toBe(1);
    controller.abort();
    expect(await pending).toEqual({ ok: false, error: 'cancelled', timedOut: false, aborted: true, written: true });
    expect(server.requests[0]?.body).toBe('{"id":"m1"}');
  });

  it('says a server that hangs up gave no response', async () => {
    const server = await servers.add(startHttpServer((req) => req.socket.destroy()));
    expect(await sendRequest(new URL(server.url()), { timeoutMs: 2_000 })).toMatchObject({ ok: false, error: 'connection closed without a response' });
  });

  it('stops when its signal aborts, and at once when it already had', async () => {
    const hung = await servers.add(startHangingListener());
    const url = new URL(`http://127.0.0.1:${hung.port}/x`);
    const controller = new AbortController();
    // A timeout past the test's own: only the abort can end it.
    const pending = sendRequest(url, { timeoutMs: 120_000, signal: controller.signal });
    await expect.poll(() => hung.connections.open, { timeout: 20_000 }).toBe(1);
    controller.abort();
    expect(await pending).toMatchObject({ ok: false, error: 'cancelled', timedOut: false, aborted: true });
    await expect.poll(() => hung.connections.open, { timeout: 20_000 }).toBe(0);

    expect(await sendRequest(url, { timeoutMs: 5_000, signal: AbortSignal.abort() })).toEqual({ ok: false, error: 'cancelled', timedOut: false, aborted: true, written: false });
    expect(hung.connections.total).toBe(1);
  });

  it('refuses a URL that is not http or https, and never shows the URL in an error', async () => {
    expect(await sendRequest(new URL('ftp://user:secret-pw@example.com/x'), { timeoutMs: 1_000 })).toEqual({
      ok: false,
      error: 'the URL must be http or https',
      timedOut: false,
      aborted: false,
      written: false,
    });
    const port = await closedPort();
    const result = await sendRequest(new URL(`http://u:secret-pw@127.0.0.1:${port}/tok-123?key=q-456`), { timeoutMs: 1_000 });
    expect(JSON.stringify(result)).not.toMatch(/secret-pw|tok-123|q-456/);
  });
});
