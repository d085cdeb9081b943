import { describe, expect, it } from 'vitest';
import { outcomeForStatus, parseRetryAfter, reasonFrom, type ReasonFormat } from '../../../src/alerts/channels/post-json.js';
import { T0 } from './fixtures.js';

/** The webhook channel's reading: JSON objects only, four keys, 120 characters. */
const webhook: ReasonFormat = { keys: ['message', 'error', 'error_description', 'detail'], bareString: false, maxLength: 120 };
/** The alertmanager channel's reading: a bare JSON string too, three keys, 160 characters. */
const alertmanager: ReasonFormat = { keys: ['message', 'error', 'detail'], bareString: true, maxLength: 160 };

describe('reasonFrom', () => {
  it.each([
    ['{"message":"bad token"}', 'application/json', 'bad token'],
    ['{"error":"quota","message":"  "}', undefined, 'quota'],
    ['{"error_description":"expired"}', 'application/json', 'expired'],
    ['{"detail":"line one\\nline two"}', 'application/json', 'line one line two'],
    ['{"code":500}', 'application/json', undefined],
    ['"start time missing"', 'application/json', undefined],
    ['upstream down\nsecond line', 'text/plain', 'upstream down'],
    ['{not json', 'text/plain', '{not json'],
    ['<html><body>502</body></html>', 'text/html', undefined],
    ['   ', 'text/plain', undefined],
  ])('reads a webhook body %j (%s) as %j', (body, contentType, reason) => {
    expect(reasonFrom(body, contentType, webhook)).toBe(reason);
  });

  it.each([
    ['"start time missing"', undefined, 'start time missing'],
    ['"  "', 'application/json', undefined],
    ['{"code":400,"message":"bad alert"}', 'application/json', 'bad alert'],
    ['{"error_description":"not read here"}', 'application/json', undefined],
    ['null', 'application/json', undefined],
  ])('reads an alertmanager body %j (%s) as %j', (body, contentType, reason) => {
    expect(reasonFrom(body, contentType, alertmanager)).toBe(reason);
  });

  it('cuts a long reason to the format\'s length, with "…"', () => {
    const long = 'x'.repeat(500);
    expect(reasonFrom(long, 'text/plain', webhook)).toBe(`${'x'.repeat(119)}…`);
    expect(reasonFrom(JSON.stringify(long), 'application/json', alertmanager)).toBe(`${'x'.repeat(159)}…`);
  });
});

describe('outcomeForStatus', () => {
  it.each([
    [404, { ok: false, retryable: false, gone: true, error: 'status 404: the endpoint is gone (deleted, or the URL is wrong): why' }],
    [410, { ok: false, retryable: false, gone: true, error: 'status 410: the endpoint is gone (deleted, or the URL is wrong): why' }],
    [429, { ok: false, retryable: true, retryAfterMs: 5_000, error: 'status 429: rate limited: why' }],
    [408, { ok: false, retryable: true, retryAfterMs: 5_000, error: 'status 408: why' }],
    [503, { ok: false, retryable: true, retryAfterMs: 5_000, error: 'status 503: why' }],
    [302, { ok: false, retryable: false, error: 'status 302 (redirects are not followed)' }],
    [400, { ok: false, retryable: false, error: 'status 400: why' }],
  ])('reads status %i as %o', (status, outcome) => {
    expect(outcomeForStatus(status, 5_000, 'why')).toEqual(outcome);
  });
});

describe('Retry-After', () => {
  it.each([
    { value: '120', expected: 120_000 },
    { value: '1.5', expected: 1_500 },
    { value: new Date(T0 + 90_000).toUTCString(), expected: 90_000 },
    { value: new Date(T0 - 90_000).toUTCString(), expected: 0 },
    { value: 'soon', expected: undefined },
    { value: undefined, expected: undefined },
  ])('reads $value as $expected ms', ({ value, expected }) => {
    expect(parseRetryAfter(value, T0)).toBe(expected);
  });
});
