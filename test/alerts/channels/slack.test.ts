import { afterEach, describe, expect, it } from 'vitest';
import { sendToChannel } from '../../../src/alerts/channels/index.js';
import { escapeSlack, slackChannel, slackPayload, SLACK_LIMITS } from '../../../src/alerts/channels/slack.js';
import type { Message } from '../../../src/alerts/types.js';
import { serverScope } from '../../helpers/servers.js';
import { SLACK_TOKEN, slackRefusal, startSlackServer, type SlackBehaviour } from '../../helpers/slack-server.js';
import { channelOf, manyNotices, message, notice, sendContext, T0 } from './fixtures.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

const slackSpec = (url: string, fields: Record<string, unknown> = {}) => channelOf('slack', { webhook_url: url, ...fields });

async function sendTo(behaviour: SlackBehaviour, { msg = message(), fields = {}, timeoutMs = 5_000 }: { msg?: Message; fields?: Record<string, unknown>; timeoutMs?: number } = {}) {
  const slack = await servers.add(startSlackServer());
  slack.behave(behaviour);
  const outcome = await sendToChannel(slackSpec(slack.webhookUrl, fields), msg, sendContext(timeoutMs));
  return { slack, outcome };
}

describe('slack channel', () => {
  it('posts text and blocks: a header, the facts as fields, a context with host, time and notice id', async () => {
    const { slack, outcome } = await sendTo({ kind: 'ok' });
    expect(outcome).toEqual({ ok: true, detail: 'status 200' });
    const [post] = slack.posts;
    expect(post?.answered).toBe('ok');
    expect(post?.request.headers['content-type']).toBe('application/json');
    expect(post?.body?.text).toMatch(/^\[CRITICAL\] health-proxy is down\n\n\[CRITICAL\] health-proxy is down\n {2}What failed: +port 127\.0\.0\.1:3002: connection refused\n/);
    expect(post?.body?.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: ':rotating_light: [CRITICAL] health-proxy is down', emoji: true } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*What failed*\nport 127.0.0.1:3002: connection refused' },
          { type: 'mrkdwn', text: '*What heal did*\nrestarted (launchd: com.example.health-proxy), still failing' },
          { type: 'mrkdwn', text: '*Since*\n2025-03-01T11:48:00Z (for 12m)' },
        ],
      },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: '*Host* build-box' },
          { type: 'mrkdwn', text: `<!date^${T0 / 1000}^{date_short_pretty} {time_secs}|2025-03-01T12:00:00Z>` },
          { type: 'mrkdwn', text: 'notice n-health-proxy-down' },
        ],
      },
    ]);
  });

  it('shows a resolved notice in the same style, with a check mark and what changed', async () => {
    const resolved = notice({ kind: 'resolved', title: 'health-proxy is back up', detail: 'port 127.0.0.1:3002 answers again', action: undefined, downForMs: 12 * 60_000 });
    const { slack } = await sendTo({ kind: 'ok' }, { msg: message([resolved]) });
    const blocks = slack.posts[0]?.body?.blocks ?? [];
    expect(blocks[0]?.text?.text).toBe(':white_check_mark: [RESOLVED] health-proxy is back up');
    expect(blocks[1]?.fields?.map((f) => f.text)).toEqual(['*What changed*\nport 127.0.0.1:3002 answers again', '*Since*\n2025-03-01T11:48:00Z (was down for 12m)']);
    expect(slack.posts[0]?.body?.text).toMatch(/^\[RESOLVED\] health-proxy is back up/);
  });

  it('escapes what a notice says, so it can never mention the channel or make a link', async () => {
    const { slack } = await sendTo({ kind: 'ok' }, { msg: message([notice({ detail: 'said <!channel> & <http://evil|click>' })]) });
    expect(slack.posts[0]?.body?.blocks?.[1]?.fields?.[0]?.text).toBe('*What failed*\nsaid &lt;!channel&gt; &amp; &lt;http://evil|click&gt;');
    expect(slack.posts[0]?.body?.text).not.toContain('<!channel>');
  });

  it('keeps every Slack limit for sixty notices with huge details, and says what it cut', async () => {
    const notices = manyNotices(60, { detail: `${'&'.repeat(1_500)}${'x'.repeat(9_000)}`, title: `a title ${'y'.repeat(300)}` });
    const msg = message(notices);
    const { slack, outcome } = await sendTo({ kind: 'ok' }, { msg });
    expect(outcome.ok).toBe(true); // the server checks Block Kit's limits (slackRefusal)
    const body = slack.posts[0]?.body ?? {};
    expect(slackRefusal(body)).toBeUndefined();
    expect(body.blocks).toHaveLength(49);
    const last = body.blocks?.at(-1);
    expect(last?.text?.text).toMatch(/^…and 44 more \(Slack shows at most 50 blocks\):\n(• \[CRITICAL\] a title y+…\n){10}/);
    expect(body.blocks?.[0]?.text?.text).toHaveLength(SLACK_LIMITS.header);
    expect(body.blocks?.[1]?.fields?.[0]?.text).toMatch(/^\*What failed\*\n(&amp;)+… \(cut: Slack allows 2,000 characters here\)$/);
    expect(body.text?.length).toBeLessThanOrEqual(SLACK_LIMITS.text);
    expect(body.text).toMatch(/… \(cut: Slack allows 40,000 characters here\)$/);
  });

  it('never cuts inside an escape', () => {
    const field = slackPayload(message([notice({ detail: '&'.repeat(5_000) })])).blocks[1];
    const text = field?.type === 'section' ? (field.fields?.[0]?.text ?? '') : '';
    expect(text).toMatch(/^\*What failed\*\n(&amp;)+… \(cut/);
    expect(escapeSlack('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
  });

  it.each([
    { status: 400, body: 'invalid_payload', error: 'Slack refused the message (400): invalid_payload: Slack could not read the message', gone: undefined },
    { status: 400, body: 'no_text', error: 'Slack refused the message (400): no_text: the message had no text', gone: undefined },
    { status: 403, body: 'invalid_token', error: 'Slack refused the message (403): invalid_token: the webhook URL is no longer valid: make a new webhook', gone: undefined },
    { status: 403, body: 'action_prohibited', error: 'Slack refused the message (403): action_prohibited: an admin restricted posting to the channel', gone: undefined },
    { status: 404, body: 'no_service', error: 'Slack refused the message (404): no_service: the webhook was removed or disabled: make a new webhook', gone: true },
    { status: 410, body: 'channel_is_archived', error: "Slack refused the message (410): channel_is_archived: the webhook's channel is archived", gone: true },
  ])('treats $status $body as permanent', async ({ status, body, error, gone }) => {
    const { outcome } = await sendTo({ kind: 'reply', status, body });
    expect(outcome).toEqual({ ok: false, retryable: false, error, ...(gone ? { gone } : {}) });
  });

  it('answers a webhook it does not know with no_service, which is gone', async () => {
    const slack = await servers.add(startSlackServer());
    const outcome = await slackChannel.send(slackSpec(slack.webhookUrl.replace(SLACK_TOKEN, 'someOtherToken99')), message(), sendContext());
    expect(outcome).toMatchObject({ ok: false, retryable: false, gone: true });
    expect(outcome.ok ? '' : outcome.error).not.toContain('someOtherToken99');
  });

  it('retries a 5xx, and waits out a 429 as long as its Retry-After says', async () => {
    expect((await sendTo({ kind: 'reply', status: 500, body: 'rollup_error' })).outcome).toEqual({ ok: false, retryable: true, error: 'status 500: rollup_error' });
    expect((await sendTo({ kind: 'rate-limited', retryAfterSeconds: 30 })).outcome).toEqual({ ok: false, retryable: true, retryAfterMs: 30_000, error: 'status 429: rate limited: rate_limited' });
  });

  // The server never answers; the other limit is ten minutes: the send can only end by the
  // channel's timeout, which its error names.
  it('gives up at its timeout when Slack never answers', async () => {
    const { slack, outcome } = await sendTo({ kind: 'hang' }, { fields: { timeout: '300ms' }, timeoutMs: 600_000 });
    expect(outcome).toMatchObject({ ok: false, retryable: true, error: 'timed out after 300ms' });
    await expect.poll(() => slack.connections.open).toBe(0);
  });

  it('never shows the webhook URL or its token, even when the answer echoes them', async () => {
    const slack = await servers.add(startSlackServer());
    slack.behave({ kind: 'reply', status: 400, body: `invalid_payload for ${slack.webhookUrl}` });
    const outcome = await sendToChannel(slackSpec(slack.webhookUrl), message(), sendContext());
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? '' : outcome.error).not.toContain(SLACK_TOKEN);
    expect(outcome.ok ? '' : outcome.error).toContain('[redacted]');
  });
});
