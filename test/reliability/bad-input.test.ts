/**
 * Bad input: well over a thousand generated manifests — keys, types and values mutated, YAML
 * syntax broken, binary junk, huge files, deep nesting — each must be refused with a ConfigError
 * whose problems are one line each (no line break, no stack frame, no secret), and nothing else
 * may be thrown. The bulk runs in-process through parseManifest / loadManifest; a sample of ~30
 * goes through the CLI (exit 2, one stderr line per problem, no state directory afterwards).
 * Then state files that are unusable — truncated, empty, from a future version, garbage — which
 * `heal scan` moves aside with a warning and gets on with.
 *
 * Cases come from a seeded PRNG: HEAL_TEST_SEED=<seed> replays a failing run.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Document, stringify } from 'yaml';
import { ConfigError } from '../../src/common/errors.js';
import { loadManifest, MAX_MANIFEST_BYTES } from '../../src/manifest/load.js';
import { MAX_PROBLEMS, parseManifest } from '../../src/manifest/parse.js';
import { stateSchema } from '../../src/state/schema.js';
import { runHeal, workspace, type Workspace } from '../helpers/cli.js';
import { serverScope, startTcpServer } from '../helpers/servers.js';
import { builtCli, prng, seedFrom, type Rng } from './support.js';

const SEED = seedFrom(0xbad1);
const SECRET = 'S3cr3t-from-the-env-9f8e7d';
const ENV = { SECRET_TOKEN: SECRET, HOME: '/nonexistent' };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Case = { label: string; text: string | Buffer; file?: boolean };

// ── Valid manifests to start from ────────────────────────────────────────────────────────────

const TEMPLATES: Record<string, Json> = {
  full: {
    version: 1,
    state_dir: '.heal-state',
    log_file: 'heal.log',
    scan_timeout: '30s',
    concurrency: 8,
    interval: '5m',
    defaults: { timeout: '2s', retries: 1, cooldown: '5m', max_heals_per_hour: 3, flap_threshold: 3, breaker: { failure_threshold: 5, open_for: '60s' } },
    alerts: {
      levels: { critical: { threshold: 3, cooldown: '1h', channels: ['discord', 'log'] }, info: { threshold: 10, cooldown: '24h', channels: ['hook'] } },
      channels: {
        discord: { type: 'discord', webhook_url: 'https://discord.com/api/webhooks/1/abc', timeout: '5s' },
        hook: { type: 'webhook', url: 'http://127.0.0.1:9/hook', headers: { authorization: 'Bearer x' } },
      },
      max_age: '24h',
    },
    services: {
      api: {
        description: 'the API',
        depends_on: ['db'],
        checks: [
          { type: 'port', port: 4000, timeout: '1s' },
          { type: 'http', url: 'http://127.0.0.1:4000/health', method: 'GET', status: 200, body_contains: 'ok', json: { path: 'checks.db', equals: 'up' }, headers: { 'x-a': 'b' }, insecure: false },
        ],
        restart: { type: 'command', run: ['/usr/bin/true', '--x'], detach: true, env: { A: 'b' }, stop: ['/usr/bin/false'], stop_grace: '2s' },
        alert_level: 'critical',
        healed_level: 'info',
        enabled: true,
      },
      db: {
        checks: [
          { type: 'file', path: '/tmp/x', max_age: '2m' },
          { type: 'command', run: ['pg_isready', '-q'] },
        ],
        restart: { type: 'systemd', unit: 'postgresql.service', user: false },
        cooldown: '1m',
      },
      proxy: {
        checks: [{ type: 'launchd', label: 'com.example.proxy' }, { type: 'systemd', unit: 'proxy.service' }],
        restart: { type: 'launchd', label: 'com.example.proxy', method: 'kickstart' },
      },
    },
  },
  minimal: { version: 1, services: { a: { checks: [{ type: 'port', port: 1 }] } } },
  mail: {
    version: 1,
    heartbeat: { url: 'https://hc-ping.com/abc', timeout: '10s' },
    metrics_file: 'heal.prom',
    log_rotate: { max_bytes: 2048, keep: 3 },
    alerts: {
      levels: { warning: { threshold: 2, cooldown: '2h', channels: ['mail', 'am'] } },
      channels: {
        mail: { type: 'email', host: 'smtp.example.com', port: 587, user: 'heal', pass: '${SECRET_TOKEN}', from: 'heal@example.com', to: ['ops@example.com'], require_tls: true },
        am: { type: 'alertmanager', url: 'http://127.0.0.1:9093', labels: { env: 'prod' } },
      },
    },
    services: {
      worker: { checks: [{ type: 'http', url: 'http://127.0.0.1:8080/', status: [200, 204] }], alert_level: 'warning', retries: 2, verify_timeout: '5s', start_grace: '10s' },
    },
  },
};

/** Keys a manifest cannot do without, as paths into each template. */
const REQUIRED: Record<string, (string | number)[][]> = {
  full: [
    ['version'], ['services'], ['services', 'api', 'checks'], ['services', 'api', 'checks', 0, 'type'], ['services', 'api', 'checks', 0, 'port'],
    ['services', 'api', 'checks', 1, 'url'], ['services', 'api', 'checks', 1, 'json', 'path'], ['services', 'api', 'checks', 1, 'json', 'equals'],
    ['services', 'api', 'restart', 'run'], ['services', 'api', 'restart', 'type'], ['services', 'db', 'checks', 0, 'path'], ['services', 'db', 'checks', 0, 'max_age'],
    ['services', 'db', 'checks', 1, 'run'], ['services', 'db', 'restart', 'unit'], ['services', 'proxy', 'checks', 0, 'label'], ['services', 'proxy', 'restart', 'label'],
    ['alerts', 'levels', 'critical', 'threshold'], ['alerts', 'levels', 'critical', 'cooldown'], ['alerts', 'levels', 'critical', 'channels'],
    ['alerts', 'channels', 'discord', 'webhook_url'], ['alerts', 'channels', 'discord', 'type'], ['alerts', 'channels', 'hook', 'url'], ['services', 'db'],
  ],
  minimal: [['version'], ['services'], ['services', 'a', 'checks'], ['services', 'a', 'checks', 0, 'port'], ['services', 'a', 'checks', 0, 'type']],
  mail: [['heartbeat', 'url'], ['alerts', 'channels', 'mail', 'host'], ['alerts', 'channels', 'mail', 'from'], ['alerts', 'channels', 'mail', 'to'], ['alerts', 'channels', 'am', 'url'], ['services', 'worker', 'checks', 0, 'url']],
};

