import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { logChannel, type LogChannelSpec } from '../../../src/alerts/channels/log.js';
import type { Notice } from '../../../src/alerts/types.js';
import { message, notice, sendContext, testDeps } from './fixtures.js';

type Line = Record<string, unknown> & { level: number; msg: string };

/** A pino logger writing JSON lines into memory. */
function memoryLogger(): { logger: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const stream = { write: (line: string) => void lines.push(JSON.parse(line) as Line) };
  return { logger: pino({ level: 'debug' }, stream), lines };
}

const spec: LogChannelSpec = { type: 'log' };

async function send(notices: Notice[]) {
  const { logger, lines } = memoryLogger();
  const outcome = await logChannel.send(spec, message(notices), sendContext(1_000, { deps: testDeps(logger) }));
  return { outcome, lines };
}

describe('log channel', () => {
  it('writes one line per notice and always succeeds', async () => {
    const { outcome, lines } = await send([notice({ service: 'a', title: 'a is down' }), notice({ service: 'b', title: 'b is down' })]);
    expect(outcome).toEqual({ ok: true, detail: 'logged 2 notices' });
    expect(lines.map((l) => l.msg)).toEqual(['a is down', 'b is down']);
  });

  it('carries the notice id, key, kind, level, service, detail and what heal did', async () => {
    const { lines } = await send([notice()]);
    expect(lines[0]).toMatchObject({
      msg: 'health-proxy is down',
      noticeId: 'n-health-proxy-down',
      key: 'health-proxy/down',
      kind: 'down',
      alertLevel: 'critical',
      service: 'health-proxy',
      detail: 'port 127.0.0.1:3002: connection refused',
      action: 'restarted (launchd: com.example.health-proxy), still failing',
      channel: 'ops',
      messageId: 'msg-0001',
      since: '2025-03-01T11:48:00Z',
      host: 'build-box',
    });
  });

  it.each([
    { kind: 'down', level: 'critical', pino: 50 },
    { kind: 'flapping', level: 'warning', pino: 40 },
    { kind: 'down', level: 'info', pino: 30 },
    { kind: 'healed', level: 'critical', pino: 30 },
    { kind: 'resolved', level: 'critical', pino: 30 },
  ] as const)('logs a $level $kind notice at pino level $pino', async ({ kind, level, pino: expected }) => {
    const { lines } = await send([notice({ kind, level })]);
    expect(lines[0]?.level).toBe(expected);
  });

  it('leaves out the action when heal did nothing', async () => {
    const { lines } = await send([notice({ action: undefined })]);
    expect(lines[0]).not.toHaveProperty('action');
  });
});
