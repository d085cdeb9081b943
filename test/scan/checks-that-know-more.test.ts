/**
 * Issue 15 through the real `scan()`: alert-only checks and the `degraded` service, slowness
 * (`max_latency`), certificates (a real TLS server presenting certificates made for the test) and
 * `restart_with_parent`. Checks, restarts and servers are real; the clock is simulated (a
 * certificate test starts it at the machine's time, which the TLS handshake reads too).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanExitCode } from '../../src/scan/report.js';
import { makeCa, makeCertificate, startTlsServer } from '../helpers/certificates.js';
import { serverScope, startHttpServer, startTcpServer } from '../helpers/servers.js';
import { MINUTE, simWorkspace, type SimWorkspace } from '../helpers/sim.js';
import { webhookReceiver } from '../helpers/webhook-receiver.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

const DAY = 86_400_000;

/** Lines of a file the restarts append to: how many times each ran. */
async function lines(ws: SimWorkspace, file: string): Promise<string[]> {
  return (await readFile(join(ws.dir, file), 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

/** Alerts: warning (degraded) and critical (down) both go at once to the webhook "hook". */
const alerts = (url: string) => `alerts:
  levels:
    critical: { threshold: 1, cooldown: 1h, channels: [hook] }
    warning:  { threshold: 2, cooldown: 1h, channels: [hook] }
  channels:
    hook: { type: webhook, url: "${url}", timeout: 5s }
`;

describe('a service whose only failing checks say on_fail: alert', () => {
  it('is degraded: reported and alerted at its degraded_level after its threshold, never restarted, resolved once it clears', async () => {
    const hook = await webhookReceiver(servers);
    const tcp = await servers.add(startTcpServer());
    const ws = await simWorkspace(`version: 1
${alerts(hook.url)}services:
  api:
    checks:
      - { type: port, port: ${tcp.port} }
      - { type: command, name: search works, run: [test, -e, search-ok], on_fail: alert }
    restart: { type: command, run: [sh, -c, "echo restart >> restarts.txt"] }
`);
    const first = await ws.scanService('api');
    expect(first).toMatchObject({ status: 'degraded', rule: 'degraded', reason: 'only checks with on_fail: alert fail', code: 0 });
    expect(first.checks[1]).toMatchObject({ name: 'search works', ok: false, alertOnly: true });
    expect(first.alerts).toBeUndefined();

    ws.clock.advance(5 * MINUTE);
    const second = await ws.scanService('api');
    expect(second.status).toBe('degraded');
    expect(second.alerts).toEqual([{ id: expect.any(String), kind: 'degraded', level: 'warning', channels: ['hook'] }]);
    expect(hook.accepted.map((n) => [n.kind, n.level, n.title])).toEqual([['degraded', 'warning', 'api is degraded']]);
    expect(hook.accepted[0]!.detail).toBe('search works: exit 1');
    expect(await lines(ws, 'restarts.txt')).toEqual([]);
    // It answers: the breaker and flapping see it up.
    expect(await ws.remembered('api')).toMatchObject({ status: 'up', heals: [], recent: 'uu' });
    expect((await ws.status('api')).status).toBe('degraded');

    await writeFile(join(ws.dir, 'search-ok'), '');
    ws.clock.advance(5 * MINUTE);
    expect(await ws.scanService('api')).toMatchObject({ status: 'up', rule: 'healthy' });
    expect(hook.accepted.map((n) => [n.kind, n.title])).toEqual([
      ['degraded', 'api is degraded'],
      ['resolved', 'api is no longer degraded'],
    ]);
  });

  it('is down, and restarted, when a check that restarts fails too; verify waits only for those', async () => {
    const hook = await webhookReceiver(servers);
    const ws = await simWorkspace(`version: 1
${alerts(hook.url)}services:
  api:
    checks:
      - { type: command, run: [test, -e, up] }
      - { type: command, name: search works, run: [test, -e, search-ok], on_fail: alert }
    restart: { type: command, run: [sh, -c, "echo restart >> restarts.txt; touch up"] }
    verify_timeout: 30s
`);
    const healed = await ws.scanService('api');
    expect(healed).toMatchObject({ status: 'healed', rule: 'down', code: 0 });
    expect(await lines(ws, 'restarts.txt')).toEqual(['restart']);
    // Verify did not wait out its 30 s for the alert-only check: one round.
    expect(healed.report.durationMs).toBeLessThan(30_000);
    ws.clock.advance(5 * MINUTE);
    expect(await ws.scanService('api')).toMatchObject({ status: 'degraded' });
  });
});

describe('max_latency', () => {
  it('fails an answer slower than it as slow, naming both; a fast one passes', async () => {
    const slow = await servers.add(startHttpServer((_req, res) => void setTimeout(() => res.end('ok'), 400)));
    const fast = await servers.add(startHttpServer((_req, res) => void res.end('ok')));
    const ws = await simWorkspace(`version: 1
services:
  slow:
    checks: [ { type: http, url: "${slow.url('/health')}", max_latency: 100ms } ]
  slow-alert:
    checks: [ { type: http, url: "${slow.url('/search')}", max_latency: 100ms, on_fail: alert } ]
  fast:
    checks: [ { type: http, url: "${fast.url('/health')}", max_latency: 10s } ]
`);
    const report = await ws.scan();
    const [slowOne, slowAlert, fastOne] = report.services;
    expect(slowOne).toMatchObject({ status: 'down', rule: 'no-restart' });
    expect(slowOne!.checks[0]!.error).toMatch(/^answered in (\d+ms|\d\.\ds), max_latency 100ms$/);
    expect(slowOne!.checks[0]!.latencyMs).toBeGreaterThanOrEqual(400);
    expect(slowAlert).toMatchObject({ status: 'degraded' });
    expect(fastOne).toMatchObject({ status: 'up' });
    expect(scanExitCode(report)).toBe(1);
  });
});

describe('a certificate check', () => {
  it('is degraded by a certificate expiring within expires_within, gives the days left, and passes a valid one', async () => {
    const now = Date.now();
    const ca = makeCa(now);
    const expiring = await servers.add(startTlsServer(makeCertificate(now, { issuer: ca, notAfter: now + 3 * DAY + 2 * 3_600_000 })));
    const valid = await servers.add(startTlsServer(makeCertificate(now, { issuer: ca, notAfter: now + 200 * DAY + 2 * 3_600_000 })));
    const ws = await simWorkspace(
      `version: 1
services:
  expiring:
    checks: [ { type: certificate, host: 127.0.0.1, port: ${expiring.port}, servername: localhost, ca: ca.pem } ]
  valid:
    checks: [ { type: certificate, host: 127.0.0.1, port: ${valid.port}, servername: localhost, ca: ca.pem, expires_within: 30d } ]
`,
      { start: now },
    );
    await writeFile(join(ws.dir, 'ca.pem'), ca.cert);
    const report = await ws.scan();
    const [soon, fine] = report.services;
    expect(soon).toMatchObject({ status: 'degraded', checks: [{ name: `certificate 127.0.0.1:${expiring.port} (localhost)`, ok: false, alertOnly: true }] });
    expect(soon!.checks[0]!.error).toMatch(/^certificate expires in 3 days \(\d{4}-\d\d-\d\d\), within expires_within 14d$/);
    expect(fine).toMatchObject({ status: 'up', checks: [{ ok: true, detail: expect.stringMatching(/^expires in 200 days \(\d{4}-\d\d-\d\d\)$/) }] });
    expect(scanExitCode(report)).toBe(0);
  });

  it('says a ca file it cannot read in one line', async () => {
    const ws = await simWorkspace(`version: 1
services:
  site:
    checks: [ { type: certificate, host: 127.0.0.1, port: 1, ca: missing.pem } ]
`);
    expect((await ws.scanService('site')).checks[0]).toMatchObject({ ok: false, error: 'ca missing.pem: cannot read it (ENOENT)' });
  });
});

describe('restart_with_parent', () => {
  /** vpn is down until its restart creates vpn-up; app and other depend on it and pass on their own. */
  const manifest = `version: 1
services:
  vpn:
    checks: [ { type: command, run: [test, -e, vpn-up] } ]
    restart: { type: command, run: [sh, -c, "echo vpn >> restarts.txt; touch vpn-up"] }
    cooldown: 1m
  app:
    depends_on: [vpn]
    restart_with_parent: true
    checks: [ { type: command, run: [test, -e, app-up] } ]
    restart: { type: command, run: [sh, -c, "echo app >> restarts.txt; touch app-up"] }
    cooldown: 10m
  other:
    depends_on: [vpn]
    checks: [ { type: command, run: [test, -e, app-up] } ]
    restart: { type: command, run: [sh, -c, "echo other >> restarts.txt"] }
`;

  it('restarts the child right after heal brings its parent back, once, even with its checks passing; its own cooldown holds the next', async () => {
    const ws = await simWorkspace(manifest);
    await writeFile(join(ws.dir, 'app-up'), '');

    const first = await ws.scan();
    const [vpn, app, other] = first.services;
    expect(vpn).toMatchObject({ status: 'healed', rule: 'down' });
    expect(app).toMatchObject({ status: 'up', rule: 'parent-restarted', action: "restarted (command: sh -c 'echo app >> restarts.txt; touch app-up')", reason: 'restarted with vpn, which heal restarted' });
    expect(app!.alerts).toBeUndefined();
    expect(other).toMatchObject({ status: 'up', rule: 'healthy' });
    expect(await lines(ws, 'restarts.txt')).toEqual(['vpn', 'app']);
    expect((await ws.remembered('app')).heals).toHaveLength(1);
    // Not a heal of a service that was down: no "went down" mark for flapping.
    expect((await ws.remembered('app')).recent).toBe('u');

    // vpn dies again two minutes later: heal restarts it (its cooldown is 1m); app's 10m cooldown holds it.
    await import('node:fs/promises').then((fs) => fs.rm(join(ws.dir, 'vpn-up')));
    ws.clock.advance(2 * MINUTE);
    const second = await ws.scan();
    expect(second.services[0]).toMatchObject({ name: 'vpn', status: 'healed' });
    expect(second.services[1]).toMatchObject({ name: 'app', status: 'up', rule: 'healthy', reason: expect.stringMatching(/^not restarted with vpn: cooldown: last restart 2m\d*s? ago, next allowed in /) });
    expect(await lines(ws, 'restarts.txt')).toEqual(['vpn', 'app', 'vpn']);
  });

  it('a dry run says it would restart the child with its parent, and restarts nothing', async () => {
    const ws = await simWorkspace(manifest);
    await writeFile(join(ws.dir, 'app-up'), '');
    const report = await ws.scan({ dryRun: true });
    // In a dry run the parent is not restarted, so nothing brings it back: the child waits on it.
    expect(report.services[0]).toMatchObject({ name: 'vpn', status: 'down', action: expect.stringMatching(/^would restart/) });
    expect(report.services[1]).toMatchObject({ name: 'app', status: 'up', rule: 'healthy' });
    expect(await lines(ws, 'restarts.txt')).toEqual([]);
  });
});
