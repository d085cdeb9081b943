/**
 * The logger: pino JSON lines to the manifest's `log_file`, or to stderr. Never stdout, which
 * belongs to the report. Values that came from `${VAR}` interpolation are secrets and are
 * replaced by "[redacted]" wherever they appear in a line.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import { interpolatedSecrets, redactor } from './redact.js';

export type Logger = pino.Logger;

export type LoggerOptions = {
  /** Append JSON lines here (created 0600); stderr when absent. */
  file?: string;
  level?: string;
  /** Strings that must never be written (interpolated secrets). */
  secrets?: readonly string[];
};

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = interpolatedSecrets(options.secrets ?? []);
  let destination: pino.DestinationStream;
  if (options.file) {
    mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
    destination = pino.destination({ dest: options.file, sync: true, mode: 0o600 });
  } else {
    destination = pino.destination({ fd: 2, sync: true });
  }
  const stream = secrets.length ? redactingStream(destination, secrets) : destination;

  return pino({ level: options.level ?? 'info', base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
}

/** A logger that writes nothing, for tests and for `--json` quiet paths. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

function redactingStream(inner: pino.DestinationStream, secrets: readonly string[]): pino.DestinationStream {
  const redact = redactor(secrets);
  return { write: (line: string) => inner.write(redact(line)) };
}
