import { describe, expect, it } from 'vitest';
import { cheapestCheckIndex, checkName, checkTypes, describeCheck, runCheckOnce } from '../../src/checks/index.js';
import { checkSpec, type CheckSpec } from '../../src/checks/schema.js';
import { checkContext } from './context.js';

describe('check registry', () => {
  it('has one check type per manifest type', () => {
    expect(Object.keys(checkTypes)).toEqual(expect.arrayContaining(['command', 'file', 'http', 'port']));
    for (const [type, check] of Object.entries(checkTypes)) expect(check?.type).toBe(type);
  });

  it.each([
    [{ type: 'port', port: 3002 }, 'port 127.0.0.1:3002'],
    [{ type: 'http', url: 'http://127.0.0.1:3002/health' }, 'GET http://127.0.0.1:3002/health'],
    [{ type: 'file', path: 'beat', max_age: '1m' }, 'file beat'],
    [{ type: 'command', run: ['pg_isready'] }, 'command pg_isready'],
    [{ type: 'port', port: 3002, name: 'proxy port' }, 'proxy port'],
  ])('names %j %s', (fields, name) => {
    expect(checkName(checkSpec.parse(fields))).toBe(name);
  });

  it('describes a check by itself even when it has a name', () => {
    expect(describeCheck(checkSpec.parse({ type: 'port', port: 1, name: 'x' }))).toBe('port 127.0.0.1:1');
  });

  it('runs one attempt of the check its type names', async () => {
    const outcome = await runCheckOnce(checkSpec.parse({ type: 'file', path: 'heal-no-such-heartbeat', max_age: '1m' }), checkContext());
    expect(outcome).toMatchObject({ ok: false, error: 'no such file heal-no-such-heartbeat' });
  });

  it('turns a type it does not know into a failed outcome', async () => {
    const outcome = await runCheckOnce({ type: 'ping' } as unknown as CheckSpec, checkContext());
    expect(outcome).toMatchObject({ ok: false, error: 'unknown check type "ping"' });
  });
});

describe('the cheapest check (an open breaker\'s probe)', () => {
  /** One valid spec of each check type. */
  const SPECS: Record<CheckSpec['type'], CheckSpec> = {
    port: checkSpec.parse({ type: 'port', port: 1 }),
    file: checkSpec.parse({ type: 'file', path: 'beat', max_age: '1m' }),
    systemd: checkSpec.parse({ type: 'systemd', unit: 'a.service' }),
    launchd: checkSpec.parse({ type: 'launchd', label: 'com.example.a' }),
    http: checkSpec.parse({ type: 'http', url: 'http://127.0.0.1:1/' }),
    command: checkSpec.parse({ type: 'command', run: ['true'] }),
    certificate: checkSpec.parse({ type: 'certificate', host: 'example.com' }),
    process: checkSpec.parse({ type: 'process', max_rss: '1GB' }),
  };
  const specs = (types: CheckSpec['type'][]): CheckSpec[] => types.map((type) => SPECS[type]);

  /** The costs as checks/cost.ts had them in one table, before each check type held its own (and those added since: certificate, a TLS handshake, as dear as http; process). */
  const TABLE_BEFORE: Record<CheckSpec['type'], number> = { port: 0, file: 1, systemd: 2, launchd: 2, http: 3, command: 4, certificate: 3, process: 5 };
  /** checks/cost.ts's rule: the cheapest by that table, the first of equals. */
  const cheapestBefore = (types: CheckSpec['type'][]): number =>
    types.reduce((best, type, index) => (TABLE_BEFORE[type] < TABLE_BEFORE[types[best]!] ? index : best), 0);

  it.each(Object.entries(TABLE_BEFORE))('costs a %s check %i, as the table before', (type, cost) => {
    expect(checkTypes[type as CheckSpec['type']].cost).toBe(cost);
  });

  it.each<[CheckSpec['type'][], number]>([
    [['command'], 0],
    [['port', 'http'], 0],
    [['http', 'port'], 1],
    [['http', 'file', 'port'], 2],
    [['command', 'http', 'file'], 2],
    [['http', 'launchd', 'systemd'], 1],
    [['systemd', 'launchd'], 0],
    [['launchd', 'systemd'], 0],
    [['command', 'command', 'port', 'port'], 2],
    [['file', 'http', 'command', 'file'], 0],
  ])('picks in %j the check at %i (the first of equals)', (types, index) => {
    expect(cheapestCheckIndex(specs(types))).toBe(index);
    expect(cheapestBefore(types)).toBe(index);
  });

  const TYPES = Object.keys(TABLE_BEFORE) as CheckSpec['type'][];
  it('picks the check the table before picked in every list of three check types', () => {
    const triples = TYPES.flatMap((a) => TYPES.flatMap((b) => TYPES.map((c) => [a, b, c])));
    expect(triples.map((types) => cheapestCheckIndex(specs(types)))).toEqual(triples.map(cheapestBefore));
  });

  it('never picks a type it does not know over the first check', () => {
    const unknown = { type: 'ping' } as unknown as CheckSpec;
    expect(cheapestCheckIndex([SPECS.http, unknown])).toBe(0);
    expect(cheapestCheckIndex([unknown, SPECS.port])).toBe(0);
  });
});
