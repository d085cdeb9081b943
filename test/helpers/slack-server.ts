/**
 * A local HTTP server that speaks Slack's incoming-webhook API: `POST /services/T…/B…/<token>`
 * with a JSON body, answered as Slack does — 200 `ok` (text/plain); 400 `invalid_payload` for a
 * body that is not JSON, `no_text` for one without text or blocks, `invalid_blocks` for blocks
 * that break Block Kit's limits (50 blocks, header 150 plain-text characters, section text
 * 3000, 10 fields of 2000, 10 context elements), `msg_too_long` past 40,000 characters of text;
 * 404 `no_service` for another webhook; and on demand a 429 with Retry-After, any reply, or no
 * answer at all.
 */
import type { ServerResponse } from 'node:http';
import { startHttpServer, type RecordedRequest, type RunningHttpServer } from './servers.js';

export const SLACK_TOKEN = 'xQ7sLaCkWeBhOoKt0kEn1234';
export const SLACK_PATH = `/services/T0001TEAM/B0001HOOK/${SLACK_TOKEN}`;

export type SlackBehaviour =
  | { kind: 'ok' }
  | { kind: 'rate-limited'; retryAfterSeconds: number }
  | { kind: 'reply'; status: number; body: string }
  | { kind: 'hang' };

export type SlackText = { type: string; text: string; emoji?: boolean };
export type SlackBlockBody = { type: string; text?: SlackText; fields?: SlackText[]; elements?: SlackText[] };
export type SlackMessageBody = { text?: string; blocks?: SlackBlockBody[] };

/** One POST the server received, and what it made of it. */
export type SlackPost = { request: RecordedRequest; body: SlackMessageBody | undefined; answered: string };

export type RunningSlackServer = RunningHttpServer & {
  /** `http://127.0.0.1:PORT/services/T…/B…/<token>`, as Slack hands it out but local. */
  webhookUrl: string;
  posts: SlackPost[];
  behave(behaviour: SlackBehaviour): void;
};

/** What Slack would refuse in a message, as its error word; undefined when it is fine. */
export function slackRefusal(body: SlackMessageBody): string | undefined {
  const blocks = body.blocks ?? [];
  if (!body.text?.trim() && !blocks.length) return 'no_text';
  if ((body.text ?? '').length > 40_000) return 'msg_too_long';
  if (blocks.length > 50) return 'invalid_blocks';
  const textOk = (t: SlackText | undefined, max: number, types: string[]) => t !== undefined && types.includes(t.type) && t.text.length > 0 && t.text.length <= max;
  for (const block of blocks) {
    if (block.type === 'header' && !textOk(block.text, 150, ['plain_text'])) return 'invalid_blocks';
    if (block.type === 'section') {
      if (!block.text && !block.fields?.length) return 'invalid_blocks';
      if (block.text && !textOk(block.text, 3000, ['plain_text', 'mrkdwn'])) return 'invalid_blocks';
      if ((block.fields ?? []).length > 10 || (block.fields ?? []).some((f) => !textOk(f, 2000, ['plain_text', 'mrkdwn']))) return 'invalid_blocks';
    }
    if (block.type === 'context') {
      const elements = block.elements ?? [];
      if (!elements.length || elements.length > 10 || elements.some((e) => !textOk(e, 3000, ['plain_text', 'mrkdwn']))) return 'invalid_blocks';
    }
    if (!['header', 'section', 'context', 'divider'].includes(block.type)) return 'invalid_blocks';
  }
  return undefined;
}

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): string {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
  return body;
}

/** Starts a Slack-webhook-speaking server, answering `ok` until told otherwise. */
export async function startSlackServer(): Promise<RunningSlackServer> {
  let behaviour: SlackBehaviour = { kind: 'ok' };
  const posts: SlackPost[] = [];
  const server = await startHttpServer((req, res, request) => {
    const post: SlackPost = { request, body: undefined, answered: '' };
    posts.push(post);
    if (behaviour.kind === 'hang') return;
    if (behaviour.kind === 'reply') return void (post.answered = text(res, behaviour.status, behaviour.body));
    if (behaviour.kind === 'rate-limited') return void (post.answered = text(res, 429, 'rate_limited', { 'retry-after': String(behaviour.retryAfterSeconds) }));
    if (req.method !== 'POST' || request.path !== SLACK_PATH) return void (post.answered = text(res, 404, 'no_service'));
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return void (post.answered = text(res, 400, 'invalid_payload'));
    try {
      post.body = JSON.parse(request.body) as SlackMessageBody;
    } catch {
      return void (post.answered = text(res, 400, 'invalid_payload'));
    }
    const refusal = slackRefusal(post.body);
    post.answered = refusal ? text(res, 400, refusal) : text(res, 200, 'ok');
  });
  return { ...server, webhookUrl: server.url(SLACK_PATH), posts, behave: (next) => void (behaviour = next) };
}
