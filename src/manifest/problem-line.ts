/**
 * A manifest problem as printed: its path as people write it (`services.api.checks[1].url`), the
 * message and the source line, on one line. Free of the YAML parser, so a scan served from the
 * manifest cache can print a located problem without loading it.
 */
import type { PathSegment } from './interpolate.js';

/** `['services', 'api', 'checks', 1, 'url']` → `services.api.checks[1].url`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out === '' ? 'manifest' : out;
}

/**
 * A problem as printed: `services.api.checks[1].url: Invalid URL (line 14)`. Always one line: a
 * line break or other control character in a key or an echoed value is shown escaped (`\n`).
 */
export function problemLine(path: readonly PathSegment[], message: string, line: number | undefined): string {
  return oneLine(`${formatPath(path)}: ${message}${line !== undefined ? ` (line ${line})` : ''}`);
}

const BREAKS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function oneLine(text: string): string {
  return text.replace(BREAKS, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
