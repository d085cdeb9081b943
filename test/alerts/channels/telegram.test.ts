import { afterEach, describe, expect, it } from 'vitest';
import { deliver } from '../../../src/alerts/deliver.js';
import { enqueue } from '../../../src/alerts/outbox.js';
import { emptyAlertsState } from '../../../src/alerts/state.js';
import { sendToChannel } from '../../../src/alerts/channels/index.js';
import { channelSpec } from '../../../src/alerts/channels/schema.js';
import { fitPieces, renderPieces, sendMessageUrl, telegramChannel } from '../../../src/alerts/channels/telegram.js';
import type { Message } from '../../../src/alerts/types.js';
import { serverScope } from '../../helpers/servers.js';
import { DAY, simClock, simDeps } from '../../helpers/sim.js';
import { BOT_TOKEN, CHANNEL_USERNAME, CHAT_ID, parseTelegramHtml, startTelegramServer, type TelegramBehaviour } from '../../helpers/telegram-server.js';
import { channelOf, manyNotices, message, notice, sendContext } from './fixtures.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

const telegramSpec = (apiUrl: string, fields: Record<string, unknown> = {}) => channelOf('telegram', { bot_token: BOT_TOKEN, chat_id: CHAT_ID, api_url: apiUrl, ...fields });

async function sendTo(behaviour: TelegramBehaviour, { msg = message(), fields = {}, timeoutMs = 5_000 }: { msg?: Message; fields?: Record<string, unknown>; timeoutMs?: number } = {}) {
  const telegram = await servers.add(startTelegramServer());
  telegram.behave(behaviour);
  const outcome = await sendToChannel(telegramSpec(telegram.apiUrl, fields), msg, sendContext(timeoutMs));
  return { telegram, outcome };
}

const errorOf = (outcome: { ok: boolean; error?: string }) => (outcome.ok ? '' : (outcome.error ?? ''));

