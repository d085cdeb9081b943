/**
 * The `port` check: a TCP connect to host:port. Healthy when the connection opens before the
 * attempt's budget runs out; the socket is closed at once either way.
 */
import { connect } from 'node:net';
import { formatDuration } from '../common/duration.js';
import type { PortCheckSpec } from './schema.js';
import type { Check, CheckOutcome } from './types.js';

/** The one-line error of an attempt that ran out of time ("timed out after 3s"). */
export function timedOutAfter(timeoutMs: number): string {
  return `timed out after ${formatDuration(timeoutMs)}`;
}

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host lookup failed',
};

/** Turns a socket, DNS or TLS error into a short one-liner ("connection refused"). */
export function describeSocketError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'ECONNRESET' && message === 'socket hang up') return 'connection closed without a response';
  if (code && SOCKET_ERRORS[code]) return SOCKET_ERRORS[code];
  const text = firstLine(String(message ?? error));
  if (code && (code.startsWith('ERR_TLS') || code.includes('CERT') || code.includes('SSL'))) return `TLS: ${text}`;
  return code && !text.includes(code) ? `${text} (${code})` : text;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0]?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** "[::1]" in a manifest is "::1" to node:net. */
function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** The `port` check type. */
export const portChecker: Check<PortCheckSpec> = {
  type: 'port',
  cost: 0,

  describe(spec) {
    const host = spec.host.includes(':') && !spec.host.startsWith('[') ? `[${spec.host}]` : spec.host;
    return `port ${host}:${spec.port}`;
  },

  run(spec, ctx) {
    const started = ctx.deps.now();
    return new Promise<CheckOutcome>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const socket = connect({ host: bareHost(spec.host), port: spec.port });
      const finish = (error?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onTimeout);
        socket.destroy();
        const latencyMs = ctx.deps.now() - started;
        resolve(error === undefined ? { ok: true, latencyMs } : { ok: false, latencyMs, error });
      };
      const onTimeout = (): void => finish(timedOutAfter(ctx.timeoutMs));

      // Kept after settling too, so a late error on a destroyed socket is never unhandled.
      socket.on('error', (error) => finish(describeSocketError(error)));
      socket.once('connect', () => finish());
      if (ctx.signal.aborted) return onTimeout();
      ctx.signal.addEventListener('abort', onTimeout, { once: true });
      timer = setTimeout(onTimeout, ctx.timeoutMs);
    });
  },
};
