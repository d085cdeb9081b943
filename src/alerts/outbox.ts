/**
 * The outbox's bookkeeping, pure: what a send's outcome does to the alert state. Every message
 * enters the outbox before it is sent and leaves it only when its channel accepted it, when
 * the channel refused it for good, or when it is older than `max_age`. At most
 * `MAX_WAITING_PER_CHANNEL` messages wait for one channel (older ones are folded into one
 * summary, see fold.ts), and no channel is paused for longer than {@link MAX_PAUSE_MS}.
 */
import { elapsedSince, windowEndsAt } from '../common/time.js';
import { capOutbox, MAX_WAITING_PER_CHANNEL } from './fold.js';
import type { AlertsState, OutboxEntry } from './state.js';
import type { Message, SendOutcome } from './types.js';

/**
 * The longest a channel is left alone when it asks to wait (a 429's `retry_after`, a
 * `Retry-After` header): one hour. A longer or unreadable wait counts as this long, so a channel
 * that says "come back in 30 years" is tried again within the hour.
 */
export const MAX_PAUSE_MS = 3_600_000;

/** Adds messages to the outbox, folding the oldest of a channel that would have too many waiting. */
export function enqueue(state: AlertsState, messages: readonly Message[], maxPerChannel: number = MAX_WAITING_PER_CHANNEL): AlertsState {
  return { ...state, outbox: capOutbox([...state.outbox, ...messages.map((message) => ({ message, attempts: 0 }))], maxPerChannel) };
}

/** A pause a channel asked for, within [0, {@link MAX_PAUSE_MS}]. */
export function boundedPause(retryAfterMs: number): number {
  return Number.isFinite(retryAfterMs) ? Math.min(MAX_PAUSE_MS, Math.max(0, retryAfterMs)) : MAX_PAUSE_MS;
}

/** Drops entries older than `maxAgeMs` or for channels that no longer exist; says which and why. */
export function expire(
  state: AlertsState,
  channels: ReadonlySet<string>,
  maxAgeMs: number,
  now: number,
): { state: AlertsState; dropped: { entry: OutboxEntry; why: string }[] } {
  const dropped: { entry: OutboxEntry; why: string }[] = [];
  const outbox = state.outbox.filter((entry) => {
    if (!channels.has(entry.message.channel)) dropped.push({ entry, why: `channel "${entry.message.channel}" is no longer in the manifest` });
    else if (elapsedSince(entry.message.createdAt, now) >= maxAgeMs) dropped.push({ entry, why: `undelivered after ${Math.round(elapsedSince(entry.message.createdAt, now) / 60_000)} minutes (max_age)` });
    else return true;
    return false;
  });
  return { state: { ...state, outbox, dropped: state.dropped + dropped.length }, dropped };
}

/** Whether a channel may be tried now: not while a 429's retry-after runs. */
export function channelReady(state: AlertsState, channel: string, now: number): boolean {
  return channelPausedUntil(state, channel, now) === undefined;
}

/**
 * Until when a 429's retry-after pauses the channel, seen at `now`; undefined when it does not.
 * The pause runs from the failed send (`lastError.at`): one asked for "in the future" (the clock
 * was set back) runs from `now`, never longer than it was asked for.
 */
export function channelPausedUntil(state: AlertsState, channel: string, now: number): number | undefined {
  const status = state.channels[channel];
  if (status?.retryAfterUntil === undefined) return undefined;
  const from = status.lastError?.at ?? now;
  // A pause longer than MAX_PAUSE_MS (written by an older heal) holds for MAX_PAUSE_MS only.
  const until = windowEndsAt(from, Math.min(status.retryAfterUntil, from + MAX_PAUSE_MS), now);
  return until > now ? until : undefined;
}

/** Records one send attempt of the outbox entry with this message id. */
export function recordAttempt(state: AlertsState, messageId: string, outcome: SendOutcome, now: number): AlertsState {
  const entry = state.outbox.find((e) => e.message.id === messageId);
  if (!entry) return state;
  const channel = entry.message.channel;
  const status = state.channels[channel] ?? {};
  const others = state.outbox.filter((e) => e !== entry);

  if (outcome.ok) {
    const sentKey = `${entry.message.level}/${channel}`;
    const { gone: _gone, retryAfterUntil: _wait, lastError: _error, ...rest } = status;
    return {
      ...state,
      outbox: others,
      channels: { ...state.channels, [channel]: { ...rest, lastSuccessAt: now } },
      sent: { ...state.sent, [sentKey]: (state.sent[sentKey] ?? 0) + 1 },
    };
  }

  const lastError = { at: now, error: outcome.error };
  const nextStatus = {
    ...status,
    lastError,
    ...(outcome.retryAfterMs !== undefined ? { retryAfterUntil: now + boundedPause(outcome.retryAfterMs) } : {}),
    ...(outcome.gone ? { gone: lastError } : {}),
  };
  const channels = { ...state.channels, [channel]: nextStatus };
  if (!outcome.retryable) return { ...state, outbox: others, channels, dropped: state.dropped + 1 };
  const kept = { ...entry, attempts: entry.attempts + 1, lastError: outcome.error };
  return { ...state, outbox: state.outbox.map((e) => (e === entry ? kept : e)), channels };
}
