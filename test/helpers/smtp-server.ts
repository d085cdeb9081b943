/**
 * A real SMTP server for tests (the `smtp-server` package) on 127.0.0.1 with an ephemeral port.
 * It keeps every message it accepted, parsed back with mailparser, and can be told to refuse
 * at any step with a chosen reply code: at connect (421), on MAIL FROM, RCPT TO or DATA (451,
 * 550 …), or at AUTH (535, bad credentials); or stall after DATA, never answering the message. STARTTLS is off unless asked for (the
 * certificate is self-signed, which a client that verifies certificates refuses).
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { LOCALHOST, SELF_SIGNED_CERT, SELF_SIGNED_KEY } from './servers.js';

/** A refusal: the reply code and text the server answers with. */
export type SmtpRefusal = { code: number; text?: string };

export type SmtpServerOptions = {
  /** Listen on this port (e.g. to come back where a test's manifest points). @default an ephemeral port */
  port?: number;
  /** Require AUTH with these credentials (PLAIN / LOGIN, allowed without TLS). */
  auth?: { user: string; pass: string };
  /** Offer STARTTLS, with the self-signed certificate of servers.ts. @default false */
  starttls?: boolean;
  refuseConnect?: SmtpRefusal;
  refuseMailFrom?: SmtpRefusal;
  refuseRcptTo?: SmtpRefusal;
  refuseData?: SmtpRefusal;
  /**
   * Read each message after DATA to its end, then never reply — as a server that stalls while
   * it queues the mail (the client cannot know whether it was taken). Kept in `stalled`.
   */
  stallAfterData?: boolean;
};

/** One accepted message: the SMTP envelope, the raw source and the parsed mail. */
export type ReceivedMail = {
  envelope: { from: string | undefined; to: string[] };
  /** The session was encrypted (STARTTLS or implicit TLS). */
  secure: boolean;
  raw: string;
  mail: ParsedMail;
};

export type RunningSmtpServer = {
  port: number;
  /** Every message accepted so far, in order. */
  received: ReceivedMail[];
  /** Login attempts seen: user and whether the password matched (never the password). */
  logins: { user: string; ok: boolean }[];
  /** The raw source of every message read in full and never answered (`stallAfterData`). */
  stalled: string[];
  close(): Promise<void>;
};

function refusal(refuse: SmtpRefusal): Error {
  const error = new Error(refuse.text ?? `refused by test server`) as Error & { responseCode: number };
  error.responseCode = refuse.code;
  return error;
}

/** Starts an SMTP server configured by `options`. */
export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<RunningSmtpServer> {
  const received: ReceivedMail[] = [];
  const logins: { user: string; ok: boolean }[] = [];
  const stalled: string[] = [];
  const config: SMTPServerOptions = {
    secure: false,
    logger: false,
    disableReverseLookup: true,
    closeTimeout: 100,
    authOptional: !options.auth,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    disabledCommands: options.starttls ? [] : ['STARTTLS'],
    ...(options.starttls ? { key: SELF_SIGNED_KEY, cert: SELF_SIGNED_CERT } : {}),
    onConnect(_session, callback) {
      callback(options.refuseConnect ? refusal(options.refuseConnect) : undefined);
    },
    onAuth(auth, _session, callback) {
      const ok = options.auth !== undefined && auth.username === options.auth.user && auth.password === options.auth.pass;
      logins.push({ user: auth.username ?? '', ok });
      if (!ok) {
        const error = new Error('5.7.8 Authentication credentials invalid') as Error & { responseCode: number };
        error.responseCode = 535;
        return callback(error);
      }
      callback(null, { user: auth.username });
    },
    onMailFrom(_address, _session, callback) {
      callback(options.refuseMailFrom ? refusal(options.refuseMailFrom) : undefined);
    },
    onRcptTo(_address, _session, callback) {
      callback(options.refuseRcptTo ? refusal(options.refuseRcptTo) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (options.stallAfterData) return void stalled.push(Buffer.concat(chunks).toString('utf8'));
        if (options.refuseData) return callback(refusal(options.refuseData));
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (mail) => {
            const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined;
            received.push({ envelope: { from, to: session.envelope.rcptTo.map((r) => r.address) }, secure: session.secure, raw: raw.toString('utf8'), mail });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  };
  const server = new SMTPServer(config);
  server.on('error', () => undefined);
  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, LOCALHOST, () => {
      server.server.off('error', reject);
      resolve((server.server.address() as { port: number }).port);
    });
  });
  return {
    port,
    received,
    logins,
    stalled,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
