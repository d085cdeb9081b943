import { describe, expect, it } from 'vitest';
import { decideHeal } from '../../src/heal/policy.js';
import { parseManifest } from '../../src/manifest/load.js';
import { resolveServices } from '../../src/manifest/resolve.js';
import type { ServiceState } from '../../src/state/schema.js';

const MIN = 60_000;
const NOW = Date.parse('2026-11-22T12:00:00Z');

function serviceWith(restart: boolean) {
  const { manifest } = parseManifest(
    `version: 1\ndefaults: { cooldown: 5m }\nservices:\n  api:\n    checks: [ { type: port, port: 1 } ]\n${restart ? '    restart: { type: command, run: ["true"] }\n' : ''}`,
    {},
  );
  return resolveServices(manifest)[0]!;
}

function stateWithLastHeal(agoMs: number | undefined): ServiceState {
  return {
    status: 'down',
    since: NOW - 10 * MIN,
    lastScanAt: NOW - 5 * MIN,
    failingScans: 1,
    healthyScans: 0,
    checks: [],
    heals: agoMs === undefined ? [] : [{ at: NOW - agoMs, result: 'failed' }],
  };
}

describe('decideHeal', () => {
  it('leaves a healthy service alone', () => {
    expect(decideHeal(serviceWith(true), stateWithLastHeal(undefined), true, NOW)).toEqual({ action: 'none', rule: 'healthy' });
  });

  it('reports a down service with no restart configured', () => {
    expect(decideHeal(serviceWith(false), undefined, false, NOW)).toMatchObject({ action: 'none', rule: 'no-restart' });
  });

  it.each([
    ['never restarted', undefined, 'restart'],
    ['restarted 1 minute ago', 1 * MIN, 'hold'],
    ['restarted 4m59s ago', 5 * MIN - 1_000, 'hold'],
    ['restarted exactly 5 minutes ago', 5 * MIN, 'restart'],
    ['restarted an hour ago', 60 * MIN, 'restart'],
  ])('with a 5m cooldown, a down service %s: %s', (_when, agoMs, action) => {
    expect(decideHeal(serviceWith(true), stateWithLastHeal(agoMs), false, NOW).action).toBe(action);
  });

  it('says how long the cooldown has left', () => {
    const decision = decideHeal(serviceWith(true), stateWithLastHeal(2 * MIN), false, NOW);
    expect(decision).toMatchObject({ action: 'hold', rule: 'cooldown', untilMs: NOW + 3 * MIN });
    expect(decision.action === 'hold' && decision.reason).toBe('cooldown: last restart 2m ago, next allowed in 3m');
  });
});
