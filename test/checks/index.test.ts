import { describe, expect, it } from 'vitest';
import { checkName, checkTypes, describeCheck, runCheckOnce } from '../../src/checks/index.js';
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