const DURATIONS = ['5 minutes', '-1s', '1y', '', '3 s', 'forever', 5, '1.5.5s', '10', 'PT5M'];
const PORTS = [0, 65536, -1, 1.5, '80', 'http', null, 1e12];
const COUNTS = [0, -3, 2.5, 'many', null];
const BOOLEANS = ['yes', 'true', 1, null, 'on'];
/** Values each key can never take, whatever the rest of the manifest says. */
const BAD_VALUES: Record<string, Json[]> = {
  version: [2, '1', 0, null, 'one'],
  port: PORTS,
  timeout: DURATIONS, cooldown: DURATIONS, max_age: DURATIONS, open_for: DURATIONS, scan_timeout: DURATIONS, interval: DURATIONS,
  retry_delay: DURATIONS, verify_timeout: DURATIONS, start_grace: DURATIONS, stop_grace: DURATIONS,
  url: ['not a url', 'ftp://x/y', 'http//x', '', 'javascript:alert(1)', 'file:///etc/passwd'], webhook_url: ['not a url', 'ftp://x/y', ''],
  method: ['DELETE', 'get', '', 'GET; rm -rf /'],
  type: ['tcp', 'Port', '', 'shell', 'exec'],
  label: ['a;b', '$(touch x)', '-x', '', 'a b', '`id`'],
  unit: ['a b', '`x`', ';reboot', '', '$(id)'],
  alert_level: ['urgent', 'CRITICAL', ''], healed_level: ['debug', 'Info'],
  max_heals_per_hour: COUNTS, threshold: COUNTS, failure_threshold: COUNTS, concurrency: [0, 5000, 'all'], retries: [11, -1, 'twice'],
  flap_threshold: [1, 0], max_bytes: [10, 'big'], keep: [0, 101],
  depends_on: [['nope'], ['Bad Name'], 'db', [['db']]],
  status: [99, 600, [], 'ok', [200, 'x']],
  enabled: BOOLEANS, insecure: BOOLEANS, detach: BOOLEANS, user: BOOLEANS, require_tls: BOOLEANS,
  run: [[], 'echo hi; rm -rf /', [''], [1]], stop: [[], 'kill it'],
  channels: ['discord', ['no-such-channel'], [1]],
  to: [[], 'a@b', ['x']], from: ['x', ''],
  headers: ['a: b', ['x'], { a: 1 }], env: [{ A: 1 }, 'A=b'], labels: [{ 'bad-label': 'x' }, { a: 1 }],
  body_contains: [''], name: [''], description: [5, ['x']], state_dir: [''], log_file: [''],
};
const TYPO_KEYS = ['timout', 'chekcs', 'restrat', 'depend_on', 'Enabled', 'TYPE', 'port ', ' port', 'x', 'zz9', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'bad\nkey', 'tab\tkey', 'nul\u0001key', '', 'k'.repeat(5000), 'ключ', '🔥', 'a.b', 'a[0]'];
const BAD_NAMES = ['Api', 'a b', '-x', '.x', '_x', 'ä', 'a/b', '', 'a\nb', 'UPPER', 'a'.repeat(300) + '!', '__proto__'];

