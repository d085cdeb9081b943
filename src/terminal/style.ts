/** How text is drawn for one output stream: colour or not, and the width to fit. */
import { colourWanted, paint, type Paint } from './colour.js';

/** Colour or not, and the width to fit (none: lines as long as they are). */
export type TerminalStyle = { paint: Paint; width?: number };

/** Plain text: no colour, no wrapping (a pipe, a file, a log). */
export const PLAIN: TerminalStyle = { paint: paint(false) };

/**
 * The style for `stream`: colour as the environment and the stream decide (colour.ts), fitted to
 * its width when it is a terminal that says one; plain and unfitted otherwise.
 */
export function terminalStyle(stream: { isTTY?: boolean; columns?: number }, env: Readonly<Record<string, string | undefined>> = process.env): TerminalStyle {
  const tty = Boolean(stream.isTTY);
  return { paint: paint(colourWanted(env, tty)), ...(tty && stream.columns ? { width: stream.columns } : {}) };
}
