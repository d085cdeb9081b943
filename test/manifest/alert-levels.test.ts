/**
 * The manifest's alert levels and healing defaults as this issue left them: thresholds that may
 * be "k of n", a level that must name a channel, escalate_after below critical, flapping as one
 * "k of n" setting, and defaults under which every rule of the ladder can act.
 */
import { describe, expect, it } from 'vitest';
import { alertConfig } from '../../src/alerts/levels.js';
import { parseManifest } from '../../src/manifest/parse.js';
import { resolveServices } from '../../src/manifest/resolve.js';
import { problemsOf } from './problems.js';

const withLevels = (levels: string) => `version: 1
alerts:
  levels:
${levels}
services:
  api:
    checks: [ { type: port, port: 1 } ]
`;

const withDefaults = (defaults: string) => `version: 1
defaults: { ${defaults} }
services:
  api:
    checks: [ { type: port, port: 1 } ]
    restart: { type: command, run: ["true"] }
`;

describe('a level threshold', () => {
  it.each([
    ['3', { threshold: 3 }],
    ['"3 of 6"', { threshold: 3, window: 6 }],
    ['3 of 6', { threshold: 3, window: 6 }],
    ['"2 of 2"', { threshold: 2 }],
  ])('threshold: %s', (threshold, expected) => {
    const { manifest } = parseManifest(withLevels(`    warning: { threshold: ${threshold}, cooldown: 2h, channels: [log] }`), {});
    const level = alertConfig(manifest).levels.warning;
    expect(level).toEqual({ ...expected, cooldownMs: 7_200_000, channels: ['log'] });
  });

  it.each(['0', '"7 of 6"', '"0 of 3"', '"3 of 2000"', 'many', '2.5', '"3 out of 6"'])('refuses threshold: %s, naming the fix', (threshold) => {
    expect(problemsOf(withLevels(`    warning: { threshold: ${threshold}, cooldown: 2h, channels: [log] }`))).toEqual([
      expect.stringMatching(/^alerts\.levels\.warning\.threshold: expected a whole number of scans \(at least 1\), or "k of n" with 1 <= k <= n <= 1000, such as "3 of 6" \(line 4\)$/),
    ]);
  });
});

describe('a level with no channels', () => {
  it('is a validate error that says what to write', () => {
    expect(problemsOf(withLevels('    critical: { threshold: 3, cooldown: 1h, channels: [] }'))).toEqual([
      'alerts.levels.critical.channels: a level needs at least one channel: name one, or [log] for the log only (line 4)',
    ]);
  });
});

describe('escalate_after', () => {
  it('raises warning and info, and is read in ms', () => {
    const { manifest } = parseManifest(withLevels('    warning: { threshold: 5, cooldown: 2h, channels: [log], escalate_after: 1h }\n    info: { threshold: 10, cooldown: 1d, channels: [log], escalate_after: 30m }'), {});
    const levels = alertConfig(manifest).levels;
    expect([levels.warning.escalateAfterMs, levels.info.escalateAfterMs, levels.critical.escalateAfterMs]).toEqual([3_600_000, 1_800_000, undefined]);
  });

  it('is refused on critical, the highest level', () => {
    expect(problemsOf(withLevels('    critical: { threshold: 3, cooldown: 1h, channels: [log], escalate_after: 1h }'))).toEqual([
      'alerts.levels.critical.escalate_after: critical is the highest level: escalate_after belongs on warning or info (line 4)',
    ]);
  });
});

describe('flap_threshold', () => {
  it.each([
    ['"3 of 12"', { count: 3, of: 12 }],
    ['3', { count: 3, of: 3 }],
    ['1000', { count: 1000, of: 1000 }],
  ])('flap_threshold: %s', (value, expected) => {
    const { manifest } = parseManifest(withDefaults(`flap_threshold: ${value}`), {});
    expect(resolveServices(manifest)[0]!.flapThreshold).toEqual(expected);
  });

  it.each(['1', '"1 of 5"', '"5 of 3"'])('refuses flap_threshold: %s (flapping needs two outages at least)', (value) => {
    expect(problemsOf(withDefaults(`flap_threshold: ${value}`))).toEqual([expect.stringMatching(/^defaults\.flap_threshold: expected a whole number of scans \(at least 2\), or "k of n"/)]);
  });
});

describe('the healing defaults', () => {
  it('let every rule act: the breaker opens (3 failed heals) before the hourly cap (6) is used up', () => {
    const { manifest } = parseManifest(withDefaults(''), {});
    const [api] = resolveServices(manifest);
    expect(api).toMatchObject({
      cooldownMs: 300_000,
      maxHealsPerHour: 6,
      flapThreshold: { count: 3, of: 12 },
      breaker: { failure_threshold: 3, success_threshold: 2, open_for: 600_000, max_open_for: 3_600_000 },
    });
    expect(api!.maxHealsPerHour).toBeGreaterThan(api!.breaker.failure_threshold);
  });
});
