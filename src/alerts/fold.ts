/**
 * The outbox's bound, pure: at most {@link MAX_WAITING_PER_CHANNEL} messages wait for any one
 * channel. When more would, the oldest are folded into one summary message at the head of that
 * channel's queue — a `folded` notice that says how many notices it stands for, from when to
 * when, and about which services — so a channel that is down for days costs a scan a few
 * messages, not a hundred thousand, and nothing is dropped without a word. A summary that is
 * still waiting when the cap is passed again absorbs the next oldest messages (its counts add
 * up); it gets a new id each time, so a receiver that drops repeats by id never drops a summary
 * whose counts grew.
 */
import type { AlertLevel } from './schema.js';
import { isoTime } from './format.js';
import { levelRank } from './levels.js';
import type { OutboxEntry } from './state.js';
import type { FoldedNotices, Message, Notice } from './types.js';

/** The most messages that wait for one channel; the oldest past it are folded into one summary. */
export const MAX_WAITING_PER_CHANNEL = 20;

/** The most service names a summary lists (it says when there were more). */
export const MAX_FOLDED_SERVICES = 100;

/** Services a summary's title names before "and N more". */
const TITLE_SERVICES = 3;

/** Services a summary's detail names before "and N more". */
const DETAIL_SERVICES = 20;

/**
 * The outbox with at most `max` entries per channel, in the same order: for a channel with more,
 * its oldest entries (a summary already at its head included) become one summary entry where the
 * first of them was. Channels within the cap are untouched. O(entries).
 */
export function capOutbox(outbox: readonly OutboxEntry[], max: number = MAX_WAITING_PER_CHANNEL): OutboxEntry[] {
  const limit = Math.max(1, Math.floor(max));
  const counts = new Map<string, number>();
  for (const entry of outbox) counts.set(entry.message.channel, (counts.get(entry.message.channel) ?? 0) + 1);
  /** Per channel over the cap: how many of its oldest entries to fold, and those seen so far. */
  const folding = new Map<string, { count: number; entries: OutboxEntry[] }>();
  for (const [channel, count] of counts) if (count > limit) folding.set(channel, { count: count - limit + 1, entries: [] });
  if (!folding.size) return [...outbox];

  const result: (OutboxEntry | string)[] = [];
  for (const entry of outbox) {
    const fold = folding.get(entry.message.channel);
    if (!fold || fold.entries.length >= fold.count) {
      result.push(entry);
      continue;
    }
    // The first folded entry keeps the place of the summary that replaces them all.
    if (!fold.entries.length) result.push(entry.message.channel);
    fold.entries.push(entry);
  }
  return result.map((item) => (typeof item === 'string' ? summaryEntry(item, (folding.get(item) as { entries: OutboxEntry[] }).entries, limit) : item));
}

/** What a run of entries holds, a summary among them counted by what it stands for. */
function tally(entries: readonly OutboxEntry[]): { folded: FoldedNotices; since: number; at: number; level: AlertLevel; host: string } {
  let messages = 0;
  let notices = 0;
  let moreServices = false;
  const services = new Set<string>();
  let since = Infinity;
  let at = -Infinity;
  let level: AlertLevel = 'info';
  let host = '';
  for (const { message } of entries) {
    let plain = 0;
    for (const notice of message.notices) {
      if (levelRank(notice.level) > levelRank(level)) level = notice.level;
      host = notice.host;
      if (notice.folded) {
        messages += notice.folded.messages;
        notices += notice.folded.notices;
        for (const service of notice.folded.services) services.add(service);
        moreServices ||= notice.folded.moreServices === true;
        since = Math.min(since, notice.since);
        at = Math.max(at, notice.at);
      } else {
        plain += 1;
        services.add(notice.service);
      }
    }
    if (plain) {
      messages += 1;
      notices += plain;
      since = Math.min(since, message.createdAt);
      at = Math.max(at, message.createdAt);
    }
  }
  const sorted = [...services].sort();
  if (sorted.length > MAX_FOLDED_SERVICES) moreServices = true;
  const folded: FoldedNotices = { messages, notices, services: sorted.slice(0, MAX_FOLDED_SERVICES), ...(moreServices ? { moreServices } : {}) };
  const last = entries.at(-1)?.message.createdAt ?? 0;
  return { folded, since: Number.isFinite(since) ? since : last, at: Number.isFinite(at) ? at : last, level, host };
}

/** "api, db and 3 more", naming at most `shown` of them. */
export function serviceList(folded: Pick<FoldedNotices, 'services' | 'moreServices'>, shown: number): string {
  const names = folded.services.slice(0, shown);
  const rest = folded.services.length - names.length;
  if (!names.length) return 'no service';
  if (rest > 0) return `${names.join(', ')} and ${rest}${folded.moreServices ? '+' : ''} more`;
  return folded.moreServices ? `${names.join(', ')} and more` : names.join(', ');
}

/** The one entry that stands for `entries`, all of `channel`, oldest first. */
function summaryEntry(channel: string, entries: readonly OutboxEntry[], limit: number): OutboxEntry {
  const { folded, since, at, level, host } = tally(entries);
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const notice: Notice = {
    id: `heal/folded@${since}..${at}#${folded.notices}`,
    key: 'heal/folded',
    kind: 'folded',
    level,
    service: 'heal',
    title: `${plural(folded.notices, 'older notice')} folded (${serviceList(folded, TITLE_SERVICES)})`,
    detail:
      `More than ${plural(limit, 'message')} waited for this channel, so the oldest ${plural(folded.messages, 'message')} ` +
      `(${plural(folded.notices, 'notice')} from ${isoTime(since)} to ${isoTime(at)}) are folded into this summary. ` +
      `Services: ${serviceList(folded, DETAIL_SERVICES)}. Newer notices follow in their own messages.`,
    since,
    at,
    host,
    folded,
  };
  // The newest folded message's time: the summary expires (max_age) when all it stands for would have.
  const message: Message = { id: `heal-folded-${at.toString(36)}-${folded.notices}-${channel}`, channel, level, notices: [notice], createdAt: at };
  return { message, attempts: 0 };
}
