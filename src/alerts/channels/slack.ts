/**
 * The `slack` channel: one message per scan to a Slack incoming webhook, as Block Kit — per
 * notice a header (its emoji, tag and title), a section whose fields say what failed, what heal
 * did and since when, and a context line with the host, the time (in the reader's time zone) and
 * the notice id; resolved and healed notices in the same style with a check mark. The top-level
 * `text` (what notifications and screen readers show) is the subject and the plain-text body.
 *
 * Slack's limits are kept, never broken: text 40,000 characters, a section's text 3000, a field
 * 2000, a header 150, 50 blocks (past 16 notices the rest are listed in one last section). A cut
 * text ends saying so. Everything from a notice is escaped (&, <, >), so a detail can never
 * become a link or a mention (`<!channel>`).
 *
 * Slack answers 200 "ok". Its refusals are a word in a text body (`invalid_payload`, `no_text`,
 * `invalid_token`, `no_service`, `channel_is_archived`): permanent, 404 and 410 meaning the
 * webhook is gone; 429 (with Retry-After) and 5xx are retried. The webhook URL is the secret:
 * errors never hold it.
 */
import type { ChannelSpec } from './schema.js';
import { cut, isoTime, noticeEmoji, noticeFacts, noticeTag, noticeTitle, subject, textBody } from '../format.js';
import type { Channel, Message, Notice, SendOutcome } from '../types.js';
import { outcomeForStatus, postChannelJson, type ReasonFormat } from './post-json.js';
import { webhookSecrets } from './webhook.js';

export type SlackChannelSpec = Extract<ChannelSpec, { type: 'slack' }>;

/** Slack's documented limits (characters, blocks). */
export const SLACK_LIMITS = {
  text: 40_000,
  blocks: 50,
  header: 150,
  sectionText: 3_000,
  fields: 10,
  fieldText: 2_000,
  contextElements: 10,
  contextText: 3_000,
} as const;

type PlainText = { type: 'plain_text'; text: string; emoji: true };
type Markdown = { type: 'mrkdwn'; text: string };

/** The blocks heal sends. */
export type SlackBlock =
  | { type: 'header'; text: PlainText }
  | { type: 'section'; text?: Markdown; fields?: Markdown[] }
  | { type: 'context'; elements: Markdown[] };

export type SlackPayload = { text: string; blocks: SlackBlock[] };

/** Blocks per notice: header, section, context. */
const BLOCKS_PER_NOTICE = 3;

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Text for Slack: &, < and > escaped, so nothing in it becomes a link or a mention. */
export function escapeSlack(text: string): string {
  return text.replace(/[&<>]/g, (ch) => ESCAPES[ch] ?? ch);
}

/**
 * `raw` escaped for Slack, in at most `max` characters: when cut it ends saying so (Slack's
 * `limit` of the whole text it goes into), and never inside an escape ("&am").
 */
export function slackText(raw: string, max: number, limit = max): string {
  const text = escapeSlack(raw);
  if (text.length <= max) return text;
  const note = ` (cut: Slack allows ${limit.toLocaleString('en-US')} characters here)`;
  return `${cut(text, max - note.length).replace(/&[a-z]{0,3}…$/, '…')}${note}`;
}

function markdown(text: string): Markdown {
  return { type: 'mrkdwn', text };
}

/** Slack shows `<!date^…>` in the reader's own time zone; the ISO time is the fallback. */
function slackDate(ms: number): string {
  const iso = isoTime(ms);
  return Number.isFinite(ms) ? `<!date^${Math.floor(ms / 1_000)}^{date_short_pretty} {time_secs}|${iso}>` : iso;
}

