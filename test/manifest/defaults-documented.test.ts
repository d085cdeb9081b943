/**
 * The README is the manifest's manual: every built-in default must be written there with the
 * value the code has, and every key of each check, restart and channel type must be in its
 * type's row. The defaults are read from the code itself — every `.default()` in the schema,
 * the heal settings' `BUILTIN_DEFAULTS` and the alert levels' `DEFAULT_LEVELS` — so a default
 * added or changed, or a key or type added, without the README fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { channelSpec } from '../../src/alerts/channels/schema.js';
import { DEFAULT_LEVELS } from '../../src/alerts/levels.js';
import { checkSpec } from '../../src/checks/schema.js';
import { parseDuration } from '../../src/common/duration.js';
import { BUILTIN_DEFAULTS } from '../../src/manifest/defaults.js';
import { manifestSchema } from '../../src/manifest/schema.js';
import { restartSpec } from '../../src/restart/schema.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The little of zod's schema definitions this test walks. */
type Schema = { _zod: { def: Def } };
type Def = {
  type: string;
  innerType?: Schema;
  defaultValue?: unknown;
  in?: Schema;
  shape?: Record<string, Schema>;
  options?: Schema[];
  valueType?: Schema;
  element?: Schema;
  values?: unknown[];
};
const defOf = (schema: unknown): Def => (schema as Schema)._zod.def;

/** The `type` of one option of a discriminated union ("port", "command", …). */
const typeOf = (option: Schema): string => String(defOf(defOf(option).shape?.['type']).values?.[0]);

/** An empty list or map, the default of a collection: nothing to write down. */
const isEmpty = (value: unknown): boolean => typeof value === 'object' && value !== null && Object.keys(value).length === 0;

/** Every `.default()` and `.prefault()` in `schema`, by path ("services.*.restart[command].timeout"). */
function schemaDefaults(schema: unknown, path: string, out: Map<string, unknown>): Map<string, unknown> {
  const def = defOf(schema);
  const at = (key: string) => (path ? `${path}.${key}` : key);
  switch (def.type) {
    case 'default':
    case 'prefault':
      if (!isEmpty(def.defaultValue)) out.set(path, def.defaultValue);
      return schemaDefaults(def.innerType, path, out);
    case 'optional':
      return schemaDefaults(def.innerType, path, out);
    case 'pipe':
      return schemaDefaults(def.in, path, out);
    case 'object':
      for (const [key, field] of Object.entries(def.shape ?? {})) schemaDefaults(field, at(key), out);
      return out;
    case 'union':
      // Only the unions of plug-in specs hold objects; a value's union ("3" or "3 of 12") has no defaults.
      for (const option of def.options ?? []) if (defOf(option).type === 'object') schemaDefaults(option, `${path}[${typeOf(option)}]`, out);
      return out;
    case 'record':
      return schemaDefaults(def.valueType, at('*'), out);
    case 'array':
      return schemaDefaults(def.element, `${path}[]`, out);
    default:
      return out;
  }
}

/** Every built-in default of the manifest, by path, with its value as the code has it. */
function builtInDefaults(): Map<string, unknown> {
  const all = schemaDefaults(manifestSchema, '', new Map());
  for (const [key, value] of Object.entries(BUILTIN_DEFAULTS)) all.set(`defaults.${key}`, value);
  for (const [level, config] of Object.entries(DEFAULT_LEVELS)) {
    all.set(`alerts.levels.${level}.threshold`, config.threshold);
    all.set(`alerts.levels.${level}.cooldown`, config.cooldownMs);
    all.set(`alerts.levels.${level}.channels`, config.channels);
  }
  return all;
}

/** A value as the README writes it, read back: "5m", "3 of 12", "[log]", "false", "587", "GET". */
function readBack(shown: string): unknown {
  const threshold = /^(\d+) of (\d+)$/.exec(shown);
  if (threshold) return { count: Number(threshold[1]), of: Number(threshold[2]) };
  if (/^\[.*\]$/.test(shown)) return shown.slice(1, -1).split(',').map((item) => item.trim());
  if (shown === 'true' || shown === 'false') return shown === 'true';
  if (/^\d+$/.test(shown)) return Number(shown);
  return parseDuration(shown) ?? shown;
}

const BREAKER = {
  failure_threshold: ['breaker: { failure_threshold: 3,', '3'],
  success_threshold: ['success_threshold: 2, open_for', '2'],
  open_for: ['open_for: 10m, max_open_for', '10m'],
  max_open_for: ['max_open_for: 1h }', '1h'],
} as const;

