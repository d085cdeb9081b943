import { describe, expect, it } from 'vitest';
import { interpolatedSecrets, redactor } from '../../src/common/redact.js';

describe('redactor', () => {
  it('hides secrets, longest first, so a token inside a URL is caught either way', () => {
    expect(redactor(['https://x/hook/abcdef?k=1', 'abcdef', 'ab'])('url https://x/hook/abcdef?k=1 and token abcdef and ab')).toBe(
      'url [redacted] and token [redacted] and ab',
    );
  });

  it('hides the JSON-escaped and URI-encoded spellings too', () => {
    const redact = redactor(['p"a ss/wörd']);
    expect(redact(JSON.stringify({ pass: 'p"a ss/wörd' }))).toBe('{"pass":"[redacted]"}');
    expect(redact(`http://x/?p=${encodeURIComponent('p"a ss/wörd')}`)).toBe('http://x/?p=[redacted]');
  });

  it('hides the start of a secret that the text was cut short in', () => {
    const redact = redactor(['s3cr3t-token-value']);
    expect(redact('json status is "expired for s3cr3t-tok…')).toBe('json status is "expired for [redacted]…');
    expect(redact('exit 1: s3cr… and s3cr3t-token-value')).toBe('exit 1: [redacted]… and [redacted]');
    expect(redact('cut at s3c…')).toBe('cut at s3c…'); // three characters give nothing away
  });

  it('hides a secret holding a lone surrogate, which no URI can spell, instead of throwing', () => {
    const secret = 'pass\ud800word';
    expect(redactor([secret])(`said ${secret} and ${JSON.stringify(secret)}`)).toBe('said [redacted] and "[redacted]"');
  });

  it('leaves text alone when there are no secrets of four characters or more', () => {
    expect(redactor(['abc', undefined])('abc abc')).toBe('abc abc');
  });
});

it('treats every interpolated value but a plain number as a secret', () => {
  expect(interpolatedSecrets(['8080', 'hunter22', '127.0.0.1'])).toEqual(['hunter22', '127.0.0.1']);
});