// ── Generators ───────────────────────────────────────────────────────────────────────────────

const clone = (value: Json): Json => structuredClone(value);

/** Every path in `value` (objects, lists and leaves), with its value. */
function walk(value: Json, path: (string | number)[] = [], out: { path: (string | number)[]; value: Json }[] = []): typeof out {
  out.push({ path, value });
  if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k], out);
  return out;
}

function getIn(root: Json, path: (string | number)[]): Json {
  return path.reduce<Json>((node, key) => (node as Record<string | number, Json>)[key] as Json, root);
}

/** Sets (as an own property, even for "__proto__") or deletes the value at `path`. */
function setIn(root: Json, path: (string | number)[], value: Json | undefined): void {
  const parent = getIn(root, path.slice(0, -1)) as Record<string | number, Json>;
  const key = path.at(-1) as string | number;
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else {
    Object.defineProperty(parent, key, { value, enumerable: true, configurable: true, writable: true });
  }
}

const isLeaf = (value: Json): boolean => value === null || typeof value !== 'object';
const isMapping = (value: Json): boolean => value !== null && typeof value === 'object' && !Array.isArray(value);

/** YAML text of a manifest, in block or flow style. */
function dump(rng: Rng, value: Json): string {
  const doc = new Document(value);
  return doc.toString({ collectionStyle: rng.chance(0.3) ? 'flow' : 'any', lineWidth: 0 }) + (rng.chance(0.5) ? '' : '\n# end\n');
}

