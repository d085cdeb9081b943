/**
 * Alerts end to end, over several real scans of the built CLI: a Discord-speaking HTTP server
 * driven by the real discord.js, and a real SMTP server (smtp-server) for email.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, runHeal, workspace, type Workspace } from '../helpers/cli.js';
import { startDiscordServer, WEBHOOK_TOKEN } from '../helpers/discord-server.js';
import { serverScope, startTcpServer } from '../helpers/servers.js';
import { startSmtpServer } from '../helpers/smtp-server.js';

const servers = serverScope();
let ws: Workspace | undefined;
afterEach(() => servers.closeAll());

const SMTP_PASS = 'sm7p-pa55word-never-logged';

/**
 * The channels' timeouts are upper bounds that only a hung peer reaches: every send here is
 * answered (or refused) at once, but a loaded machine may take seconds to load discord.js and
 * connect, and a send cut short by a tight timeout stays in the outbox, or goes out twice.
 */
function manifest(servicePort: number, smtpPort: number): string {
  return `version: 1
log_file: heal.log
scan_timeout: 20s
alerts:
  levels:
    critical: { threshold: 2, cooldown: 1h, channels: [discord, mail, log] }
  channels:
    discord: { type: discord, webhook_url: "\${DISCORD_WEBHOOK_URL}", timeout: 10s }
    mail: { type: email, host: 127.0.0.1, port: ${smtpPort}, user: heal, pass: "\${SMTP_PASS}", from: heal@example.com, to: [ops@example.com], timeout: 10s }
services:
  api:
    checks: [ { type: port, port: ${servicePort} } ]
`;
}

/** Something that accepts connections on `port` (the service is "up"), closed after the test. */
async function listen(port: number): Promise<void> {
  await servers.add(startTcpServer((socket) => socket.destroy(), port));
}

/** Every file under the state dir and the workspace's log, as one string. */
async function everythingWritten(dir: string): Promise<string> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
  const texts = await Promise.all(files.map((f) => readFile(join(f.parentPath, f.name), 'utf8')));
  return texts.join('\n');
}

