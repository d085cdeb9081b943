/**
 * The `port` check: a TCP connect to host:port. Healthy when the connection opens before the
 * attempt's budget runs out; the socket is closed at once either way.
 */
import { connect } from 'node:net';
import { bareHost } from '../common/host.js';
import { onTimeoutOrAbort, timedOutAfter } from '../common/deadline.js';
import { describeSocketError } from '../common/error-text.js';
import type { PortCheckSpec } from './schema.js';
import type { Check, CheckOutcome } from './types.js';

/** The `port` check type. */
export const portChecker: Check<PortCheckSpec> = {
  type: 'port',
  cost: 0,
  timesItself: true,

  describe(spec) {
    const host = spec.host.includes(':') && !spec.host.startsWith('[') ? `[${spec.host}]` : spec.host;
    return `port ${host}:${spec.port}`;
  },

  run(spec, ctx) {
    const started = ctx.deps.now();
    return new Promise<CheckOutcome>((resolve) => {
      /** Stops waiting for the budget and the signal. */
      let stopWaiting: (() => void) | undefined;
      let settled = false;
      const socket = connect({ host: bareHost(spec.host), port: spec.port });
      const finish = (error?: string): void => {
        if (settled) return;
        settled = true;
        stopWaiting?.();
        socket.destroy();
        const latencyMs = ctx.deps.now() - started;
        resolve(error === undefined ? { ok: true, latencyMs } : { ok: false, latencyMs, error });
      };
      const onTimeout = (): void => finish(timedOutAfter(ctx.timeoutMs));

      // Kept after settling too, so a late error on a destroyed socket is never unhandled.
      socket.on('error', (error) => finish(describeSocketError(error)));
      socket.once('connect', () => finish());
      stopWaiting = onTimeoutOrAbort(ctx.timeoutMs, [ctx.signal], onTimeout);
    });
  },
};
