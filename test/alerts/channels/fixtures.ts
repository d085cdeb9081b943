/** Notices, messages and a send context for channel tests. */
import { createDeps, type Deps } from '../../../src/deps.js';
import { silentLogger, type Logger } from '../../../src/log/logger.js';
import type { ChannelContext, Message, Notice } from '../../../src/alerts/types.js';
import { channelSpec, type ChannelSpec } from '../../../src/alerts/channels/schema.js';

/** 2025-03-01T12:00:00Z */
export const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);

/** A "health-proxy is down" notice, twelve minutes old; any field can be replaced. */
export function notice(fields: Partial<Notice> = {}): Notice {
  const service = fields.service ?? 'health-proxy';
  const kind = fields.kind ?? 'down';
  return {
    id: `n-${service}-${kind}`,
    key: `${service}/${kind === 'resolved' ? 'down' : kind}`,
    kind,
    level: 'critical',
    service,
    title: `${service} is down`,
    detail: 'port 127.0.0.1:3002: connection refused',
    action: 'restarted (launchd: com.example.health-proxy), still failing',
    since: T0 - 12 * 60_000,
    at: T0,
    host: 'build-box',
    ...fields,
  };
}

/** A message carrying `notices` (one default notice when none are given). */
export function message(notices: Notice[] = [notice()], fields: Partial<Message> = {}): Message {
  const order = { critical: 3, warning: 2, info: 1 } as const;
  const level = notices.reduce<Notice['level']>((worst, n) => (order[n.level] > order[worst] ? n.level : worst), 'info');
  return { id: 'msg-0001', channel: 'ops', level, notices, createdAt: T0, ...fields };
}

/** `count` notices for distinct services svc-01, svc-02, … */
export function manyNotices(count: number, fields: Partial<Notice> = {}): Notice[] {
  return Array.from({ length: count }, (_, i) => {
    const service = `svc-${String(i + 1).padStart(2, '0')}`;
    return notice({ service, id: `n-${i + 1}`, title: `${service} is down`, ...fields });
  });
}

export function testDeps(logger: Logger = silentLogger()): Deps {
  return createDeps(logger);
}

/** A send's context: a budget of `timeoutMs`, its signal aborting when it runs out. */
export function sendContext(timeoutMs = 5_000, overrides: Partial<ChannelContext> = {}): ChannelContext {
  return { deps: testDeps(), signal: AbortSignal.timeout(timeoutMs), timeoutMs, ...overrides };
}

/** A channel spec of `type` as the manifest would make it (defaults filled in), narrowed to its type. */
export function channelOf<T extends ChannelSpec['type']>(type: T, fields: Record<string, unknown>): Extract<ChannelSpec, { type: T }> {
  const spec = channelSpec.parse({ type, ...fields });
  if (spec.type !== type) throw new Error(`parsed a ${spec.type} spec, not ${type}`);
  return spec as Extract<ChannelSpec, { type: T }>;
}
