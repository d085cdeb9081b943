/**
 * The `certificate` check: the certificate a TLS server presents fails when it has expired, is
 * not valid yet, expires within `expires_within`, or does not verify (against the system's CAs,
 * or `ca`; `insecure: true` skips verification, never the dates). The report gives the days left
 * and the expiry date. The probe and the verdict are tls-certificate.ts.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errnoCode } from '../common/fs-errors.js';
import type { CertificateCheckSpec } from './schema.js';
import { judgeCertificate, readCertificate } from './tls-certificate.js';
import type { Check, CheckOutcome } from './types.js';

/** "host:port", "[::1]:443", with the SNI name when it differs. */
function target(spec: CertificateCheckSpec): string {
  const host = spec.host.includes(':') && !spec.host.startsWith('[') ? `[${spec.host}]` : spec.host;
  return `${host}:${spec.port}${spec.servername && spec.servername !== spec.host ? ` (${spec.servername})` : ''}`;
}

/** The `certificate` check type. */
export const certificateChecker: Check<CertificateCheckSpec> = {
  type: 'certificate',
  // One TLS handshake: dearer than an HTTP request's connect, cheaper than a program.
  cost: 3,

  describe(spec) {
    return `certificate ${target(spec)}`;
  },

  async run(spec, ctx): Promise<CheckOutcome> {
    const started = ctx.deps.now();
    const latency = (): number => ctx.deps.now() - started;
    let ca: string | undefined;
    if (spec.ca) {
      try {
        ca = await readFile(resolve(ctx.baseDir, spec.ca), 'utf8');
      } catch (error) {
        return { ok: false, latencyMs: latency(), error: `ca ${spec.ca}: cannot read it (${errnoCode(error) ?? (error as Error).message})` };
      }
    }
    const read = await readCertificate({
      host: spec.host,
      port: spec.port,
      ...(spec.servername ? { servername: spec.servername } : {}),
      ...(ca ? { ca } : {}),
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
    });
    if (!read.ok) return { ok: false, latencyMs: latency(), error: read.error };
    const verdict = judgeCertificate(read.facts, { expiresWithinMs: spec.expires_within, insecure: spec.insecure, name: spec.servername ?? spec.host, now: ctx.deps.now() });
    return verdict.ok ? { ok: true, latencyMs: latency(), detail: verdict.detail } : { ok: false, latencyMs: latency(), error: verdict.error };
  },
};
