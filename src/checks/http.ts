/**
 * The `http` check: one HTTP(S) request through node:http / node:https, judged by its status,
 * then (only when asked) by its body or one JSON field. Redirects are not followed: a 3xx is a
 * status like any other. The body is read only as far as needed and never past 1 MiB, and the
 * whole attempt — connect, headers, body — ends at the attempt's budget.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { HttpCheckSpec } from './schema.js';
import { onTimeoutOrAbort, timedOutAfter } from '../common/deadline.js';
import { describeSocketError } from '../common/error-text.js';
import type { Check, CheckOutcome } from './types.js';

/** The most of a body that is ever read. */
export const MAX_BODY_BYTES = 1024 * 1024;

const USER_AGENT = 'heal (health check)';

type JsonValue = string | number | boolean | null;

/** The accepted statuses, as people write them: "200", "200, 204" or "200-399". */
function expectedStatus(status: HttpCheckSpec['status']): string {
  if (status === undefined) return '200-399';
  return Array.isArray(status) ? status.join(', ') : String(status);
}

function statusAccepted(status: HttpCheckSpec['status'], code: number): boolean {
  if (status === undefined) return code >= 200 && code <= 399;
  return Array.isArray(status) ? status.includes(code) : status === code;
}

/** A value for an error line: JSON, cut short. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/**
 * Follows a dot path ("checks.db.status", "items.0.id") into parsed JSON; a segment that is a
 * number indexes an array.
 */
export function jsonAt(root: unknown, path: string): { found: true; value: unknown } | { found: false } {
  let current = root;
  for (const segment of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) {
      const index = Number(segment);
      if (index >= current.length) return { found: false };
      current = current[index];
    } else if (current !== null && typeof current === 'object' && !Array.isArray(current) && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: current };
}

/** Judges a complete body (at most MAX_BODY_BYTES) against body_contains and json. */
function judgeBody(spec: HttpCheckSpec, body: Buffer): string | undefined {
  if (spec.body_contains !== undefined && !body.includes(spec.body_contains)) {
    return `body does not contain ${show(spec.body_contains)}`;
  }
  if (spec.json) {
    const { path, equals } = spec.json;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return `body is not JSON (looking for ${path})`;
    }
    const field = jsonAt(parsed, path);
    if (!field.found) return `json ${path} is missing (expected ${show(equals)})`;
    if (field.value !== (equals as JsonValue)) return `json ${path} is ${show(field.value)} (expected ${show(equals)})`;
  }
  return undefined;
}

/** Removes user:password from a URL before it is shown anywhere. */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '***';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

function requestHeaders(spec: HttpCheckSpec): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = { 'user-agent': USER_AGENT, connection: 'close' };
  for (const [name, value] of Object.entries(spec.headers ?? {})) headers[name.toLowerCase()] = value;
  if (spec.body !== undefined && headers['content-length'] === undefined) {
    headers['content-length'] = Buffer.byteLength(spec.body);
  }
  return headers;
}

/** The `http` check type. */
export const httpChecker: Check<HttpCheckSpec> = {
  type: 'http',
  cost: 3,
  timesItself: true,

  describe(spec) {
    return `${spec.method} ${safeUrl(spec.url)}`;
  },

  run(spec, ctx) {
    const started = ctx.deps.now();
    return new Promise<CheckOutcome>((resolve) => {
      /** Stops waiting for the budget and the signal. */
      let stopWaiting: (() => void) | undefined;
      let settled = false;
      let request: http.ClientRequest | undefined;
      let response: http.IncomingMessage | undefined;

      const finish = (error?: string, detail?: string): void => {
        if (settled) return;
        settled = true;
        stopWaiting?.();
        response?.destroy();
        request?.destroy();
        const latencyMs = ctx.deps.now() - started;
        if (error !== undefined) resolve({ ok: false, latencyMs, error });
        else resolve(detail === undefined ? { ok: true, latencyMs } : { ok: true, latencyMs, detail });
      };
      const onTimeout = (): void => finish(timedOutAfter(ctx.timeoutMs));

      stopWaiting = onTimeoutOrAbort(ctx.timeoutMs, [ctx.signal], onTimeout);
      if (settled) return;

      let url: URL;
      try {
        url = new URL(spec.url);
      } catch {
        return finish('invalid URL');
      }
      const client = url.protocol === 'https:' ? https : http;
      try {
        request = client.request(url, {
          method: spec.method,
          headers: requestHeaders(spec),
          agent: false,
          rejectUnauthorized: !spec.insecure,
        });
      } catch (error) {
        return finish(describeSocketError(error));
      }
      // Kept after settling too, so a late error on a destroyed request is never unhandled.
      request.on('error', (error) => finish(describeSocketError(error)));
      request.once('response', (res) => {
        response = res;
        res.on('error', () => finish('connection closed before the body ended'));
        judgeResponse(spec, res, finish);
      });
      request.end(spec.body);
    });
  },
};

/** Judges the status, then reads the body only as far as body_contains / json need it. */
function judgeResponse(
  spec: HttpCheckSpec,
  res: http.IncomingMessage,
  finish: (error?: string, detail?: string) => void,
): void {
  const code = res.statusCode ?? 0;
  if (!statusAccepted(spec.status, code)) {
    const location = code >= 300 && code < 400 && res.headers.location ? `, redirects to ${res.headers.location}` : '';
    return finish(`status ${code} (expected ${expectedStatus(spec.status)})${location}`);
  }
  if (spec.body_contains === undefined && spec.json === undefined) return finish(undefined, `status ${code}`);

  // Only body_contains: scan as the bytes come and stop at the first match, keeping only a tail
  // as long as the needle so a match split across two chunks is still seen.
  const needle = spec.body_contains === undefined ? undefined : Buffer.from(spec.body_contains);
  const keepBody = spec.json !== undefined;
  const chunks: Buffer[] = [];
  let tail = Buffer.alloc(0);
  let received = 0;

  res.on('data', (data: Buffer) => {
    const room = MAX_BODY_BYTES - received;
    const chunk = data.length > room ? data.subarray(0, room) : data;
    received += chunk.length;
    if (keepBody) {
      chunks.push(chunk);
    } else if (needle) {
      const window = tail.length ? Buffer.concat([tail, chunk]) : chunk;
      if (window.includes(needle)) return finish(undefined, `status ${code}`);
      tail = Buffer.from(window.subarray(Math.max(0, window.length - (needle.length - 1))));
    }
    if (data.length > room) {
      finish(
        keepBody
          ? `body is larger than 1 MiB (json ${spec.json?.path} not read)`
          : `body does not contain ${show(spec.body_contains)} in its first 1 MiB`,
      );
    }
  });
  res.once('end', () => {
    if (!keepBody) return finish(`body does not contain ${show(spec.body_contains)}`);
    const error = judgeBody(spec, Buffer.concat(chunks));
    finish(error, error === undefined ? `status ${code}` : undefined);
  });
  res.once('close', () => finish('connection closed before the body ended'));
}
