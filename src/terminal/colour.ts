/**
 * Colour on a terminal, decided once from the environment: `FORCE_COLOR` forces it even off a
 * terminal (`FORCE_COLOR=0` or `false` turns it off), else a non-empty `NO_COLOR` turns it off, else
 * it is on when the stream is a terminal that is not `TERM=dumb`. Pure: the caller hands in the
 * environment and whether the stream is a TTY.
 */

/** Whether to write ANSI colour to a stream. */
export function colourWanted(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  if (env['NO_COLOR']) return false;
  return isTTY && env['TERM'] !== 'dumb';
}

/** The few colours heal uses; each returns its text unchanged when colour is off. */
export type Paint = {
  enabled: boolean;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
};

const sgr = (open: number, close: number) => (text: string) => (text === '' ? text : `\u001b[${open}m${text}\u001b[${close}m`);

/** Painting with ANSI colour when `enabled`, else the identity. */
export function paint(enabled: boolean): Paint {
  const plain = (text: string) => text;
  return {
    enabled,
    red: enabled ? sgr(31, 39) : plain,
    green: enabled ? sgr(32, 39) : plain,
    yellow: enabled ? sgr(33, 39) : plain,
    cyan: enabled ? sgr(36, 39) : plain,
    dim: enabled ? sgr(2, 22) : plain,
    bold: enabled ? sgr(1, 22) : plain,
  };
}