/** One notice's blocks: header, section with its facts as fields, context. */
export function noticeBlocks(notice: Notice): SlackBlock[] {
  const facts = noticeFacts(notice).filter((f) => !['Service', 'Host', 'Notice'].includes(f.label));
  const fields = facts.slice(0, SLACK_LIMITS.fields).map((f) => {
    const label = `*${f.label}*\n`;
    return markdown(`${label}${slackText(f.value.trim() || '—', SLACK_LIMITS.fieldText - label.length, SLACK_LIMITS.fieldText)}`);
  });
  const context = [`*Host* ${escapeSlack(notice.host)}`, slackDate(notice.at), `notice ${escapeSlack(notice.id)}`];
  return [
    { type: 'header', text: { type: 'plain_text', text: cut(`:${noticeEmoji(notice).name}: ${noticeTag(notice)} ${noticeTitle(notice)}`, SLACK_LIMITS.header), emoji: true } },
    { type: 'section', fields },
    { type: 'context', elements: context.slice(0, SLACK_LIMITS.contextElements).map((text) => markdown(cut(text, SLACK_LIMITS.contextText))) },
  ];
}

/** The message as Slack takes it; see the top of this file. */
export function slackPayload(message: Message): SlackPayload {
  const notices = message.notices;
  const fits = notices.length * BLOCKS_PER_NOTICE <= SLACK_LIMITS.blocks;
  const shown = fits ? notices : notices.slice(0, Math.floor((SLACK_LIMITS.blocks - 1) / BLOCKS_PER_NOTICE));
  const blocks = shown.flatMap(noticeBlocks);
  const rest = notices.slice(shown.length);
  if (rest.length) {
    const lines = rest.map((n) => cut(`• ${noticeTag(n)} ${noticeTitle(n)}`, SLACK_LIMITS.header)).join('\n');
    blocks.push({ type: 'section', text: markdown(slackText(`…and ${rest.length} more (Slack shows at most ${SLACK_LIMITS.blocks} blocks):\n${lines}`, SLACK_LIMITS.sectionText)) });
  }
  return { text: slackText(`${subject(message)}\n\n${textBody(message)}`, SLACK_LIMITS.text), blocks };
}

/** What Slack's error words mean, for the ones a person can act on. */
const MEANINGS: Readonly<Record<string, string>> = {
  invalid_payload: 'Slack could not read the message',
  no_text: 'the message had no text',
  invalid_token: 'the webhook URL is no longer valid: make a new webhook',
  no_service: 'the webhook was removed or disabled: make a new webhook',
  no_service_id: 'the webhook URL is incomplete',
  channel_not_found: "the webhook's channel no longer exists",
  channel_is_archived: "the webhook's channel is archived",
  action_prohibited: 'an admin restricted posting to the channel',
  posting_to_general_channel_denied: 'only admins may post to the channel',
};

/** Slack words a refusal as one word in a text body. */
const SLACK_REASON: ReasonFormat = { keys: ['error'], bareString: false, maxLength: 80 };

/** How a non-2xx answer of Slack reads as an outcome. */
export function slackOutcome(status: number, retryAfterMs: number | undefined, reason?: string): SendOutcome {
  if (status === 429 || status === 408 || status >= 500 || (status >= 300 && status < 400)) return outcomeForStatus(status, retryAfterMs, reason);
  const meaning = reason === undefined ? undefined : MEANINGS[reason];
  const said = reason === undefined ? 'no reason given' : `${reason}${meaning ? `: ${meaning}` : ''}`;
  return { ok: false, retryable: false, ...(status === 404 || status === 410 ? { gone: true } : {}), error: `Slack refused the message (${status}): ${said}` };
}

/** The webhook URL and its path, where the token is. */
export function slackSecrets(spec: Pick<SlackChannelSpec, 'webhook_url'>): string[] {
  const secrets = webhookSecrets({ url: spec.webhook_url });
  try {
    const { pathname } = new URL(spec.webhook_url);
    secrets.push(pathname, pathname.split('/').pop() ?? '');
  } catch {
    // An invalid URL is refused before any of it is shown.
  }
  return secrets;
}

/** The `slack` channel type. */
export const slackChannel: Channel<SlackChannelSpec> = {
  type: 'slack',

  send(spec, message, ctx) {
    return postChannelJson(spec, ctx, () => new URL(spec.webhook_url), {
      body: JSON.stringify(slackPayload(message)),
      headers: { 'user-agent': 'heal (slack)' },
      secrets: slackSecrets(spec),
      outcome: slackOutcome,
      reason: SLACK_REASON,
    });
  },
};