describe('telegram channel', () => {
  it('sends the message from the bot to the chat, as HTML a reader sees plainly', async () => {
    const { telegram, outcome } = await sendTo({ kind: 'ok' });
    expect(outcome).toEqual({ ok: true, detail: 'status 200' });
    const [post] = telegram.posts;
    expect(post?.request.path).toBe(`/bot${BOT_TOKEN}/sendMessage`);
    expect(post?.request.headers['content-type']).toBe('application/json');
    expect(post?.body).toMatchObject({ chat_id: CHAT_ID, parse_mode: 'HTML', disable_web_page_preview: true });
    expect(post?.body?.text).toMatch(/^\u{1F6A8} <b>\[CRITICAL\] health-proxy is down<\/b><b>\nWhat failed: <\/b>port/u);
    expect(post?.shown).toBe(
      [
        '\u{1F6A8} [CRITICAL] health-proxy is down',
        'What failed: port 127.0.0.1:3002: connection refused',
        'What heal did: restarted (launchd: com.example.health-proxy), still failing',
        'Since: 2025-03-01T11:48:00Z (for 12m)',
        'Service: health-proxy',
        'Host: build-box',
        'notice n-health-proxy-down',
      ].join('\n'),
    );
  });

  it('sends to a channel by its @username, and shows a resolved notice with a check mark', async () => {
    const resolved = notice({ kind: 'resolved', title: 'health-proxy is back up', action: undefined, downForMs: 12 * 60_000 });
    const { telegram, outcome } = await sendTo({ kind: 'ok' }, { msg: message([resolved]), fields: { chat_id: CHANNEL_USERNAME } });
    expect(outcome.ok).toBe(true);
    expect(telegram.posts[0]?.body?.chat_id).toBe(CHANNEL_USERNAME);
    expect(telegram.posts[0]?.shown).toMatch(/^\u2705 \[RESOLVED\] health-proxy is back up\nWhat changed: /u);
  });

  it('escapes what a notice says, so Telegram parses it as text', async () => {
    const { telegram, outcome } = await sendTo({ kind: 'ok' }, { msg: message([notice({ detail: '<b>body</b> & <script>1 > 0' })]) });
    expect(outcome.ok).toBe(true);
    expect(telegram.posts[0]?.shown).toContain('What failed: <b>body</b> & <script>1 > 0\n');
  });

  it('keeps to 4096 characters as Telegram counts them, cut outside any tag, saying so', async () => {
    const { telegram, outcome } = await sendTo({ kind: 'ok' }, { msg: message(manyNotices(30, { detail: '&<>'.repeat(700) })) });
    expect(outcome.ok).toBe(true); // the server parses the HTML and counts what a reader sees
    const shown = telegram.posts[0]?.shown ?? '';
    expect(shown.length).toBeLessThanOrEqual(4096);
    expect(shown.length).toBeGreaterThan(4000);
    expect(shown).toMatch(/…\n\(cut: Telegram allows 4096 characters\)$/);
    expect(telegram.posts[0]?.body?.text?.length).toBeGreaterThan(4096); // the escapes do not count
  });

  it('cuts pieces by their text, never a tag', () => {
    const pieces = fitPieces([{ text: 'abcdef', style: 'b' }, { text: 'ghij' }], 8, { text: '!', style: 'i' });
    expect(renderPieces(pieces)).toBe('<b>abcdef</b>…<i>!</i>');
    const html = renderPieces(fitPieces([{ text: '<&>'.repeat(10), style: 'b' }], 10, { text: '(cut)' }));
    expect(parseTelegramHtml(html)).toEqual({ text: '<&><…(cut)' });
  });

  it('keeps a path the API URL has', () => {
    expect(sendMessageUrl({ api_url: 'http://127.0.0.1:8081/telegram/', bot_token: '1:x' }).href).toBe('http://127.0.0.1:8081/telegram/bot1:x/sendMessage');
  });

  it('waits as long as a 429 says in parameters.retry_after', async () => {
    const { outcome } = await sendTo({ kind: 'rate-limited', retryAfterSeconds: 35 });
    expect(outcome).toEqual({ ok: false, retryable: true, retryAfterMs: 35_000, error: 'rate limited by Telegram (429): retry after 35s' });
  });

  it('pauses the channel across scans for a 429\'s retry_after', async () => {
    const telegram = await servers.add(startTelegramServer());
    telegram.behave({ kind: 'rate-limited', retryAfterSeconds: 600 });
    const clock = simClock();
    const channels = { tg: telegramSpec(telegram.apiUrl) };
    const run = (state: ReturnType<typeof emptyAlertsState>) => deliver(state, { deps: simDeps(clock), channels, maxAgeMs: DAY, deadline: clock.now() + 10_000 });
    const first = await run(enqueue(emptyAlertsState(), [message(undefined, { channel: 'tg', createdAt: clock.now() })]));
    expect(telegram.posts).toHaveLength(1);
    expect(first.channels['tg']?.retryAfterUntil).toBeGreaterThan(clock.now() + 500_000);
    expect(first.outbox[0]?.lastError).not.toContain(BOT_TOKEN);
    telegram.behave({ kind: 'ok' });
    clock.advance(5 * 60_000); // the next scan: still inside the pause
    expect((await run(first)).outbox).toHaveLength(1);
    expect(telegram.posts).toHaveLength(1);
    clock.advance(6 * 60_000); // past it
    expect((await run(first)).outbox).toEqual([]);
    expect(telegram.posts).toHaveLength(2);
  });

  it.each([
    { behaviour: { kind: 'migrated', to: -1009876543210 }, error: 'Telegram refused the message (400): Bad Request: group chat was upgraded to a supergroup chat: the group is now a supergroup, set chat_id: -1009876543210' },
    { behaviour: { kind: 'blocked' }, error: 'Telegram refused the message (403): Forbidden: bot was kicked from the supergroup chat' },
  ] as const)('treats $behaviour.kind as permanent', async ({ behaviour, error }) => {
    const { outcome } = await sendTo(behaviour);
    expect(outcome).toEqual({ ok: false, retryable: false, error });
  });

  it('says when the chat is not found', async () => {
    const { outcome } = await sendTo({ kind: 'ok' }, { fields: { chat_id: '-100555' } });
    expect(outcome).toEqual({ ok: false, retryable: false, error: 'Telegram refused the message (400): Bad Request: chat not found' });
  });

  it('says the token was refused (401, or 404 for one Telegram cannot read), without showing it', async () => {
    const telegram = await servers.add(startTelegramServer());
    const wrong = '7012345678:AAwrongWrongWrongWrongWrongWrong';
    const unauthorized = await telegramChannel.send(telegramSpec(telegram.apiUrl, { bot_token: wrong }), message(), sendContext());
    expect(unauthorized).toEqual({ ok: false, retryable: false, error: 'Telegram refused the bot token (401): Unauthorized: check bot_token' });
    const notFound = await telegramChannel.send({ ...telegramSpec(telegram.apiUrl), api_url: `${telegram.apiUrl}/nope/` }, message(), sendContext());
    expect(notFound).toEqual({ ok: false, retryable: false, error: 'Telegram refused the bot token (404): Not Found: check bot_token' });
  });

  it('retries a 5xx (nginx\'s 502 page gives no reason)', async () => {
    expect((await sendTo({ kind: 'bad-gateway' })).outcome).toEqual({ ok: false, retryable: true, error: 'status 502' });
  });

  it('gives up at its timeout when Telegram never answers', async () => {
    const { telegram, outcome } = await sendTo({ kind: 'hang' }, { fields: { timeout: '300ms' }, timeoutMs: 600_000 });
    expect(outcome).toMatchObject({ ok: false, retryable: true, error: 'timed out after 300ms' });
    await expect.poll(() => telegram.connections.open).toBe(0);
  });

  it('never shows the bot token, even when the answer echoes the URL', async () => {
    const telegram = await servers.add(startTelegramServer());
    telegram.behave({ kind: 'reply', status: 400, body: { ok: false, error_code: 400, description: `Bad Request: no such method /bot${BOT_TOKEN}/sendMessage (${encodeURIComponent(BOT_TOKEN)})` } });
    const outcome = await sendToChannel(telegramSpec(telegram.apiUrl), message(), sendContext());
    expect(errorOf(outcome)).toMatch(/^Telegram refused the message \(400\): Bad Request: no such method \/bot\[redacted\]\/sendMessage/);
    expect(errorOf(outcome)).not.toContain(BOT_TOKEN.split(':')[1]);
  });
});

describe('the telegram spec', () => {
  it('defaults api_url to Telegram and reads a numeric chat id from YAML or the environment', () => {
    const spec = channelSpec.parse({ type: 'telegram', bot_token: BOT_TOKEN, chat_id: CHAT_ID });
    expect(spec).toEqual({ type: 'telegram', bot_token: BOT_TOKEN, chat_id: String(CHAT_ID), api_url: 'https://api.telegram.org', timeout: 5_000 });
    expect(channelSpec.parse({ type: 'telegram', bot_token: BOT_TOKEN, chat_id: '12345' })).toMatchObject({ chat_id: '12345' });
  });
});