describe('alerts over several scans', () => {
  it('delivers every notice exactly once to channels that were down for three scans, and leaks no secret', { timeout: 90_000 }, async () => {
    const discord = await servers.add(startDiscordServer());
    const servicePort = await freePort();
    const smtpPort = await freePort();
    ws = await workspace(manifest(servicePort, smtpPort));
    const env = { DISCORD_WEBHOOK_URL: discord.webhookUrl, SMTP_PASS };
    const scan = async () => {
      const run = await runHeal(['scan', '--config', ws!.manifest, '--state-dir', ws!.stateDir, '--json'], { cwd: ws!.dir, env });
      expect(run.stderr).toBe('');
      return { ...run, report: JSON.parse(run.stdout) };
    };

    discord.behave({ kind: 'server-error' }); // Discord answers 500; nothing listens for SMTP.
    const first = await scan();
    expect(first.code).toBe(1);
    expect(first.report.services[0].alerts).toBeUndefined(); // threshold 2: not yet

    const second = await scan();
    expect(second.report.services[0].alerts).toEqual([{ id: expect.stringMatching(/^api\/down@\d+#1$/), kind: 'down', level: 'critical', channels: ['discord', 'mail', 'log'] }]);
    expect(second.report.outbox).toEqual({ discord: 1, mail: 1 });

    const third = await scan();
    expect(third.report.services[0].alerts).toBeUndefined(); // inside the cooldown
    expect(third.report.outbox).toEqual({ discord: 1, mail: 1 });
    const status = JSON.parse((await runHeal(['status', '--json', '--config', ws.manifest, '--state-dir', ws.stateDir], { env })).stdout);
    expect(status.channels.find((c: { name: string }) => c.name === 'discord')).toMatchObject({ waiting: 1, lastError: expect.stringContaining('500') });

    // The channels come back.
    const failedPosts = discord.posts.length;
    expect(failedPosts).toBeGreaterThan(1);
    discord.behave({ kind: 'ok' });
    const smtp = await servers.add(startSmtpServer({ port: smtpPort, auth: { user: 'heal', pass: SMTP_PASS } }));
    const fourth = await scan();
    expect(fourth.report.outbox).toEqual({});

    await listen(servicePort); // the service is back
    const fifth = await scan();
    expect(fifth.code).toBe(0);
    expect(fifth.report.services[0].alerts).toEqual([{ id: expect.stringMatching(/^api\/down@\d+\/resolved$/), kind: 'resolved', level: 'critical', channels: ['discord', 'mail', 'log'] }]);
    expect(fifth.report.outbox).toEqual({});

    const delivered = discord.posts.slice(failedPosts).flatMap((p) => p.body?.embeds?.map((e) => e.footer?.text ?? '') ?? []);
    const downId = second.report.services[0].alerts[0].id;
    const resolvedId = fifth.report.services[0].alerts[0].id;
    expect(delivered.filter((f) => f.includes(downId))).toHaveLength(1);
    expect(delivered.filter((f) => f.includes(resolvedId))).toHaveLength(1);
    expect(smtp.received.map((m) => m.mail.subject)).toEqual(['[CRITICAL] api is down', expect.stringMatching(/^\[RESOLVED\] api is back up/)]);
    expect(new Set(smtp.received.map((m) => m.mail.messageId)).size).toBe(2);

    const written = await everythingWritten(ws.dir);
    expect(written).toContain('alert delivered');
    expect(written).not.toContain(WEBHOOK_TOKEN);
    expect(written).not.toContain(SMTP_PASS);
    for (const run of [first, second, third, fourth, fifth]) expect(run.stdout + run.stderr).not.toContain(WEBHOOK_TOKEN);
  });

  it('sends a notice written to the outbox by a scan that was killed before sending it', { timeout: 90_000 }, async () => {
    const discord = await servers.add(startDiscordServer());
    const servicePort = await freePort();
    ws = await workspace(manifest(servicePort, await freePort()).replace('channels: [discord, mail, log]', 'channels: [discord]').replace('threshold: 2', 'threshold: 1'));
    const env = { DISCORD_WEBHOOK_URL: discord.webhookUrl, SMTP_PASS };
    discord.behave({ kind: 'hang' }); // the send hangs: kill the scan while it waits
    const scanning = runHeal(['scan', '--config', ws.manifest, '--state-dir', ws.stateDir], { cwd: ws.dir, env, timeoutMs: 60_000 });
    const { waitFor } = await import('../helpers/cli.js');
    await waitFor(() => discord.posts.length > 0, 45_000);
    const lock = JSON.parse(await readFile(join(ws.stateDir, 'scan.lock'), 'utf8'));
    process.kill(lock.pid, 'SIGKILL');
    await scanning;
    const state = JSON.parse(await readFile(join(ws.stateDir, 'state.json'), 'utf8'));
    expect(state.alerts.outbox).toHaveLength(1);

    discord.behave({ kind: 'ok' });
    const before = discord.posts.length;
    const next = await runHeal(['scan', '--config', ws.manifest, '--state-dir', ws.stateDir, '--json'], { cwd: ws.dir, env });
    expect(JSON.parse(next.stdout).outbox).toEqual({});
    const ids = discord.posts.slice(before).flatMap((p) => p.body?.embeds?.map((e) => e.footer?.text) ?? []);
    expect(ids).toEqual([expect.stringContaining('api/down@')]);
  });
});

describe('heal alert test', () => {
  it('reports each channel: sent, or why not, and exits 1 when one failed', async () => {
    const discord = await servers.add(startDiscordServer());
    ws = await workspace(manifest(await freePort(), await freePort()));
    const run = await runHeal(['alert', 'test', '--config', ws.manifest], { env: { DISCORD_WEBHOOK_URL: discord.webhookUrl, SMTP_PASS } });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^discord: sent\nmail: FAILED: .*\(transient\)\nlog: sent\n$/);
    expect(discord.posts[0]?.body?.embeds?.[0]?.title).toBe('heal test notice (info)');
    expect(run.stdout + run.stderr).not.toContain(SMTP_PASS);
  });

  it('sends through one channel with --channel', async () => {
    const discord = await servers.add(startDiscordServer());
    ws = await workspace(manifest(await freePort(), await freePort()));
    const run = await runHeal(['alert', 'test', '--channel', 'discord', '--level', 'critical', '--config', ws.manifest], { env: { DISCORD_WEBHOOK_URL: discord.webhookUrl, SMTP_PASS } });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('discord: sent\n');
    expect(discord.posts[0]?.body?.embeds?.[0]?.title).toBe('heal test notice (critical)');
  });
});

describe('silences', () => {
  it('keeps a silenced service out of alerts, shows it in status, and alerts again once lifted', async () => {
    const discord = await servers.add(startDiscordServer());
    ws = await workspace(manifest(await freePort(), await freePort()).replace('channels: [discord, mail, log]', 'channels: [discord]').replace('threshold: 2', 'threshold: 1'));
    const env = { DISCORD_WEBHOOK_URL: discord.webhookUrl, SMTP_PASS };
    const heal = (...args: string[]) => runHeal([...args, '--config', ws!.manifest, '--state-dir', ws!.stateDir], { cwd: ws!.dir, env });

    const silenced = await heal('silence', 'api', '--for', '2h', '--reason', 'maintenance');
    expect(silenced.code).toBe(0);
    expect(silenced.stdout).toMatch(/^api: silenced for 2h, until .* \(maintenance\)\n$/);
    await heal('scan');
    expect(discord.posts).toHaveLength(0);
    const status = JSON.parse((await heal('status', '--json')).stdout);
    expect(status.services[0].silenced).toEqual({ until: expect.any(String), reason: 'maintenance' });

    expect((await heal('unsilence', 'api')).stdout).toBe('api: silence lifted\n');
    await heal('scan');
    expect(discord.posts).toHaveLength(1);
  });

  it('refuses a duration it cannot read', async () => {
    ws = await workspace(manifest(await freePort(), await freePort()));
    const run = await runHeal(['silence', 'api', '--for', 'soon', '--config', ws.manifest, '--state-dir', ws.stateDir], { env: { DISCORD_WEBHOOK_URL: 'http://127.0.0.1:1/api/webhooks/1/x', SMTP_PASS } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('heal: silence --for soon: expected a duration such as "30m" or "2h"\n');
  });
});
