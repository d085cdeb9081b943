/**
 * The manifest cache's promise, as a property: a cached load equals a fresh load for any values
 * of any variables — values that are substrings of each other and of variable names, `heal`,
 * `:`, NUL, `$`, empty, unset, unicode — and the cache file never holds one of them. Seeded:
 * HEAL_TEST_SEED=<seed> replays a failing run.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/common/errors.js';
import { readCachedManifest } from '../../src/manifest/cache.js';
import { loadManifest } from '../../src/manifest/load.js';
import { prng, seedFrom, type Rng } from '../reliability/support.js';

const CASES = 800;
const NAMES = ['ENV', 'PROD', 'PROD_TOKEN', 'TOKEN', 'heal', 'HEAL', 'A', 'A_B', 'T'] as const;
const LITERALS = ['', 'PROD', '_TOKEN', 'heal', 'heal:', ':', 'x', 'é', '🚀', '-', '$$', '$', 'Bearer ', '}', '\\0'];
const DURATIONS = ['3s', '500ms', '1m', '2h', '1.5s'];

type Env = Record<string, string | undefined>;

/** A value for a variable: drawn so that values often contain each other and the names. */
function value(rng: Rng, others: readonly string[], secret: string): string | undefined {
  const base = (): string =>
    rng.pick([
      () => '',
      () => rng.pick(NAMES),
      () => rng.pick(['heal', ':', '\u0000', '\u0000heal:', `\u0000heal:${rng.pick(NAMES)}\u0000`, 'heal:PROD', '_TOKEN']),
      () => rng.pick(['é', '🚀', '日本語', 'Ω≈ç', '\u2028', 'a\nb']),
      () => rng.pick(['${PROD}', '$$', '$', '${A:-x}', '}', '{']),
      () => rng.pick(DURATIONS),
      () => secret,
      () => 'tok-1234567890',
      () => {
        // By code points: an environment holds no lone surrogates.
        const from = [...(others.length ? rng.pick(others) : rng.pick(NAMES))];
        const start = rng.int(0, from.length);
        return from.slice(start, rng.int(start, from.length)).join('');
      },
      () => Array.from({ length: rng.int(0, 6) }, () => rng.pick(['a', 'P', ':', '_', '\u0000', 'h', '$', 'é', '🚀', '{', '}'])).join(''),
    ])();
  return rng.chance(0.2) ? base() + base() : base();
}

/** T is read as a duration: mostly a valid one. */
function valueOf(name: string, rng: Rng, others: readonly string[], secret: string): string | undefined {
  return name === 'T' && rng.chance(0.8) ? rng.pick(DURATIONS) : value(rng, others, secret);
}

/** Every variable set, most of the time; else one or two unset or empty (a problem, or a fallback). */
function randomEnv(rng: Rng, secret: string): Env {
  const env: Env = {};
  for (const name of NAMES) env[name] = valueOf(name, rng, Object.values(env).filter((v): v is string => v !== undefined), secret) || 'v';
  if (rng.chance(0.3)) for (let n = rng.int(1, 2); n > 0; n--) env[rng.pick(NAMES)] = rng.pick([undefined, '']);
  return env;
}

/** The same environment with a few variables changed, unset or set. */
function mutate(rng: Rng, env: Env, secret: string): Env {
  const next = { ...env };
  for (let n = rng.int(1, 3); n > 0; n--) {
    const name = rng.pick(NAMES);
    next[name] = rng.chance(0.1) ? undefined : valueOf(name, rng, Object.values(env).filter((v): v is string => v !== undefined), secret);
  }
  return next;
}

/** A YAML double-quoted string of literal pieces and references, some spelled with an escape. */
function template(rng: Rng): string {
  let out = '';
  for (let n = rng.int(1, 4); n > 0; n--) {
    const name = rng.pick(NAMES);
    out += rng.pick([
      () => JSON.stringify(rng.pick(LITERALS)).slice(1, -1),
      () => `\${${name}}`,
      () => `\${${name}}`,
      () => `\${${name}:-${JSON.stringify(rng.pick(LITERALS)).slice(1, -1).replace(/}/g, '')}}`,
      () => `\\x24{${name}}`,
    ])();
  }
  return `"${out}"`;
}