/** Structural mutations: each one alone makes any template invalid. */
const STRUCTURAL: Record<string, (rng: Rng, name: string, m: Json) => string> = {
  'unknown key': (rng, _name, m) => {
    const target = rng.pick(walk(m).filter((n) => isMapping(n.value)));
    setIn(m, [...target.path, rng.pick(TYPO_KEYS)], { zz: [1] });
    return `${target.path.join('.') || 'root'}`;
  },
  'wrong type': (rng, _name, m) => {
    const target = rng.pick(walk(m).filter((n) => n.path.length > 0 && isLeaf(n.value)));
    setIn(m, target.path, rng.pick<Json>([{ oops: 1 }, [[1]], { '': null }]));
    return target.path.join('.');
  },
  'scalar swapped': (rng, _name, m) => {
    const target = rng.pick(walk(m).filter((n) => n.path.length > 0 && isLeaf(n.value) && n.value !== null && n.path.at(-1) !== 'equals'));
    const v = target.value;
    setIn(m, target.path, typeof v === 'string' ? rng.pick([42, true, -1.5]) : typeof v === 'number' ? rng.pick([String(v), 'x', true]) : rng.pick(['true', 0, 'no']));
    return target.path.join('.');
  },
  'required key removed': (rng, name, m) => {
    const path = rng.pick(REQUIRED[name] ?? [['version']]);
    setIn(m, path, undefined);
    return path.join('.');
  },
  'bad value': (rng, _name, m) => {
    const target = rng.pick(walk(m).filter((n) => typeof n.path.at(-1) === 'string' && BAD_VALUES[n.path.at(-1) as string] && !(n.path.at(-1) === 'user' && n.path.includes('channels'))));
    const key = target.path.at(-1) as string;
    let value = clone(rng.pick(BAD_VALUES[key]!));
    if (key === 'depends_on' && Array.isArray(value) && value[0] === 'nope' && rng.chance(0.5)) value = [target.path[1] as string]; // itself
    setIn(m, target.path, value);
    return `${target.path.join('.')}=${JSON.stringify(value)}`;
  },
  'unset variable': (rng, _name, m) => {
    const target = rng.pick(walk(m).filter((n) => typeof n.value === 'string'));
    const ref = rng.pick(['${UNSET_HEAL_VAR}', '${bad-name}', '${}', 'x${UNSET_A}y', '${1X}']);
    setIn(m, target.path, ref);
    return `${target.path.join('.')}=${ref}`;
  },
  'bad service name': (rng, _name, m) => {
    const services = (m as { services: Record<string, Json> }).services;
    const old = rng.pick(Object.keys(services));
    const spec = services[old] as Json;
    delete services[old];
    const bad = rng.pick(BAD_NAMES);
    setIn(m, ['services', bad], spec);
    for (const s of Object.values(services)) {
      const deps = (s as { depends_on?: string[] }).depends_on;
      if (deps) (s as { depends_on: string[] }).depends_on = deps.map((d) => (d === old ? bad : d));
    }
    return JSON.stringify(bad);
  },
  'secret in the wrong place': (rng, _name, m) => {
    const target = rng.pick(walk(m).filter((n) => typeof n.value === 'boolean' || typeof n.value === 'number'));
    setIn(m, target.path, '${SECRET_TOKEN}');
    return target.path.join('.');
  },
  'dependency cycle': (_rng, _name, m) => {
    const services = (m as { services: Record<string, { depends_on?: string[] }> }).services;
    const names = Object.keys(services);
    names.forEach((n, i) => (services[n]!.depends_on = [names[(i + 1) % names.length]!]));
    return names.join('→');
  },
  'undefined channel': (rng, _name, m) => {
    const alerts = ((m as { alerts?: Json }).alerts ??= {}) as { levels?: Record<string, Json> };
    alerts.levels = { ...alerts.levels, [rng.pick(['critical', 'warning', 'info'])]: { threshold: 1, cooldown: '1h', channels: ['log', 'nowhere'] } };
    return 'nowhere';
  },
};

