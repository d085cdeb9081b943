import { describe, expect, it } from 'vitest';
import { paint } from '../../src/terminal/colour.js';
import { fitLine, fitText, truncate, visibleWidth } from '../../src/terminal/fit.js';

const p = paint(true);
const ESC = /\u001b\[[0-9;]*m/g;

describe('visibleWidth', () => {
  it('counts what shows: code points, not colour sequences', () => {
    expect(visibleWidth(`${p.red('✗')} api`)).toBe(5);
  });
});

describe('truncate', () => {
  it.each([
    ['short', 10, 'short'],
    ['exactly ten', 11, 'exactly ten'],
    ['a long detail', 8, 'a long …'],
    ['abc', 1, '…'],
  ])('%s in %i columns is %s', (text, width, cut) => {
    expect(truncate(text, width)).toBe(cut);
  });

  it('never cuts a colour sequence in half, and closes one it cut inside', () => {
    const text = `${p.red('FAILED')} (connection refused)`;
    for (let width = 1; width <= visibleWidth(text); width += 1) {
      const cut = truncate(text, width);
      expect(visibleWidth(cut)).toBeLessThanOrEqual(width);
      // Whatever is left once whole sequences are taken out has no escape character.
      expect(cut.replace(ESC, '')).not.toContain('\u001b');
    }
    expect(truncate(text, 4)).toBe('\u001b[31mFAI…\u001b[0m');
    expect(truncate(text, 10)).toBe('\u001b[31mFAILED\u001b[39m (c…');
  });
});

describe('fitLine', () => {
  it('keeps a line that fits, or any line when the width is unknown', () => {
    expect(fitLine('✓ api  up', 40, 4)).toEqual(['✓ api  up']);
    expect(fitLine('x'.repeat(500), undefined, 4)).toEqual(['x'.repeat(500)]);
  });

  it('wraps at spaces, continuation lines indented under the detail, every line within the width', () => {
    const line = '✗ api   down    restart failed (command: /bin/sh -c \'exit 1\'): exit 1 · port 127.0.0.1:1 FAILED (connection refused)';
    const lines = fitLine(line, 40, 16);
    expect(lines.join(' ').replace(/ +/g, ' ')).toBe(line.replace(/ +/g, ' '));
    for (const [i, l] of lines.entries()) {
      expect(visibleWidth(l)).toBeLessThanOrEqual(40);
      if (i > 0) expect(l).toMatch(/^ {16}\S/);
    }
  });

  it('cuts a word longer than the room with an ellipsis', () => {
    const lines = fitLine(`GET http://127.0.0.1:1/${'a'.repeat(80)} FAILED`, 30, 4);
    expect(lines).toEqual(['GET http://127.0.0.1:1/aaaaaa…', '    FAILED']);
  });
});

describe('fitText', () => {
  it('fits every line and keeps the final newline', () => {
    expect(fitText('one two three\nfour\n', 8)).toBe('one two\n  three\nfour\n');
  });
});
