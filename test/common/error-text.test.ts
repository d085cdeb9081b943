import { describe, expect, it } from 'vitest';
import { describeSocketError, firstLine, socketErrorReason } from '../../src/common/error-text.js';

/** An error as node:net, node:dns or node:tls make them: a message and an errno code. */
function socketError(code: string | undefined, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

describe('firstLine', () => {
  it.each([
    ['one line', 'one line'],
    ['first\nsecond', 'first'],
    ['\n\n   \nfound after blank lines\nnot this', 'found after blank lines'],
    ['   padded on both sides   \nrest', 'padded on both sides'],
    ['', ''],
    ['\n  \n', ''],
  ])('reads %j as %j', (text, line) => {
    expect(firstLine(text)).toBe(line);
  });

  it('keeps a line of 200 characters whole and cuts a longer one to 200 with "…"', () => {
    expect(firstLine('x'.repeat(200))).toBe('x'.repeat(200));
    expect(firstLine(`${'y'.repeat(250)}\nnext`)).toBe(`${'y'.repeat(200)}…`);
  });

  it('measures the line after trimming it, so padding does not make it cut', () => {
    expect(firstLine(`   ${'z'.repeat(199)}   `)).toBe('z'.repeat(199));
  });
});

describe('socketErrorReason', () => {
  it.each([
    ['ECONNREFUSED', 'connection refused'],
    ['ECONNRESET', 'connection reset'],
    ['EPIPE', 'connection closed'],
    ['EHOSTUNREACH', 'host unreachable'],
    ['ENETUNREACH', 'network unreachable'],
    ['EADDRNOTAVAIL', 'address not available'],
    ['ETIMEDOUT', 'connection timed out'],
    ['ENOTFOUND', 'host not found'],
    ['EAI_AGAIN', 'host lookup failed'],
  ])('says %s means %j', (code, reason) => {
    expect(socketErrorReason(code)).toBe(reason);
  });

  it.each([['EACCES'], ['constructor'], [''], [undefined]])('knows no reason for %j', (code) => {
    expect(socketErrorReason(code)).toBeUndefined();
  });
});

describe('describeSocketError', () => {
  it.each([
    [socketError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9'), 'connection refused'],
    [socketError('ENOTFOUND', 'getaddrinfo ENOTFOUND nowhere.invalid'), 'host not found'],
    [socketError('ECONNRESET', 'read ECONNRESET'), 'connection reset'],
    [socketError('ECONNRESET', 'socket hang up'), 'connection closed without a response'],
  ])('words a known socket error as its reason: %s', (error, text) => {
    expect(describeSocketError(error)).toBe(text);
  });

  it.each([
    [socketError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), "TLS: Hostname/IP does not match certificate's altnames"],
    [socketError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'TLS: self-signed certificate'],
    [socketError('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number\nat the record layer'), 'TLS: wrong version number'],
  ])('says a certificate or handshake failure is TLS: %s', (error, text) => {
    expect(describeSocketError(error)).toBe(text);
  });

  it('adds an unknown code to the first line of the message, unless the message names it already', () => {
    expect(describeSocketError(socketError('EPROTO', 'protocol error\nstack'))).toBe('protocol error (EPROTO)');
    expect(describeSocketError(socketError('EPROTO', 'write EPROTO'))).toBe('write EPROTO');
  });

  it('reads an error without a code, and a thrown non-error, by their text', () => {
    expect(describeSocketError(new Error('Invalid URL'))).toBe('Invalid URL');
    expect(describeSocketError('plain text thrown')).toBe('plain text thrown');
  });
});
