import { afterEach, describe, expect, it } from 'vitest';
import { sendToChannel } from '../../../src/alerts/channels/index.js';
import { ntfyPayload, ntfyRoot, ntfyTopic } from '../../../src/alerts/channels/ntfy.js';
import type { Message } from '../../../src/alerts/types.js';
import { startNtfyServer, NTFY_TOKEN, NTFY_TOPIC, type NtfyAuth, type NtfyBehaviour } from '../../helpers/ntfy-server.js';
import { serverScope } from '../../helpers/servers.js';
import { channelOf, manyNotices, message, notice, sendContext } from './fixtures.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

const ntfySpec = (url: string, fields: Record<string, unknown> = { token: NTFY_TOKEN }) => channelOf('ntfy', { url, ...fields });

async function sendTo(
  behaviour: NtfyBehaviour,
  { msg = message(), fields, auth, timeoutMs = 5_000 }: { msg?: Message; fields?: Record<string, unknown>; auth?: NtfyAuth; timeoutMs?: number } = {},
) {
  const ntfy = await servers.add(startNtfyServer(auth));
  ntfy.behave(behaviour);
  const outcome = await sendToChannel(ntfySpec(ntfy.topicUrl, fields), msg, sendContext(timeoutMs));
  return { ntfy, outcome };
}

const errorOf = (outcome: { ok: boolean; error?: string }) => (outcome.ok ? '' : (outcome.error ?? ''));

