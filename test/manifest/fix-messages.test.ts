/**
 * Problems that say the fix (issue 17, part 5): each as a new user writes it, through the loader's
 * parse, with the path and line every problem has.
 */
import { describe, expect, it } from 'vitest';
import { withScheme } from '../../src/manifest/issue-text.js';
import { problemsOf } from './problems.js';

const service = (body: string) => `version: 1\nservices:\n  api:\n${body}`;
const check = (flow: string) => service(`    checks: [ ${flow} ]\n`);

describe('a URL without its scheme', () => {
  it.each([
    ['127.0.0.1:3000/health', 'http://127.0.0.1:3000/health'],
    ['localhost:3000', 'http://localhost:3000'],
    ['localhost/health', 'http://localhost/health'],
    ['[::1]:8080/ready', 'http://[::1]:8080/ready'],
    ['api.internal:8443/health', 'http://api.internal:8443/health'],
  ])('%s: add http:// (a local service)', (url, fixed) => {
    expect(problemsOf(check(`{ type: http, url: "${url}" }`))).toEqual([`services.api.checks[0].url: not a URL: add http:// (${fixed}) (line 4)`]);
  });

  it('a host name on the internet gets https://', () => {
    expect(problemsOf('version: 1\nheartbeat: { url: hc-ping.com/abc }\nservices: {}\n')).toEqual(['heartbeat.url: not a URL: add https:// (https://hc-ping.com/abc) (line 2)']);
  });

  it.each([['nope'], ['ftp://127.0.0.1/x'], ['/health'], ['http//127.0.0.1']])('%s is no URL heal can mend: Invalid URL', (url) => {
    expect(problemsOf(check(`{ type: http, url: "${url}" }`))).toEqual(['services.api.checks[0].url: Invalid URL (line 4)']);
  });

  it('suggests only a value that is a URL', () => {
    expect(withScheme('a b:3000')).toBeUndefined();
    expect(withScheme('')).toBeUndefined();
  });
});

describe('a number in quotes', () => {
  it.each([
    ['an http status', check('{ type: http, url: "http://127.0.0.1/", status: "200" }'), 'services.api.checks[0].status: a number, not a string: write status: 200 (line 4)'],
    ['a port', check('{ type: port, port: "3000" }'), 'services.api.checks[0].port: a number, not a string: write port: 3000 (line 4)'],
    ['retries', check('{ type: port, port: 1, retries: "2" }'), 'services.api.checks[0].retries: a number, not a string: write retries: 2 (line 4)'],
    ['max_heals_per_hour', service('    max_heals_per_hour: "3"\n    checks: [ { type: port, port: 1 } ]\n'), 'services.api.max_heals_per_hour: a number, not a string: write max_heals_per_hour: 3 (line 4)'],
    ['a breaker threshold', 'version: 1\ndefaults:\n  breaker: { failure_threshold: "5" }\nservices: {}\n', 'defaults.breaker.failure_threshold: a number, not a string: write failure_threshold: 5 (line 3)'],
    ['an alert threshold (a count of scans)', 'version: 1\nalerts:\n  levels:\n    critical: { threshold: "3", cooldown: 1h, channels: [log] }\nservices: {}\n', 'alerts.levels.critical.threshold: a number, not a string: write threshold: 3 (line 4)'],
    ['a status in a list', check('{ type: http, url: "http://127.0.0.1/", status: [200, "204"] }'), 'services.api.checks[0].status[1]: a number, not a string: write 204 without quotes (line 4)'],
  ])('%s', (_label, text, line) => {
    expect(problemsOf(text)).toEqual([line]);
  });

  it('from a ${VAR}: says a variable is always text, not to unquote it', () => {
    expect(problemsOf(check('{ type: port, port: "${PORT}" }'), { PORT: '3000' })).toEqual([
      'services.api.checks[0].port: a number, not a string: a ${VAR} is always replaced by text; write the number itself (line 4)',
    ]);
  });

  it('a string that is no number is told what is expected, as before', () => {
    expect(problemsOf(check('{ type: port, port: "http" }'))).toEqual(['services.api.checks[0].port: expected a port number (line 4)']);
    expect(problemsOf('version: 1\nalerts:\n  levels:\n    critical: { threshold: "3 of", cooldown: 1h, channels: [log] }\nservices: {}\n')).toEqual([
      'alerts.levels.critical.threshold: expected a whole number of scans (at least 1), or "k of n" with 1 <= k <= n <= 1000, such as "3 of 6" (line 4)',
    ]);
  });
});

describe('durations as heal prints them', () => {
  it.each([['1m30s'], ['1h30m'], ['2d12h'], ['1.5s']])('%s is accepted', (text) => {
    expect(problemsOf(service(`    cooldown: ${text}\n    checks: [ { type: port, port: 1 } ]\n`))).toEqual([]);
  });
});

describe('a value that fits no form of a union', () => {
  it('names the forms it may take', () => {
    expect(problemsOf(check('{ type: http, url: "http://127.0.0.1/", status: ok }'))).toEqual(['services.api.checks[0].status: expected a number or a list, got "ok" (line 4)']);
  });

  it('a list with a bad item names the item', () => {
    expect(problemsOf(check('{ type: http, url: "http://127.0.0.1/", status: [200, 999] }'))).toEqual(['services.api.checks[0].status[1]: Too big: expected number to be <=599 (line 4)']);
  });
});
