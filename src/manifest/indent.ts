/**
 * YAML's "All mapping items must start at the same column", said as what it is in a manifest: a
 * key indented unlike the keys it sits with — most often a service's keys pushed one level too far
 * — naming both keys, their lines and indents, and the column to move the wrong one to. The wrong
 * one is the key that is not one indentation step under the mapping's own key (the step as the
 * file indents elsewhere); when neither is, the line says only that they must line up. Text-only:
 * the parser's recovered document cannot be trusted around the error. Used on the error path only.
 */

/** One located hint: the 1-based line of the key to move, its name, and the message. */
export type IndentHint = {
  line: number;
  /** 1-based line and indent of the mapping's own key (`api:`), to find its path. */
  parent: { line: number; indent: number };
  key: string;
  message: string;
};

const KEY = /^\s*([^\s#:\-[\]{},][^:#]*?)\s*:(?:\s|$)/;
const indentOf = (row: string): number => /^ */.exec(row)![0].length;
const isContent = (row: string): boolean => row.trim() !== '' && !row.trim().startsWith('#');

/**
 * The hint for a BAD_INDENT error on `line` (1-based) of `text`; undefined when the lines are not
 * two keys of one block mapping at different indents (then YAML's own words are shown).
 */
export function indentHint(text: string, line: number): IndentHint | undefined {
  const rows = text.split(/\r?\n/);
  const row = rows[line - 1];
  if (row === undefined || !isContent(row)) return undefined;
  const here = indentOf(row);
  let sibling: { line: number; indent: number } | undefined;
  let parent: { line: number; indent: number } | undefined;
  for (let n = line - 1; n >= 1 && !parent; n--) {
    const above = rows[n - 1]!;
    if (!isContent(above)) continue;
    const indent = indentOf(above);
    if (indent === here) return undefined;
    if (indent > here) {
      if (!sibling || indent <= sibling.indent) sibling = { line: n, indent };
    } else {
      parent = { line: n, indent };
    }
  }
  if (!sibling || !parent) return undefined;
  const key = KEY.exec(row)?.[1];
  const siblingKey = KEY.exec(rows[sibling.line - 1]!)?.[1];
  if (key === undefined || siblingKey === undefined || !KEY.test(rows[parent.line - 1]!)) return undefined;
  const expected = parent.indent + indentStep(rows);
  if (here === expected) {
    return {
      line: sibling.line,
      parent,
      key: siblingKey,
      message: `indented ${sibling.indent} spaces, but ${key}: (line ${line}), a key of the same mapping, ${here}: move ${sibling.line === line - 1 ? `line ${sibling.line}` : `lines ${sibling.line}–${line - 1}`} ${sibling.indent - here} space${sibling.indent - here === 1 ? '' : 's'} left`,
    };
  }
  const fix = sibling.indent === expected ? `indent it ${sibling.indent}` : 'keys of one mapping start at the same column';
  return {
    line,
    parent,
    key,
    message: `indented ${here} spaces, but ${siblingKey}: (line ${sibling.line}), a key of the same mapping, ${sibling.indent}: ${fix}`,
  };
}

/** How far the file indents one level: the indent of its first indented line (2 when none is). */
function indentStep(rows: readonly string[]): number {
  for (const row of rows) if (isContent(row) && indentOf(row) > 0) return indentOf(row);
  return 2;
}
