import { afterEach, describe, expect, it } from 'vitest';
import { emailChannel, messageIdOf } from '../../../src/alerts/channels/email.js';
import { channelSpec } from '../../../src/alerts/channels/schema.js';
import { closedPort, serverScope, startHangingListener } from '../../helpers/servers.js';
import { startSmtpServer, type SmtpServerOptions } from '../../helpers/smtp-server.js';
import { message, notice, sendContext } from './fixtures.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

const PASSWORD = 'hunter2-Secret!';

function emailSpec(port: number, fields: Record<string, unknown> = {}) {
  const spec = channelSpec.parse({
    type: 'email',
    host: '127.0.0.1',
    port,
    from: 'heal@example.com',
    to: ['ops@example.com', 'oncall@example.com'],
    ...fields,
  });
  if (spec.type !== 'email') throw new Error('unreachable');
  return spec;
}

async function sendVia(options: SmtpServerOptions, fields: Record<string, unknown> = {}, timeoutMs = 5_000) {
  const server = await servers.add(startSmtpServer(options));
  const outcome = await emailChannel.send(emailSpec(server.port, fields), message(), sendContext(timeoutMs));
  return { server, outcome };
}

describe('email channel: delivery', () => {
  it('delivers one mail with the subject, both bodies, the Message-ID and the level header', async () => {
    const { server, outcome } = await sendVia({});
    expect(outcome).toEqual({ ok: true, detail: 'accepted for 2 recipients' });
    expect(server.received).toHaveLength(1);
    const [{ envelope, mail }] = server.received as [(typeof server.received)[number]];
    expect(envelope).toEqual({ from: 'heal@example.com', to: ['ops@example.com', 'oncall@example.com'] });
    expect(mail.subject).toBe('[CRITICAL] health-proxy is down');
    expect(mail.from?.text).toBe('heal@example.com');
    expect(Array.isArray(mail.to) ? mail.to.map((a) => a.text) : mail.to?.text).toBe('ops@example.com, oncall@example.com');
    expect(mail.messageId).toBe('<msg-0001@heal>');
    expect(mail.headers.get('x-heal-level')).toBe('critical');
    expect(mail.headers.get('x-heal-channel')).toBe('ops');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.text).toContain('port 127.0.0.1:3002: connection refused');
    expect(mail.text).toContain('2025-03-01T11:48:00Z (for 12m)');
    expect(mail.html).toContain('<table');
    expect(mail.html).toContain('restarted (launchd: com.example.health-proxy), still failing');
  });

  it('escapes the HTML body', async () => {
    const server = await servers.add(startSmtpServer());
    const msg = message([notice({ detail: '<img src=x onerror=alert(1)>' })]);
    await emailChannel.send(emailSpec(server.port), msg, sendContext());
    expect(server.received[0]?.mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(server.received[0]?.mail.html).not.toContain('<img');
  });

  it('logs in when a user is set', async () => {
    const { server, outcome } = await sendVia({ auth: { user: 'heal', pass: PASSWORD } }, { user: 'heal', pass: PASSWORD });
    expect(outcome.ok).toBe(true);
    expect(server.logins).toEqual([{ user: 'heal', ok: true }]);
  });

  it('keeps the same Message-ID on a retry, so a receiver can drop the repeat', async () => {
    const server = await servers.add(startSmtpServer());
    await emailChannel.send(emailSpec(server.port), message(), sendContext());
    await emailChannel.send(emailSpec(server.port), message(), sendContext());
    expect(server.received.map((r) => r.mail.messageId)).toEqual(['<msg-0001@heal>', '<msg-0001@heal>']);
  });

  it.each([
    { id: 'msg-0001', expected: '<msg-0001@heal>' },
    { id: 'ops/2025-03-01T12:00:00Z#3', expected: '<ops-2025-03-01T12-00-00Z-3@heal>' },
    { id: '<>', expected: '<message@heal>' },
  ])('makes Message-ID $expected from message id $id', ({ id, expected }) => {
    expect(messageIdOf({ id })).toBe(expected);
  });
});

