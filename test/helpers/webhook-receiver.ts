/**
 * A real webhook receiver on 127.0.0.1 for heal's `webhook` channel: it keeps every notice it
 * accepted, in order, and the test can switch its answer (a 503 while "down", then 200 again).
 */
import type { Notice } from '../../src/alerts/types.js';
import { reply, startHttpServer, type HttpHandler, type RecordedRequest, type serverScope } from './servers.js';

export type WebhookReceiver = {
  /** The URL to put in the manifest's webhook channel. */
  url: string;
  /** Every request, accepted or not. */
  requests: RecordedRequest[];
  /** The notices of every accepted request, in order. */
  accepted: Notice[];
  /** How it answers from now on. */
  answer(handler: HttpHandler): void;
};

/** Starts a receiver that answers 200, closed with the scope's other servers. */
export async function webhookReceiver(scope: ReturnType<typeof serverScope>): Promise<WebhookReceiver> {
  let answer: HttpHandler = reply(200, 'ok');
  const accepted: Notice[] = [];
  const server = await scope.add(
    startHttpServer((req, res, request) => {
      answer(req, res, request);
      if (res.statusCode < 300) accepted.push(...(JSON.parse(request.body) as { notices: Notice[] }).notices);
    }),
  );
  return { url: server.url('/hook'), requests: server.requests, accepted, answer: (handler) => { answer = handler; } };
}

/**
 * The `alerts:` block of a test manifest (top level, ending in a newline): one level, critical,
 * that sends to a webhook channel named "hook" at `url`.
 */
export function hookAlerts(url: string, { threshold = 1, timeout = '5s' }: { threshold?: number; timeout?: string } = {}): string {
  return `alerts:
  levels:
    critical: { threshold: ${threshold}, cooldown: 1h, channels: [hook] }
  channels:
    hook: { type: webhook, url: "${url}", timeout: ${timeout} }
`;
}
