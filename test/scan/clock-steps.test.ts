/**
 * The clock set back between two scans: the real `scan()` in this process over one state
 * directory, its clock (handed in through Deps) stepped back a day after the first scan, as an
 * administrator or a bad NTP server might. The check and the restart are real commands (`test -e
 * up`, `touch up`); alerts go to a real webhook receiver on 127.0.0.1.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Notice } from '../../src/alerts/types.js';
import { statusView } from '../../src/status/view.js';
import { serverScope, startHttpServer } from '../helpers/servers.js';
import { DAY, MINUTE, simWorkspace, type SimWorkspace } from '../helpers/sim.js';
import { hookAlerts } from '../helpers/webhook-receiver.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

/** A webhook receiver that takes everything; `notices` holds what it took, as "service/kind". */
async function receiver() {
  const notices: string[] = [];
  const server = await servers.add(
    startHttpServer((_req, res, request) => {
      notices.push(...(JSON.parse(request.body) as { notices: Notice[] }).notices.map((n) => `${n.service}/${n.kind}`));
      res.end('ok');
    }),
  );
  return { url: server.url('/hook'), notices };
}

/** One service "web", up while the file `up` exists; `touch up` heals it; down alerts go to the hook at once. */
function manifest(hookUrl: string): string {
  return `version: 1
defaults: { cooldown: 5m, start_grace: 0s, verify_timeout: 2s }
${hookAlerts(hookUrl)}services:
  web:
    checks: [ { type: command, run: [test, -e, up] } ]
    restart: { type: command, run: [touch, up] }
`;
}

/** From now on every read of the workspace's clock (deps.now) is `ms` earlier: the machine's clock was set back. */
function setClockBack(ws: SimWorkspace, ms: number): () => number {
  const now = () => ws.clock.now() - ms;
  ws.deps.now = now;
  return now;
}

const outage = (ws: SimWorkspace) => rm(join(ws.dir, 'up'), { force: true });

describe('a clock set back a day between two scans', () => {
  it('still alerts an outage at once and heals it within one cooldown, and says once that the clock changed', async () => {
    const hook = await receiver();
    const ws = await simWorkspace(manifest(hook.url));
    expect(await ws.scanService('web')).toMatchObject({ code: 0, status: 'healed', rule: 'down' });

    const now = setClockBack(ws, DAY);
    ws.clock.advance(5 * MINUTE);
    await outage(ws);

    // The restart of the first scan now lies almost a day in the future. It holds the service
    // back for one cooldown (from now), not as "starting" for a day; the outage is alerted.
    const held = await ws.scanService('web');
    expect(held).toMatchObject({ code: 1, status: 'down', rule: 'cooldown', action: 'held back' });
    expect(held.reason).toMatch(/^cooldown: last restart \d+ms ago, next allowed in 4m(4\d|50)s$/);
    expect(held.alerts?.map((a) => a.kind)).toEqual(['down']);
    expect(hook.notices).toContain('web/down');
    expect(held.report.warnings).toEqual([expect.stringMatching(/^clock change: the state remembers times up to 23h55m in the future/)]);

    // heal status agrees with the decision, and shows nothing from the future.
    const status = statusView(await ws.load(), await ws.state(), now()).services[0];
    expect(status?.cooldownLeftMs).toBeLessThanOrEqual(5 * MINUTE - 10_000);
    expect(status?.lastHeal?.at).toBe(new Date((await ws.remembered('web')).heals[0]!.at).toISOString());
    expect((await ws.remembered('web')).heals[0]!.at).toBeLessThanOrEqual(now());

    // One cooldown later it is healed; the clock change is not reported again.
    ws.clock.advance(5 * MINUTE);
    const healed = await ws.scanService('web');
    expect(healed).toMatchObject({ code: 0, status: 'healed', rule: 'down' });
    expect(healed.report.warnings).toBeUndefined();
    expect(hook.notices).toEqual(['web/down', 'web/resolved']);

    const warnings = ws.logs.filter((line) => line.msg.startsWith('clock change'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, aheadMs: expect.any(Number) });
  });

  it('keeps a breaker that opened "tomorrow" open for open_for from the scan that finds it, no longer', async () => {
    const hook = await receiver();
    const ws = await simWorkspace(
      manifest(hook.url).replace('defaults: { cooldown: 5m,', 'defaults: { cooldown: 0s, breaker: { failure_threshold: 1, open_for: 10m },').replace('run: [touch, up]', 'run: ["false"]'),
    );
    expect(await ws.scanService('web')).toMatchObject({ code: 1, status: 'down', rule: 'down' });
    expect((await ws.remembered('web')).breaker).toMatchObject({ state: 'open', openForMs: 10 * MINUTE });

    setClockBack(ws, DAY);
    ws.clock.advance(5 * MINUTE);
    const open = await ws.scanService('web');
    expect(open).toMatchObject({ rule: 'breaker-open', action: 'held back' });
    // open_for less its schedule slack (10 s), as a cooldown.
    expect(open.reason).toMatch(/one restart will be tried in (9m50s|9m49s)$/);

    ws.clock.advance(10 * MINUTE);
    expect(await ws.scanService('web')).toMatchObject({ rule: 'half-open-trial', action: 'restart failed (command: false)' });
  });
});
