/**
 * The `email` channel: one mail per message over SMTP with nodemailer (imported only when a
 * mail is sent). Implicit TLS with `secure`, STARTTLS whenever the server offers it (required
 * with `require_tls`), certificates verified unless `insecure`. Every nodemailer timeout is cut to the
 * send's budget (its defaults are minutes) and the send is aborted at the budget besides.
 *
 * Outcomes follow SMTP's reply classes: a 4xx reply, a timeout or a broken connection is
 * retryable; a 5xx reply is permanent (503, a command out of sequence, is not); bad credentials
 * are permanent with an error that says so. A timeout or a broken connection after the whole
 * message went out behind DATA, with no reply to it, is "maybe delivered": the server may have
 * queued it, so it is not sent again in the same scan. Errors never contain the password.
 */
import type { ChannelSpec } from './schema.js';
import { timedOutAfter } from '../../common/deadline.js';
import { socketErrorReason } from '../../common/error-text.js';
import { cut, htmlBody, oneLine, subject, textBody } from '../format.js';
import { redactor } from '../../common/redact.js';
import { sendBudget } from './budget.js';
import type { Channel, Message, SendOutcome } from '../types.js';

export type EmailChannelSpec = Extract<ChannelSpec, { type: 'email' }>;

/** The parts of a nodemailer error this channel reads. */
type SmtpError = Error & {
  code?: string;
  originalCode?: string;
  responseCode?: number;
  response?: string;
  command?: string;
};

/** "<id@heal>": the Message-ID of a message, the same on every retry so a receiver can drop repeats. */
export function messageIdOf(message: Pick<Message, 'id'>): string {
  const local = message.id.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[.-]+|[.-]+$/g, '') || 'message';
  return `<${local}@heal>`;
}

/** The password, and the encodings of it an SMTP exchange can carry (AUTH PLAIN, AUTH LOGIN). */
export function emailSecrets(spec: Pick<EmailChannelSpec, 'user' | 'pass'>): string[] {
  if (!spec.pass) return [];
  const user = spec.user ?? '';
  return [
    spec.pass,
    Buffer.from(spec.pass).toString('base64'),
    Buffer.from(`\u0000${user}\u0000${spec.pass}`).toString('base64'),
    Buffer.from(`${user}\u0000${user}\u0000${spec.pass}`).toString('base64'),
  ];
}

/** The server's reply on one line, cut short. */
function reply(error: SmtpError): string {
  return cut(oneLine(error.response ?? error.message), 200);
}

/** Which step an SMTP reply answered, for people. */
function step(command: string | undefined): string {
  if (!command) return 'the server';
  if (command === 'CONN') return 'the server refused the connection';
  if (command.startsWith('AUTH')) return 'authentication';
  return `${command} was refused`;
}

/** How a nodemailer error reads as an outcome (the password is redacted by the caller). */
export function outcomeForSmtpError(error: unknown, spec: Pick<EmailChannelSpec, 'host' | 'port'>, timeoutMs: number): SendOutcome {
  const err = (error instanceof Error ? error : new Error(String(error))) as SmtpError;
  const where = `${spec.host}:${spec.port}`;
  const code = err.responseCode;

  if (code !== undefined && (code === 535 || code === 534 || code === 530 || (err.code === 'EAUTH' && code >= 500))) {
    return { ok: false, retryable: false, error: `authentication failed (${code}): check the user and pass of this channel (${reply(err)})` };
  }
  if (code !== undefined && code >= 400 && code < 600) {
    // 503 (bad sequence of commands) is about the session, not the message: a new one may work.
    const permanent = code >= 500 && code !== 503;
    return { ok: false, retryable: !permanent, error: `SMTP ${code}: ${step(err.command)}: ${reply(err)}` };
  }
  const system = err.originalCode ?? err.code ?? '';
  if (err.code === 'ETLS' || /CERT|TLS|SSL/.test(system)) {
    return { ok: false, retryable: true, error: `TLS failed with ${where}: ${cut(oneLine(err.message), 200)}` };
  }
  switch (err.code) {
    case 'EAUTH':
      return { ok: false, retryable: false, error: `authentication failed: ${cut(oneLine(err.message), 200)}` };
    case 'ENOAUTH':
      return { ok: false, retryable: false, error: 'authentication needed: set user and pass for this channel' };
    case 'EABORT':
      return { ok: false, retryable: true, error: `${timedOutAfter(timeoutMs)} (${where})` };
    case 'ETIMEDOUT':
      return { ok: false, retryable: true, error: `${timedOutAfter(timeoutMs)}: ${cut(oneLine(err.message), 100)} (${where})` };
    case 'EENVELOPE':
    case 'EMESSAGE':
      return { ok: false, retryable: false, error: cut(oneLine(err.message), 200) };
    default: {
      const reason = socketErrorReason(system);
      if (reason) return { ok: false, retryable: true, error: `${where}: ${reason}` };
      return { ok: false, retryable: true, error: `${where}: ${cut(oneLine(err.message), 200)}${err.code ? ` (${err.code})` : ''}` };
    }
  }
}

