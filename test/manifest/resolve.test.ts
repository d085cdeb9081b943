/** Per-service settings: the service's own value, else the manifest's `defaults`, else the built-in one. */
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/manifest/parse.js';
import { resolveServices, type ServiceConfig } from '../../src/manifest/resolve.js';

function resolved(yaml: string): Record<string, ServiceConfig> {
  const parsed = parseManifest(yaml, {});
  if (!parsed.manifest) throw new Error(`invalid test manifest: ${JSON.stringify(parsed)}`);
  return Object.fromEntries(resolveServices(parsed.manifest).map((s) => [s.name, s]));
}

describe('a service\'s breaker', () => {
  const services = resolved(`version: 1
defaults: { breaker: { success_threshold: 4, max_open_for: 2h } }
services:
  partial: { checks: [ { type: port, port: 1 } ], breaker: { open_for: 1m } }
  own:     { checks: [ { type: port, port: 2 } ], breaker: { failure_threshold: 9, success_threshold: 1, open_for: 5m, max_open_for: 3h } }
  none:    { checks: [ { type: port, port: 3 } ] }
`);

  it('takes the keys it names, and the manifest\'s defaults.breaker for the rest (not the built-in values)', () => {
    expect(services['partial']!.breaker).toEqual({ failure_threshold: 3, success_threshold: 4, open_for: 60_000, max_open_for: 7_200_000 });
  });

  it('takes all its own keys', () => {
    expect(services['own']!.breaker).toEqual({ failure_threshold: 9, success_threshold: 1, open_for: 300_000, max_open_for: 10_800_000 });
  });

  it('without one, is defaults.breaker over the built-in values', () => {
    expect(services['none']!.breaker).toEqual({ failure_threshold: 3, success_threshold: 4, open_for: 600_000, max_open_for: 7_200_000 });
  });
});

describe('the heal settings', () => {
  it('are the service\'s own, else defaults, else built-in', () => {
    const services = resolved(`version: 1
defaults: { cooldown: 10m, max_heals_per_hour: 2 }
services:
  a: { checks: [ { type: port, port: 1 } ], cooldown: 1m }
  b: { checks: [ { type: port, port: 2 } ] }
`);
    expect([services['a']!.cooldownMs, services['a']!.maxHealsPerHour, services['a']!.timeoutMs]).toEqual([60_000, 2, 3_000]);
    expect([services['b']!.cooldownMs, services['b']!.maxHealsPerHour]).toEqual([600_000, 2]);
  });
});
