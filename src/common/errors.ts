/** What kind of fault a {@link HealError} is; each maps to one exit code. */
export type HealErrorCode = 'config' | 'usage' | 'locked' | 'state' | 'channel' | 'internal';

/** A fault that `heal` expected could happen and can explain in one line. */
export class HealError extends Error {
  constructor(
    readonly code: HealErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HealError';
  }
}

/** A manifest that cannot be used: one entry per problem, each naming where it is. */
export class ConfigError extends HealError {
  constructor(readonly problems: readonly string[]) {
    super('config', problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/**
 * A manifest file with no manifest in it to judge (not found, not readable, a folder, empty): one
 * line with the fix, printed alone, since there is nothing to call invalid.
 */
export class ManifestFileError extends ConfigError {
  constructor(problem: string) {
    super([problem]);
    this.name = 'ManifestFileError';
  }
}

/** Another scan holds the state directory's lock. */
export class LockHeldError extends HealError {
  constructor(readonly holderPid: number | undefined, lockPath: string) {
    super('locked', `another heal scan is running (pid ${holderPid ?? 'unknown'}, lock ${lockPath}); skipped`);
    this.name = 'LockHeldError';
  }
}

/** Process exit codes of the command-line contract (see DESIGN.md). */
export const EXIT = {
  ok: 0,
  unhealthy: 1,
  invalid: 2,
  locked: 3,
  /** The state could not be saved (a full or read-only disk): the scan still ran, but will not be remembered. */
  stateNotSaved: 4,
} as const;

/** The exit code for an error that reached the CLI's one catch. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof HealError) {
    if (error.code === 'config' || error.code === 'usage') return EXIT.invalid;
    if (error.code === 'locked') return EXIT.locked;
    if (error.code === 'state') return EXIT.stateNotSaved;
  }
  return EXIT.unhealthy;
}
