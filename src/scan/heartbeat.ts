/**
 * The dead man's switch: a scan pings a heartbeat URL (healthchecks.io style) when it starts,
 * when it ends well and when it ends badly, so a scan that stops running at all — a broken
 * cron, a dead machine — is noticed by someone else.
 *
 * - start:   POST <url>/start   (no body)
 * - success: POST <url>         (optional text/plain body: the summary)
 * - fail:    POST <url>/fail    (text/plain body: the summary)
 *
 * Every phase is a POST (healthchecks.io takes GET, HEAD or POST alike; POST everywhere keeps
 * one code path and lets any phase carry a body, which healthchecks.io shows in its log). The
 * body is cut to 10 kB. A 2xx is success; anything else, redirects included, is a failure.
 *
 * The URL usually holds a secret token, so an error never shows any of it: it reads
 * "heartbeat ping failed: status 500", "…: timed out after 10s", "…: connection refused".
 * A ping never throws, and a failed ping never changes the scan's exit code.
 */
import { cut, oneLine } from '../alerts/format.js';
import { sendRequest } from '../common/http-request.js';
import { redactor } from '../common/redact.js';
import { DEFAULT_HEARTBEAT_TIMEOUT_MS } from '../manifest/defaults.js';

export type HeartbeatPhase = 'start' | 'success' | 'fail';

export type HeartbeatResult = { ok: true } | { ok: false; error: string };

export type HeartbeatOptions = {
  /** The whole ping's limit: connect, send and the response's status line. @default {@link DEFAULT_HEARTBEAT_TIMEOUT_MS} */
  timeoutMs?: number;
  /** Aborts the ping (the scan's deadline); the result is then a failure. */
  signal?: AbortSignal;
};

/** The most of a body sent (healthchecks.io keeps up to 100 kB; a summary needs far less). */
export const MAX_HEARTBEAT_BODY_BYTES = 10 * 1024;

const USER_AGENT = 'heal (heartbeat)';

/** The URL a phase pings: "/start" or "/fail" appended to the path, the query kept after it. */
export function heartbeatUrl(url: string, phase: HeartbeatPhase): URL {
  const target = new URL(url);
  if (phase !== 'success') target.pathname = `${target.pathname.replace(/\/+$/, '')}/${phase}`;
  return target;
}

/** Pings the heartbeat URL for `phase`; never throws, never shows the URL in an error. */
export async function pingHeartbeat(url: string, phase: HeartbeatPhase, body?: string, options: HeartbeatOptions = {}): Promise<HeartbeatResult> {
  const failed = (error: string): HeartbeatResult => ({ ok: false, error: `heartbeat ping failed: ${redactor(urlSecrets(url))(error)}` });
  let target: URL;
  try {
    target = heartbeatUrl(url, phase);
  } catch {
    return failed(options.signal?.aborted ? 'cancelled' : 'invalid URL');
  }
  const payload = Buffer.from(capBody(body ?? ''), 'utf8');
  const answer = await sendRequest(target, {
    method: 'POST',
    headers: { 'user-agent': USER_AGENT, ...(payload.length ? { 'content-type': 'text/plain; charset=utf-8' } : {}) },
    body: payload,
    timeoutMs: options.timeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    signal: options.signal,
  });
  if (!answer.ok) return failed(answer.error);
  const { status } = answer;
  if (status >= 200 && status < 300) return { ok: true };
  return failed(`status ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`);
}

/** Cuts a body to at most MAX_HEARTBEAT_BODY_BYTES of UTF-8, never inside a character. */
export function capBody(text: string, maxBytes: number = MAX_HEARTBEAT_BODY_BYTES): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const marker = '\n…(cut)';
  const room = maxBytes - Buffer.byteLength(marker, 'utf8');
  // Decoding a cut buffer may end in a replacement character: drop it.
  const head = Buffer.from(text, 'utf8').subarray(0, room).toString('utf8').replace(/\uFFFD$/, '');
  return `${head}${marker}`;
}

/** Parts of the URL that must never appear in an error: all of it, its path, query and userinfo. */
function urlSecrets(url: string): string[] {
  const secrets = [url];
  try {
    const parsed = new URL(url);
    secrets.push(parsed.href, parsed.pathname, parsed.search, parsed.username, parsed.password);
    // Tokens are long (a UUID, a 22-character ping key); short segments ("ping") are ordinary words.
    for (const segment of parsed.pathname.split('/')) if (segment.length >= 8) secrets.push(segment, safeDecode(segment));
    for (const value of parsed.searchParams.values()) secrets.push(value);
  } catch {
    // an invalid URL is refused before any of it is shown
  }
  return secrets;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The part of a scan's report the summary is made from (a `ScanReport` fits). */
export type SummaryReport = {
  services: readonly {
    name: string;
    status: 'up' | 'down' | 'healed' | 'degraded' | 'skipped';
    action?: string;
    reason?: string;
    checks: readonly { name: string; ok: boolean; error?: string }[];
  }[];
};

/** The most characters of one service's reason in the summary. */
const MAX_REASON = 200;

/**
 * A short text for the heartbeat's body: "2 of 5 services down: api (restart failed: …), db
 * (held back: cooldown 3m left)" — skipped services count as down, as in the exit code — or
 * "all 5 services up (1 healed: api)".
 */
export function heartbeatSummary(report: SummaryReport): string {
  const total = report.services.length;
  const noun = total === 1 ? 'service' : 'services';
  const down = report.services.filter((s) => s.status === 'down' || s.status === 'skipped');
  if (!down.length) {
    const healed = report.services.filter((s) => s.status === 'healed').map((s) => s.name);
    const all = total === 1 ? `1 ${noun} up` : `all ${total} ${noun} up`;
    return healed.length ? `${all} (${healed.length} healed: ${healed.join(', ')})` : all;
  }
  const listed = down.map((s) => `${s.name} (${cut(oneLine(whyDown(s)), MAX_REASON)})`);
  return `${down.length} of ${total} ${noun} down: ${listed.join(', ')}`;
}

function whyDown(service: SummaryReport['services'][number]): string {
  if (service.action === 'held back') return service.reason ? `held back: ${service.reason}` : 'held back';
  if (service.action?.startsWith('restart failed')) return service.reason ? `restart failed: ${service.reason}` : 'restart failed';
  if (service.reason) return service.status === 'skipped' ? `skipped: ${service.reason}` : service.reason;
  const failing = service.checks.find((c) => !c.ok);
  if (failing) return failing.error ? `${failing.name}: ${failing.error}` : `${failing.name} failed`;
  return service.action ?? service.status;
}
