/**
 * Heavy libraries stay off a healthy scan's path: discord.js and nodemailer are loaded only when a
 * Discord message or an email is needed. Seen from inside the process,
 * through a module-resolution hook loaded with `node --import`.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
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

describe('a scan', () => {
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