describe('ntfy channel', () => {
  it('publishes JSON to the server root: topic, subject as title, the text, priority and tag, with the token', async () => {
    const { ntfy, outcome } = await sendTo({ kind: 'ok' });
    expect(outcome).toEqual({ ok: true, detail: 'status 200' });
    const [post] = ntfy.posts;
    expect(post?.request).toMatchObject({ method: 'POST', path: '/' });
    expect(post?.request.headers).toMatchObject({ 'content-type': 'application/json', authorization: `Bearer ${NTFY_TOKEN}` });
    expect(post?.body).toEqual({
      topic: NTFY_TOPIC,
      title: '[CRITICAL] health-proxy is down',
      message: expect.stringMatching(/^\[CRITICAL\] health-proxy is down\n {2}What failed: +port 127\.0\.0\.1:3002: connection refused\n[^]*Sent by heal on build-box at 2025-03-01T12:00:00Z \(message msg-0001\)\.\n$/),
      priority: 5,
      tags: ['rotating_light'],
    });
    expect(post?.attachment).toBe(false);
  });

  it('logs in with user and password (Basic)', async () => {
    const auth: NtfyAuth = { kind: 'basic', user: 'heal', password: 'pa55-ntfy-secret' };
    const { ntfy, outcome } = await sendTo({ kind: 'ok' }, { auth, fields: { user: 'heal', password: 'pa55-ntfy-secret' } });
    expect(outcome.ok).toBe(true);
    expect(ntfy.posts[0]?.request.headers.authorization).toBe(`Basic ${Buffer.from('heal:pa55-ntfy-secret').toString('base64')}`);
  });

  it.each([
    { what: 'a warning', notices: [notice({ level: 'warning' })], priority: 4, tags: ['warning'] },
    { what: 'an info', notices: [notice({ level: 'info' })], priority: 3, tags: ['information_source'] },
    { what: 'a critical resolved', notices: [notice({ kind: 'resolved', title: 'health-proxy is back up' })], priority: 3, tags: ['white_check_mark'] },
    { what: 'an info healed', notices: [notice({ kind: 'healed', level: 'info', title: 'health-proxy was down; heal restarted it' })], priority: 3, tags: ['white_check_mark'] },
    { what: 'a critical resolved beside a warning', notices: [notice({ kind: 'resolved', service: 'db' }), notice({ level: 'warning' })], priority: 4, tags: ['warning'] },
  ] as const)('gives $what priority $priority and tags $tags', async ({ notices, priority, tags }) => {
    const { ntfy } = await sendTo({ kind: 'ok' }, { msg: message([...notices]) });
    expect(ntfy.posts[0]?.body).toMatchObject({ priority, tags });
  });

  it('keeps the message within 4096 bytes and the JSON within 8192, never splitting a character, and says it cut', async () => {
    const detail = `"quoted"\n\t${'ж€😀'.repeat(300)}`;
    const { ntfy, outcome } = await sendTo({ kind: 'ok' }, { msg: message(manyNotices(40, { detail })) });
    expect(outcome.ok).toBe(true); // the server refuses JSON over 8192 bytes
    const text = ntfy.posts[0]?.body?.message ?? '';
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096);
    expect(ntfy.posts[0]?.attachment).toBe(false);
    expect(text).toMatch(/…\n\(cut: ntfy allows 4096 bytes\)$/);
    expect(text).not.toContain('\uFFFD');
  });

  it('cuts further when escapes would take the JSON past 8192 bytes', () => {
    const payload = ntfyPayload('t', message(manyNotices(40, { detail: '\u0001'.repeat(3_000) })));
    expect(Buffer.byteLength(JSON.stringify(payload))).toBeLessThanOrEqual(8192);
    expect(payload.message).toMatch(/\(cut: ntfy allows 4096 bytes\)$/);
  });

  it('finds the root and the topic of a topic URL', () => {
    expect(ntfyTopic('https://ntfy.sh/my-alerts')).toBe('my-alerts');
    expect(ntfyRoot('https://ntfy.sh/my-alerts').href).toBe('https://ntfy.sh/');
    expect(ntfyTopic('https://example.com/ntfy/ops_1?auth=x#y')).toBe('ops_1');
    expect(ntfyRoot('https://example.com/ntfy/ops_1?auth=x').href).toBe('https://example.com/ntfy/?auth=x');
  });

  it('says the login was refused: a wrong token (401), or none on a protected topic (403)', async () => {
    const wrong = await sendTo({ kind: 'ok' }, { fields: { token: 'tk_wrongWrongWrong' } });
    expect(wrong.outcome).toEqual({ ok: false, retryable: false, error: "ntfy refused the login (401): unauthorized: check token, or user and password, and the topic's access" });
    const none = await sendTo({ kind: 'ok' }, { fields: {} });
    expect(none.outcome).toEqual({ ok: false, retryable: false, error: "ntfy refused the login (403): forbidden: check token, or user and password, and the topic's access" });
  });

  it('pauses a minute after a 429 that does not say how long (ntfy never does), else as long as it says', async () => {
    expect((await sendTo({ kind: 'rate-limited' })).outcome).toEqual({ ok: false, retryable: true, retryAfterMs: 60_000, error: 'status 429: rate limited: limit reached: too many requests, please be nice' });
    expect((await sendTo({ kind: 'rate-limited', retryAfterSeconds: 10 })).outcome).toMatchObject({ retryAfterMs: 10_000 });
  });

  it.each([
    { status: 400, body: { code: 40007, http: 400, error: 'invalid priority parameter' }, retryable: false },
    { status: 413, body: { code: 41303, http: 413, error: 'JSON body too large' }, retryable: false },
    { status: 500, body: { code: 50001, http: 500, error: 'internal server error' }, retryable: true },
    { status: 507, body: { code: 50701, http: 507, error: 'topic is full' }, retryable: true },
  ])('reads a $status as retryable: $retryable', async ({ status, body, retryable }) => {
    const { outcome } = await sendTo({ kind: 'reply', status, body });
    expect(outcome).toEqual({ ok: false, retryable, error: `status ${status}: ${body.error}` });
  });

  it('gives up at its timeout when ntfy never answers', async () => {
    const { ntfy, outcome } = await sendTo({ kind: 'hang' }, { fields: { timeout: '300ms' }, timeoutMs: 600_000 });
    expect(outcome).toMatchObject({ ok: false, retryable: true, error: 'timed out after 300ms' });
    await expect.poll(() => ntfy.connections.open).toBe(0);
  });

  it('never shows the token, the password or the topic, even when the answer echoes them', async () => {
    const echo = { code: 40001, http: 400, error: `bad ${NTFY_TOKEN} for ${NTFY_TOPIC} as pa55-ntfy-secret` };
    const token = await sendTo({ kind: 'reply', status: 400, body: echo });
    expect(errorOf(token.outcome)).toBe('status 400: bad [redacted] for [redacted] as pa55-ntfy-secret');
    const basic = await sendTo({ kind: 'reply', status: 400, body: echo }, { fields: { user: 'heal', password: 'pa55-ntfy-secret' } });
    expect(errorOf(basic.outcome)).not.toContain('pa55-ntfy-secret');
  });
});
