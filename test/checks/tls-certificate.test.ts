/**
 * The certificate probe against real TLS servers on 127.0.0.1, each presenting a certificate made
 * for the test (test/helpers/certificates.ts): valid for a year, expiring in three days, expired,
 * self-signed, for another name, from a CA the system does not trust. Dates are made around the
 * machine's clock, which the handshake's own verification reads too, and judged at that clock.
 */
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { judgeCertificate, readCertificate, type CertificateFacts, type CertificateTarget } from '../../src/checks/tls-certificate.js';
import { makeCa, makeCertificate, startTlsServer, type KeyAndCert } from '../helpers/certificates.js';
import { LOCALHOST } from '../helpers/servers.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function serve(identity: KeyAndCert): Promise<number> {
  const server = await startTlsServer(identity);
  closers.push(() => server.close());
  return server.port;
}

function target(port: number, extra: Partial<CertificateTarget> = {}): CertificateTarget {
  return { host: LOCALHOST, port, timeoutMs: 5_000, signal: new AbortController().signal, ...extra };
}

async function facts(t: CertificateTarget): Promise<CertificateFacts> {
  const read = await readCertificate(t);
  if (!read.ok) throw new Error(`no certificate read: ${read.error}`);
  return read.facts;
}

const rules = (now: number, extra: Partial<Parameters<typeof judgeCertificate>[1]> = {}) => ({ expiresWithinMs: 14 * DAY, insecure: false, name: 'localhost', now, ...extra });

describe('reading the certificate a TLS server presents', () => {
  it('a certificate from a trusted CA, valid for a year: verified, with its dates and names', async () => {
    const now = Date.now();
    const ca = makeCa(now);
    const leaf = makeCertificate(now, { issuer: ca, notAfter: now + 365 * DAY + HOUR });
    const seen = await facts(target(await serve(leaf), { servername: 'localhost', ca: ca.cert }));
    expect(seen).toMatchObject({ verified: true, names: ['localhost', '127.0.0.1'] });
    expect(Math.abs(seen.validTo - (now + 365 * DAY + HOUR))).toBeLessThan(1_000);
    const verdict = judgeCertificate(seen, rules(Date.now()));
    expect(verdict).toEqual({ ok: true, detail: `expires in 365 days (${new Date(seen.validTo).toISOString().slice(0, 10)})` });
  });

  it('verifies an IP address against the certificate\'s IP names when no servername is given', async () => {
    const now = Date.now();
    const ca = makeCa(now);
    const seen = await facts(target(await serve(makeCertificate(now, { issuer: ca, notAfter: now + 30 * DAY })), { ca: ca.cert }));
    expect(seen.verified).toBe(true);
  });

  it('a certificate expiring in three days fails as expiring, with the days left and the date', async () => {
    const now = Date.now();
    const ca = makeCa(now);
    const seen = await facts(target(await serve(makeCertificate(now, { issuer: ca, notAfter: now + 3 * DAY + HOUR })), { servername: 'localhost', ca: ca.cert }));
    expect(seen.verified).toBe(true);
    expect(judgeCertificate(seen, rules(Date.now()))).toEqual({
      ok: false,
      error: `certificate expires in 3 days (${new Date(seen.validTo).toISOString().slice(0, 10)}), within expires_within 14d`,
    });
    expect(judgeCertificate(seen, rules(Date.now(), { expiresWithinMs: 2 * DAY }))).toMatchObject({ ok: true });
  });

  it('an expired certificate fails as expired, even with insecure: true', async () => {
    const now = Date.now();
    const ca = makeCa(now);
    const seen = await facts(target(await serve(makeCertificate(now, { issuer: ca, notBefore: now - 90 * DAY, notAfter: now - 2 * DAY - HOUR })), { servername: 'localhost', ca: ca.cert }));
    expect(seen).toMatchObject({ verified: false, verifyError: 'CERT_HAS_EXPIRED' });
    const expired = `certificate expired 2 days ago (${new Date(seen.validTo).toISOString().slice(0, 10)})`;
    expect(judgeCertificate(seen, rules(Date.now()))).toEqual({ ok: false, error: expired });
    expect(judgeCertificate(seen, rules(Date.now(), { insecure: true }))).toEqual({ ok: false, error: expired });
  });

  it('a self-signed certificate does not verify; insecure: true still reads and judges its expiry', async () => {
    const now = Date.now();
    const seen = await facts(target(await serve(makeCertificate(now, { notAfter: now + 100 * DAY + HOUR })), { servername: 'localhost' }));
    expect(seen).toMatchObject({ verified: false, verifyError: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(judgeCertificate(seen, rules(Date.now()))).toMatchObject({ ok: false, error: expect.stringMatching(/^certificate does not verify: it is self-signed .*; expires in 100 days \(/) });
    expect(judgeCertificate(seen, rules(Date.now(), { insecure: true }))).toMatchObject({ ok: true, detail: expect.stringMatching(/^expires in 100 days/) });
  });

  it('a certificate for another name does not verify, and the error names both', async () => {
    const now = Date.now();
    const ca = makeCa(now);
    const seen = await facts(target(await serve(makeCertificate(now, { issuer: ca, names: ['other.example'], notAfter: now + 60 * DAY })), { servername: 'localhost', ca: ca.cert }));
    expect(seen).toMatchObject({ verified: false, verifyError: 'ERR_TLS_CERT_ALTNAME_INVALID', names: ['other.example'] });
    expect(judgeCertificate(seen, rules(Date.now()))).toMatchObject({
      ok: false,
      error: expect.stringContaining('certificate does not verify: it is not valid for localhost (it is for other.example)'),
    });
  });

  it('a certificate from a private CA does not verify against the system\'s CAs', async () => {
    const now = Date.now();
    const ca = makeCa(now);
    const seen = await facts(target(await serve(makeCertificate(now, { issuer: ca, notAfter: now + 60 * DAY })), { servername: 'localhost' }));
    expect(seen.verified).toBe(false);
    expect(judgeCertificate(seen, rules(Date.now()))).toMatchObject({ ok: false, error: expect.stringMatching(/^certificate does not verify: its issuer is not trusted \(\w+; set ca: for a private CA\)/) });
  });

  it('a refused port is a one-line error', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, LOCALHOST, resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(await readCertificate(target(port))).toEqual({ ok: false, error: 'connection refused' });
  });

  it('a server that accepts and never answers the handshake is cut at the timeout, its socket closed', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      // Read (and drop) the ClientHello, so the client's close is seen.
      socket.resume();
      socket.once('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, LOCALHOST, resolve));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    expect(await readCertificate(target(port, { timeoutMs: 300 }))).toEqual({ ok: false, error: 'timed out after 300ms' });
    await expect.poll(() => sockets.size).toBe(0);
  });

  it('an aborted signal ends the handshake at once', async () => {
    const controller = new AbortController();
    controller.abort();
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, LOCALHOST, resolve));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    expect(await readCertificate(target(port, { timeoutMs: 60_000, signal: controller.signal }))).toEqual({ ok: false, error: 'timed out after 1m' });
  });
});

