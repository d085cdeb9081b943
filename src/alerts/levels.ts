/** The alert levels and channels in force: the manifest's, over the documented defaults. */
import type { AlertLevel } from './schema.js';
import type { ChannelSpec } from './channels/schema.js';
import type { Manifest } from '../manifest/schema.js';

export type LevelConfig = {
  /** Failing scans before the first notice: `threshold` of the last `window` (default: in a row). */
  threshold: number;
  /** The scans the threshold looks back over; absent or equal to `threshold`: in a row. */
  window?: number;
  /** No repeat before it ends; outages within it after a recovery fold into the same incident. */
  cooldownMs: number;
  channels: string[];
  /** A service still down this long at this level is raised to the next level up. */
  escalateAfterMs?: number;
};
export type AlertConfig = {
  levels: Record<AlertLevel, LevelConfig>;
  channels: Record<string, ChannelSpec>;
  /** Undelivered messages older than this are dropped. */
  maxAgeMs: number;
};

export const LEVELS: readonly AlertLevel[] = ['critical', 'warning', 'info'];

/** Defaults: critical 3 scans / 1h / [log], warning 5 / 2h / [log], info 10 / 24h / [log]. */
export const DEFAULT_LEVELS: Record<AlertLevel, LevelConfig> = {
  critical: { threshold: 3, cooldownMs: 3_600_000, channels: ['log'] },
  warning: { threshold: 5, cooldownMs: 7_200_000, channels: ['log'] },
  info: { threshold: 10, cooldownMs: 86_400_000, channels: ['log'] },
};

/** The channel every manifest has, unless it defines its own "log". */
export const BUILTIN_CHANNELS: Record<string, ChannelSpec> = { log: { type: 'log' } };

export function alertConfig(manifest: Manifest): AlertConfig {
  const levels = Object.fromEntries(
    LEVELS.map((level) => {
      const given = manifest.alerts.levels[level];
      if (!given) return [level, DEFAULT_LEVELS[level]];
      const config: LevelConfig = { threshold: given.threshold.count, cooldownMs: given.cooldown, channels: given.channels };
      if (given.threshold.of !== given.threshold.count) config.window = given.threshold.of;
      if (given.escalate_after !== undefined) config.escalateAfterMs = given.escalate_after;
      return [level, config];
    }),
  ) as Record<AlertLevel, LevelConfig>;
  return { levels, channels: { ...manifest.alerts.channels, ...withoutOverridden(BUILTIN_CHANNELS, manifest.alerts.channels) }, maxAgeMs: manifest.alerts.max_age };
}

function withoutOverridden(builtin: Record<string, ChannelSpec>, given: Record<string, ChannelSpec>): Record<string, ChannelSpec> {
  return Object.fromEntries(Object.entries(builtin).filter(([name]) => !(name in given)));
}

/** The scans a level's threshold looks back over. */
export function levelWindow(level: LevelConfig): number {
  return Math.max(level.threshold, level.window ?? level.threshold);
}

/** The next level up (info → warning → critical), or undefined above critical. */
export function levelAbove(level: AlertLevel): AlertLevel | undefined {
  return LEVELS[LEVELS.indexOf(level) - 1];
}

/** Rank for picking a message's level: the highest of its notices. */
export function levelRank(level: AlertLevel): number {
  return LEVELS.length - LEVELS.indexOf(level);
}
