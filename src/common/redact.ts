/**
 * Keeps secrets out of everything heal writes: logs, state, reports, errors and alert messages.
 * Two sources: values that came from `${VAR}` interpolation, and the secret fields of channel
 * specs (webhook tokens, passwords). A secret is replaced raw, JSON-escaped and URI-encoded.
 */

export type Redact = (text: string) => string;

export const REDACTED = '[redacted]';

/** Shorter strings are not hidden: they would blank out ordinary words. */
const MIN_SECRET_LENGTH = 4;

/**
 * The interpolated values worth hiding: every one of four characters or more, except plain
 * numbers (ports, counts), which would otherwise blank out latencies and line numbers.
 */
export function interpolatedSecrets(values: readonly string[]): string[] {
  return values.filter((v) => !/^\d+$/.test(v));
}

/**
 * A function that replaces every secret with "[redacted]", longest first — and the start of a
 * secret that text was cut short in ("…"): errors are cut (to 60 or 200 characters) before they
 * reach the redaction, and the cut can fall inside a secret.
 */
export function redactor(secrets: readonly (string | undefined)[]): Redact {
  const kept = secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH);
  if (!kept.length) return (text) => text;
  const spellings = kept.flatMap((s) => [s, JSON.stringify(s).slice(1, -1), ...uriEncoded(s)]);
  const needles = [...new Set(spellings)].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const needle of needles) if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    return out.includes(ELLIPSIS) ? redactCutSecrets(out, needles) : out;
  };
}

/** A string's URI-encoded spelling; none for a lone surrogate, which no URI can hold (encodeURIComponent throws). */
function uriEncoded(secret: string): string[] {
  try {
    return [encodeURIComponent(secret)];
  } catch {
    return [];
  }
}

const ELLIPSIS = '…';

/** Replaces the first characters of a secret (at least MIN_SECRET_LENGTH of them) that end right at a "…". */
function redactCutSecrets(text: string, needles: readonly string[]): string {
  let out = text;
  for (let at = out.indexOf(ELLIPSIS); at !== -1; at = out.indexOf(ELLIPSIS, at + 1)) {
    let longest = 0;
    for (const needle of needles) {
      for (let k = Math.min(needle.length - 1, at); k > longest && k >= MIN_SECRET_LENGTH; k--) {
        if (out.startsWith(needle.slice(0, k), at - k)) {
          longest = k;
          break;
        }
      }
    }
    if (longest) {
      out = `${out.slice(0, at - longest)}${REDACTED}${out.slice(at)}`;
      at += REDACTED.length - longest;
    }
  }
  return out;
}
