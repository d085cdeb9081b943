/**
 * A service heal stops watching — removed from services.yaml, renamed, or disabled — while its
 * down alert is open: the real `scan()` in this process with a simulated clock, the alert going to
 * a real webhook receiver on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Notice } from '../../src/alerts/types.js';
import { reply, serverScope, startHttpServer } from '../helpers/servers.js';
import { MINUTE, simWorkspace } from '../helpers/sim.js';
import { hookAlerts } from '../helpers/webhook-receiver.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

/** A webhook receiver that takes everything; `notices` holds what it got, in order. */
async function receiver() {
  const server = await servers.add(startHttpServer(reply(200, 'ok')));
  return { url: server.url('/hook'), notices: () => server.requests.flatMap((r) => (JSON.parse(r.body) as { notices: Notice[] }).notices) };
}

/** Services that are always down (`false` exits 1), alerting at once to "hook". */
function manifest(hookUrl: string, services: string): string {
  return `version: 1
${hookAlerts(hookUrl)}services:
${services}`;
}

const down = (name: string, extra = '') => `  ${name}: { checks: [ { type: command, run: ["false"] } ]${extra} }\n`;

describe('a service heal no longer watches', () => {
  it.each([
    { change: 'removed', after: down('db') },
    { change: 'renamed', after: down('db') + down('api-v2') },
    { change: 'disabled', after: down('db') + down('api', ', enabled: false') },
  ])('$change: its open alert is closed with a notice that it is no longer watched, and its alert record is gone', async ({ after }) => {
    const hook = await receiver();
    const ws = await simWorkspace(manifest(hook.url, down('api') + down('db')));
    await ws.scan();
    expect(hook.notices().map((n) => `${n.service}/${n.kind}`)).toEqual(['api/down', 'db/down']);
    const since = (await ws.state()).alerts.keys['api/down']?.since;

    ws.clock.advance(90 * MINUTE);
    await ws.write(manifest(hook.url, after));
    await ws.scan();
    const closing = hook.notices().slice(2).filter((n) => n.service === 'api');
    expect(closing).toEqual([
      expect.objectContaining({ kind: 'resolved', key: 'api/down', id: `api/down@${since}/unwatched`, title: 'api is no longer watched' }),
    ]);
    expect(closing[0]?.detail).toMatch(/^api was removed from the manifest, renamed or disabled while its down alert was open \(for 1h30m\)/);
    const keys = Object.keys((await ws.state()).alerts.keys);
    expect(keys.filter((k) => k.startsWith('api/'))).toEqual([]);
    expect(keys).toContain('db/down');

    // Said once: the next scan has nothing more about api.
    const count = hook.notices().length;
    ws.clock.advance(5 * MINUTE);
    await ws.scan();
    expect(hook.notices().slice(count).filter((n) => n.service === 'api')).toEqual([]);
  });
});
