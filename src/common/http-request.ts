/**
 * One HTTP(S) request through node:http / node:https, for the places that send something and
 * read a short answer (the webhook and alertmanager channels, the heartbeat): no redirects, no
 * keep-alive, one deadline over connect, send, status line and body, and a capped body.
 *
 * It never throws and always settles by its timeout (or its signal), destroying the socket when
 * it does. Errors are short one-liners built from the socket error ("connection refused",
 * "timed out after 3s"), never from the URL; callers redact what they show anyway.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { onTimeoutOrAbort, timedOutAfter } from './deadline.js';
import { describeSocketError } from './error-text.js';

export type SendRequestOptions = {
  /** @default 'GET' */
  method?: string;
  /** Sent as given (lowercase names); `content-length` and `connection: close` are set here. */
  headers?: http.OutgoingHttpHeaders;
  body?: string | Buffer;
  /** The limit of the whole request: connect, send, status line and body. */
  timeoutMs: number;
  /** Aborts the request ("cancelled"). */
  signal?: AbortSignal;
  /**
   * How many bytes of the response body to read; past that the rest is dropped (`truncated`).
   * 0 settles at the status line without reading the body; a function decides by the status
   * (say, read only an error's body). @default 0
   */
  maxBodyBytes?: number | ((status: number) => number);
  /**
   * Called once the whole request has been handed to the connection (from then on the server
   * may act on it), for a caller that may stop waiting before this request settles.
   */
  onWritten?: () => void;
};

/** A response: its status and headers, and as much of its body as was read. */
export type HttpReply = {
  ok: true;
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body read, as UTF-8: at most maxBodyBytes of it. */
  body: string;
  /** The body went on past maxBodyBytes; the rest was not read. */
  truncated: boolean;
  /**
   * Set when the body stopped short of its end and of the cap — timed out, cancelled, or the
   * connection closed — with that reason; `body` is then what came before.
   */
  bodyError?: string;
};

/**
 * No response: the request failed, ran out of time, or was cancelled before a status came.
 * `written` says the whole request had been handed to the connection first, so the server may
 * have acted on it (a POST may have been delivered); false when it never got that far (refused
 * connection, failed lookup, a timeout while connecting).
 */
export type HttpFailure = { ok: false; error: string; timedOut: boolean; aborted: boolean; written: boolean };

export type SendRequestResult = HttpReply | HttpFailure;

const CLOSED_EARLY = 'connection closed before the body ended';

/** Sends one request; see the top of this file. */
export function sendRequest(url: URL, options: SendRequestOptions): Promise<SendRequestResult> {
  const timeoutMs = Math.max(1, options.timeoutMs);
  const { signal } = options;
  return new Promise<SendRequestResult>((resolve) => {
    let settled = false;
    let request: http.ClientRequest | undefined;
    let response: http.IncomingMessage | undefined;
    /** Set once the status line arrived. */
    let reply: HttpReply | undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    /** The whole request was handed to the socket ('finish'). */
    let written = false;
    /** Stops waiting for the timeout and the signal. */
    let stopWaiting: (() => void) | undefined;

    const settle = (result: SendRequestResult): void => {
      if (settled) return;
      settled = true;
      stopWaiting?.();
      response?.destroy();
      request?.destroy();
      resolve(result);
    };
    /** Settles with the response so far: the body read, and why it stopped short if it did. */
    const answer = (status: HttpReply, truncated: boolean, bodyError?: string): void =>
      settle({ ...status, body: Buffer.concat(chunks).toString('utf8'), truncated, ...(bodyError === undefined ? {} : { bodyError }) });
    /** Ends the request: a failure before the status line, a reply cut short after it. */
    const stop = (error: string, cause: { timedOut?: boolean; aborted?: boolean } = {}): void => {
      if (reply) answer(reply, false, error);
      else settle({ ok: false, error, timedOut: cause.timedOut ?? false, aborted: cause.aborted ?? false, written });
    };

    stopWaiting = onTimeoutOrAbort(timeoutMs, [signal], (why) =>
      why === 'timeout' ? stop(timedOutAfter(timeoutMs), { timedOut: true }) : stop('cancelled', { aborted: true }),
    );
    if (settled) return;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return stop('the URL must be http or https');

    const headers: http.OutgoingHttpHeaders = { ...options.headers, connection: 'close' };
    if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
    const client = url.protocol === 'https:' ? https : http;
    try {
      request = client.request(url, { method: options.method ?? 'GET', headers, agent: false });
    } catch (error) {
      return stop(describeSocketError(error));
    }
    // Kept after settling too, so a late error on a destroyed request is never unhandled.
    request.on('error', (error) => stop(describeSocketError(error)));
    request.once('finish', () => {
      written = true;
      options.onWritten?.();
    });
    request.once('response', (res) => {
      response = res;
      res.on('error', () => undefined); // 'close' follows and says it
      const status = res.statusCode ?? 0;
      const cap = typeof options.maxBodyBytes === 'function' ? options.maxBodyBytes(status) : (options.maxBodyBytes ?? 0);
      reply = { ok: true, status, headers: res.headers, body: '', truncated: false };
      if (cap <= 0) return answer(reply, false);
      const head = reply;
      res.on('data', (chunk: Buffer) => {
        const room = cap - received;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          return answer(head, true);
        }
        chunks.push(chunk);
        received += chunk.length;
      });
      res.once('end', () => answer(head, false));
      res.once('close', () => stop(CLOSED_EARLY));
    });
    request.end(options.body);
  });
}
