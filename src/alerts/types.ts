/**
 * What the alert manager hands to channels. A Notice is one thing a person should hear about
 * (a service down, healed, flapping, resolved); a Message is what one channel receives in one
 * scan: every notice for it, grouped, so ten services failing together make one message.
 */
import type { Deps } from '../deps.js';
import type { AlertLevel } from './schema.js';
import type { ChannelSpec } from './channels/schema.js';

/**
 * What a notice is about. `folded` is heal's own: a summary standing for older notices that
 * waited too long for a channel (see {@link FoldedNotices}).
 */
export type AlertKind = 'down' | 'degraded' | 'healed' | 'flapping' | 'resolved' | 'test' | 'folded';

/**
 * What a `folded` notice stands for: notices that were waiting for one channel when more than
 * its cap of messages waited, folded into this one summary so the outbox stays small and the
 * reader still learns how many there were and about which services.
 */
export type FoldedNotices = {
  /** Messages folded (a message is one scan's notices for the channel). */
  messages: number;
  /** Notices those messages held. */
  notices: number;
  /** Their services, sorted, without repeats; at most `MAX_FOLDED_SERVICES` (fold.ts) of them. */
  services: string[];
  /** There were more services than the list holds. */
  moreServices?: boolean;
};

export type Notice = {
  /** Stable across retries and scans, so a receiver can drop a repeat. */
  id: string;
  /** The alert key it belongs to: "<service>/<kind>" (resolved notices use the key they resolve). */
  key: string;
  kind: AlertKind;
  level: AlertLevel;
  service: string;
  /** One line: "health-proxy is down", "health-proxy is back up". */
  title: string;
  /** What failed, or what changed: "port 127.0.0.1:3002: connection refused". */
  detail: string;
  /** What heal did about it: "restarted (launchd: com.example.api), still failing". */
  action?: string;
  /** When the condition began (ms since epoch). */
  since: number;
  /** When this notice was made. */
  at: number;
  /** For resolved notices: how long the key was failing. */
  downForMs?: number;
  /** A repeat of an alert whose cooldown ended while the failure went on. */
  reminder?: boolean;
  /** The machine heal runs on. */
  host: string;
  /** For a `folded` notice: what it stands for. */
  folded?: FoldedNotices;
};

export type Message = {
  /** Stable id of this delivery (the outbox entry): email Message-ID, webhook field. */
  id: string;
  /** The channel's name in the manifest. */
  channel: string;
  /** The highest level among the notices. */
  level: AlertLevel;
  notices: Notice[];
  createdAt: number;
};

/**
 * How a send went. `retryable` failures stay in the outbox; `retryAfterMs` (a 429) says when
 * the channel may be tried again; `gone` means the endpoint no longer exists (a webhook's 404).
 *
 * `maybeDelivered` tells "maybe sent" from "not sent": the whole message had been handed over
 * when the send failed without an answer (an HTTP request written, then a timeout or a dropped
 * connection; an SMTP message sent after DATA, then no reply), so the receiver may have it. Such
 * a message is tried again on the next scan only, never twice in one scan. Without it nothing
 * was accepted (a refused connection, a failed lookup, a timeout while connecting, an error
 * status or reply), and trying again at once cannot make a repeat.
 *
 * Errors never contain secrets (webhook tokens, passwords).
 */
export type SendOutcome =
  | { ok: true; detail?: string }
  | { ok: false; error: string; retryable: boolean; retryAfterMs?: number; gone?: boolean; maybeDelivered?: boolean };

export type ChannelContext = {
  deps: Deps;
  /** Aborts at this send's timeout or the scan's deadline. */
  signal: AbortSignal;
  /** This send's budget, already cut to the scan's deadline. */
  timeoutMs: number;
  /**
   * How often the schedule runs `heal scan` (the manifest's `interval`), for channels whose
   * receiver expires what it is not told again (Alertmanager's `endsAt`). @default 5 minutes
   */
  intervalMs?: number;
  /**
   * Values that came from `${VAR}` in the manifest: kept out of every error too, besides the
   * spec's own secrets (an endpoint may echo its URL's path, where a token lives).
   */
  secrets?: readonly string[];
};

/** The plug-in contract of a channel type: one file under src/alerts/channels/ each. */
export interface Channel<S extends ChannelSpec = ChannelSpec> {
  readonly type: S['type'];
  /**
   * Whether a firing alert must be sent again every scan to stay firing: the receiver lets an
   * alert lapse on its own (Alertmanager resolves one whose `endsAt` has passed). @default false
   */
  readonly resendsFiring?: boolean;
  /** Delivers one message. Must not throw, and must settle by `ctx.timeoutMs`. */
  send(spec: S, message: Message, ctx: ChannelContext): Promise<SendOutcome>;
}
