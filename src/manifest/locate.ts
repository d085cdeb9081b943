/**
 * Where a problem is: a manifest path as people write it (`services.api.checks[1].url`) and its
 * line in the YAML source.
 */
import { isCollection, isPair, isScalar, type Document, type LineCounter, type Node } from 'yaml';
import type { PathSegment } from './interpolate.js';

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out === '' ? 'manifest' : out;
}

/** The 1-based line of the deepest node that exists along `path`, or undefined. */
export function lineOf(doc: Document, lines: LineCounter, path: readonly PathSegment[]): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    const offset = (node as Node | null | undefined)?.range?.[0];
    if (offset !== undefined) return lines.linePos(offset).line;
  }
  return undefined;
}

/** The 1-based line where `key` of the map at `path` is written, for problems about a key itself. */
export function lineOfKey(doc: Document, lines: LineCounter, path: readonly PathSegment[], key: string): number | undefined {
  const map = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (isCollection(map)) {
    for (const item of map.items) {
      if (isPair(item) && isScalar(item.key) && item.key.value === key && item.key.range) {
        return lines.linePos(item.key.range[0]).line;
      }
    }
  }
  return lineOf(doc, lines, path);
}

/** The path of the innermost map key or sequence item whose node covers `offset`. */
export function pathAtOffset(doc: Document, offset: number): PathSegment[] {
  const path: PathSegment[] = [];
  let node: unknown = doc.contents;
  for (;;) {
    if (!isCollection(node)) return path;
    let next: unknown;
    node.items.forEach((item, index) => {
      if (next !== undefined) return;
      if (isPair(item)) {
        const start = (item.key as Node | null)?.range?.[0] ?? Infinity;
        const end = (item.value as Node | null)?.range?.[2] ?? (item.key as Node | null)?.range?.[2] ?? -1;
        if (offset >= start && offset <= end) {
          path.push(isScalar(item.key) ? String(item.key.value) : index);
          next = item.value ?? null;
        }
      } else {
        const range = (item as Node).range;
        if (range && offset >= range[0] && offset <= range[2]) {
          path.push(index);
          next = item;
        }
      }
    });
    if (next === undefined || next === null) return path;
    node = next;
  }
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
