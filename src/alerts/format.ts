/**
 * How a Message reads to a person, shared by the channels: a one-line subject, a plain-text
 * body and an HTML body (everything from a notice is escaped), built from the same few facts
 * per notice — what failed, what heal did, since when, on which host, under which notice id.
 * Discord builds its embeds from {@link noticeFacts}, {@link noticeTag} and {@link noticeColour}.
 */
import { formatDuration } from '../common/duration.js';
import type { AlertLevel } from './schema.js';
import type { Message, Notice } from './types.js';

/** The longest subject line {@link subject} makes (before the level tag). */
export const SUBJECT_MAX = 110;

/** Colours (0xRRGGBB) by level, and green for a notice that says things are well again. */
export const COLOURS = {
  critical: 0xe53935,
  warning: 0xffa000,
  info: 0x1e88e5,
  recovered: 0x43a047,
} as const;

/** A notice that brings good news: the service was healed, or the alert is resolved. */
export function isRecovery(notice: Pick<Notice, 'kind'>): boolean {
  return notice.kind === 'healed' || notice.kind === 'resolved';
}

/** The notice's colour: green for a recovery, else its level's. */
export function noticeColour(notice: Pick<Notice, 'kind' | 'level'>): number {
  return isRecovery(notice) ? COLOURS.recovered : COLOURS[notice.level];
}

/** "[CRITICAL]", "[WARNING]", "[INFO]", or "[HEALED]" / "[RESOLVED]" for good news. */
export function noticeTag(notice: Pick<Notice, 'kind' | 'level'>): string {
  if (isRecovery(notice)) return `[${notice.kind.toUpperCase()}]`;
  return levelTag(notice.level);
}

function levelTag(level: AlertLevel): string {
  return `[${level.toUpperCase()}]`;
}

/** The message's tag: its level, unless every notice is good news. */
function messageTag(message: Message): string {
  const [first] = message.notices;
  if (first && message.notices.every(isRecovery)) {
    return message.notices.every((n) => n.kind === first.kind) ? noticeTag(first) : '[RESOLVED]';
  }
  return levelTag(message.level);
}

