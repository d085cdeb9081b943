/** The alert levels and channels in force: the manifest's, over the documented defaults. */
import type { AlertLevel, ChannelSpec, Manifest } from '../manifest/schema.js';

export type LevelConfig = { threshold: number; cooldownMs: number; channels: string[] };
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
      return [level, given ? { threshold: given.threshold, cooldownMs: given.cooldown, channels: given.channels } : DEFAULT_LEVELS[level]];
    }),
  ) as Record<AlertLevel, LevelConfig>;
  return { levels, channels: { ...manifest.alerts.channels, ...withoutOverridden(BUILTIN_CHANNELS, manifest.alerts.channels) }, maxAgeMs: manifest.alerts.max_age };
}

function withoutOverridden(builtin: Record<string, ChannelSpec>, given: Record<string, ChannelSpec>): Record<string, ChannelSpec> {
  return Object.fromEntries(Object.entries(builtin).filter(([name]) => !(name in given)));
}

/** Rank for picking a message's level: the highest of its notices. */
export function levelRank(level: AlertLevel): number {
  return LEVELS.length - LEVELS.indexOf(level);
}
