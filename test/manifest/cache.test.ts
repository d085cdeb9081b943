import { createHash } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
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

/** The cache file of the manifest at `path` (named by a hash of the path). */
function entryOf(path: string): string {
  return join(dir, 'cache', `manifest-${createHash('sha256').update(path).digest('hex').slice(0, 20)}.json`);
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
  it('removes entries unused for 30 days when it writes another, judged by the file system\'s clock, never the process clock', async () => {
    // Three manifests in three folders: three entries.
    const paths: string[] = [];
    for (const name of ['old', 'recent', 'new']) {
      const path = join(dir, name, 'services.yaml');
      await mkdir(join(dir, name));
      await writeFile(path, TEXT);
      paths.push(path);
    }
    await loadManifest(paths[0]!, env);
    await loadManifest(paths[1]!, env);
    // Ages set from the file system's own clock (a file just written), as heal measures them.
    const probe = join(dir, 'probe');
    await writeFile(probe, '');
    const fsNow = (await stat(probe)).mtimeMs;
    const day = 86_400_000;
    const old = entryOf(paths[0]!);
    const recent = entryOf(paths[1]!);
    await utimes(old, new Date(fsNow - 31 * day), new Date(fsNow - 31 * day));
    await utimes(recent, new Date(fsNow - 29 * day), new Date(fsNow - 29 * day));

    await loadManifest(paths[2]!, env); // a miss: writes a third entry, and prunes

    const left = (await readdir(join(dir, 'cache'))).map((name) => join(dir, 'cache', name)).sort();
    expect(left).toEqual([recent, entryOf(paths[2]!)].sort());
    expect(old).not.toBe(recent);
  });

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

  it('gives a short value that is part of another variable\'s name exactly, scan after scan (ENV=PROD beside PROD_TOKEN)', async () => {
    const path = await manifestFile(`version: 1
services:
  api:
    description: "\${ENV}"
    checks: [ { type: command, run: [/bin/true, "\${PROD_TOKEN}", "\${ENV}-\${PROD_TOKEN}"] } ]
`);
    const vars = { ...env, ENV: 'PROD', PROD_TOKEN: 'tok-1234567890' };
    for (let scan = 0; scan < 3; scan++) {
      const { manifest, secrets } = await loadManifest(path, vars);
      expect(manifest.services['api']!.checks[0]).toMatchObject({ run: ['/bin/true', 'tok-1234567890', 'PROD-tok-1234567890'] });
      expect(secrets).toEqual(['PROD', 'tok-1234567890']);
    }
    const stored = await readFile(await cacheEntry(), 'utf8');
    expect(stored).not.toContain('PROD"');
    expect(stored).not.toContain('tok-1234567890');
  });

  it('counts a reference spelled with a YAML escape: its value is not stored, and a change is a miss', async () => {
    const path = await manifestFile('version: 1\nservices:\n  api:\n    checks: [ { type: command, run: [/bin/true, "\\x24{SECRET}"] } ]\n');
    expect((await loadManifest(path, { ...env, SECRET: 'hunter2-xyz' })).manifest.services['api']!.checks[0]).toMatchObject({ run: ['/bin/true', 'hunter2-xyz'] });
    expect(await readFile(await cacheEntry(), 'utf8')).not.toContain('hunter2-xyz');
    expect((await loadManifest(path, { ...env, SECRET: 'changed-1' })).manifest.services['api']!.checks[0]).toMatchObject({ run: ['/bin/true', 'changed-1'] });
  });

  it('reads a duration from a variable again on a hit, and keeps no number made from it', async () => {
    const path = await manifestFile('version: 1\ndefaults: { cooldown: "\${COOLDOWN}" }\nservices: {}\n');
    expect((await loadManifest(path, { ...env, COOLDOWN: '17m' })).manifest.defaults.cooldown).toBe(1_020_000);
    expect(await readFile(await cacheEntry(), 'utf8')).not.toContain('1020000');
    await tamper((entry) => (entry.manifest.concurrency = 99));
    const hit = await loadManifest(path, { ...env, COOLDOWN: '17m' });
    expect(hit.manifest.concurrency).toBe(99);
    expect(hit.manifest.defaults.cooldown).toBe(1_020_000);
    expect((await loadManifest(path, { ...env, COOLDOWN: '2m' })).manifest.defaults.cooldown).toBe(120_000);
  });

  it('ignores an entry that others may write', async () => {
    const path = await manifestFile();
    await loadManifest(path, env);
    await tamper((entry) => (entry.manifest.concurrency = 99));
    await chmod(await cacheEntry(), 0o666);
    expect((await loadManifest(path, env)).manifest.concurrency).toBe(8);
  });

  it.skipIf(process.getuid?.() !== 0)('ignores an entry another user owns (as root)', async () => {
    const path = await manifestFile();
    await loadManifest(path, env);
    await tamper((entry) => (entry.manifest.concurrency = 99));
    await chown(await cacheEntry(), 65534, 65534);
    expect((await loadManifest(path, env)).manifest.concurrency).toBe(8);
  });
});
