/**
 * The manifest's channel specs (`alerts.channels.<name>`), one per channel type, and their
 * union. A new channel type adds its spec here, its `Channel` in a file of its own and its entry
 * in the registry (index.ts), which does not compile until all three agree.
 */
import { z } from 'zod';
import { duration, expected, httpUrl, port, specsByType } from '../../manifest/fields.js';
import { isJsonType, TEMPLATE_CONTENT_TYPE, templateProblems } from './template.js';

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

/** A JSON POST: heal's own document, or the manifest's `template` (template.ts), one request per notice. */
const webhookSpec = z.strictObject({
  type: z.literal('webhook'),
  url: httpUrl,
  headers: z.record(z.string(), z.string()).optional(),
  /** The body, with `{{field}}`s (template.ts). @default heal's JSON document */
  template: z.string().min(1, 'an empty template: write the body, or remove template').optional(),
  /** The template's media type; values are JSON-escaped when it is JSON. @default application/json (template.ts, `TEMPLATE_CONTENT_TYPE`) */
  content_type: z.string().regex(/^[\w.+-]+\/[\w.+-]+\s*(;.*)?$/, 'expected a media type such as application/json or text/plain').optional(),
  /** @default 5s */
  timeout,
}).superRefine((spec, ctx) => {
  if (spec.template === undefined) {
    if (spec.content_type !== undefined && !isJsonType(spec.content_type)) ctx.addIssue({ code: 'custom', path: ['content_type'], message: "is the type of a template's body, and there is no template: add template, or remove content_type" });
    return;
  }
  for (const message of templateProblems(spec.template, spec.content_type ?? TEMPLATE_CONTENT_TYPE)) ctx.addIssue({ code: 'custom', path: ['template'], message });
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

/** A Slack incoming webhook (Block Kit). */
const slackSpec = z.strictObject({
  type: z.literal('slack'),
  /** https://hooks.slack.com/services/T…/B…/… */
  webhook_url: httpUrl,
  /** @default 5s */
  timeout,
});

/** A Telegram bot's `sendMessage` to one chat. */
const telegramSpec = z.strictObject({
  type: z.literal('telegram'),
  bot_token: z
    .string({ error: (issue) => (issue.input === undefined ? 'required: the token @BotFather gave the bot, e.g. "${TELEGRAM_BOT_TOKEN}"' : 'expected a bot token (a string)') })
    .regex(/^\d+:[A-Za-z0-9_-]+$/, 'expected a bot token such as "123456789:AAE…" (from @BotFather)'),
  chat_id: z
    .union([z.int(), z.string()], { error: expected('a chat id (a number such as -1001234567890) or a channel\'s @username') })
    .transform(String)
    .pipe(z.string().regex(/^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$/, "expected a chat id (a number such as -1001234567890) or a channel's @username")),
  /** The Bot API server (a local one, or a test's). @default https://api.telegram.org */
  api_url: httpUrl.default('https://api.telegram.org'),
  /** @default 5s */
  timeout,
});

/** A topic of an ntfy server: https://ntfy.sh/<topic>. */
const ntfyTopicUrl = httpUrl.refine((text) => /^[-_A-Za-z0-9]{1,64}$/.test(new URL(text).pathname.split('/').pop() ?? ''), {
  error: 'expected the topic\'s URL, such as https://ntfy.sh/my-alerts (a topic is 1 to 64 letters, digits, "-" or "_")',
});

/** ntfy (ntfy.sh or one's own server), published as JSON. */
const ntfySpec = z.strictObject({
  type: z.literal('ntfy'),
  url: ntfyTopicUrl,
  /** An access token (Bearer). */
  token: z.string().min(1).optional(),
  /** Basic auth, instead of a token. */
  user: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  /** @default 5s */
  timeout,
}).superRefine((spec, ctx) => {
  if (spec.token !== undefined && (spec.user !== undefined || spec.password !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['token'], message: 'token and user/password are two ways to log in: keep one' });
  } else if ((spec.user === undefined) !== (spec.password === undefined)) {
    const missing = spec.user === undefined ? 'user' : 'password';
    ctx.addIssue({ code: 'custom', path: [missing], message: `required with ${missing === 'user' ? 'password' : 'user'} (or log in with token instead)` });
  }
});

/** One alert channel, by its `type`. */
export const channelSpec = specsByType([discordSpec, emailSpec, logSpec, webhookSpec, alertmanagerSpec, slackSpec, telegramSpec, ntfySpec]);

export type ChannelSpec = z.output<typeof channelSpec>;
export type AlertmanagerChannelSpec = z.output<typeof alertmanagerSpec>;
