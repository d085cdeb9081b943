/** What every command that reads the manifest needs: the manifest, a logger, the state dir. */
import { resolve } from 'node:path';
import { createLogger, type Logger } from '../log/logger.js';
import { loadManifest, manifestPath, type LoadedManifest } from '../manifest/load.js';
import { stateDirFor } from '../state/location.js';

export type CommandContext = { loaded: LoadedManifest; logger: Logger; stateDir: string };

export async function openContext(options: { config?: string; stateDir?: string }): Promise<CommandContext> {
  const env = process.env;
  const loaded = await loadManifest(manifestPath(options.config, env), env);
  const logFile = loaded.manifest.log_file ? resolve(loaded.baseDir, loaded.manifest.log_file) : undefined;
  const level = logLevel(env['HEAL_LOG_LEVEL'], logFile, Boolean(process.stderr.isTTY));
  const logger = createLogger({ file: logFile, secrets: loaded.secrets, level, rotate: { maxBytes: loaded.manifest.log_rotate.max_bytes, keep: loaded.manifest.log_rotate.keep } });
  return { loaded, logger, stateDir: stateDirFor(options.stateDir, env, loaded) };
}

/**
 * The log level: $HEAL_LOG_LEVEL, else "info" — except when the JSON lines would land on a terminal
 * (no log_file, stderr a TTY): a person running heal by hand reads the report, and only warnings
 * and errors are worth interleaving with it.
 */
export function logLevel(given: string | undefined, logFile: string | undefined, stderrIsTTY: boolean): string {
  if (given) return given;
  return !logFile && stderrIsTTY ? 'warn' : 'info';
}

/** Writes text to stdout and resolves once it is flushed, so an exit right after loses nothing. */
export function print(text: string): Promise<void> {
  return new Promise((done) => {
    if (text === '') return done();
    process.stdout.write(text, () => done());
  });
}
