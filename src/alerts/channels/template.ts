/**
 * The webhook's `template`: a request body written in the manifest, with `{{field}}` where a
 * notice's facts go, so any service that takes an HTTP POST (Pushover, Matrix, Teams, a pager)
 * is one block of YAML. Each notice of a message fills the template once (the webhook sends one
 * request per notice).
 *
 * A value goes in JSON-escaped (without its quotes) when the content type is JSON, so
 * `"text": "{{text}}"` stays valid whatever the text holds; percent-encoded for a form
 * (`application/x-www-form-urlencoded`); as it is otherwise. The fields are known when the
 * manifest is read: an unknown `{{name}}` is a validate error naming the known ones, and a JSON
 * template is filled with a sample notice and parsed, so a field outside its quotes is found
 * before the first alert.
 */
import { isoTime, noticeTag, noticeText, noticeTitle, subject } from '../format.js';
import type { Message, Notice } from '../types.js';

/** Every field a template may name, in the order the README lists them. */
export const TEMPLATE_FIELDS = [
  'service', 'level', 'kind', 'title', 'detail', 'action', 'host', 'since', 'at', 'id', 'key', 'tag', 'text',
  'subject', 'count', 'message_id', 'channel',
] as const;

export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

/** A template's content type unless the manifest says another. */
export const TEMPLATE_CONTENT_TYPE = 'application/json';

/** `{{name}}`, spaces inside the braces allowed; anything else between braces is left as it is. */
const FIELD = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

const KNOWN: ReadonlySet<string> = new Set(TEMPLATE_FIELDS);

/** The values of one notice's fields, and its message's. */
export function templateValues(message: Message, notice: Notice): Record<TemplateField, string> {
  return {
    service: notice.service,
    level: notice.level,
    kind: notice.kind,
    title: noticeTitle(notice),
    detail: notice.detail,
    action: notice.action ?? '',
    host: notice.host,
    since: isoTime(notice.since),
    at: isoTime(notice.at),
    id: notice.id,
    key: notice.key,
    tag: noticeTag(notice),
    text: noticeText(notice),
    subject: subject(message),
    count: String(message.notices.length),
    message_id: message.id,
    channel: message.channel,
  };
}

/** Whether a content type is JSON (`application/json`, `application/vnd.x+json; charset=utf-8`). */
export function isJsonType(contentType: string): boolean {
  return /^[^;]*[/+]json\s*(;|$)/i.test(contentType.trim());
}

/** How a value is written into a body of `contentType`. */
function escaperFor(contentType: string): (value: string) => string {
  if (isJsonType(contentType)) return (value) => JSON.stringify(value).slice(1, -1);
  if (/^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType.trim())) return encodeURIComponent;
  return (value) => value;
}

/** The template filled in with `values`, each escaped for `contentType`. */
export function renderTemplate(template: string, values: Readonly<Record<TemplateField, string>>, contentType: string): string {
  const escape = escaperFor(contentType);
  return template.replace(FIELD, (whole, name: string) => (KNOWN.has(name) ? escape(values[name as TemplateField]) : whole));
}

/** A notice with a quote, a backslash and a line break in it, to fill a template for validate. */
const SAMPLE_NOTICE: Notice = {
  id: 'api/down@0#1', key: 'api/down', kind: 'down', level: 'critical', service: 'api', title: 'api is down',
  detail: 'GET /health: status 500 "oops" C:\\heal\nsecond line', action: 'restarted (command), still failing',
  since: 0, at: 60_000, host: 'host',
};
const SAMPLE_MESSAGE: Message = { id: 'heal-0-hook', channel: 'hook', level: 'critical', notices: [SAMPLE_NOTICE], createdAt: 60_000 };

/**
 * What is wrong with a template, in one line each: unknown fields (naming the known ones), and
 * for a JSON content type, a body that is not JSON once filled in. Empty when it is fine.
 */
export function templateProblems(template: string, contentType: string): string[] {
  const unknown = [...new Set([...template.matchAll(FIELD)].map((m) => m[1] ?? '').filter((name) => !KNOWN.has(name)))];
  if (unknown.length) {
    const names = unknown.map((name) => `{{${name}}}`).join(', ');
    return [`unknown field${unknown.length > 1 ? 's' : ''} ${names}: the fields are ${TEMPLATE_FIELDS.map((f) => `{{${f}}}`).join(', ')}`];
  }
  if (!isJsonType(contentType)) return [];
  try {
    JSON.parse(renderTemplate(template, templateValues(SAMPLE_MESSAGE, SAMPLE_NOTICE), contentType));
    return [];
  } catch {
    return ['is not JSON once filled in: put each field inside quotes ("text": "{{text}}"; values are escaped), or set content_type for a body that is not JSON'];
  }
}
