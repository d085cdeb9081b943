import { describe, expect, it } from 'vitest';
import { colourWanted, paint } from '../../src/terminal/colour.js';

describe('colour: the environment and the stream decide', () => {
  it.each([
    // env, stream is a TTY, colour
    [{}, true, true],
    [{}, false, false],
    [{ TERM: 'dumb' }, true, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ NO_COLOR: 'yes' }, true, false],
    [{ NO_COLOR: '' }, true, true],
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '3' }, false, true],
    [{ FORCE_COLOR: 'true' }, false, true],
    [{ FORCE_COLOR: '0' }, true, false],
    [{ FORCE_COLOR: 'false' }, true, false],
    [{ FORCE_COLOR: '' }, false, false],
    [{ FORCE_COLOR: '' }, true, true],
    [{ FORCE_COLOR: '1', NO_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '0', NO_COLOR: '' }, true, false],
    [{ FORCE_COLOR: '1', TERM: 'dumb' }, true, true],
  ])('%j on a TTY: %s → colour %s', (env, tty, colour) => {
    expect(colourWanted(env, tty)).toBe(colour);
  });

  it('paints with ANSI sequences only when enabled', () => {
    expect(paint(true).red('down')).toBe('\u001b[31mdown\u001b[39m');
    expect(paint(false).red('down')).toBe('down');
    expect(paint(true).green('')).toBe('');
  });
});