/**
 * A nodemailer logger that writes nothing and notes when the message has gone out whole after
 * DATA (nodemailer logs `tnx: 'message'` once the message stream has ended): from then on, a
 * failure without a reply leaves the mail maybe delivered.
 */
function handOverWatch(): { logger: Record<'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', (entry?: unknown) => void>; handedOver(): boolean } {
  let handed = false;
  const ignore = (): void => undefined;
  return {
    logger: {
      trace: ignore,
      debug: ignore,
      info: (entry) => {
        if ((entry as { tnx?: unknown } | undefined)?.tnx === 'message') handed = true;
      },
      warn: ignore,
      error: ignore,
      fatal: ignore,
    },
    handedOver: () => handed,
  };
}

/** The `email` channel type. */
export const emailChannel: Channel<EmailChannelSpec> = {
  type: 'email',

  async send(spec, message, ctx) {
    const timeoutMs = Math.max(1, Math.min(spec.timeout, ctx.timeoutMs));
    const secrets = emailSecrets(spec);
    const timedOut: SendOutcome = { ok: false, retryable: true, error: `${timedOutAfter(timeoutMs)} (${spec.host}:${spec.port})` };
    const watch = handOverWatch();
    /** A failure with no reply to the message once it went out whole: maybe delivered. */
    const unanswered = (outcome: SendOutcome, replied: boolean): SendOutcome =>
      !outcome.ok && outcome.retryable && !replied && watch.handedOver() ? { ...outcome, maybeDelivered: true } : outcome;
    if (ctx.signal.aborted) return timedOut;

    // Aborts at the budget or with the scan; nodemailer cancels its connection on this signal,
    // and the race below settles even if something inside does not.
    const budget = sendBudget(ctx.signal, timeoutMs);

    let transport: { close(): void } | undefined;
    try {
      const sending = (async () => {
        const nodemailer = await import('nodemailer');
        if (budget.signal.aborted) return undefined;
        const mailer = nodemailer.createTransport({
          host: spec.host,
          port: spec.port,
          secure: spec.secure,
          requireTLS: spec.require_tls,
          tls: { rejectUnauthorized: !spec.insecure },
          ...(spec.user ? { auth: { user: spec.user, pass: spec.pass ?? '' } } : {}),
          connectionTimeout: timeoutMs,
          greetingTimeout: timeoutMs,
          socketTimeout: timeoutMs,
          dnsTimeout: timeoutMs,
          disableFileAccess: true,
          disableUrlAccess: true,
          logger: watch.logger,
        });
        transport = mailer;
        return mailer.sendMail({
          from: spec.from,
          to: spec.to,
          subject: subject(message),
          text: textBody(message),
          html: htmlBody(message),
          messageId: messageIdOf(message),
          headers: {
            'X-Heal-Level': message.level,
            'X-Heal-Channel': message.channel,
            'Auto-Submitted': 'auto-generated',
          },
          signal: budget.signal,
        });
      })();
      // Whichever loses the race must not become an unhandled rejection.
      sending.catch(() => undefined);
      const info = await Promise.race([sending, budget.expired]);
      if (info === 'expired' || info === undefined) return unanswered(timedOut, false);
      const accepted = info.accepted.length;
      const rejected = info.rejected.map(String);
      const detail = `accepted for ${accepted} recipient${accepted === 1 ? '' : 's'}${rejected.length ? `; refused for ${rejected.join(', ')}` : ''}`;
      return { ok: true, detail };
    } catch (error) {
      const replied = typeof (error as SmtpError | undefined)?.responseCode === 'number';
      const outcome = unanswered(budget.signal.aborted ? timedOut : outcomeForSmtpError(error, spec, timeoutMs), replied);
      return outcome.ok ? outcome : { ...outcome, error: redactor(secrets)(outcome.error) };
    } finally {
      budget.end();
      transport?.close();
    }
  },
};
