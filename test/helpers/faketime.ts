/**
 * Running a process with its clock moved (the Debian `faketime` peer): a process whose wall clock
 * is a day ahead or behind its peers', as after a clock step. The suite itself may already run
 * under faketime (CI's +400 days run): the child's clock is then set from scratch, not nested.
 */

/** `faketime -f CLOCK argv…` as a file, its arguments and the environment to start it with. */
export function withClock(clock: string, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  const clean = Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'LD_PRELOAD' && !name.startsWith('FAKETIME')));
  return { file: 'faketime', args: ['-f', clock, ...argv], env: clean };
}