/** Where the README says each default: a piece of its text, and the value as that piece shows it. */
const WHERE: Record<string, readonly [text: string, shown: string]> = {
  'log_rotate.max_bytes': ['log_rotate: { max_bytes: 10485760,', '10485760'],
  'log_rotate.keep': ['max_bytes: 10485760, keep: 3 }', '3'],
  interval: ['interval: 5m ', '5m'],
  'heartbeat.timeout': ['timeout: 10s }   # optional: pinged every scan', '10s'],
  scan_timeout: ['scan_timeout: 60s ', '60s'],
  'history.keep': ['history: { keep: 30d }', '30d'],
  concurrency: ['concurrency: 64 ', '64'],
  'defaults.timeout': ['  timeout: 3s ', '3s'],
  'defaults.retries': ['  retries: 0 ', '0'],
  'defaults.retry_delay': ['  retry_delay: 1s\n', '1s'],
  'defaults.cooldown': ['  cooldown: 5m ', '5m'],
  'defaults.max_heals_per_hour': ['  max_heals_per_hour: 6 ', '6'],
  'defaults.verify_timeout': ['  verify_timeout: 10s ', '10s'],
  'defaults.start_grace': ['  start_grace: 0s\n', '0s'],
  'defaults.flap_threshold': ['  flap_threshold: 3 of 12 ', '3 of 12'],
  // A service's own `breaker` keys get the same built-in values.
  ...Object.fromEntries(Object.entries(BREAKER).map(([key, where]) => [`defaults.breaker.${key}`, where])),
  'alerts.levels.critical.threshold': ['critical: { threshold: 3,', '3'],
  'alerts.levels.critical.cooldown': ['critical: { threshold: 3,  cooldown: 1h,', '1h'],
  'alerts.levels.critical.channels': ['critical: { threshold: 3,  cooldown: 1h,  channels: [log] }', '[log]'],
  'alerts.levels.warning.threshold': ['warning:  { threshold: 5,', '5'],
  'alerts.levels.warning.cooldown': ['warning:  { threshold: 5,  cooldown: 2h,', '2h'],
  'alerts.levels.warning.channels': ['warning:  { threshold: 5,  cooldown: 2h,  channels: [log] }', '[log]'],
  'alerts.levels.info.threshold': ['info:     { threshold: 10,', '10'],
  'alerts.levels.info.cooldown': ['info:     { threshold: 10, cooldown: 24h,', '24h'],
  'alerts.levels.info.channels': ['info:     { threshold: 10, cooldown: 24h, channels: [log] }', '[log]'],
  'alerts.max_age': ['max_age: 24h ', '24h'],
  'alerts.channels.*[discord].timeout': ['| `discord` | `webhook_url`, `username`, `timeout` (5s) |', '5s'],
  'alerts.channels.*[email].port': ['| `email` | `host`, `port` (587),', '587'],
  'alerts.channels.*[email].secure': ['`secure` (false), `require_tls`', 'false'],
  'alerts.channels.*[email].require_tls': ['`require_tls` (false), `insecure`', 'false'],
  'alerts.channels.*[email].insecure': ['`insecure` (false), `user`, `pass`', 'false'],
  'alerts.channels.*[email].timeout': ['`from`, `to`, `timeout` (10s) |', '10s'],
  'alerts.channels.*[webhook].timeout': ['`template`, `content_type` (application/json), `timeout` (5s) |', '5s'],
  'alerts.channels.*[alertmanager].timeout': ['| `alertmanager` | `url`, `labels`, `headers`, `timeout` (5s) |', '5s'],
  'alerts.channels.*[slack].timeout': ['| `slack` | `webhook_url`, `timeout` (5s) |', '5s'],
  'alerts.channels.*[telegram].api_url': ['`api_url` (https://api.telegram.org),', 'https://api.telegram.org'],
  'alerts.channels.*[telegram].timeout': ['`api_url` (https://api.telegram.org), `timeout` (5s) |', '5s'],
  'alerts.channels.*[ntfy].timeout': ['| `ntfy` | `url`, `token`, `user`, `password`, `timeout` (5s) |', '5s'],
  'services.*.enabled': ['enabled: true           # the default', 'true'],
  'services.*.alert_level': ['(default critical)', 'critical'],
  'services.*.healed_level': ['(default info)', 'info'],
  'services.*.degraded_level': ['(default warning)', 'warning'],
  'maintenance.*.restart': ['`restart` (default false). During a window', 'false'],
  'services.*.restart_with_parent': ['restart_with_parent: true # (default false)', 'false'],
  'services.*.checks[][certificate].port': ['`host`, `port` (443),', '443'],
  'services.*.checks[][certificate].expires_within': ['`expires_within` (14d),', '14d'],
  'services.*.checks[][certificate].insecure': ['`insecure` (false), `on_fail` (alert)', 'false'],
  'services.*.checks[][certificate].on_fail': ['`on_fail` (alert) |', 'alert'],
  ...Object.fromEntries(['port', 'http', 'file', 'command', 'launchd', 'systemd', 'process'].map((type) => [`services.*.checks[][${type}].on_fail`, ['`retry_delay` and `on_fail` (restart);', 'restart']])),
  'services.*.checks[][port].host': ['| `port` | `host` (127.0.0.1),', '127.0.0.1'],
  'services.*.checks[][process].sample': ['(at least one), `sample` (1s) |', '1s'],
  'services.*.checks[][http].method': ['`method` (GET;', 'GET'],
  'services.*.checks[][http].insecure': ['`body`, `insecure` (false), `max_latency` |', 'false'],
  'services.*.checks[][systemd].user': ['| `systemd` | `unit`, `user` (false: the system manager) |', 'false'],
  'services.*.restart[command].detach': ['`run` (argv), `detach` (false),', 'false'],
  'services.*.restart[command].timeout': ['`env`, `timeout` (30s),', '30s'],
  'services.*.restart[command].stop_grace': ['`pidfile`, `stop_grace` (5s) |', '5s'],
  'services.*.restart[launchd].method': ['`method` (`kickstart`),', 'kickstart'],
  'services.*.restart[launchd].timeout': ['`method` (`kickstart`), `timeout` (30s),', '30s'],
  'services.*.restart[systemd].user': ['| `systemd` | `unit`, `user` (false), `timeout` (30s) |', 'false'],
  'services.*.restart[systemd].timeout': ['| `systemd` | `unit`, `user` (false), `timeout` (30s) |', '30s'],
};

