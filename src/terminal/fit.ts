/**
 * Lines that fit a terminal's width: a long line is wrapped at spaces onto continuation lines
 * indented under its detail, and a single word too long for a line is cut with an ellipsis. Widths
 * count what is visible: ANSI colour sequences take no room and are never cut in half.
 */

const ESCAPE = /\u001b\[[0-9;]*m/g;

/** How many columns `text` takes (code points, colour sequences left out). */
export function visibleWidth(text: string): number {
  return [...text.replace(ESCAPE, '')].length;
}

/**
 * `text` cut to `width` columns, its last visible character replaced by "…" when it was longer.
 * Colour sequences are kept whole, and one that was open is closed (`\u001b[0m`) after the cut.
 */
export function truncate(text: string, width: number): string {
  if (visibleWidth(text) <= width) return text;
  if (width <= 0) return '';
  let out = '';
  let shown = 0;
  let coloured = false;
  for (const part of text.split(/(\u001b\[[0-9;]*m)/)) {
    if (part.startsWith('\u001b[')) {
      out += part;
      coloured = !/^\u001b\[(0|39|22)?m$/.test(part);
      continue;
    }
    for (const char of part) {
      if (shown === width - 1) return `${out}…${coloured ? '\u001b[0m' : ''}`;
      out += char;
      shown += 1;
    }
  }
  return out;
}

/**
 * One line fitted to `width` columns: itself when it fits (or `width` is unknown), else wrapped at
 * spaces, each continuation line starting with `indent` spaces; a word longer than a line's room
 * is cut with "…". Returns the lines.
 */
export function fitLine(line: string, width: number | undefined, indent = 0): string[] {
  if (!width || width <= 0 || visibleWidth(line) <= width) return [line];
  const hang = indent < width / 2 ? indent : 0;
  const lines: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    const room = width - (lines.length ? hang : 0);
    const candidate = current === '' ? word : `${current} ${word}`;
    if (visibleWidth(candidate) <= room || current.trim() === '') {
      current = candidate;
      continue;
    }
    // A word too long for any line is cut where it stands, when a fair part of it still fits here.
    const left = room - visibleWidth(current) - 1;
    if (visibleWidth(word) > width - hang && left >= 12) {
      lines.push(`${current} ${truncate(word, left)}`);
      current = '';
      continue;
    }
    lines.push(current);
    current = word;
  }
  if (current !== '' || !lines.length) lines.push(current);
  return lines.map((text, i) => (i === 0 ? truncate(text, width) : `${' '.repeat(hang)}${truncate(text, width - hang)}`));
}

/** Every line of `text` fitted to `width` (see fitLine), the indent of each found by `indentOf`. */
export function fitText(text: string, width: number | undefined, indentOf: (line: string) => number = () => 2): string {
  if (!width || width <= 0) return text;
  const trailing = text.endsWith('\n');
  const lines = (trailing ? text.slice(0, -1) : text).split('\n');
  return lines.flatMap((line) => fitLine(line, width, indentOf(line))).join('\n') + (trailing ? '\n' : '');
}
