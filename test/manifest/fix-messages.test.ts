/**
 * Problems that say the fix (issue 17, part 5): each as a new user writes it, through the loader's
 * parse, with the path and line every problem has.
 */
import { describe, expect, it } from 'vitest';
import { indentHint } from '../../src/manifest/indent.js';
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

describe('a duration without its unit', () => {
  it('says to add one', () => {
    expect(problemsOf(service('    cooldown: 90\n    checks: [ { type: port, port: 1 } ]\n'))).toEqual(['services.api.cooldown: a duration needs a unit: write cooldown: 90s (or ms, m, h, d) (line 4)']);
  });

  it('a string that is no duration is told the forms', () => {
    expect(problemsOf(service('    cooldown: soon\n    checks: [ { type: port, port: 1 } ]\n'))).toEqual(['services.api.cooldown: expected a duration such as "500ms", "3s", "5m" or "1h" (line 4)']);
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

describe('an unknown key says the key it is a typo of, wherever unknown keys are refused', () => {
  it.each([
    ['a check', check('{ type: http, url: "http://127.0.0.1/", body_contain: ok }'), 'services.api.checks[0].body_contain: unknown key: did you mean body_contains? (line 4)'],
    ['a port check (by its type)', check('{ type: port, prot: 1 }'), 'services.api.checks[0].prot: unknown key: did you mean port? (line 4)'],
    ['a restart', service('    checks: [ { type: port, port: 1 } ]\n    restart: { type: command, run: [/bin/true], detahc: true }\n'), 'services.api.restart.detahc: unknown key: did you mean detach? (line 5)'],
    ['a service', service('    checks: [ { type: port, port: 1 } ]\n    depend_on: []\n'), 'services.api.depend_on: unknown key: did you mean depends_on? (line 5)'],
    ['a service\'s breaker', service('    checks: [ { type: port, port: 1 } ]\n    breaker: { open_fro: 1m }\n'), 'services.api.breaker.open_fro: unknown key: did you mean open_for? (line 5)'],
    ['the top level', 'version: 1\ndefautls: {}\nservices: {}\n', 'defautls: unknown key: did you mean defaults? (line 2)'],
    ['defaults', 'version: 1\ndefaults: { coldown: 1m }\nservices: {}\n', 'defaults.coldown: unknown key: did you mean cooldown? (line 2)'],
    ['an alert level', 'version: 1\nalerts:\n  levels:\n    warning: { threshold: 3, cooldown: 1h, chanels: [log] }\nservices: {}\n', 'alerts.levels.warning.chanels: unknown key: did you mean channels? (line 4)'],
    ['the levels', 'version: 1\nalerts:\n  levels:\n    warnign: { threshold: 3, cooldown: 1h, channels: [log] }\nservices: {}\n', 'alerts.levels.warnign: unknown key: did you mean warning? (line 4)'],
    ['a channel (by its type)', 'version: 1\nalerts:\n  channels:\n    hook: { type: webhook, url: "http://127.0.0.1/", timout: 5s }\nservices: {}\n', 'alerts.channels.hook.timout: unknown key: did you mean timeout? (line 4)'],
    ['a maintenance window', 'version: 1\nmaintenance:\n  nightly: { every: "daily 02:00-03:00", timezon: UTC }\nservices: {}\n', 'maintenance.nightly.timezon: unknown key: did you mean timezone? (line 3)'],
  ])('in %s', (_label, text, line) => {
    expect(problemsOf(text)).toContain(line);
  });

  it('lists the keys allowed when none is close and they are few', () => {
    expect(problemsOf(check('{ type: http, url: "http://127.0.0.1/", json: { path: a, equals: 1, value: 2 } }'))).toEqual([
      'services.api.checks[0].json.value: unknown key (allowed here: path, equals) (line 4)',
    ]);
  });

  it('says only "unknown key" when none is close and the keys are many', () => {
    expect(problemsOf(check('{ type: http, url: "http://127.0.0.1/", wibble: 1 }'))).toEqual(['services.api.checks[0].wibble: unknown key (line 4)']);
  });

  it('never suggests a key the mapping already has', () => {
    expect(problemsOf(check('{ type: port, port: 1, prot: 2 }'))).toEqual(['services.api.checks[0].prot: unknown key (allowed here: type, host, port, max_latency, name, timeout, retries, retry_delay, on_fail) (line 4)']);
  });

  it('a key of the level below says where it belongs', () => {
    expect(problemsOf('version: 1\ntimeout: 5s\nservices: {}\n')).toEqual(['timeout: unknown key: timeout belongs under defaults: (or inside a service) (line 2)']);
    expect(problemsOf('version: 1\nservices:\n  api:\n    restart: { type: command, run: [/bin/true] }\nchecks:\n  - { type: port, port: 1 }\n')).toEqual([
      'services.api.checks: required (line 4)',
      'checks: unknown key: checks belongs inside a service: indent it under services.<name> (line 5)',
    ]);
    expect(problemsOf(service('    checks: [ { type: port, port: 1 } ]\n    url: http://127.0.0.1/\n'))).toEqual([
      "services.api.url: unknown key: url belongs inside a check: an item of the service's checks: list (line 5)",
    ]);
  });
});

describe('a service key written at the services\' level', () => {
  const misplaced = (key: string, under: string) => `a service named ${key}? \`${key}:\` belongs inside a service: indent it under ${under}`;

  it('checks: dedented once: one line, naming the service above it', () => {
    expect(problemsOf('version: 1\nservices:\n  api:\n    restart: { type: command, run: [/bin/true] }\n  checks:\n    - { type: port, port: 3000 }\n')).toEqual([
      'services.api.checks: required (line 4)',
      `services.checks: ${misplaced('checks', 'api')} (line 5)`,
    ]);
  });

  it('checks: dedented in two services: not a duplicate service name', () => {
    const text = 'version: 1\nservices:\n  api:\n    restart: { type: command, run: [/bin/true] }\n  checks:\n    - { type: port, port: 3000 }\n  web:\n    enabled: true\n  checks:\n    - { type: port, port: 3001 }\n';
    expect(problemsOf(text)).toEqual([`services.checks: ${misplaced('checks', 'api')} (line 5)`, `services.checks: ${misplaced('checks', 'web')} (line 9)`]);
  });

  it('a service with nothing under its name', () => {
    expect(problemsOf('version: 1\nservices:\n  api:\n  checks:\n    - { type: port, port: 3000 }\n')).toEqual([
      'services.api: expected a mapping, got nothing (null) (line 3)',
      `services.checks: ${misplaced('checks', 'api')} (line 4)`,
    ]);
  });

  it.each([
    ['depends_on', '  depends_on: [db]\n'],
    ['restart', '  restart: { type: command, run: [/bin/true] }\n'],
    ['enabled', '  enabled: false\n'],
  ])('%s too', (key, line) => {
    expect(problemsOf(`version: 1\nservices:\n  db:\n    checks: [ { type: port, port: 1 } ]\n${line}`)).toEqual([`services.${key}: ${misplaced(key, 'db')} (line 5)`]);
  });

  it('a real service named checks is a service', () => {
    expect(problemsOf('version: 1\nservices:\n  checks:\n    checks: [ { type: port, port: 1 } ]\n')).toEqual([]);
    expect(problemsOf('version: 1\nservices:\n  checks:\n    checks: [ { type: port, port: 0 } ]\n')).toEqual(['services.checks.checks[0].port: port must be between 1 and 65535 (line 4)']);
  });
});

describe('keys of one mapping at different indents (YAML: "All mapping items must start at the same column")', () => {
  it("a service's keys pushed one level too far: the lines to move, and by how much", () => {
    expect(problemsOf('version: 1\nservices:\n  api:\n      checks:\n        - { type: port, port: 3000 }\n    restart: { type: command, run: [/bin/true] }\n')).toEqual([
      'services.api.checks: indented 6 spaces, but restart: (line 6), a key of the same mapping, 4: move lines 4–5 2 spaces left (line 4)',
    ]);
  });

  it('one line too far', () => {
    expect(problemsOf('version: 1\nservices:\n  api:\n     enabled: true\n    checks: [ { type: port, port: 1 } ]\n')).toEqual([
      'services.api.enabled: indented 5 spaces, but checks: (line 5), a key of the same mapping, 4: move line 4 1 space left (line 4)',
    ]);
  });

  it('a key not indented far enough: indent it as the keys above it', () => {
    expect(problemsOf('version: 1\nservices:\n  api:\n    checks:\n      - { type: port, port: 3000 }\n   restart: { type: command, run: [/bin/true] }\n')).toEqual([
      'services.api.restart: indented 3 spaces, but checks: (line 4), a key of the same mapping, 4: indent it 4 (line 6)',
    ]);
  });

  it('a file indented by four: the step is read from the file', () => {
    expect(problemsOf('version: 1\nservices:\n    api:\n            checks: [ { type: port, port: 1 } ]\n        enabled: true\n')).toEqual([
      'services.api.checks: indented 12 spaces, but enabled: (line 5), a key of the same mapping, 8: move line 4 4 spaces left (line 4)',
    ]);
  });

  it('neither at the step: only that they must line up', () => {
    expect(problemsOf('version: 1\nservices:\n  api:\n         checks: [ { type: port, port: 1 } ]\n       enabled: true\n')).toEqual([
      'services.api.enabled: indented 7 spaces, but checks: (line 4), a key of the same mapping, 9: keys of one mapping start at the same column (line 5)',
    ]);
  });
});

describe('indentHint', () => {
  it('leaves lines that are not two keys of one mapping to YAML\'s own words', () => {
    expect(indentHint('a:\n    - x\n  b: 1\n', 3)).toBeUndefined(); // a list item above, not a key
    expect(indentHint('a:\n  b: 1\n  c: 2\n', 3)).toBeUndefined(); // a key at the same column above
    expect(indentHint('a: 1\n', 9)).toBeUndefined(); // no such line
  });
});
