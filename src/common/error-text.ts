/**
 * Errors as the one-liners heal shows: the first line of what a program or an error said, and
 * what a socket, DNS or TLS error means ("connection refused"). Checks, channels, the HTTP client
 * and the command runner all word such errors through here, so one failure reads the same
 * wherever it is reported.
 */

/** How many characters of a line {@link firstLine} keeps before it cuts with "…". */
const MAX_LINE_CHARS = 200;

/**
 * The first line of `text` that is not blank, trimmed, cut to 200 characters with "…" when
 * longer; '' when every line is blank. It picks the reason out of a program's output or a long
 * error message ("exit 1: <first line of stderr>").
 */
export function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line;
}

/** What the errno codes of a failed connection or host lookup mean, in heal's words. */
const SOCKET_ERRORS: ReadonlyMap<string, string> = new Map([
  ['ECONNREFUSED', 'connection refused'],
  ['ECONNRESET', 'connection reset'],
  ['EPIPE', 'connection closed'],
  ['EHOSTUNREACH', 'host unreachable'],
  ['ENETUNREACH', 'network unreachable'],
  ['EADDRNOTAVAIL', 'address not available'],
  ['ETIMEDOUT', 'connection timed out'],
  ['ENOTFOUND', 'host not found'],
  ['EAI_AGAIN', 'host lookup failed'],
]);

/** What a socket or lookup errno code means ("connection refused"); undefined for any other code. */
export function socketErrorReason(code: string | undefined): string | undefined {
  return code === undefined ? undefined : SOCKET_ERRORS.get(code);
}

/**
 * A socket, DNS or TLS error as a short one-liner: "connection refused" for a code heal knows,
 * "connection closed without a response" for a socket hung up before any answer, "TLS: …" for a
 * certificate or handshake failure, else the first line of its message with its code.
 */
export function describeSocketError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'ECONNRESET' && message === 'socket hang up') return 'connection closed without a response';
  const known = socketErrorReason(code);
  if (known) return known;
  const text = firstLine(String(message ?? error));
  if (code && (code.startsWith('ERR_TLS') || code.includes('CERT') || code.includes('SSL'))) return `TLS: ${text}`;
  return code && !text.includes(code) ? `${text} (${code})` : text;
}