describe('email channel: refusals', () => {
  it.each([
    { step: 'the connection', options: { refuseConnect: { code: 421, text: 'Too busy, try later' } }, code: 421, retryable: true },
    { step: 'MAIL FROM', options: { refuseMailFrom: { code: 451, text: 'Greylisted' } }, code: 451, retryable: true },
    { step: 'RCPT TO', options: { refuseRcptTo: { code: 451, text: 'Try again later' } }, code: 451, retryable: true },
    { step: 'DATA', options: { refuseData: { code: 451, text: 'Local error' } }, code: 451, retryable: true },
    { step: 'MAIL FROM', options: { refuseMailFrom: { code: 550, text: 'Sender rejected' } }, code: 550, retryable: false },
    { step: 'RCPT TO', options: { refuseRcptTo: { code: 550, text: 'No such user' } }, code: 550, retryable: false },
    { step: 'DATA', options: { refuseData: { code: 554, text: 'Spam detected' } }, code: 554, retryable: false },
  ])('a $code on $step is retryable: $retryable', async ({ options, code, retryable }) => {
    const { server, outcome } = await sendVia(options);
    expect(outcome).toMatchObject({ ok: false, retryable });
    expect(outcome.ok ? '' : outcome.error).toMatch(new RegExp(`^SMTP ${code}: `));
    expect(server.received).toHaveLength(0);
  });

  it('names the refused step and the server reply', async () => {
    const { outcome } = await sendVia({ refuseRcptTo: { code: 550, text: 'No such user' } });
    expect(outcome).toMatchObject({ ok: false, retryable: false, error: expect.stringMatching(/RCPT TO was refused: 550 .*No such user/) });
  });

  it('is permanent with a clear error on bad credentials, and never shows the password', async () => {
    const { server, outcome } = await sendVia({ auth: { user: 'heal', pass: 'the-right-one' } }, { user: 'heal', pass: PASSWORD });
    expect(outcome).toMatchObject({ ok: false, retryable: false, error: expect.stringMatching(/^authentication failed \(535\): check the user and pass/) });
    expect(server.logins).toEqual([{ user: 'heal', ok: false }]);
    const error = outcome.ok ? '' : outcome.error;
    expect(error).not.toContain(PASSWORD);
    expect(error).not.toContain(Buffer.from(`\u0000heal\u0000${PASSWORD}`).toString('base64'));
  });

  it('is permanent when the server wants a login and no user is set', async () => {
    const { outcome } = await sendVia({ auth: { user: 'heal', pass: PASSWORD } });
    expect(outcome).toMatchObject({ ok: false, retryable: false });
  });
});

describe('email channel: connections', () => {
  it('is retryable when nothing listens', async () => {
    const port = await closedPort();
    const outcome = await emailChannel.send(emailSpec(port), message(), sendContext(2_000));
    expect(outcome).toEqual({ ok: false, retryable: true, error: `127.0.0.1:${port}: connection refused` });
  });

  // The listener never greets, and the other limit is ten minutes (past the test's own 30 s): the
  // send can only end by the limit under test, which its error names. On a loaded machine the
  // limit may run out before the connection is made, so the listener saw at most one, and none is
  // left open.
  it('fails at its timeout when the server accepts and never greets', async () => {
    const listener = await servers.add(startHangingListener());
    const outcome = await emailChannel.send(emailSpec(listener.port, { timeout: '500ms' }), message(), sendContext(600_000));
    expect(outcome).toEqual({ ok: false, retryable: true, error: `timed out after 500ms (127.0.0.1:${listener.port})` });
    expect(listener.connections.total).toBeLessThanOrEqual(1);
    await expect.poll(() => listener.connections.open).toBe(0);
  });

  it('fails at the send budget when it is shorter than the channel timeout', async () => {
    const listener = await servers.add(startHangingListener());
    const outcome = await emailChannel.send(emailSpec(listener.port, { timeout: '10m' }), message(), sendContext(400));
    expect(outcome).toEqual({ ok: false, retryable: true, error: `timed out after 400ms (127.0.0.1:${listener.port})` });
    expect(listener.connections.total).toBeLessThanOrEqual(1);
    await expect.poll(() => listener.connections.open).toBe(0);
  });

  it('stops when the scan is cancelled', async () => {
    // Both limits are ten minutes, so only the cancel can end the send; it comes once the
    // listener holds the connection, and the send gives it up.
    const listener = await servers.add(startHangingListener());
    const controller = new AbortController();
    const sending = emailChannel.send(emailSpec(listener.port, { timeout: '10m' }), message(), sendContext(600_000, { signal: controller.signal }));
    await expect.poll(() => listener.connections.open).toBe(1);
    controller.abort();
    expect(await sending).toEqual({ ok: false, retryable: true, error: `timed out after 10m (127.0.0.1:${listener.port})` });
    expect(listener.connections.total).toBe(1);
    await expect.poll(() => listener.connections.open).toBe(0);
  });

  it('refuses to send without TLS when require_tls is set and the server offers no STARTTLS', async () => {
    const { server, outcome } = await sendVia({}, { require_tls: true });
    expect(outcome).toMatchObject({ ok: false, retryable: false, error: expect.stringMatching(/^SMTP 500: STARTTLS was refused/) });
    expect(server.received).toHaveLength(0);
  });

  it('sends over STARTTLS to a self-signed server when told to trust it (insecure: true), and require_tls holds', async () => {
    const { server, outcome } = await sendVia({ starttls: true }, { insecure: true, require_tls: true });
    expect(outcome).toMatchObject({ ok: true });
    expect(server.received).toHaveLength(1);
    expect(server.received[0]!.secure).toBe(true);
  });

  it('refuses a STARTTLS certificate that does not verify (the server is self-signed)', async () => {
    const { server, outcome } = await sendVia({ starttls: true });
    expect(outcome).toMatchObject({ ok: false, retryable: true, error: expect.stringMatching(/^TLS failed with 127\.0\.0\.1:\d+: self-signed certificate/) });
    expect(server.received).toHaveLength(0);
  });
});
