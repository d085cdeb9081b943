/**
 * The logger: pino JSON lines to the manifest's `log_file`, or to stderr. Never stdout, which
 * belongs to the report. Values that came from `${VAR}` interpolation are secrets and are
 * replaced by "[redacted]" wherever they appear in a line.
 */
import pino from 'pino';
import { prepareLogFile, type LogRotation, type RotationResult } from './log-file.js';
import { interpolatedSecrets, redactor } from './redact.js';

export type Logger = pino.Logger;

export type LoggerOptions = {
  /** Append JSON lines here (created 0600); stderr when absent. */
  file?: string;
  level?: string;
  /** Strings that must never be written (interpolated secrets). */
  secrets?: readonly string[];
  /** Rotate `file` first when it is larger than `maxBytes`, keeping `keep` old files (see log-file.ts). */
  rotate?: LogRotation;
};

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = interpolatedSecrets(options.secrets ?? []);
  let destination: pino.DestinationStream;
  let rotation: RotationResult | undefined;
  if (options.file) {
    rotation = prepareLogFile(options.file, options.rotate);
    destination = pino.destination({ dest: options.file, sync: true, mode: 0o600 });
  } else {
    destination = pino.destination({ fd: 2, sync: true });
  }
  const stream = secrets.length ? redactingStream(destination, secrets) : destination;

  const logger = pino({ level: options.level ?? 'info', base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
  if (rotation?.error) logger.warn({ file: options.file, error: rotation.error }, 'log rotation failed: appending to the old file');
  return logger;
}

/** A logger that writes nothing, for tests and for `--json` quiet paths. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

function redactingStream(inner: pino.DestinationStream, secrets: readonly string[]): pino.DestinationStream {
  const redact = redactor(secrets);
  return { write: (line: string) => inner.write(redact(line)) };
}
