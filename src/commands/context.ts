/** What every command that reads the manifest needs: the manifest, a logger, the state dir. */
import { resolve } from 'node:path';
import { createLogger, type Logger } from '../log/logger.js';
import { loadManifest, manifestPath, type LoadedManifest } from '../manifest/load.js';
import { stateDirFor } from '../state/location.js';
import { colourWanted } from '../terminal/colour.js';

export type CommandContext = { loaded: LoadedManifest; logger: Logger; stateDir: string };

export async function openContext(options: { config?: string; stateDir?: string }): Promise<CommandContext> {
  const { loaded, stateDir } = await locateContext(options);
  return { loaded, logger: openLogger(loaded), stateDir };
}

/** The manifest and the state directory, without opening the log (which may create its folder). */
export async function locateContext(options: { config?: string; stateDir?: string }): Promise<Omit<CommandContext, 'logger'>> {
  const env = process.env;
  const loaded = await loadManifest(manifestPath(options.config, env), env);
  return { loaded, stateDir: stateDirFor(options.stateDir, env, loaded) };
}

/** The manifest's logger: its `log_file` (created with its folder), else stderr. */
export function openLogger(loaded: LoadedManifest): Logger {
  const env = process.env;
  const logFile = loaded.manifest.log_file ? resolve(loaded.baseDir, loaded.manifest.log_file) : undefined;
  const level = logLevel(env['HEAL_LOG_LEVEL'], logFile, Boolean(process.stderr.isTTY));
  const human = process.stderr.isTTY ? { colour: colourWanted(env, true), width: () => process.stderr.columns } : undefined;
  return createLogger({ file: logFile, secrets: loaded.secrets, level, rotate: { maxBytes: loaded.manifest.log_rotate.max_bytes, keep: loaded.manifest.log_rotate.keep }, ...(human ? { human } : {}) });
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

