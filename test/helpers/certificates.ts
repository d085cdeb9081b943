/**
 * Real X.509 certificates for tests, made on the spot: a private CA, leaf certificates it signs
 * (or self-signed ones) valid over any span around `now`, for any names, and a TLS server on
 * 127.0.0.1 that presents one. Keys come from node:crypto (native, fast); node-forge only builds
 * and signs the certificate, because Node cannot write one and `openssl req -days` cannot make a
 * certificate that has already expired.
 *
 * Validity is set around the `now` the test hands in — the same clock the code under test reads
 * — and the handshake's own verification reads the machine's clock: tests that judge expiry
 * pass `Date.now` to both, so the suite agrees with itself under faketime too.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { createRequire } from 'node:module';
import { createServer } from 'node:tls';
import { LOCALHOST, listen, trackConnections, type RunningServer } from './servers.js';

// node-forge is CommonJS whose exports ES modules cannot name.
const forge = createRequire(import.meta.url)('node-forge') as typeof import('node-forge');

const DAY = 86_400_000;

export type KeyAndCert = { key: string; cert: string };

export type CertOptions = {
  /** The names the certificate is for (DNS names or IP addresses). @default ['localhost', '127.0.0.1'] */
  names?: readonly string[];
  /** When it starts to be valid, in ms since the epoch. @default now − 1 day */
  notBefore?: number;
  /** When it stops being valid, in ms since the epoch. */
  notAfter: number;
  /** The CA that signs it; absent: self-signed. */
  issuer?: KeyAndCert;
  /** A CA certificate (may sign others). */
  ca?: boolean;
  commonName?: string;
};

function keyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

/** A certificate and its key, as PEM. */
export function makeCertificate(now: number, options: CertOptions): KeyAndCert {
  const names = options.names ?? ['localhost', LOCALHOST];
  const keys = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKey);
  // A positive serial: the high bit clear.
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(options.notBefore ?? now - DAY);
  cert.validity.notAfter = new Date(options.notAfter);
  const subject = [{ name: 'commonName', value: options.commonName ?? names[0] ?? 'heal test' }];
  cert.setSubject(subject);
  const issuerCert = options.issuer ? forge.pki.certificateFromPem(options.issuer.cert) : undefined;
  cert.setIssuer(issuerCert ? issuerCert.subject.attributes : subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: Boolean(options.ca), critical: true },
    { name: 'keyUsage', critical: true, ...(options.ca ? { keyCertSign: true, cRLSign: true } : { digitalSignature: true, keyEncipherment: true }) },
    ...(options.ca ? [] : [{ name: 'extKeyUsage', serverAuth: true }]),
    ...(names.length && !options.ca
      ? [{ name: 'subjectAltName', altNames: names.map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })) }]
      : []),
    { name: 'subjectKeyIdentifier' },
  ]);
  const signingKey = forge.pki.privateKeyFromPem(options.issuer?.key ?? keys.privateKey);
  cert.sign(signingKey as import('node-forge').pki.rsa.PrivateKey, forge.md.sha256.create());
  return { key: keys.privateKey, cert: forge.pki.certificateToPem(cert) };
}

/** A private CA, valid from a year before `now` to ten years after. */
export function makeCa(now: number, commonName = 'heal test CA'): KeyAndCert {
  return makeCertificate(now, { ca: true, commonName, names: [], notBefore: now - 365 * DAY, notAfter: now + 3650 * DAY });
}

/** A TLS server on 127.0.0.1 that presents `identity` and closes each connection after the handshake. */
export async function startTlsServer(identity: KeyAndCert): Promise<RunningServer & { readonly handshakes: number }> {
  let handshakes = 0;
  const server = createServer({ key: identity.key, cert: identity.cert }, (socket) => {
    handshakes += 1;
    socket.end();
  });
  server.on('tlsClientError', () => undefined);
  const tracked = trackConnections(server);
  const port = await listen(server);
  return {
    port,
    connections: tracked.stats,
    get handshakes() {
      return handshakes;
    },
    close: () =>
      new Promise<void>((resolve) => {
        tracked.destroyAll();
        server.close(() => resolve());
      }),
  };
}
