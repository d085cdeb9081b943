/**
 * The `telegram` channel: one message per scan from a bot to one chat, through the Bot API's
 * `POST {api_url}/bot<token>/sendMessage` with `{ chat_id, text, parse_mode: "HTML",
 * disable_web_page_preview: true }`. Per notice: its emoji and a bold tag and title, then its
 * facts, one a line; everything from a notice is escaped (&, <, >).
 *
 * Telegram allows 4096 characters of text after its HTML is parsed. The text is built as pieces
 * (plain or bold or italic), measured as Telegram measures them, cut there if need be — never
 * inside a tag or an escape — and ends saying it was cut.
 *
 * Telegram answers `{ ok: false, error_code, description, parameters }` on failure: a 429 pauses
 * the channel for `parameters.retry_after` seconds; 400 (chat not found, a group that became a
 * supergroup — the new chat_id is said), 401 and 404 (the token), 403 (the bot is not in the
 * chat, or was blocked) are permanent; 5xx is retried. The bot token is in the URL's path: it is
 * a secret of the channel (index.ts, `channelSecrets`), and no error is ever built from the URL.
 */
import { formatDuration } from '../../common/duration.js';
import type { ChannelSpec } from './schema.js';
import { cut, noticeEmoji, noticeFacts, noticeTag, noticeTitle } from '../format.js';
import type { Channel, Message, Notice, SendOutcome } from '../types.js';
import { outcomeForStatus, postChannelJson, type ReasonFormat } from './post-json.js';

export type TelegramChannelSpec = Extract<ChannelSpec, { type: 'telegram' }>;

/** The most characters of a message's text, after its HTML is parsed. */
export const TELEGRAM_MAX_TEXT = 4_096;

/** A run of text in one style. */
export type Piece = { text: string; style?: 'b' | 'i' };

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>]/g, (ch) => ESCAPES[ch] ?? ch);
}

/** The pieces as Telegram's HTML: each escaped, bold or italic in its tag. */
export function renderPieces(pieces: readonly Piece[]): string {
  return pieces.map((p) => (p.style ? `<${p.style}>${escapeHtml(p.text)}</${p.style}>` : escapeHtml(p.text))).join('');
}

/**
 * The pieces, cut to at most `max` characters of text as Telegram counts them (what is left once
 * the tags are read), ending with `note` when cut.
 */
export function fitPieces(pieces: readonly Piece[], max: number, note: Piece): Piece[] {
  const total = pieces.reduce((sum, p) => sum + p.text.length, 0);
  if (total <= max) return [...pieces];
  let room = max - note.text.length;
  const kept: Piece[] = [];
  for (const piece of pieces) {
    if (piece.text.length < room) {
      kept.push(piece);
      room -= piece.text.length;
      continue;
    }
    if (room > 0) kept.push({ ...piece, text: cut(piece.text, room) });
    break;
  }
  return [...kept, note];
}

/** One notice as pieces: emoji, bold tag and title, a line per fact, the notice id in italics. */
function noticePieces(notice: Notice): Piece[] {
  const pieces: Piece[] = [{ text: `${noticeEmoji(notice).char} ` }, { text: `${noticeTag(notice)} ${noticeTitle(notice)}`, style: 'b' }];
  for (const fact of noticeFacts(notice)) {
    if (fact.label === 'Notice') continue;
    pieces.push({ text: `\n${fact.label}: `, style: 'b' }, { text: fact.value });
  }
  pieces.push({ text: '\n' }, { text: `notice ${notice.id}`, style: 'i' });
  return pieces;
}

/** The text of a message (Telegram's HTML), within Telegram's 4096 characters. */
export function telegramText(message: Message): string {
  const pieces = message.notices.flatMap((notice, i) => [...(i ? [{ text: '\n\n' }] : []), ...noticePieces(notice)]);
  const note: Piece = { text: `\n(cut: Telegram allows ${TELEGRAM_MAX_TEXT} characters)`, style: 'i' };
  return renderPieces(fitPieces(pieces, TELEGRAM_MAX_TEXT, note));
}

/** The JSON body of `sendMessage`. A numeric chat id goes as a number, an @username as a string. */
export function telegramPayload(spec: Pick<TelegramChannelSpec, 'chat_id'>, message: Message): Record<string, unknown> {
  return {
    chat_id: /^-?\d+$/.test(spec.chat_id) && Number.isSafeInteger(Number(spec.chat_id)) ? Number(spec.chat_id) : spec.chat_id,
    text: telegramText(message),
    parse_mode: 'HTML',
    disable_web_page_preview: true,
  };
}

/** `{api_url}/bot<token>/sendMessage`, keeping a path the API URL has. */
export function sendMessageUrl(spec: Pick<TelegramChannelSpec, 'api_url' | 'bot_token'>): URL {
  const base = new URL(spec.api_url);
  base.pathname = `${base.pathname.replace(/\/+$/, '')}/bot${spec.bot_token}/sendMessage`;
  return base;
}

/** The bot token (whole, and its secret half after the colon). */
export function telegramSecrets(spec: Pick<TelegramChannelSpec, 'bot_token'>): string[] {
  return [spec.bot_token, spec.bot_token.split(':').slice(1).join(':')];
}

/** What Telegram says besides the description: how long to wait, where a group went. */
type Parameters = { retry_after?: unknown; migrate_to_chat_id?: unknown };

function parametersOf(body: string | undefined): Parameters {
  try {
    const parsed = JSON.parse(body ?? '') as { parameters?: unknown };
    return parsed.parameters && typeof parsed.parameters === 'object' ? (parsed.parameters as Parameters) : {};
  } catch {
    return {};
  }
}

/** Telegram's reason for a refusal: the `description` ("Bad Request: chat not found"). */
const TELEGRAM_REASON: ReasonFormat = { keys: ['description'], bareString: false, maxLength: 160 };

/** How a non-2xx answer of the Bot API reads as an outcome. */
export function telegramOutcome(status: number, retryAfterMs: number | undefined, reason?: string, body?: string): SendOutcome {
  const parameters = parametersOf(body);
  const said = reason ? `: ${reason}` : '';
  if (status === 429) {
    const seconds = parameters.retry_after;
    const wait = typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1_000) : retryAfterMs;
    return { ok: false, retryable: true, ...(wait === undefined ? {} : { retryAfterMs: wait }), error: `rate limited by Telegram (429)${wait === undefined ? '' : `: retry after ${formatDuration(wait)}`}` };
  }
  if (typeof parameters.migrate_to_chat_id === 'number') {
    return { ok: false, retryable: false, error: `Telegram refused the message (${status})${said}: the group is now a supergroup, set chat_id: ${parameters.migrate_to_chat_id}` };
  }
  if (status === 401 || status === 404) return { ok: false, retryable: false, error: `Telegram refused the bot token (${status})${said}: check bot_token` };
  if (status === 400 || status === 403) return { ok: false, retryable: false, error: `Telegram refused the message (${status})${said}` };
  return outcomeForStatus(status, retryAfterMs, reason);
}

/** The `telegram` channel type. */
export const telegramChannel: Channel<TelegramChannelSpec> = {
  type: 'telegram',

  send(spec, message, ctx) {
    return postChannelJson(spec, ctx, () => sendMessageUrl(spec), {
      body: JSON.stringify(telegramPayload(spec, message)),
      headers: { 'user-agent': 'heal (telegram)' },
      secrets: telegramSecrets(spec),
      outcome: telegramOutcome,
      reason: TELEGRAM_REASON,
    });
  },
};