describe('the README documents the manifest', () => {
  it('names a place for every built-in default, and none for a default the code no longer has', () => {
    expect(Object.keys(WHERE).sort()).toEqual([...builtInDefaults().keys()].sort());
  });

  it('gives every built-in default the value the code has', () => {
    const wrong = [...builtInDefaults()].flatMap(([path, value]) => {
      const [text, shown] = WHERE[path] ?? ['', ''];
      if (!README.includes(text)) return [`${path}: the README does not say ${JSON.stringify(text)}`];
      if (!text.includes(shown)) return [`${path}: ${JSON.stringify(text)} does not show ${JSON.stringify(shown)}`];
      const read = readBack(shown);
      return JSON.stringify(read) === JSON.stringify(value) ? [] : [`${path}: the README says ${shown}, the code has ${JSON.stringify(value)}`];
    });
    expect(wrong).toEqual([]);
  });

  /** The README's section under `heading`, up to the next heading. */
  const section = (heading: string): string => {
    const start = README.indexOf(`\n${heading}\n`);
    expect(start, heading).toBeGreaterThanOrEqual(0);
    const end = README.indexOf('\n#', start + heading.length + 2);
    return README.slice(start, end < 0 ? undefined : end);
  };

  /** Keys every check has, documented once for all of them. */
  const CHECK_COMMON = ['type', 'name', 'timeout', 'retries', 'retry_delay', 'on_fail'];

  it.each([
    ['check', checkSpec, '### Checks', CHECK_COMMON],
    ['restart', restartSpec, '### Restarts', ['type']],
    ['channel', channelSpec, '### Setting up the channels', ['type']],
  ] as const)('has a row for every %s type, naming each of its keys', (_family, union, heading, common: readonly string[]) => {
    const rows = section(heading).split('\n');
    const missing = (defOf(union).options ?? []).flatMap((option) => {
      const type = typeOf(option);
      const row = rows.find((line) => line.startsWith(`| \`${type}\` |`));
      if (!row) return [`${type}: no row under ${heading}`];
      const keys = Object.keys(defOf(option).shape ?? {}).filter((key) => !common.includes(key));
      return keys.filter((key) => !row.includes(`\`${key}\``)).map((key) => `${type}.${key}`);
    });
    expect(missing).toEqual([]);
  });
});