/** Text on one line: control characters (CR, LF, tabs, …) become spaces, runs of spaces one. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/ {2,}/g, ' ').trim();
}

/**
 * Cuts text to at most `max` UTF-16 code units, ending with "…" when it was cut, and never in
 * the middle of a surrogate pair. Code units are never fewer than characters, so a limit that
 * counts characters (Discord's) is always kept.
 */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, Math.max(0, end))}…`;
}

/**
 * Cuts text to at most `max` UTF-8 bytes (a limit such as ntfy's), saying so: when it does not
 * fit, it ends with "…" and `note`, so the reader knows there was more. A character is never
 * split.
 */
export function cutBytes(text: string, max: number, note: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  let end = Math.max(0, max - Buffer.byteLength(`…${note}`));
  // Back to the start of a character: UTF-8 continuation bytes are 10xxxxxx.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return `${bytes.subarray(0, end).toString('utf8')}…${note}`;
}

/** The emoji of a notice: its level's, or a check mark for good news; as a name (Slack, ntfy tags) and a character. */
export const EMOJI = {
  critical: { name: 'rotating_light', char: '\u{1F6A8}' },
  warning: { name: 'warning', char: '\u26A0\uFE0F' },
  info: { name: 'information_source', char: '\u2139\uFE0F' },
  recovered: { name: 'white_check_mark', char: '\u2705' },
} as const;

export function noticeEmoji(notice: Pick<Notice, 'kind' | 'level'>): (typeof EMOJI)[keyof typeof EMOJI] {
  return isRecovery(notice) ? EMOJI.recovered : EMOJI[notice.level];
}

/** The notice's title, with "(reminder)" for a repeat. */
export function noticeTitle(notice: Notice): string {
  const title = oneLine(notice.title) || `${notice.service}: ${notice.kind}`;
  return notice.reminder ? `${title} (reminder)` : title;
}

/**
 * The subject (email), title or first line of a message:
 * `[CRITICAL] health-proxy is down`, or for several notices
 * `[CRITICAL] 3 services: a is down, b is down, c is back up`, cut short with "and N more".
 */
export function subject(message: Message): string {
  const tag = messageTag(message);
  const notices = message.notices;
  const [only] = notices;
  if (!only) return `${tag} no notices`;
  if (notices.length === 1) return `${tag} ${cut(noticeTitle(only), SUBJECT_MAX)}`;

  const services = new Set(notices.map((n) => n.service)).size;
  const head = services > 1 ? `${services} services: ` : `${notices.length} notices: `;
  const titles = notices.map((n) => oneLine(n.title));
  let text = head;
  let shown = 0;
  for (const title of titles) {
    const rest = titles.length - shown - 1;
    const tail = rest > 0 ? ` and ${rest} more` : '';
    const next = `${shown === 0 ? '' : ', '}${title}`;
    // Always show the first title (cut if need be); later ones only while they fit whole.
    if (shown > 0 && (text + next + tail).length > SUBJECT_MAX) break;
    text += shown === 0 ? cut(next, Math.max(20, SUBJECT_MAX - head.length - tail.length)) : next;
    shown += 1;
  }
  const more = titles.length - shown;
  return `${tag} ${text}${more > 0 ? ` and ${more} more` : ''}`;
}

/** An instant for people and machines alike: "2025-03-01T12:00:00Z" (UTC, whole seconds). */
export function isoTime(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown';
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "2025-03-01T12:00:00Z (for 12m)", or "(was down for 12m)" for a resolved notice. */
export function sinceText(notice: Notice): string {
  const when = isoTime(notice.since);
  if (isRecovery(notice)) {
    const downFor = notice.downForMs ?? notice.at - notice.since;
    return downFor > 0 ? `${when} (was down for ${formatDuration(downFor)})` : when;
  }
  const lasting = notice.at - notice.since;
  return lasting > 0 ? `${when} (for ${formatDuration(lasting)})` : when;
}

/** One labelled fact of a notice, as the bodies and Discord's fields show it. */
export type NoticeFact = { label: string; value: string };

/**
 * The facts of a notice, in order: what failed (or what changed, or what a summary folded),
 * what heal did (when it did something), since when, the service, the host, the notice id.
 */
export function noticeFacts(notice: Notice): NoticeFact[] {
  const facts: NoticeFact[] = [];
  if (notice.detail) facts.push({ label: notice.kind === 'folded' ? 'What was folded' : isRecovery(notice) ? 'What changed' : 'What failed', value: notice.detail });
  if (notice.action) facts.push({ label: 'What heal did', value: notice.action });
  facts.push({ label: 'Since', value: sinceText(notice) });
  facts.push({ label: 'Service', value: notice.service });
  facts.push({ label: 'Host', value: notice.host });
  facts.push({ label: 'Notice', value: notice.id });
  return facts;
}

/** One notice as plain text: its tag and title, then its facts, one a line. */
export function noticeText(notice: Notice): string {
  const facts = noticeFacts(notice);
  const width = Math.max(...facts.map((f) => f.label.length)) + 1;
  const lines = facts.map((f) => `  ${`${f.label}:`.padEnd(width + 1)}${indentContinuation(f.value, width + 3)}`);
  return [`${noticeTag(notice)} ${noticeTitle(notice)}`, ...lines].join('\n');
}

/** The plain-text body: one block per notice, then a line naming the delivery. */
export function textBody(message: Message): string {
  const blocks = message.notices.map(noticeText);
  const hosts = [...new Set(message.notices.map((n) => n.host))].join(', ');
  const footer = `-- \nSent by heal${hosts ? ` on ${hosts}` : ''} at ${isoTime(message.createdAt)} (message ${message.id}).`;
  return `${blocks.join('\n\n')}\n\n${footer}\n`;
}

function indentContinuation(value: string, indent: number): string {
  return value.replace(/\r\n?/g, '\n').split('\n').join(`\n${' '.repeat(indent)}`);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

function hex(colour: number): string {
  return `#${colour.toString(16).padStart(6, '0')}`;
}

/** The HTML body: a heading and a small table per notice; every value from a notice is escaped. */
export function htmlBody(message: Message): string {
  const sections = message.notices.map((notice) => {
    const colour = hex(noticeColour(notice));
    const rows = noticeFacts(notice)
      .map(
        (f) =>
          `<tr><th style="text-align:left;vertical-align:top;padding:2px 12px 2px 0;white-space:nowrap">${escapeHtml(f.label)}</th>` +
          `<td style="padding:2px 0;white-space:pre-wrap">${escapeHtml(f.value)}</td></tr>`,
      )
      .join('\n');
    return (
      `<div style="border-left:4px solid ${colour};padding:4px 12px;margin:0 0 16px 0">\n` +
      `<h2 style="font-size:16px;margin:4px 0 8px 0"><span style="color:${colour}">${escapeHtml(noticeTag(notice))}</span> ${escapeHtml(noticeTitle(notice))}</h2>\n` +
      `<table style="border-collapse:collapse;font-size:14px">\n${rows}\n</table>\n</div>`
    );
  });
  const hosts = [...new Set(message.notices.map((n) => n.host))].join(', ');
  const footer = `Sent by heal${hosts ? ` on ${hosts}` : ''} at ${isoTime(message.createdAt)} (message ${message.id}).`;
  return (
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(subject(message))}</title></head>\n` +
    `<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#222">\n` +
    `${sections.join('\n')}\n<p style="color:#777;font-size:12px">${escapeHtml(footer)}</p>\n</body></html>\n`
  );
}