function durationTemplate(rng: Rng): string {
  return rng.pick([`"\${T}"`, `"\${T:-3s}"`, `"\${T:-${rng.pick(DURATIONS)}}"`, rng.pick(DURATIONS)]);
}

function manifestText(rng: Rng): string {
  const args = Array.from({ length: rng.int(1, 3) }, () => template(rng)).join(', ');
  const headerKey = rng.pick(['x-a', '__proto__', 'constructor', '"${TOKEN}"']);
  return `version: 1
defaults: { timeout: ${durationTemplate(rng)}, cooldown: ${durationTemplate(rng)} }
alerts:
  channels:
    hook: { type: webhook, url: "http://127.0.0.1:9/in", headers: { ${headerKey}: ${template(rng)} } }
services:
  api:
    description: ${template(rng)}
    checks:
      - { type: command, run: [${template(rng)}, ${args}], timeout: ${durationTemplate(rng)} }
      - { type: http, url: "http://127.0.0.1:8080/", headers: { authorization: ${template(rng)}, ${headerKey}: ${template(rng)} }, body_contains: ${template(rng)} }
    restart: { type: command, run: [/bin/true, ${template(rng)}], env: { PATH: ${template(rng)}, X: ${template(rng)} }, cwd: ${template(rng)} }
`;
}

type Outcome = { ok: true; manifest: unknown; secrets: string[]; lines: unknown } | { ok: false; problems: readonly string[] };

async function outcome(load: () => ReturnType<typeof loadManifest>): Promise<Outcome> {
  try {
    const { manifest, secrets, lines } = await load();
    return { ok: true, manifest, secrets, lines };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, problems: error.problems };
    throw error;
  }
}

let dir = '';
beforeAll(async () => {
  // Thousands of atomic writes (each fsyncs): on tmpfs when there is one, so they cost nothing.
  dir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'heal-cache-prop-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the manifest cache, over random values of the variables', () => {
  it(`gives what a fresh load gives, and keeps no value in its file (${CASES} cases)`, async () => {
    const seed = seedFrom(20261201);
    const rng = prng(seed);
    const path = join(dir, 'services.yaml');
    const cache = join(dir, 'cache');
    let valid = 0;
    let changed = 0;
    for (let i = 0; i < CASES; i++) {
      const secret = `s3cr3t${rng.int(0, 2 ** 30).toString(36)}${rng.int(0, 2 ** 30).toString(36)}`;
      const text = manifestText(rng);
      const first: Env = { ...randomEnv(rng, secret), HEAL_CACHE_DIR: cache };
      const second = rng.chance(0.5) ? first : { ...mutate(rng, first, secret), HEAL_CACHE_DIR: cache };
      const where = `seed ${seed}, case ${i}:\n${text}\nfirst ${JSON.stringify(first)}\nsecond ${JSON.stringify(second)}`;
      await writeFile(path, text);

      const fresh = await outcome(() => loadManifest(path, first, { cache: false }));
      expect(await outcome(() => loadManifest(path, first)), where).toEqual(fresh); // a miss: parsed, and written
      if (fresh.ok) {
        valid++;
        // Validation drops a `__proto__` key (zod's records): a value from the environment there
        // has no place in the tree, so that manifest is parsed every time rather than cached.
        if (!text.includes('__proto__')) {
          expect(await readCachedManifest(path, text, first), `${where}\nno cache entry for a valid manifest`).toBeDefined();
          const [entry] = await readdir(cache);
          const stored = await readFile(join(cache, entry!), 'utf8');
          expect(stored.includes(secret), `${where}\nthe cache file holds a value from the environment: ${stored}`).toBe(false);
        }
      }
      expect(await outcome(() => loadManifest(path, first)), where).toEqual(fresh); // a hit, when valid
      if (second !== first) {
        changed++;
        expect(await outcome(() => loadManifest(path, second)), where).toEqual(await outcome(() => loadManifest(path, second, { cache: false })));
      }
    }
    // The property was tried on many valid manifests and many changed environments.
    expect(valid).toBeGreaterThan(CASES / 5);
    expect(changed).toBeGreaterThan(CASES / 4);
  }, 240_000);
});
