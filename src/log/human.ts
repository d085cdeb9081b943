/**
 * Log lines for a person at a terminal (no `log_file`, stderr a TTY): pino's JSON line becomes
 * `12:03:04 warn  api: restart failed: exit 1` — local time to the second, the level, the service
 * or channel it is about, the message and its error — coloured when wanted, wrapped to the
 * terminal's width. A log file, or stderr off a terminal, keeps pino's JSON lines.
 */
import { formatLocalTime } from '../common/local-time.js';
import { paint, type Paint } from '../terminal/colour.js';
import { fitLine } from '../terminal/fit.js';

/** Where a line's text begins, after "12:03:04 warn  ": continuation lines start there. */
const TEXT_COLUMN = 15;

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** One pino JSON line as a short human line (no newline); a line that is not pino's JSON is returned as it is. */
export function humanLogLine(line: string, colour: Paint = paint(false), zone?: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.replace(/\n$/, '');
  }
  if (typeof entry !== 'object' || entry === null || typeof entry['level'] !== 'number') return line.replace(/\n$/, '');
  const level = LEVELS[entry['level']] ?? String(entry['level']);
  const at = typeof entry['time'] === 'string' || typeof entry['time'] === 'number' ? new Date(entry['time']).getTime() : NaN;
  const time = Number.isNaN(at) ? '--:--:--' : formatLocalTime(at, at, zone);
  const about = [entry['service'], entry['channel']].find((v) => typeof v === 'string');
  const error = typeof entry['error'] === 'string' ? entry['error'] : errorMessage(entry['err']);
  const msg = typeof entry['msg'] === 'string' ? entry['msg'] : '';
  const text = [about, msg, error && !msg.includes(error) ? error : undefined].filter(Boolean).join(': ');
  const tint = entry['level'] >= 50 ? colour.red : entry['level'] >= 40 ? colour.yellow : colour.dim;
  return `${colour.dim(time)} ${tint(level.padEnd(5))} ${text}`;
}

function errorMessage(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' ? message.split('\n')[0] : undefined;
}

/** A pino destination writing human lines to `out`, each wrapped to `width()` columns when it says one. */
export function humanLogStream(out: { write(text: string): unknown }, colour: Paint, width: () => number | undefined): { write(line: string): void } {
  return {
    write(line: string) {
      const columns = width();
      const human = humanLogLine(line, colour);
      out.write(`${fitLine(human, columns, TEXT_COLUMN).join('\n')}\n`);
    },
  };
}
