/**
 * What a TLS server presents, and what heal makes of it. `readCertificate` makes one handshake
 * with host:port and returns the leaf certificate's dates and names and whether it verifies —
 * against the system's CAs, or the given CA — for the name asked. The handshake goes on when the
 * certificate does not verify, so the dates of an expired or self-signed certificate can still
 * be read; the verdict is kept as a fact. `judgeCertificate` is the pure verdict over those facts.
 */
import { isIP } from 'node:net';
import { connect, type DetailedPeerCertificate } from 'node:tls';
import { formatDuration } from '../common/duration.js';
import { onTimeoutOrAbort, timedOutAfter } from '../common/deadline.js';
import { describeSocketError } from '../common/error-text.js';
import { bareHost } from '../common/host.js';

const DAY_MS = 86_400_000;

/** What the handshake showed of the server's certificate. */
export type CertificateFacts = {
  /** When it starts to be valid, ms since the epoch. */
  validFrom: number;
  /** When it stops being valid, ms since the epoch. */
  validTo: number;
  /** The DNS names and IP addresses it is for (subjectAltName), else its common name. */
  names: string[];
  /** It verifies: a chain to a trusted CA, in date, for the name asked. */
  verified: boolean;
  /** Why it does not verify, as OpenSSL or Node name it (CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID…). */
  verifyError?: string;
};

export type CertificateTarget = {
  host: string;
  port: number;
  /** The name sent in SNI and verified against; default: the host, unless it is an IP address. */
  servername?: string;
  /** CA certificates (PEM) trusted instead of the system's. */
  ca?: string;
  timeoutMs: number;
  signal: AbortSignal;
};

export type CertificateRead = { ok: true; facts: CertificateFacts } | { ok: false; error: string };

/** One handshake with `target`: the certificate's facts, or why there were none. Never throws. */
export function readCertificate(target: CertificateTarget): Promise<CertificateRead> {
  const host = bareHost(target.host);
  const servername = target.servername ?? (isIP(host) ? undefined : host);
  return new Promise<CertificateRead>((resolve) => {
    /** Stops waiting for the budget and the signal. */
    let stopWaiting: (() => void) | undefined;
    let done = false;
    const socket = connect({
      host,
      port: target.port,
      ...(servername ? { servername } : {}),
      ...(target.ca ? { ca: target.ca } : {}),
      // Read the dates of a certificate that does not verify too; the verdict is `authorized`.
      rejectUnauthorized: false,
    });
    const finish = (result: CertificateRead): void => {
      if (done) return;
      done = true;
      stopWaiting?.();
      socket.destroy();
      resolve(result);
    };
    const onTimeout = (): void => finish({ ok: false, error: timedOutAfter(target.timeoutMs) });
    socket.on('error', (error) => finish({ ok: false, error: describeSocketError(error) }));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate(false) as DetailedPeerCertificate | undefined;
      if (!cert || !cert.valid_to) return finish({ ok: false, error: 'the server presented no certificate' });
      const validFrom = Date.parse(cert.valid_from);
      const validTo = Date.parse(cert.valid_to);
      if (Number.isNaN(validFrom) || Number.isNaN(validTo)) return finish({ ok: false, error: `unreadable certificate dates (${cert.valid_from} – ${cert.valid_to})` });
      const error = socket.authorizationError;
      finish({
        ok: true,
        facts: {
          validFrom,
          validTo,
          names: certificateNames(cert),
          verified: socket.authorized,
          ...(socket.authorized || !error ? {} : { verifyError: typeof error === 'string' ? error : (error as Error).message }),
        },
      });
    });
    stopWaiting = onTimeoutOrAbort(target.timeoutMs, [target.signal], onTimeout);
  });
}

/** "DNS:example.com, IP Address:127.0.0.1" → ["example.com", "127.0.0.1"]; else the common name. */
function certificateNames(cert: DetailedPeerCertificate): string[] {
  const alt = cert.subjectaltname?.split(',').map((part) => part.trim().replace(/^(DNS|IP Address):/, '')).filter(Boolean);
  if (alt?.length) return alt;
  const cn = cert.subject?.CN;
  return cn ? [String(cn)] : [];
}

export type CertificateRules = {
  /** Fail when it expires sooner than this. */
  expiresWithinMs: number;
  /** Do not ask that it verifies; its dates are still judged. */
  insecure: boolean;
  /** The name it was asked for, for the "not valid for" line. */
  name: string;
  now: number;
};

export type CertificateVerdict = { ok: true; detail: string } | { ok: false; error: string };

/** "2027-12-01" */
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** "365 days", "1 day", or under a day its duration ("5h"). */
function timeLeft(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  if (days >= 1) return `${days} day${days === 1 ? '' : 's'}`;
  return formatDuration(Math.max(0, ms));
}

/** What a verification error means, in a few words. */
function whyNotVerified(code: string, facts: CertificateFacts, name: string): string {
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'it is self-signed (set ca: to trust it, or insecure: true)';
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return `its issuer is not trusted (${code}; set ca: for a private CA)`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `it is not valid for ${name} (it is for ${facts.names.join(', ') || 'no name'})`;
    default:
      return code;
  }
}

/**
 * The verdict on a certificate at `now`: it has expired, is not valid yet, expires within
 * `expiresWithinMs`, or does not verify (unless `insecure`) — else healthy, with the days left.
 * Each line gives the expiry date.
 */
export function judgeCertificate(facts: CertificateFacts, rules: CertificateRules): CertificateVerdict {
  const { now } = rules;
  const left = facts.validTo - now;
  if (left <= 0) return { ok: false, error: `certificate expired ${timeLeft(-left)} ago (${day(facts.validTo)})` };
  if (facts.validFrom > now) return { ok: false, error: `certificate not valid before ${new Date(facts.validFrom).toISOString()} (expires ${day(facts.validTo)})` };
  const expires = `expires in ${timeLeft(left)} (${day(facts.validTo)})`;
  if (!rules.insecure && !facts.verified && facts.verifyError && !['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'].includes(facts.verifyError)) {
    return { ok: false, error: `certificate does not verify: ${whyNotVerified(facts.verifyError, facts, rules.name)}; ${expires}` };
  }
  if (left < rules.expiresWithinMs) return { ok: false, error: `certificate ${expires}, within expires_within ${formatDuration(rules.expiresWithinMs)}` };
  return { ok: true, detail: expires };
}