describe('the verdict on a certificate', () => {
  const NOW = Date.UTC(2026, 5, 1, 12);
  const base: CertificateFacts = { validFrom: NOW - 30 * DAY, validTo: NOW + 90 * DAY, names: ['api.example'], verified: true };

  it.each([
    ['valid for 90 days', base, { ok: true, detail: 'expires in 90 days (2026-08-30)' }],
    ['one day left', { ...base, validTo: NOW + DAY + HOUR }, { ok: false, error: 'certificate expires in 1 day (2026-06-02), within expires_within 14d' }],
    ['five hours left', { ...base, validTo: NOW + 5 * HOUR }, { ok: false, error: 'certificate expires in 5h (2026-06-01), within expires_within 14d' }],
    ['expired an hour ago', { ...base, validTo: NOW - HOUR }, { ok: false, error: 'certificate expired 1h ago (2026-06-01)' }],
    ['not valid yet', { ...base, validFrom: NOW + DAY }, { ok: false, error: 'certificate not valid before 2026-06-02T12:00:00.000Z (expires 2026-08-30)' }],
    ['an unknown verification error is named as is', { ...base, verified: false, verifyError: 'CERT_REVOKED' }, { ok: false, error: 'certificate does not verify: CERT_REVOKED; expires in 90 days (2026-08-30)' }],
  ] as const)('%s', (_name, seen, verdict) => {
    expect(judgeCertificate(seen, { expiresWithinMs: 14 * DAY, insecure: false, name: 'api.example', now: NOW })).toEqual(verdict);
  });
});
