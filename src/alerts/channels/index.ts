/**
 * The channel registry: one `Channel` per manifest `type`, and the one way the rest of the code
 * sends — {@link sendToChannel}, which never throws, always settles by the send's budget, and
 * never lets a secret of the spec (webhook token, password, header value) into an error.
 * The channel modules are small; the heavy libraries they use (discord.js, nodemailer) are
 * imported inside `send`, so loading this registry loads neither.
 */
import type { ChannelSpec } from './schema.js';
import { within } from '../../common/deadline.js';
import { formatDuration } from '../../common/duration.js';
import { cut, oneLine } from '../format.js';
import { interpolatedSecrets, redactor } from '../../common/redact.js';
import type { Channel, ChannelContext, Message, SendOutcome } from '../types.js';
import { alertmanagerChannel, alertmanagerSecrets } from './alertmanager.js';
import { discordChannel, parseWebhookUrl } from './discord.js';
import { emailChannel, emailSecrets } from './email.js';
import { logChannel } from './log.js';
import { ntfyChannel, ntfySecrets } from './ntfy.js';
import { slackChannel, slackSecrets } from './slack.js';
import { telegramChannel, telegramSecrets } from './telegram.js';
import { webhookChannel, webhookSecrets } from './webhook.js';

/** The channel type of each manifest `type`. */
export type ChannelRegistry = { readonly [T in ChannelSpec['type']]: Channel<Extract<ChannelSpec, { type: T }>> };

/** Every channel type, by its manifest `type`. */
export const channelTypes: ChannelRegistry = {
  alertmanager: alertmanagerChannel,
  discord: discordChannel,
  email: emailChannel,
  log: logChannel,
  ntfy: ntfyChannel,
  slack: slackChannel,
  telegram: telegramChannel,
  webhook: webhookChannel,
};

/** The channel type that sends for `spec`, or undefined for a type this build does not know. */
export function channelFor<S extends ChannelSpec>(spec: S): Channel<S> | undefined {
  const channel = (channelTypes as Record<string, Channel<ChannelSpec> | undefined>)[spec.type];
  return channel as Channel<S> | undefined;
}

/** The names of the channels whose type needs a firing alert sent again every scan (`resendsFiring`). */
export function channelsResendingFiring(channels: Readonly<Record<string, ChannelSpec>>): string[] {
  return Object.entries(channels).flatMap(([name, spec]) => (channelFor(spec)?.resendsFiring ? [name] : []));
}

/** The strings of a spec that must never appear in an error or a log line. */
export function channelSecrets(spec: ChannelSpec): string[] {
  switch (spec.type) {
    case 'discord': {
      const token = parseWebhookUrl(spec.webhook_url)?.token;
      return token ? [spec.webhook_url, token] : [spec.webhook_url];
    }
    case 'email':
      return emailSecrets(spec);
    case 'webhook':
      return webhookSecrets(spec);
    case 'alertmanager':
      return alertmanagerSecrets(spec);
    case 'slack':
      return slackSecrets(spec);
    case 'telegram':
      return telegramSecrets(spec);
    case 'ntfy':
      return ntfySecrets(spec);
    default:
      return [];
  }
}

/** How long past its budget a channel may run before the registry gives up on it. */
const SETTLE_GRACE_MS = 1_000;

/**
 * Sends one message through the channel of `spec`. Never throws: an unknown type is a
 * permanent failure; a channel that throws is a retryable one, and one that does not settle
 * within its budget (plus a second's grace) a retryable one that may have been delivered. Every
 * error is redacted of the spec's secrets.
 */
export async function sendToChannel(spec: ChannelSpec, message: Message, ctx: ChannelContext): Promise<SendOutcome> {
  const secrets = [...channelSecrets(spec), ...interpolatedSecrets(ctx.secrets ?? [])];
  const channel = channelFor(spec);
  if (!channel) return { ok: false, retryable: false, error: `unknown channel type ${JSON.stringify(String(spec.type))}` };

  const sending = Promise.resolve()
    .then(() => channel.send(spec, message, ctx))
    .catch((error: unknown): SendOutcome => {
      const text = error instanceof Error ? error.message : String(error);
      return { ok: false, retryable: true, error: `channel failed unexpectedly: ${cut(oneLine(text), 200)}` };
    });
  const outcome = await within(
    sending,
    ctx.timeoutMs + SETTLE_GRACE_MS,
    // Whatever it was doing may have reached the receiver: not sent again in this scan.
    (): SendOutcome => ({ ok: false, retryable: true, maybeDelivered: true, error: `did not finish within ${formatDuration(ctx.timeoutMs)}` }),
  );
  return outcome.ok ? outcome : { ...outcome, error: redactor(secrets)(outcome.error) };
}
