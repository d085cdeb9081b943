import { afterEach, describe, expect, it } from 'vitest';
import { webhookChannel } from '../../../src/alerts/channels/webhook.js';
import { channelSpec } from '../../../src/alerts/channels/schema.js';
import type { Message } from '../../../src/alerts/types.js';
import { closedPort, reply, serverScope, startHttpServer, type HttpHandler } from '../../helpers/servers.js';
import { manyNotices, message, notice, sendContext, T0 } from './fixtures.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

function webhookSpec(url: string, fields: Record<string, unknown> = {}) {
  const spec = channelSpec.parse({ type: 'webhook', url, ...fields });
  if (spec.type !== 'webhook') throw new Error('unreachable');
  return spec;
}

async function sendTo(handler: HttpHandler, { path = '/hook', fields = {}, timeoutMs = 5_000, msg = message() }: { path?: string; fields?: Record<string, unknown>; timeoutMs?: number; msg?: Message } = {}) {
  const server = await servers.add(startHttpServer(handler));
  const outcome = await webhookChannel.send(webhookSpec(server.url(path), fields), msg, sendContext(timeoutMs));
  return { server, outcome };
}

describe('webhook channel', () => {
  it('POSTs the message as JSON with the manifest headers', async () => {
    const { server, outcome } = await sendTo(reply(204), { fields: { headers: { Authorization: 'Bearer abc', 'X-Team': 'ops' } } });
    expect(outcome).toEqual({ ok: true, detail: 'status 204' });
    const [request] = server.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/hook' });
    expect(request?.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: 'Bearer abc',
      'x-team': 'ops',
      'idempotency-key': 'msg-0001',
    });
    const body = JSON.parse(request?.body ?? '') as Record<string, unknown>;
    expect(body).toMatchObject({
      id: 'msg-0001',
      level: 'critical',
      channel: 'ops',
      createdAt: '2025-03-01T12:00:00Z',
      text: '[CRITICAL] health-proxy is down',
      notices: [
        {
          id: 'n-health-proxy-down',
          key: 'health-proxy/down',
          kind: 'down',
          level: 'critical',
          service: 'health-proxy',
          title: 'health-proxy is down',
          detail: 'port 127.0.0.1:3002: connection refused',
          since: T0 - 12 * 60_000,
          host: 'build-box',
        },
      ],
    });
  });

  it.each([200, 201, 202, 204])('counts a %i as delivered', async (status) => {
    const { outcome } = await sendTo(reply(status, status === 204 ? '' : 'ok'));
    expect(outcome).toMatchObject({ ok: true });
  });

  it('is rate limited by a 429 and says when to come back from Retry-After', async () => {
    const { outcome } = await sendTo(reply(429, { message: 'slow down' }, { 'retry-after': '7' }));
    expect(outcome).toEqual({ ok: false, retryable: true, retryAfterMs: 7_000, error: 'status 429: rate limited: slow down' });
  });

  it.each([
    { status: 500, retryable: true, gone: undefined },
    { status: 502, retryable: true, gone: undefined },
    { status: 503, retryable: true, gone: undefined },
    { status: 408, retryable: true, gone: undefined },
    { status: 400, retryable: false, gone: undefined },
    { status: 401, retryable: false, gone: undefined },
    { status: 403, retryable: false, gone: undefined },
    { status: 404, retryable: false, gone: true },
    { status: 410, retryable: false, gone: true },
    { status: 301, retryable: false, gone: undefined },
  ])('treats a $status as retryable: $retryable, gone: $gone', async ({ status, retryable, gone }) => {
    const { outcome } = await sendTo(reply(status, 'nope', status === 301 ? { location: '/elsewhere' } : {}));
    expect(outcome).toMatchObject({ ok: false, retryable });
    expect(outcome.ok === false && outcome.gone).toBe(gone);
    expect(outcome.ok === false && outcome.error).toMatch(new RegExp(`^status ${status}`));
  });

  it('takes the reason from a JSON error body', async () => {
    const { outcome } = await sendTo(reply(400, { error: 'missing field "text"' }));
    expect(outcome).toMatchObject({ ok: false, retryable: false, error: 'status 400: missing field "text"' });
  });

  // The receiver never answers, and the other limit is ten minutes (past the test's own 30 s):
  // the send can only end by the limit under test, which its error names. On a loaded machine the
  // limit may run out before the request is made, so the receiver saw at most one, and no
  // connection is left open.
  it('gives up at its timeout when the receiver never answers', async () => {
    const { server, outcome } = await sendTo(() => undefined, { fields: { timeout: '300ms' }, timeoutMs: 600_000 });
    expect(outcome).toMatchObject({ ok: false, retryable: true, error: 'timed out after 300ms' });
    expect(server.requests.length).toBeLessThanOrEqual(1);
    await expect.poll(() => server.connections.open).toBe(0);
  });

  it('gives up at the send budget when it is shorter than the channel timeout', async () => {
    const { server, outcome } = await sendTo(() => undefined, { fields: { timeout: '10m' }, timeoutMs: 250 });
    expect(outcome).toMatchObject({ ok: false, retryable: true, error: 'timed out after 250ms' });
    expect(server.requests.length).toBeLessThanOrEqual(1);
    await expect.poll(() => server.connections.open).toBe(0);
  });

  it('reports a status even when the error body never ends', async () => {
    const { outcome } = await sendTo(
      (_req, res) => {
        res.writeHead(503, { 'retry-after': '30', 'content-type': 'text/plain' });
        res.write('overloaded');
      },
      { fields: { timeout: '300ms' } },
    );
    expect(outcome).toEqual({ ok: false, retryable: true, retryAfterMs: 30_000, error: 'status 503' });
  });

  it('is retryable when nothing listens', async () => {
    const port = await closedPort();
    const outcome = await webhookChannel.send(webhookSpec(`http://127.0.0.1:${port}/hook`), message(), sendContext(2_000));
    expect(outcome).toEqual({ ok: false, retryable: true, error: 'connection refused' });
  });

  it('never shows the query string, the userinfo or header values, even when the receiver echoes them', async () => {
    const echo: HttpHandler = (req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`bad request to ${req.url} with ${req.headers.authorization} and ${req.headers['x-api-key']}`);
    };
    const { outcome } = await sendTo(echo, { path: '/hook?token=qs-secret-123&x=1', fields: { headers: { 'X-Api-Key': 'hdr-secret-456' } } });
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    const error = outcome.ok ? '' : outcome.error;
    expect(error).toMatch(/^status 400: bad request to \/hook\?/);
    expect(error).not.toContain('qs-secret-123');
    expect(error).not.toContain('hdr-secret-456');
  });

  it('sends userinfo as basic auth without ever showing it', async () => {
    const server = await servers.add(startHttpServer(reply(500, 'down')));
    const url = server.url('/hook').replace('http://', 'http://alice:pw-secret-789@');
    const outcome = await webhookChannel.send(webhookSpec(url), message(), sendContext(2_000));
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('alice:pw-secret-789').toString('base64')}`);
    expect(outcome).toMatchObject({ ok: false, retryable: true, error: 'status 500: down' });
  });

  it('sends many notices in one request', async () => {
    const notices = Array.from({ length: 12 }, (_, i) => notice({ service: `s${i}`, id: `n${i}` }));
    const { server, outcome } = await sendTo(reply(200, 'ok'), { msg: message(notices) });
    expect(outcome.ok).toBe(true);
    expect((JSON.parse(server.requests[0]?.body ?? '') as { notices: unknown[] }).notices).toHaveLength(12);
  });
});

describe('webhook channel with a template', () => {
  const pushover = '{"token":"app-token","user":"u","title":"{{tag}} {{title}}","message":"{{text}}","priority":{{count}},"url":"{{service}}/{{kind}}/{{level}}"}';

  it('fills the template with the notice, JSON-escaped, under an Idempotency-Key of message and notice', async () => {
    const msg = message([notice({ detail: 'status 500 "oops"\nwith\\backslash' })]);
    const { server, outcome } = await sendTo(reply(200, '{"status":1}'), { fields: { template: pushover }, msg });
    expect(outcome).toEqual({ ok: true, detail: 'status 200' });
    const [request] = server.requests;
    expect(request?.headers).toMatchObject({ 'content-type': 'application/json', 'idempotency-key': 'msg-0001/n-health-proxy-down' });
    const body = JSON.parse(request?.body ?? '') as Record<string, unknown>;
    expect(body).toEqual({
      token: 'app-token',
      user: 'u',
      title: '[CRITICAL] health-proxy is down',
      message: expect.stringMatching(/^\[CRITICAL\] health-proxy is down\n {2}What failed: +status 500 "oops"\n +with\\backslash\n/),
      priority: 1,
      url: 'health-proxy/down/critical',
    });
  });

  it('fills every documented field', async () => {
    const template = 'service={{service}} level={{level}} kind={{kind}} title={{title}} detail={{detail}} action={{action}} host={{host}} since={{since}} at={{at}} id={{id}} key={{key}} tag={{tag}} subject={{subject}} count={{count}} message_id={{message_id}} channel={{channel}}';
    const { server } = await sendTo(reply(204), { fields: { template, content_type: 'text/plain' } });
    expect(server.requests[0]?.headers['content-type']).toBe('text/plain');
    expect(server.requests[0]?.body).toBe(
      'service=health-proxy level=critical kind=down title=health-proxy is down detail=port 127.0.0.1:3002: connection refused ' +
        'action=restarted (launchd: com.example.health-proxy), still failing host=build-box since=2025-03-01T11:48:00Z at=2025-03-01T12:00:00Z ' +
        'id=n-health-proxy-down key=health-proxy/down tag=[CRITICAL] subject=[CRITICAL] health-proxy is down count=1 message_id=msg-0001 channel=ops',
    );
  });

  it('leaves values raw for another content type, and percent-encodes them for a form', async () => {
    const msg = message([notice({ detail: 'a & b = "c"' })]);
    const raw = await sendTo(reply(200), { fields: { template: '<p>{{detail}}</p>', content_type: 'text/html' }, msg });
    expect(raw.server.requests[0]?.body).toBe('<p>a & b = "c"</p>');
    const form = await sendTo(reply(200), { fields: { template: 'token=t&message={{detail}}&title={{title}}', content_type: 'application/x-www-form-urlencoded' }, msg });
    expect(Object.fromEntries(new URLSearchParams(form.server.requests[0]?.body))).toEqual({ token: 't', message: 'a & b = "c"', title: 'health-proxy is down' });
  });

  it('sends one request per notice, in order, each with its own key', async () => {
    const { server, outcome } = await sendTo(reply(200), { fields: { template: '{"s":"{{service}}","n":{{count}}}' }, msg: message(manyNotices(3)) });
    expect(outcome).toEqual({ ok: true, detail: '3 requests, status 200' });
    expect(server.requests.map((r) => JSON.parse(r.body))).toEqual([{ s: 'svc-01', n: 3 }, { s: 'svc-02', n: 3 }, { s: 'svc-03', n: 3 }]);
    expect(server.requests.map((r) => r.headers['idempotency-key'])).toEqual(['msg-0001/n-1', 'msg-0001/n-2', 'msg-0001/n-3']);
  });

  it('stops at a retryable failure, as maybe delivered once a notice before it was accepted', async () => {
    let count = 0;
    const { server, outcome } = await sendTo((_req, res) => {
      count += 1;
      res.writeHead(count === 2 ? 503 : 200, { 'retry-after': '60' });
      res.end();
    }, { fields: { template: '{"s":"{{service}}"}' }, msg: message(manyNotices(3)) });
    expect(outcome).toEqual({ ok: false, retryable: true, retryAfterMs: 60_000, maybeDelivered: true, error: 'notice 2 of 3: status 503' });
    expect(server.requests).toHaveLength(2);
  });

  it('goes on past a notice refused for good, and reports it as permanent', async () => {
    let count = 0;
    const { server, outcome } = await sendTo((_req, res) => {
      count += 1;
      res.writeHead(count === 1 ? 400 : 200, { 'content-type': 'application/json' });
      res.end(count === 1 ? '{"error":"message too long"}' : '{}');
    }, { fields: { template: '{"s":"{{service}}"}' }, msg: message(manyNotices(3)) });
    expect(outcome).toEqual({ ok: false, retryable: false, error: 'notice 1 of 3: status 400: message too long' });
    expect(server.requests).toHaveLength(3);
  });

  it('stops at once when the endpoint is gone', async () => {
    const { server, outcome } = await sendTo(reply(404, 'no such hook'), { fields: { template: '{"s":"{{service}}"}' }, msg: message(manyNotices(3)) });
    expect(outcome).toMatchObject({ ok: false, retryable: false, gone: true, error: 'notice 1 of 3: status 404: the endpoint is gone (deleted, or the URL is wrong): no such hook' });
    expect(server.requests).toHaveLength(1);
  });

  it('gives up at its timeout when the receiver never answers', async () => {
    const { outcome } = await sendTo(() => undefined, { fields: { template: '{"s":"{{service}}"}', timeout: '300ms' }, timeoutMs: 600_000 });
    expect(outcome).toMatchObject({ ok: false, retryable: true, error: 'timed out after 300ms' });
  });
});

describe('the webhook spec', () => {
  const problems = (fields: Record<string, unknown>) => {
    const parsed = channelSpec.safeParse({ type: 'webhook', url: 'https://example.com/hook', ...fields });
    return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('takes a template whose fields it knows and whose JSON holds', () => {
    expect(problems({ template: '{"t":"{{ title }}","n":{{count}},"raw":"{{notafield"}' })).toEqual([]);
    expect(problems({ template: 'text={{text}}', content_type: 'text/plain; charset=utf-8' })).toEqual([]);
  });

  it('names an unknown field, and the known ones', () => {
    expect(problems({ template: '{"t":"{{servce}}","u":"{{who}}"}' })).toEqual([
      'template: unknown fields {{servce}}, {{who}}: the fields are {{service}}, {{level}}, {{kind}}, {{title}}, {{detail}}, {{action}}, {{host}}, {{since}}, {{at}}, {{id}}, {{key}}, {{tag}}, {{text}}, {{subject}}, {{count}}, {{message_id}}, {{channel}}',
    ]);
  });

  it('finds a JSON template that is not JSON once filled in', () => {
    expect(problems({ template: '{"text": {{text}}}' })).toEqual([
      'template: is not JSON once filled in: put each field inside quotes ("text": "{{text}}"; values are escaped), or set content_type for a body that is not JSON',
    ]);
  });

  it('refuses a content_type without a template, and one that is no media type', () => {
    expect(problems({ content_type: 'text/plain' })).toEqual(["content_type: is the type of a template's body, and there is no template: add template, or remove content_type"]);
    expect(problems({ template: 'x', content_type: 'plain' })).toEqual(['content_type: expected a media type such as application/json or text/plain']);
  });
});
