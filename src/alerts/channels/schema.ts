/**
 * The manifest's channel specs (`alerts.channels.<name>`), one per channel type, and their
 * union. A new channel type adds its spec here, its `Channel` in a file of its own and its entry
 * in the registry (index.ts), which does not compile until all three agree.
 */
import { z } from 'zod';
import { duration, httpUrl, port, specsByType } from '../../manifest/fields.js';

/** How long one send may take. @default 5s */
const timeout = duration.default(5_000);

/** A Discord webhook, through discord.js. */
const discordSpec = z.strictObject({
  type: z.literal('discord'),
  webhook_url: httpUrl,
  username: z.string().min(1).optional(),
  /** @default 5s */
  timeout,
});

/** Email through an SMTP server (nodemailer). */
const emailSpec = z.strictObject({
  type: z.literal('email'),
  host: z.string().min(1),
  /** @default 587 */
  port: port.default(587),
  /** Implicit TLS (port 465); otherwise STARTTLS when the server offers it. @default false */
  secure: z.boolean().default(false),
  /** Refuse to send unless STARTTLS succeeds. @default false */
  require_tls: z.boolean().default(false),
  /** Accept a server certificate that does not verify (a self-signed internal relay). @default false */
  insecure: z.boolean().default(false),
  user: z.string().optional(),
  pass: z.string().optional(),
  from: z.string().min(3),
  to: z.array(z.string().min(3)).min(1),
  /** How long one send may take. @default 10s */
  timeout: duration.default(10_000),
});

/** One pino line per notice. */
const logSpec = z.strictObject({ type: z.literal('log') });

/** A JSON POST. */
const webhookSpec = z.strictObject({
  type: z.literal('webhook'),
  url: httpUrl,
  headers: z.record(z.string(), z.string()).optional(),
  /** @default 5s */
  timeout,
});

/** Posts alerts to a Prometheus Alertmanager (`/api/v2/alerts`), for fleets. */
const alertmanagerSpec = z.strictObject({
  type: z.literal('alertmanager'),
  /** The Alertmanager's base URL, e.g. http://alertmanager:9093 */
  url: httpUrl,
  /** Extra labels on every alert (e.g. env: prod). */
  labels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'label names are [a-zA-Z_][a-zA-Z0-9_]*'), z.string()).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** @default 5s */
  timeout,
});

/** One alert channel, by its `type`. */
export const channelSpec = specsByType([discordSpec, emailSpec, logSpec, webhookSpec, alertmanagerSpec]);

export type ChannelSpec = z.output<typeof channelSpec>;
export type AlertmanagerChannelSpec = z.output<typeof alertmanagerSpec>;
