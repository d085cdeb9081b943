/**
 * A local HTTP server that speaks Telegram's Bot API as heal uses it: `POST /bot<token>/sendMessage`
 * with a JSON body. It reads the body as Telegram does — the chat must be one it knows, the text
 * is parsed as Telegram's HTML when `parse_mode` is HTML (only its tags, only its escapes, every
 * tag closed) and may hold at most 4096 characters once parsed — and answers as Telegram does:
 * `{ ok: true, result: <message> }`, or `{ ok: false, error_code, description, parameters? }`
 * with that status (401 for another token, 404 for a path that is no token at all). On demand: a
 * 429 with `parameters.retry_after`, a group that became a supergroup, a blocked bot, nginx's 502
 * page, any reply, or no answer at all.
 */
import type { ServerResponse } from 'node:http';
import { startHttpServer, type RecordedRequest, type RunningHttpServer } from './servers.js';

export const BOT_TOKEN = '7012345678:AAHk-tElEgRaM_sEcReT_0123456789abcdef';
export const CHAT_ID = -1001234567890;
export const CHANNEL_USERNAME = '@heal_alerts';

export type TelegramBehaviour =
  | { kind: 'ok' }
  | { kind: 'rate-limited'; retryAfterSeconds: number }
  | { kind: 'migrated'; to: number }
  | { kind: 'blocked' }
  | { kind: 'bad-gateway' }
  | { kind: 'reply'; status: number; body: unknown }
  | { kind: 'hang' };

export type SendMessageBody = { chat_id?: number | string; text?: string; parse_mode?: string; disable_web_page_preview?: boolean };

/** One request the server received: the token of its path, its JSON, and the text as a reader sees it. */
export type TelegramPost = { request: RecordedRequest; token: string; body: SendMessageBody | undefined; shown?: string };

export type RunningTelegramServer = RunningHttpServer & {
  /** The `api_url` to put in the manifest. */
  apiUrl: string;
  posts: TelegramPost[];
  behave(behaviour: TelegramBehaviour): void;
};

const TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span', 'tg-spoiler', 'a', 'code', 'pre', 'blockquote', 'tg-emoji']);
const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"' };

/** Telegram's HTML as a reader sees it, or the error Telegram gives for it. */
export function parseTelegramHtml(html: string): { text: string } | { error: string } {
  const offset = (i: number) => Buffer.byteLength(html.slice(0, i));
  const open: string[] = [];
  let text = '';
  for (let i = 0; i < html.length; ) {
    const ch = html[i] as string;
    if (ch === '<') {
      const end = html.indexOf('>', i);
      if (end < 0) return { error: `Can't parse entities: Unclosed start tag at byte offset ${offset(i)}` };
      const inside = html.slice(i + 1, end);
      if (inside.startsWith('/')) {
        const name = inside.slice(1).trim().toLowerCase();
        const expected = open.pop();
        if (expected !== name) return { error: `Can't parse entities: Unmatched end tag at byte offset ${offset(i)}, expected "</${expected ?? ''}>", found "</${name}>"` };
      } else {
        const name = (/^[a-z-]+/i.exec(inside)?.[0] ?? inside).toLowerCase();
        if (!TAGS.has(name)) return { error: `Can't parse entities: Unsupported start tag "${name}" at byte offset ${offset(i)}` };
        open.push(name);
      }
      i = end + 1;
    } else if (ch === '&') {
      const entity = /^&(lt|gt|amp|quot|#\d+|#x[0-9a-f]+);/i.exec(html.slice(i, i + 12));
      if (!entity) return { error: `Can't parse entities: Character entity expected at byte offset ${offset(i)}` };
      const name = entity[1] as string;
      text += ENTITIES[name] ?? String.fromCodePoint(name.startsWith('#x') ? parseInt(name.slice(2), 16) : Number(name.slice(1)));
      i += entity[0].length;
    } else if (ch === '>') {
      return { error: `Can't parse entities: Unexpected end tag at byte offset ${offset(i)}` };
    } else {
      text += ch;
      i += 1;
    }
  }
  const unclosed = open.pop();
  return unclosed === undefined ? { text } : { error: `Can't parse entities: Can't find end tag corresponding to start tag "${unclosed}"` };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function refuse(res: ServerResponse, status: number, description: string, parameters?: object): void {
  json(res, status, { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) });
}

let nextMessageId = 100;

/** Starts a Bot-API-speaking server for the bot BOT_TOKEN in the chats CHAT_ID and CHANNEL_USERNAME. */
export async function startTelegramServer(): Promise<RunningTelegramServer> {
  let behaviour: TelegramBehaviour = { kind: 'ok' };
  const posts: TelegramPost[] = [];
  const server = await startHttpServer((req, res, request) => {
    const match = /^\/bot([^/]*)\/sendMessage$/.exec(request.path);
    if (!match || !/^\d+:[\w-]+$/.test(decodeURIComponent(match[1] ?? ''))) return refuse(res, 404, 'Not Found');
    const post: TelegramPost = { request, token: decodeURIComponent(match[1] ?? ''), body: undefined };
    posts.push(post);
    switch (behaviour.kind) {
      case 'hang':
        return;
      case 'rate-limited':
        return refuse(res, 429, `Too Many Requests: retry after ${behaviour.retryAfterSeconds}`, { retry_after: behaviour.retryAfterSeconds });
      case 'migrated':
        return refuse(res, 400, 'Bad Request: group chat was upgraded to a supergroup chat', { migrate_to_chat_id: behaviour.to });
      case 'blocked':
        return refuse(res, 403, 'Forbidden: bot was kicked from the supergroup chat');
      case 'bad-gateway':
        res.writeHead(502, { 'content-type': 'text/html' });
        return res.end('<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n');
      case 'reply':
        return json(res, behaviour.status, behaviour.body);
      case 'ok':
        break;
    }
    if (post.token !== BOT_TOKEN) return refuse(res, 401, 'Unauthorized');
    try {
      post.body = JSON.parse(request.body) as SendMessageBody;
    } catch {
      return refuse(res, 400, "Bad Request: can't parse JSON object");
    }
    const { chat_id: chat, text = '', parse_mode: mode } = post.body;
    if (chat === undefined) return refuse(res, 400, 'Bad Request: chat_id is empty');
    if (chat !== CHAT_ID && String(chat) !== String(CHAT_ID) && chat !== CHANNEL_USERNAME) return refuse(res, 400, 'Bad Request: chat not found');
    if (mode !== undefined && mode !== 'HTML') return refuse(res, 400, `Bad Request: unsupported parse_mode "${mode}"`);
    const parsed = mode === 'HTML' ? parseTelegramHtml(text) : { text };
    if ('error' in parsed) return refuse(res, 400, `Bad Request: ${parsed.error.replace(/^C/, 'c')}`);
    post.shown = parsed.text.trim();
    if (!post.shown) return refuse(res, 400, 'Bad Request: message text is empty');
    if (post.shown.length > 4096) return refuse(res, 400, 'Bad Request: message is too long');
    nextMessageId += 1;
    return json(res, 200, { ok: true, result: { message_id: nextMessageId, chat: { id: CHAT_ID, type: 'supergroup' }, date: Math.floor(Date.now() / 1000), text: post.shown } });
  });
  return { ...server, apiUrl: server.url('').replace(/\/$/, ''), posts, behave: (next) => void (behaviour = next) };
}
