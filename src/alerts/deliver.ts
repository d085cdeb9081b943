/**
 * Sends what is in the outbox, inside the scan's deadline. Channels go in parallel; a channel's
 * messages go in order. A send that was not delivered is tried again after a short exponential
 * backoff with jitter while the deadline allows; one that may have been delivered (no answer
 * after the whole message was handed over) is not sent twice in one scan. What is still
 * undelivered stays for the next scan, and a channel that asked to wait (a 429's retry-after,
 * at most an hour) is not tried before then.
 */
import type { Deps } from '../deps.js';
import type { ChannelSpec } from './channels/schema.js';
import { sendToChannel } from './channels/index.js';
import { boundedPause, channelReady, expire, recordAttempt } from './outbox.js';
import type { AlertsState } from './state.js';
import type { SendOutcome } from './types.js';

export type DeliverOptions = {
  deps: Deps;
  channels: Readonly<Record<string, ChannelSpec>>;
  maxAgeMs: number;
  /** Absolute time (ms) by which every send has settled. */
  deadline: number;
  /** Attempts per message within one scan. @default 3 */
  attemptsPerScan?: number;
  /** How often heal scan runs: the Alertmanager channel keeps a firing alert alive for three of these. */
  intervalMs?: number;
  /**
   * Called (and awaited) each time a message leaves the outbox — its channel accepted it or
   * refused it for good — with the state so far, before that channel's next send: saving it
   * there means a scan killed mid-delivery repeats at most the one message per channel whose
   * acceptance it had not yet recorded.
   */
  onDelivered?: (state: AlertsState) => Promise<void>;
  /** Values from `${VAR}`: kept out of every error the channels report (see ChannelContext). */
  secrets?: readonly string[];
};

const BACKOFF_BASE_MS = 250;

export async function deliver(initial: AlertsState, options: DeliverOptions): Promise<AlertsState> {
  const { deps } = options;
  const expired = expire(initial, new Set(Object.keys(options.channels)), options.maxAgeMs, deps.now());
  for (const { entry, why } of expired.dropped) {
    deps.logger.warn({ message: entry.message.id, channel: entry.message.channel, attempts: entry.attempts, notices: entry.message.notices.map((n) => n.id) }, `alert dropped: ${why}`);
  }
  let state = expired.state;
  const channelNames = [...new Set(state.outbox.map((e) => e.message.channel))];

  // Each channel works through its own messages; the shared state is updated between awaits only.
  await Promise.all(
    channelNames.map(async (channel) => {
      const spec = options.channels[channel] as ChannelSpec;
      for (const id of state.outbox.filter((e) => e.message.channel === channel).map((e) => e.message.id)) {
        const delivered = await sendWithRetries(channel, spec, id);
        if (!delivered) return; // the channel is down or asked to wait: leave the rest for the next scan
      }
    }),
  );
  return state;

  async function sendWithRetries(channel: string, spec: ChannelSpec, id: string): Promise<boolean> {
    const attempts = options.attemptsPerScan ?? 3;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const entry = state.outbox.find((e) => e.message.id === id);
      if (!entry) return true;
      const now = deps.now();
      const left = options.deadline - now;
      if (left <= 0 || !channelReady(state, channel, now)) return false;
      const outcome = await sendOnce(spec, entry.message, left);
      state = recordAttempt(state, id, outcome, deps.now());
      log(channel, id, outcome, entry.attempts + 1);
      if (outcome.ok || !outcome.retryable) await options.onDelivered?.(state);
      if (outcome.ok) return true;
      if (!outcome.retryable) return true; // dropped for good; the channel may still take the next one
      // It may have arrived: a second send now could be a second copy. The next scan tries again.
      if (outcome.maybeDelivered) return false;
      if (outcome.retryAfterMs !== undefined) return false;
      const pause = BACKOFF_BASE_MS * 2 ** attempt + Math.random() * BACKOFF_BASE_MS;
      if (deps.now() + pause >= options.deadline) return false;
      await deps.sleep(pause);
    }
    return false;
  }

  function sendOnce(spec: ChannelSpec, message: Parameters<typeof sendToChannel>[1], left: number): Promise<SendOutcome> {
    const timeoutMs = Math.max(1, Math.min('timeout' in spec ? spec.timeout : left, left));
    return sendToChannel(spec, message, { deps, signal: AbortSignal.timeout(timeoutMs), timeoutMs, ...(options.intervalMs ? { intervalMs: options.intervalMs } : {}), ...(options.secrets ? { secrets: options.secrets } : {}) });
  }

  function log(channel: string, id: string, outcome: SendOutcome, attempt: number): void {
    if (outcome.ok) deps.logger.info({ channel, message: id, attempt }, 'alert delivered');
    else if (!outcome.retryable) deps.logger.error({ channel, message: id, attempt, error: outcome.error, gone: outcome.gone }, 'alert refused for good by its channel: dropped');
    else if (outcome.maybeDelivered) deps.logger.warn({ channel, message: id, attempt, error: outcome.error, maybeDelivered: true }, 'alert may have been delivered (no answer): kept in the outbox, tried again on the next scan only');
    else deps.logger.warn({ channel, message: id, attempt, error: outcome.error, ...(outcome.retryAfterMs === undefined ? {} : { pauseMs: boundedPause(outcome.retryAfterMs) }) }, 'alert not delivered yet: kept in the outbox');
  }
}