/** Text mutations of a valid manifest's YAML that break its syntax. */
const SYNTAX: Record<string, (rng: Rng, text: string) => string> = {
  'duplicate top-level key': (rng, text) => (rng.chance(0.5) ? `${text}\nversion: 1\n` : `version: 1\n${text}`),
  'unclosed flow mapping': (rng, text) => replaceOneLine(rng, text, /^(\s*[\w-]+): (\S.*)$/, (m) => `${m[1]}: {${m[2]}`),
  'unclosed quote': (rng, text) => replaceOneLine(rng, text, /^(\s*[\w-]+): ([^"'\s].*)$/, (m) => `${m[1]}: "${m[2]}`),
  'tab indentation': (rng, text) => replaceOneLine(rng, text, /^( +)([\w-]+:.*)$/, (m) => `\t${m[2]}`),
  'missing colon': (rng, text) => replaceOneLine(rng, text, /^(\s+)([a-z_]+): (\S+)$/, (m) => `${m[1]}${m[2]} ${m[3]}\n${m[1]}${m[2]}x: ${m[3]}`),
  'undefined alias': (rng, text) => replaceOneLine(rng, text, /^(\s*[\w-]+): (\S.*)$/, (m) => `${m[1]}: *nowhere`),
  'two documents': (_rng, text) => `${text}\n---\nversion: 1\n`,
  'stray list item': (rng, text) => replaceOneLine(rng, text, /^(\s*)([\w-]+): (\S.*)$/, (m) => `${m[0]}\n${m[1]}- stray`),
  'truncated in a flow collection': (rng, text) => `${text.slice(0, rng.int(1, text.length))}: [`,
  'closing bracket alone': (_rng, text) => `${text}\n]\n`,
  'a list as a key': (rng, text) => (rng.chance(0.5) ? `? [a, b]\n: 1\n${text}` : `${text}\n? { x: 1 }\n: 2\n`),
  'anchor bomb': (rng, text) => {
    const n = rng.int(6, 12);
    const layers = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < n; i++) layers.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    return `${layers.join('\n')}\n${text}`;
  },
};

function replaceOneLine(rng: Rng, text: string, pattern: RegExp, replace: (m: RegExpMatchArray) => string): string {
  const lines = text.split('\n');
  const candidates = lines.map((line, i) => [i, line.match(pattern)] as const).filter(([, m]) => m);
  if (!candidates.length) return `${text}\n: : :\n`;
  const [index, match] = rng.pick(candidates);
  lines[index] = replace(match!);
  return lines.join('\n');
}

function randomBytes(rng: Rng, length: number, allowNul: boolean): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = allowNul ? rng.int(0, 255) : rng.int(1, 255);
  if (allowNul) bytes[rng.int(0, length - 1)] = 0;
  return bytes;
}

function generate(seed: number): Case[] {
  const rng = prng(seed);
  const cases: Case[] = [];
  const names = Object.keys(TEMPLATES);
  // Structural: each template × each mutation, many times over.
  for (let i = 0; i < 720; i++) {
    const name = rng.pick(names);
    const kind = rng.pick(Object.keys(STRUCTURAL));
    const m = clone(TEMPLATES[name]!);
    const where = STRUCTURAL[kind]!(rng, name, m);
    cases.push({ label: `${kind} (${name}: ${where.slice(0, 80)})`, text: dump(rng, m) });
  }
  // YAML syntax.
  for (let i = 0; i < 230; i++) {
    const name = rng.pick(names);
    const kind = rng.pick(Object.keys(SYNTAX));
    cases.push({ label: `syntax: ${kind} (${name})`, text: SYNTAX[kind]!(rng, new Document(TEMPLATES[name]).toString({ lineWidth: 0 })) });
  }
  // Binary junk.
  const valid = new Document(TEMPLATES['full']).toString();
  for (let i = 0; i < 40; i++) {
    const kind = i % 4;
    if (kind === 0) cases.push({ label: 'binary: random bytes with NUL', text: randomBytes(rng, rng.int(1, 4096), true), file: rng.chance(0.5) });
    if (kind === 1) cases.push({ label: 'binary: random bytes, no NUL', text: randomBytes(rng, rng.int(1, 4096), false), file: rng.chance(0.5) });
    if (kind === 2) {
      const at = rng.int(0, valid.length);
      cases.push({ label: 'binary: a NUL inside a valid manifest', text: `${valid.slice(0, at)}\u0000${valid.slice(at)}` });
    }
    if (kind === 3) cases.push({ label: 'binary: UTF-16 with a BOM', text: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid, 'utf16le')]), file: true });
  }
  // Deep nesting.
  for (let i = 0; i < 24; i++) {
    const depth = rng.pick([100, 1_000, 5_000, 20_000, 100_000]);
    const shape = i % 4;
    if (shape === 0) cases.push({ label: `deep: ${depth} nested flow lists`, text: `version: 1\nservices: ${'['.repeat(depth)}${']'.repeat(depth)}\n` });
    if (shape === 1) cases.push({ label: `deep: ${depth} nested flow maps`, text: `version: 1\nservices: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}\n` });
    if (shape === 2) {
      const d = Math.min(depth, 3_000);
      cases.push({ label: `deep: ${d} nested block maps`, text: `version: 1\nservices:\n${Array.from({ length: d }, (_, j) => `${' '.repeat(j + 1)}k${j}:`).join('\n')} 1\n` });
    }
    if (shape === 3) cases.push({ label: `deep: ${depth} nested lists in a header`, text: `version: 1\nservices:\n  a:\n    checks: [ { type: http, url: "http://127.0.0.1/", headers: { x: ${'['.repeat(depth)}${']'.repeat(depth)} } } ]\n` });
  }
  // Huge files (read from disk: the size cap lives in loadManifest).
  const pad = '#'.repeat(1024);
  cases.push({ label: 'huge: a valid manifest padded past 1 MiB', text: `${valid}\n${`${pad}\n`.repeat(1100)}`, file: true });
  cases.push({ label: 'huge: 2 MiB on one line', text: `version: 1\nservices: ${'x'.repeat(2 * 1024 * 1024)}\n`, file: true });
  cases.push({ label: 'huge: 1 MiB of unknown keys', text: `version: 1\nservices: {}\n${Array.from({ length: 100_000 }, (_, j) => `k${j}: 1`).join('\n')}\n`.slice(0, MAX_MANIFEST_BYTES - 64) + '\n', file: true });
  cases.push({ label: 'huge: 25,000 services with a bad port', text: `version: 1\nservices:\n${Array.from({ length: 25_000 }, (_, j) => `  s${j}: { checks: [ { type: port, port: 0 } ] }`).join('\n')}\n`.slice(0, MAX_MANIFEST_BYTES), file: true });
  cases.push({ label: 'huge: 40,000 duplicate keys', text: `version: 1\nservices: {}\n${'k: 1\n'.repeat(40_000)}`, file: true });
  cases.push({ label: 'huge: 10,000 services depending on nothing', text: `version: 1\nservices:\n${Array.from({ length: 10_000 }, (_, j) => `  s${j}: { depends_on: [x${j}], checks: [ { type: port, port: 1 } ] }`).join('\n')}\n`, file: true });
  cases.push({ label: 'huge: 150,000 flow items', text: `version: 1\nservices: [${Array.from({ length: 150_000 }, () => '1').join(',')}]\n`, file: true });
  return cases;
}

// ── The bulk, in-process ─────────────────────────────────────────────────────────────────────

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'heal-bad-input-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function refuse(c: Case, index: number): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    if (c.file || typeof c.text !== 'string') {
      const path = join(scratch, `case-${index}.yaml`);
      await writeFile(path, c.text);
      await loadManifest(path, ENV, { cache: false });
    } else {
      parseManifest(c.text, ENV);
    }
    return { error: undefined, ms: Date.now() - started };
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
}

/** What is wrong with how a case was refused, or undefined. */
function judge(c: Case, error: unknown): string | undefined {
  if (error === undefined) return `accepted: ${c.label}`;
  if (!(error instanceof ConfigError)) return `threw ${(error as Error)?.name}: ${(error as Error)?.message?.slice(0, 200)} (${c.label})`;
  if (!error.problems.length) return `no problems (${c.label})`;
  // Each listed problem is located by a walk of the document: at most MAX_PROBLEMS are, the rest counted.
  if (error.problems.length > MAX_PROBLEMS + 1) return `${error.problems.length} problems listed, more than ${MAX_PROBLEMS} and a count (${c.label})`;
  for (const problem of error.problems) {
    if (/[\n\r\u2028\u2029\u0085]/.test(problem)) return `a problem on several lines: ${JSON.stringify(problem.slice(0, 200))} (${c.label})`;
    if (problem.includes('    at ')) return `a stack frame in a problem (${c.label})`;
    if (problem.includes(SECRET)) return `the secret in a problem: ${problem} (${c.label})`;
  }
  return undefined;
}

const CASES = generate(SEED);

describe(`generated bad manifests (seed ${SEED})`, () => {
  it('starts from templates that are valid', () => {
    for (const template of Object.values(TEMPLATES)) expect(() => parseManifest(stringify(template), ENV)).not.toThrow();
  });

  it(`refuses all ${CASES.length} with a ConfigError of one-line problems, and throws nothing else`, { timeout: 120_000 }, async () => {
    expect(CASES.length).toBeGreaterThanOrEqual(1_000);
    const failures: string[] = [];
    let slowest = { ms: 0, label: '' };
    let manyKeys: unknown;
    for (const [index, c] of CASES.entries()) {
      const { error, ms } = await refuse(c, index);
      const wrong = judge(c, error);
      if (wrong) failures.push(`#${index} ${wrong}`);
      if (c.label === 'huge: 1 MiB of unknown keys') manyKeys = error;
      if (ms > slowest.ms) slowest = { ms, label: c.label };
    }
    // For information only: a time depends on the machine; the test's own timeout catches a hang.
    console.log(`bad input: ${CASES.length} cases, slowest ${slowest.ms}ms (${slowest.label})`);
    expect(failures).toEqual([]);
    // 1 MiB of keys once took minutes: every one of ~100,000 unknown keys was located by its own
    // walk of the document. Now only MAX_PROBLEMS are located and the rest counted.
    const problems = manyKeys instanceof ConfigError ? manyKeys.problems : [];
    expect(problems).toHaveLength(MAX_PROBLEMS + 1);
    expect(problems.at(-1)).toMatch(/^manifest: \d{4,} more problems not shown \(fix these first\)$/);
  });
});

