/**
 * A local HTTP server that speaks ntfy's publishing API as heal uses it: JSON published to the
 * root (`POST /` with `{ topic, title, message, priority, tags }`). It reads it as ntfy does —
 * at most 8192 bytes of JSON (413 "JSON body too large"), a topic of 1–64 of [-_A-Za-z0-9]
 * (400), a priority of 1–5 (400), the login (401 for wrong credentials, 403 for none on a
 * protected topic) — and answers as ntfy does: 200 with the message event it made, or
 * `{ code, http, error, link }`. A message over 4096 bytes is what ntfy would turn into an
 * attachment: it is recorded as such. On demand: a 429 (ntfy sends no Retry-After; a proxy may),
 * any reply, or no answer at all.
 */
import type { ServerResponse } from 'node:http';
import { startHttpServer, type RecordedRequest, type RunningHttpServer } from './servers.js';

export const NTFY_TOPIC = 'heal-alerts-x7f3';
export const NTFY_TOKEN = 'tk_ntfyS3cr3tAccessToken0123456';

/** Who may publish: anyone, a token, or a user and password. */
export type NtfyAuth = { kind: 'open' } | { kind: 'token'; token: string } | { kind: 'basic'; user: string; password: string };

export type NtfyBehaviour =
  | { kind: 'ok' }
  | { kind: 'rate-limited'; retryAfterSeconds?: number }
  | { kind: 'reply'; status: number; body: unknown }
  | { kind: 'hang' };

export type NtfyPublishBody = { topic?: string; title?: string; message?: string; priority?: number; tags?: string[] };

export type NtfyPost = {
  request: RecordedRequest;
  body: NtfyPublishBody | undefined;
  /** ntfy would have made the message an attachment (over 4096 bytes). */
  attachment?: boolean;
};

export type RunningNtfyServer = RunningHttpServer & {
  /** The topic's URL, as a person would give it. */
  topicUrl: string;
  posts: NtfyPost[];
  behave(behaviour: NtfyBehaviour): void;
};

function error(res: ServerResponse, http: number, code: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(http, { 'content-type': 'application/json', 'access-control-allow-origin': '*', ...headers });
  res.end(`${JSON.stringify({ code, http, error: message, link: 'https://ntfy.sh/docs/publish/' })}\n`);
}

function authorized(auth: NtfyAuth, header: string | undefined): 'ok' | 'none' | 'wrong' {
  if (auth.kind === 'open') return 'ok';
  if (!header) return 'none';
  const expected = auth.kind === 'token' ? `Bearer ${auth.token}` : `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  return header === expected ? 'ok' : 'wrong';
}

/** Starts an ntfy-speaking server whose topic NTFY_TOPIC takes what `auth` allows. */
export async function startNtfyServer(auth: NtfyAuth = { kind: 'token', token: NTFY_TOKEN }): Promise<RunningNtfyServer> {
  let behaviour: NtfyBehaviour = { kind: 'ok' };
  const posts: NtfyPost[] = [];
  const server = await startHttpServer((req, res, request) => {
    if (req.method !== 'POST' && req.method !== 'PUT') return error(res, 404, 40401, 'page not found');
    if (request.path !== '/') return error(res, 404, 40401, 'page not found'); // heal publishes JSON to the root only
    const post: NtfyPost = { request, body: undefined };
    posts.push(post);
    if (behaviour.kind === 'hang') return;
    if (behaviour.kind === 'reply') {
      res.writeHead(behaviour.status, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(behaviour.body));
    }
    if (behaviour.kind === 'rate-limited') {
      const seconds = behaviour.retryAfterSeconds;
      return error(res, 429, 42901, 'limit reached: too many requests, please be nice', seconds === undefined ? {} : { 'retry-after': String(seconds) });
    }
    if (Buffer.byteLength(request.body) > 8192) return error(res, 413, 41303, 'JSON body too large');
    try {
      post.body = JSON.parse(request.body) as NtfyPublishBody;
    } catch {
      return error(res, 400, 40017, 'invalid request: request body must be message JSON');
    }
    const { topic = '', title = '', message = '', priority = 0, tags = [] } = post.body;
    if (!/^[-_A-Za-z0-9]{1,64}$/.test(topic)) return error(res, 400, 40009, 'invalid request: topic invalid');
    const login = topic === NTFY_TOPIC ? authorized(auth, req.headers.authorization) : 'ok';
    if (login === 'wrong') return error(res, 401, 40101, 'unauthorized');
    if (login === 'none') return error(res, 403, 40301, 'forbidden');
    if (priority !== 0 && (!Number.isInteger(priority) || priority < 1 || priority > 5)) return error(res, 400, 40007, 'invalid priority parameter');
    post.attachment = Buffer.byteLength(message) > 4096;
    res.writeHead(200, { 'content-type': 'application/json' });
    const time = Math.floor(Date.now() / 1000);
    res.end(`${JSON.stringify({ id: `m${posts.length}xYz`, time, expires: time + 43200, event: 'message', topic, title, message: message.trim(), priority, tags })}\n`);
  });
  return { ...server, topicUrl: server.url(`/${NTFY_TOPIC}`), posts, behave: (next) => void (behaviour = next) };
}
