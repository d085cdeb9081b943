import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifest } from '../../src/manifest/load.js';

let dir = '';
let env: Record<string, string> = {};
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heal-cache-'));
  env = { HEAL_CACHE_DIR: join(dir, 'cache'), HOOK_TOKEN: 'tok-3b9f1c77e2', PORT_A: '4100' };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const TEXT = `version: 1
concurrency: 8
alerts:
  channels:
    hook: { type: webhook, url: "http://127.0.0.1:9/in?token=\${HOOK_TOKEN}" }
services:
  api:
    checks: [ { type: http, url: "http://127.0.0.1:\${PORT_A}/health", headers: { x-token: "\${HOOK_TOKEN}" } } ]
`;

async function manifestFile(text = TEXT): Promise<string> {
  const path = join(dir, 'services.yaml');
  await writeFile(path, text);
  return path;
}

async function cacheEntry(): Promise<string> {
  const [name] = await readdir(join(dir, 'cache'));
  return join(dir, 'cache', name!);
}

/** Changes the cached entry behind heal's back, so a read that uses it is visible. */
async function tamper(change: (entry: { manifest: { concurrency: number } }) => void): Promise<void> {
  const file = await cacheEntry();
  const entry = JSON.parse(await readFile(file, 'utf8'));
  change(entry);
  await writeFile(file, JSON.stringify(entry));
}

describe('the manifest cache', () => {
  it('serves an unchanged manifest from the cache, with its secrets put back from the environment', async () => {
    const path = await manifestFile();
    const first = await loadManifest(path, env);
    await tamper((entry) => (entry.manifest.concurrency = 99));
    const second = await loadManifest(path, env);
    expect(second.manifest.concurrency).toBe(99);
    expect({ ...second.manifest, concurrency: 8 }).toEqual(first.manifest);
    expect(second.manifest.alerts.channels['hook']).toMatchObject({ url: 'http://127.0.0.1:9/in?token=tok-3b9f1c77e2' });
    expect(second.secrets).toEqual(expect.arrayContaining(['tok-3b9f1c77e2']));
  });

  it('never writes a secret into the cache file, which is 0600 in a 0700 folder', async () => {
    await loadManifest(await manifestFile(), env);
    const file = await cacheEntry();
    expect(await readFile(file, 'utf8')).not.toContain('tok-3b9f1c77e2');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'cache'))).mode & 0o777).toBe(0o700);
  });

  it.each([
    ['the text changes', async (path: string) => writeFile(path, TEXT.replace('concurrency: 8', 'concurrency: 9'))],
    ['a variable it names changes', async () => { env['PORT_A'] = '4200'; }],
  ])('parses again when %s', async (_what, change) => {
    const path = await manifestFile();
    await loadManifest(path, env);
    await tamper((entry) => (entry.manifest.concurrency = 99));
    await change(path);
    const again = await loadManifest(path, env);
    expect(again.manifest.concurrency).not.toBe(99);
  });

  it('falls back to a full parse when the entry is garbage', async () => {
    const path = await manifestFile();
    await loadManifest(path, env);
    await writeFile(await cacheEntry(), '{ not json');
    expect((await loadManifest(path, env)).manifest.concurrency).toBe(8);
  });

  it('is not used when asked not to (heal validate always parses)', async () => {
    const path = await manifestFile();
    await loadManifest(path, env);
    await tamper((entry) => (entry.manifest.concurrency = 99));
    expect((await loadManifest(path, env, { cache: false })).manifest.concurrency).toBe(8);
  });

  it('keeps no entry for a manifest that is invalid', async () => {
    await expect(loadManifest(await manifestFile('version: 2\nservices: {}\n'), env)).rejects.toThrow();
    await expect(readdir(join(dir, 'cache'))).rejects.toThrow();
  });
});
