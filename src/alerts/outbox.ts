/**
 * The outbox's bookkeeping, pure: what a send's outcome does to the alert state. Every message
 * enters the outbox before it is sent and leaves it only when its channel accepted it, when
 * the channel refused it for good, or when it is older than `max_age`.
 */
import type { AlertsState, OutboxEntry } from './state.js';
import type { Message, SendOutcome } from './types.js';

export function enqueue(state: AlertsState, messages: readonly Message[]): AlertsState {
  return { ...state, outbox: [...state.outbox, ...messages.map((message) => ({ message, attempts: 0 }))] };
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
    else if (now - entry.message.createdAt >= maxAgeMs) dropped.push({ entry, why: `undelivered after ${Math.round((now - entry.message.createdAt) / 60_000)} minutes (max_age)` });
    else return true;
    return false;
  });
  return { state: { ...state, outbox, dropped: state.dropped + dropped.length }, dropped };
}

/** Whether a channel may be tried now: not while a 429's retry-after runs. */
export function channelReady(state: AlertsState, channel: string, now: number): boolean {
  const until = state.channels[channel]?.retryAfterUntil;
  return until === undefined || until <= now;
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
    ...(outcome.retryAfterMs !== undefined ? { retryAfterUntil: now + outcome.retryAfterMs } : {}),
    ...(outcome.gone ? { gone: lastError } : {}),
  };
  const channels = { ...state.channels, [channel]: nextStatus };
  if (!outcome.retryable) return { ...state, outbox: others, channels, dropped: state.dropped + 1 };
  const kept = { ...entry, attempts: entry.attempts + 1, lastError: outcome.error };
  return { ...state, outbox: state.outbox.map((e) => (e === entry ? kept : e)), channels };
}
