import { describe, expect, it } from 'vitest';
import { errnoCode, isUnwritableError } from '../../src/common/fs-errors.js';

/** An error as node:fs makes them: a message and an errno code. */
function fsError(code: string, cause?: unknown): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: something failed`, cause === undefined ? {} : { cause }), { code });
}

describe('errnoCode', () => {
  it.each([
    [fsError('ENOENT'), 'ENOENT'],
    [fsError('ENOSPC'), 'ENOSPC'],
    [{ code: 'EACCES' }, 'EACCES'],
  ])('reads the code of %o as %s', (error, code) => {
    expect(errnoCode(error)).toBe(code);
  });

  it.each([[new Error('no code')], [{ code: 5 }], ['ENOENT'], [null], [undefined]])('finds no code in %o', (error) => {
    expect(errnoCode(error)).toBeUndefined();
  });
});

describe('isUnwritableError', () => {
  it.each(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'EFBIG'])('takes %s for a disk that refuses writes', (code) => {
    expect(isUnwritableError(fsError(code))).toBe(true);
  });

  it('finds the refusal in an error that wraps it', () => {
    expect(isUnwritableError(new Error('cannot save the state', { cause: fsError('EROFS') }))).toBe(true);
  });

  it.each(['ENOENT', 'EEXIST', 'EISDIR'])('does not take %s for one', (code) => {
    expect(isUnwritableError(fsError(code))).toBe(false);
  });
});
