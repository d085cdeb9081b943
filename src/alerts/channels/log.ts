/**
 * The `log` channel: one pino line per notice through the scan's logger. Critical notices log
 * at error, warnings at warn, info and good news (healed, resolved) at info. The alert's level
 * is the field `alertLevel`, since pino owns `level`. Writing a line cannot fail, so a send is
 * always ok.
 */
import type { ChannelSpec } from './schema.js';
import { isoTime, isRecovery, noticeTitle } from '../format.js';
import type { Channel, Notice } from '../types.js';

export type LogChannelSpec = Extract<ChannelSpec, { type: 'log' }>;

/** The pino method a notice is logged with. */
export function logLevelOf(notice: Pick<Notice, 'kind' | 'level'>): 'error' | 'warn' | 'info' {
  if (isRecovery(notice)) return 'info';
  if (notice.level === 'critical') return 'error';
  if (notice.level === 'warning') return 'warn';
  return 'info';
}

/** The `log` channel type. */
export const logChannel: Channel<LogChannelSpec> = {
  type: 'log',

  async send(_spec, message, ctx) {
    for (const notice of message.notices) {
      const fields = {
        alert: true,
        channel: message.channel,
        messageId: message.id,
        noticeId: notice.id,
        key: notice.key,
        kind: notice.kind,
        alertLevel: notice.level,
        service: notice.service,
        detail: notice.detail,
        ...(notice.action === undefined ? {} : { action: notice.action }),
        since: isoTime(notice.since),
        ...(notice.downForMs === undefined ? {} : { downForMs: notice.downForMs }),
        ...(notice.reminder ? { reminder: true } : {}),
        host: notice.host,
      };
      ctx.deps.logger[logLevelOf(notice)](fields, noticeTitle(notice));
    }
    const count = message.notices.length;
    return { ok: true, detail: `logged ${count} notice${count === 1 ? '' : 's'}` };
  },
};