// ── A sample through the CLI ─────────────────────────────────────────────────────────────────

describe('bad manifests through the CLI', () => {
  it('exits 2 with one stderr line per problem, no stack trace, and no state directory', { timeout: 120_000 }, async () => {
    await builtCli();
    const dir = await mkdtemp(join(tmpdir(), 'heal-bad-cli-'));
    try {
      // A spread of the generated cases, and one of each kind that once went wrong.
      const step = Math.floor(CASES.length / 24);
      const huge = ['huge: 1 MiB of unknown keys', 'huge: 40,000 duplicate keys'].map((label) => CASES.find((c) => c.label === label)!);
      const sample: Case[] = [
        ...CASES.filter((_, i) => i % step === 0).slice(0, 24),
        ...huge,
        { label: 'a list as a key (the parser warns)', text: '? [a, b]\n: 1\nversion: 1\nservices: {}\n' },
        { label: 'a line break in a service name', text: 'version: 1\nservices:\n  "a\\nb": { checks: [ { type: port, port: 1 } ] }\n' },
        { label: 'a secret echoed', text: 'version: 1\nservices:\n  a:\n    enabled: "${SECRET_TOKEN}"\n    checks: [ { type: port, port: 1 } ]\n' },
        { label: 'deep: 100000 nested flow lists', text: `version: 1\nservices: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n` },
      ];
      const failures: string[] = [];
      const runOne = async (c: Case, i: number): Promise<void> => {
        const manifest = join(dir, `m${i}.yaml`);
        const stateDir = join(dir, `state${i}`);
        await writeFile(manifest, c.text);
        const expected = await refuse({ ...c, file: true }, 10_000 + i);
        const run = await runHeal(['scan', '--config', manifest, '--state-dir', stateDir], { cwd: dir, env: { ...ENV, HEAL_CACHE_DIR: join(dir, 'cache') } });
        const lines = run.stderr.split('\n').slice(0, -1);
        const problems = (expected.error as ConfigError).problems;
        if (run.code !== 2) failures.push(`exit ${run.code} (${c.label}): ${run.stderr.slice(0, 300)}`);
        else if (run.stdout !== '') failures.push(`stdout not empty (${c.label})`);
        else if (/\n {4}at /.test(run.stderr) || /Error:|Warning:/.test(run.stderr)) failures.push(`a stack trace or warning (${c.label}): ${run.stderr.slice(0, 300)}`);
        else if (lines.length !== problems.length + 1 || !/^heal: the manifest is invalid \(\d+ problems?\)$/.test(lines.at(-1) ?? '')) failures.push(`stderr is not one line per problem (${c.label}): ${run.stderr.slice(0, 300)}`);
        else if (JSON.stringify(lines.slice(0, -1)) !== JSON.stringify(problems)) failures.push(`CLI and in-process problems differ (${c.label})`);
        if (run.stderr.includes(SECRET)) failures.push(`the secret on stderr (${c.label})`);
        if (existsSync(stateDir)) failures.push(`state directory created (${c.label})`);
      };
      for (let i = 0; i < sample.length; i += 3) await Promise.all(sample.slice(i, i + 3).map((c, j) => runOne(c, i + j)));
      expect(failures).toEqual([]);
      expect(existsSync(join(dir, 'cache'))).toBe(false); // nothing refused is cached either
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ── State files that cannot be used ──────────────────────────────────────────────────────────

describe('a state file that cannot be used', () => {
  const servers = serverScope();
  let ws: Workspace | undefined;
  afterEach(() => servers.closeAll());

  it.each([
    ['truncated', (good: string) => good.slice(0, Math.floor(good.length / 2))],
    ['empty', () => ''],
    ['from a future version', (good: string) => {
      const future = good.replace(/"version":\s*1\b/, '"version":2');
      expect(future, 'the state file names its version').not.toBe(good);
      return future;
    }],
    ['garbage', () => '\u0000\u00ff\u0013not json at all {{{'],
    ['valid JSON of another shape', () => '{"version": 1, "services": []}'],
  ])('%s: heal scan moves it aside with a warning, and goes on', async (_what, spoil) => {
    const service = await servers.add(startTcpServer((socket) => socket.end()));
    ws = await workspace(`version: 1
services:
  api:
    checks: [ { type: port, port: ${service.port} } ]
`);
    expect((await ws.heal('scan')).code).toBe(0);
    const file = join(ws.stateDir, 'state.json');
    const bad = spoil(await readFile(file, 'utf8'));
    await writeFile(file, bad, { mode: 0o600 });

    const run = await ws.heal('scan');
    expect(run.code).toBe(0); // the service is up: exit as the services say
    const warnings = run.stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: number; msg: string }).filter((line) => line.level >= 40);
    expect(warnings).toEqual([expect.objectContaining({ level: 40, msg: expect.stringMatching(/state file .* is unusable \(.*\); moved it to .*state\.json\.corrupt-/) })]);
    const aside = (await readdir(ws.stateDir)).filter((name) => name.startsWith('state.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(await readFile(join(ws.stateDir, aside[0]!), 'utf8')).toBe(bad);
    expect(stateSchema.safeParse(JSON.parse(await readFile(file, 'utf8'))).success).toBe(true);

    const again = await ws.heal('scan');
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/"level":[45]0/);
  });

  it('a state directory that is a file is an error in one line, not a crash', async () => {
    ws = await workspace('version: 1\nservices:\n  api:\n    checks: [ { type: port, port: 1 } ]\n');
    await mkdir(ws.dir, { recursive: true });
    await writeFile(ws.stateDir, 'not a directory');
    const run = await ws.heal('scan');
    expect(run.code).toBe(4); // the state cannot be used, let alone saved
    expect(run.stderr).toMatch(/^heal: the state directory .* is not a directory: move that file away, or point --state-dir, \$HEAL_STATE_DIR or state_dir at a folder\n$/);
  });
});

// ── Names shaped like what every object has ──────────────────────────────────────────────────

describe('names every JavaScript object has', () => {
  let ws: Workspace | undefined;

  it('a service named "constructor" is scanned, shown and reset like any other', async () => {
    ws = await workspace(`version: 1
defaults: { cooldown: 0s, verify_timeout: 200ms }
services:
  constructor:
    checks: [ { type: port, port: 1 } ]
    restart: { type: command, run: [/bin/true] }
`);
    for (let i = 0; i < 2; i++) {
      const run = await ws.heal('scan', '--json');
      expect(run.code, run.stderr).toBe(1);
      expect(JSON.parse(run.stdout).services[0]).toMatchObject({ name: 'constructor', status: 'down', action: 'restarted (command: /bin/true)' });
    }
    const status = await ws.heal('status');
    expect(status.code, status.stderr).toBe(0);
    // max_heals_per_hour defaults to 6 (issue 12).
    expect(status.stdout).toMatch(/constructor {2}down for .* heals 2\/6 this hour/);
    expect((await ws.heal('reset', 'constructor')).code).toBe(0);
  });

  it.each([['reset', 'toString'], ['silence', 'hasOwnProperty', '--for', '1h'], ['unsilence', 'valueOf']])('heal %s %s names no service: exit 2', async (...args) => {
    ws = await workspace('version: 1\nservices:\n  api:\n    checks: [ { type: port, port: 1 } ]\n');
    const run = await runHeal([...args, '--config', ws.manifest, '--state-dir', ws.stateDir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`heal: ${args[0]} ${args[1]}: no service of that name in the manifest\n`);
  });

  it('heal alert test --channel toString names no channel: exit 2', async () => {
    ws = await workspace('version: 1\nservices:\n  api:\n    checks: [ { type: port, port: 1 } ]\n');
    const run = await runHeal(['alert', 'test', '--channel', 'toString', '--config', ws.manifest]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^heal: alert test --channel toString: no channel of that name/);
  });
});
