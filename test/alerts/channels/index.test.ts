import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { channelFor, channelSecrets, channelTypes, sendToChannel } from '../../../src/alerts/channels/index.js';
import type { ChannelSpec } from '../../../src/alerts/channels/schema.js';
import { channelSpec } from '../../../src/alerts/channels/schema.js';
import { message, sendContext } from './fixtures.js';

afterEach(() => vi.restoreAllMocks());

const TOKEN = 'T0k3n_sEcReT-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012';
const specs = {
  discord: channelSpec.parse({ type: 'discord', webhook_url: `https://discord.com/api/webhooks/1234567890123456789/${TOKEN}` }),
  email: channelSpec.parse({ type: 'email', host: 'smtp.example.com', user: 'heal', pass: 'pa55-w0rd!', from: 'heal@example.com', to: ['ops@example.com'] }),
  log: channelSpec.parse({ type: 'log' }),
  webhook: channelSpec.parse({ type: 'webhook', url: 'https://bob:pw-9876@hooks.example.com/in?key=qs-secret', headers: { Authorization: 'Bearer hdr-secret' } }),
  slack: channelSpec.parse({ type: 'slack', webhook_url: 'https://hooks.slack.com/services/T0001/B0001/sl4ck-t0ken-secret' }),
  telegram: channelSpec.parse({ type: 'telegram', bot_token: '7012345678:AAH-tg-secret_half', chat_id: -100123 }),
  ntfy: channelSpec.parse({ type: 'ntfy', url: 'https://ntfy.sh/secret-topic-77', user: 'heal', password: 'ntfy-pa55' }),
};

describe('channel registry', () => {
  it('has a channel for every manifest channel type', () => {
    expect(Object.keys(channelTypes).sort()).toEqual(['alertmanager', 'discord', 'email', 'log', 'ntfy', 'slack', 'telegram', 'webhook']);
    for (const [type, channel] of Object.entries(channelTypes)) expect(channel.type).toBe(type);
    expect(channelFor(specs.log)).toBe(channelTypes.log);
  });

  it('does not load discord.js until a Discord message needs it', async () => {
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((path) => /node_modules[\\/]discord\.js[\\/]/.test(path));
    expect(await sendToChannel(specs.log, message(), sendContext())).toMatchObject({ ok: true });
    expect(loaded()).toEqual([]);
  });

  it('sends through the channel of the spec', async () => {
    expect(await sendToChannel(specs.log, message(), sendContext())).toEqual({ ok: true, detail: 'logged 1 notice' });
  });

  it('refuses an unknown channel type as a permanent failure', async () => {
    const spec = { type: 'pager' } as unknown as ChannelSpec;
    expect(await sendToChannel(spec, message(), sendContext())).toEqual({ ok: false, retryable: false, error: 'unknown channel type "pager"' });
  });

  it('turns a channel that throws into a retryable failure without the secrets', async () => {
    vi.spyOn(channelTypes.webhook, 'send').mockRejectedValue(new Error('POST https://bob:pw-9876@hooks.example.com/in?key=qs-secret failed'));
    const outcome = await sendToChannel(specs.webhook, message(), sendContext());
    expect(outcome).toEqual({ ok: false, retryable: true, error: 'channel failed unexpectedly: POST [redacted] failed' });
  });

  it.each([
    { type: 'discord', leak: `token ${TOKEN}`, secret: TOKEN },
    { type: 'email', leak: 'auth pa55-w0rd! refused', secret: 'pa55-w0rd!' },
    { type: 'webhook', leak: 'key=qs-secret, Bearer hdr-secret', secret: 'qs-secret' },
    { type: 'webhook', leak: 'as bob:pw-9876', secret: 'pw-9876' },
    { type: 'slack', leak: 'no_service for /services/T0001/B0001/sl4ck-t0ken-secret', secret: 'sl4ck-t0ken-secret' },
    { type: 'telegram', leak: 'POST /bot7012345678:AAH-tg-secret_half/sendMessage', secret: 'AAH-tg-secret_half' },
    { type: 'telegram', leak: 'token AAH-tg-secret_half', secret: 'AAH-tg-secret_half' },
    { type: 'ntfy', leak: 'topic secret-topic-77 refused', secret: 'secret-topic-77' },
    { type: 'ntfy', leak: `Basic ${Buffer.from('heal:ntfy-pa55').toString('base64')}`, secret: Buffer.from('heal:ntfy-pa55').toString('base64') },
  ] as const)('redacts a $type secret that a channel let into its error', async ({ type, leak, secret }) => {
    vi.spyOn(channelTypes[type], 'send').mockResolvedValue({ ok: false, retryable: true, error: leak });
    const outcome = await sendToChannel(specs[type], message(), sendContext());
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? '' : outcome.error).not.toContain(secret);
    expect(outcome.ok ? '' : outcome.error).toContain('[redacted]');
  });

  it('gives up on a channel that does not settle by its budget', async () => {
    // The channel never settles: sendToChannel returning at all is its own guard giving up, and
    // the error is the guard's, naming the budget.
    const send = vi.spyOn(channelTypes.log, 'send').mockReturnValue(new Promise(() => undefined));
    const outcome = await sendToChannel(specs.log, message(), sendContext(200));
    expect(outcome).toEqual({ ok: false, retryable: true, maybeDelivered: true, error: 'did not finish within 200ms' });
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('knows the secrets of each spec', () => {
    expect(channelSecrets(specs.discord)).toContain(TOKEN);
    expect(channelSecrets(specs.email)).toContain('pa55-w0rd!');
    expect(channelSecrets(specs.webhook)).toEqual(expect.arrayContaining(['qs-secret', 'pw-9876', 'Bearer hdr-secret']));
    expect(channelSecrets(specs.slack)).toContain('sl4ck-t0ken-secret');
    expect(channelSecrets(specs.telegram)).toEqual(expect.arrayContaining(['7012345678:AAH-tg-secret_half', 'AAH-tg-secret_half']));
    expect(channelSecrets(specs.ntfy)).toEqual(expect.arrayContaining(['ntfy-pa55', 'secret-topic-77']));
    expect(channelSecrets(specs.log)).toEqual([]);
  });
});
