/**
 * Heavy libraries stay off a healthy scan's path: discord.js and nodemailer are loaded only when a
 * Discord message or an email is needed; zod and the YAML parser (bundled) only when a manifest or a
 * state file must be validated. Seen from inside the process, through a module-resolution hook
 * loaded with `node --import`.
 */
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, FIXTURES, freePort, workspace, type Workspace } from '../helpers/cli.js';
import { startDiscordServer } from '../helpers/discord-server.js';
import { serverScope } from '../helpers/servers.js';

const servers = serverScope();
let ws: Workspace | undefined;
let listener: Server | undefined;
afterEach(async () => {
  listener?.close();
  await servers.closeAll();
});

/** Runs `heal scan` with the import recorder; resolves with the packages it loaded from node_modules. */
async function packagesLoaded(env: Record<string, string> = {}): Promise<string[]> {
  const log = join(ws!.dir, 'imports.log');
  await new Promise<void>((resolve) => {
    execFile(
      process.execPath,
      ['--import', join(FIXTURES, 'record-imports.mjs'), CLI, 'scan', '--config', ws!.manifest, '--state-dir', ws!.stateDir],
      { env: { ...process.env, HEAL_IMPORTS_LOG: log, ...env } },
      () => resolve(),
    );
  });
  const text = await readFile(log, 'utf8').catch(() => '');
  return [...new Set(text.split('\n').filter(Boolean))];
}

/** Runs `heal scan` recording every file it loads; resolves with the bundle's chunks among them. */
async function chunksLoaded(): Promise<string[]> {
  const log = join(ws!.dir, 'files.log');
  await rm(log, { force: true });
  await new Promise<void>((resolve) => {
    execFile(
      process.execPath,
      ['--import', join(FIXTURES, 'record-files.mjs'), CLI, 'scan', '--config', ws!.manifest, '--state-dir', ws!.stateDir],
      { env: { ...process.env, HEAL_FILES_LOG: log } },
      () => resolve(),
    );
  });
  const text = await readFile(log, 'utf8').catch(() => '');
  return [...new Set(text.split('\n').filter((file) => file.includes('/dist/')))];
}

describe('a scan', () => {
  it('loads neither zod nor the YAML parser when the manifest is cached and its own state is intact', async () => {
    const port = await freePort();
    listener = createServer((s) => s.destroy()).listen(port, '127.0.0.1');
    ws = await workspace(`version: 1
services:
  api: { checks: [ { type: port, port: ${port} } ] }
`);
    // The first scan parses the manifest (and caches it) and writes the first state.
    const first = await chunksLoaded();
    const bundled = async (files: string[], library: string) => {
      const texts = await Promise.all(files.map((file) => readFile(file, 'utf8')));
      return texts.some((text) => text.includes(`node_modules/${library}/`));
    };
    expect(await bundled(first, 'yaml')).toBe(true);

    const next = await chunksLoaded();
    expect(next.length).toBeGreaterThan(0);
    expect(await bundled(next, 'zod')).toBe(false);
    expect(await bundled(next, 'yaml')).toBe(false);
    expect(await bundled(next, 'commander')).toBe(true);
  });

  it('loads neither discord.js nor nodemailer when everything is healthy', async () => {
    const port = await freePort();
    listener = createServer((s) => s.destroy()).listen(port, '127.0.0.1');
    ws = await workspace(`version: 1
alerts:
  levels: { critical: { threshold: 1, cooldown: 1h, channels: [discord, mail] } }
  channels:
    discord: { type: discord, webhook_url: "http://127.0.0.1:1/api/webhooks/1/x" }
    mail: { type: email, host: 127.0.0.1, port: 1, from: a@b.c, to: [d@e.f] }
services:
  api:
    checks: [ { type: port, port: ${port} } ]
    restart: { type: command, run: ["true"] }
`);
    const loaded = await packagesLoaded();
    expect(loaded).not.toContain('discord.js');
    expect(loaded).not.toContain('nodemailer');
  });

  it('loads discord.js once a Discord message has to go out (the recorder sees it)', async () => {
    const discord = await servers.add(startDiscordServer());
    ws = await workspace(`version: 1
alerts:
  levels: { critical: { threshold: 1, cooldown: 1h, channels: [discord] } }
  channels:
    discord: { type: discord, webhook_url: "${discord.webhookUrl}" }
services:
  api: { checks: [ { type: port, port: ${await freePort()} } ] }
`);
    const loaded = await packagesLoaded();
    expect(loaded).toContain('discord.js');
    expect(loaded).not.toContain('nodemailer');
    expect(discord.posts).toHaveLength(1);
  });
});
