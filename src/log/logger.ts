/**
 * The logger: pino JSON lines to the manifest's `log_file`, or to stderr. Never stdout, which
 * belongs to the report. Values that came from `${VAR}` interpolation are secrets and are
 * replaced by "[redacted]" wherever they appear in a line.
 *
 * On a terminal (`human`), what goes to stderr is a short human line instead of JSON (log/human.ts).
 *
 * A log file never stops a scan: one that cannot be opened (a folder, a missing or forbidden
 * folder, a read-only disk), or that can no longer be written (a full disk), gets one line on
 * stderr saying where, what and the fix, and the log goes to stderr instead.
 */
import { writeSync } from 'node:fs';
import pino from 'pino';
import { logFileProblem, openLogFile, type LogRotation, type RotationResult } from './file.js';
import { humanLogStream } from './human.js';
import { paint } from '../terminal/colour.js';
import { interpolatedSecrets, redactor } from '../common/redact.js';

export type Logger = pino.Logger;

export type LoggerOptions = {
  /** Append JSON lines here (created 0600); stderr when absent, or when it cannot be used. */
  file?: string;
  level?: string;
  /** Strings that must never be written (interpolated secrets). */
  secrets?: readonly string[];
  /** Rotate `file` first when it is larger than `maxBytes`, keeping `keep` old files (see log/file.ts). */
  rotate?: LogRotation;
  /** Where heal's own problem lines go (the warning that `file` cannot be used, then the log). @default stderr */
  stderr?: pino.DestinationStream;
  /** stderr is a terminal: lines that go there are short human lines (log/human.ts), coloured when `colour`, cut to `width()`. */
  human?: { colour: boolean; width: () => number | undefined };
};

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = interpolatedSecrets(options.secrets ?? []);
  const redact = secrets.length ? redactor(secrets) : (text: string) => text;
  const rawStderr = options.stderr ?? pino.destination({ fd: 2, sync: true });
  const stderr = options.human ? humanLogStream(rawStderr, paint(options.human.colour), options.human.width) : rawStderr;
  let destination: pino.DestinationStream = stderr;
  let rotation: RotationResult | undefined;
  if (options.file) {
    try {
      const opened = openLogFile(options.file, options.rotate);
      rotation = opened.rotation;
      destination = fileStream(opened.fd, options.file, stderr, redact);
    } catch (error) {
      stderr.write(redact(`${logFileProblem(options.file, error, 'open')}\n`));
    }
  }
  const stream = secrets.length ? { write: (line: string) => destination.write(redact(line)) } : destination;

  const logger = pino({ level: options.level ?? 'info', base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
  if (rotation?.error) logger.warn({ file: options.file, error: rotation.error }, 'log rotation failed: appending to the old file');
  return logger;
}

/** A logger that writes nothing, for tests and for `--json` quiet paths. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * Appends each line to the open log file, synchronously (a scan may end with process.exit). The
 * first write that fails (ENOSPC, EIO, …) prints one problem line on `fallback`, and that line
 * and every later one go to `fallback` instead: a full disk loses no log line and stops nothing.
 */
function fileStream(fd: number, file: string, fallback: pino.DestinationStream, redact: (text: string) => string): pino.DestinationStream {
  let failed = false;
  return {
    write(line: string) {
      if (!failed) {
        try {
          const bytes = Buffer.from(line, 'utf8');
          for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
          return;
        } catch (error) {
          failed = true;
          fallback.write(redact(`${logFileProblem(file, error, 'write')}\n`));
        }
      }
      fallback.write(line);
    },
  };
}
