import { describe, expect, it } from 'vitest';
import { checkName, checkTypes, describeCheck, runCheckOnce } from '../../src/checks/index.js';
import type { Check, CheckOutcome } from '../../src/checks/types.js';
import { checkSpec, type CheckSpec } from '../../src/manifest/schema.js';
import { checkContext } from './context.js';

describe('check registry', () => {
  it('has one check type per manifest type', () => {
    expect(Object.keys(checkTypes).sort()).toEqual(['command', 'file', 'http', 'port']);
    for (const [type, check] of Object.entries(checkTypes)) expect(check.type).toBe(type);
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

  it('turns a check that throws into a failed outcome', async () => {
    const throwing: Check = {
      type: 'port',
      describe: () => 'boom',
      run: (): Promise<CheckOutcome> => Promise.reject(new Error('kaboom')),
    };
    const original = checkTypes.port;
    (checkTypes as Record<string, Check<CheckSpec>>).port = throwing;
    try {
      const outcome = await runCheckOnce(checkSpec.parse({ type: 'port', port: 1 }), checkContext());
      expect(outcome).toMatchObject({ ok: false, error: 'check failed unexpectedly: kaboom' });
    } finally {
      (checkTypes as Record<string, Check<CheckSpec>>).port = original as Check<CheckSpec>;
    }
  });
});
