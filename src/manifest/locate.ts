/**
 * Where a problem is: the line in the YAML source of a manifest path (`services.api.checks[1]`).
 * The path as printed is problem-line.ts, which does not need the YAML parser.
 */
import { isCollection, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { PathSegment } from './interpolate.js';

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
 * A finder of many paths' lines in one document: each mapping's keys are indexed the first time a
 * path goes through it, so locating one path per service of a 5,000-service manifest stays linear
 * (`doc.getIn` searches a mapping's keys one by one). Like {@link lineOf}: the line of the deepest
 * node that exists along the path.
 */
export function lineFinder(doc: Document, lines: LineCounter): (path: readonly PathSegment[]) => number | undefined {
  const indexes = new Map<unknown, Map<unknown, unknown>>();
  const child = (node: unknown, segment: PathSegment): unknown => {
    if (isSeq(node)) return typeof segment === 'number' ? node.items[segment] : undefined;
    if (!isMap(node)) return undefined;
    let index = indexes.get(node);
    if (!index) {
      index = new Map();
      for (const pair of node.items) {
        // By the key as the parsed object has it (a service named 123 is the key "123").
        const key = isScalar(pair.key) ? String(pair.key.value) : pair.key;
        if (!index.has(key)) index.set(key, pair.value);
      }
      indexes.set(node, index);
    }
    return index.get(String(segment));
  };
  return (path) => {
    let node: unknown = doc.contents;
    let line: number | undefined;
    for (let depth = 0; ; depth++) {
      const offset = (node as Node | null | undefined)?.range?.[0];
      if (offset !== undefined) line = lines.linePos(offset).line;
      const segment = path[depth];
      if (segment === undefined) return line;
      node = child(node, segment);
      if (node === undefined || node === null) return line;
    }
  };
}
