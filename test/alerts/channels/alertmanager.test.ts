/**
 * The alertmanager channel against a real Prometheus Alertmanager (Debian package
 * `prometheus-alertmanager`), started per file on a free port with no clustering and a route to
 * a null receiver; a few outcomes Alertmanager never gives (429, 503, a hang) against stubs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  alertEndsAt,
  alertFor,
  alertmanagerChannel,
  alertName,
  alertsUrl,
  DEFAULT_INTERVAL_MS,
  type AlertmanagerChannelSpec,
} from '../../../src/alerts/channels/alertmanager.js';
import { sendToChannel } from '../../../src/alerts/channels/index.js';
import type { Notice } from '../../../src/alerts/types.js';
import { channelSpec } from '../../../src/alerts/channels/schema.js';
import { closedPort, reply, serverScope, startHttpServer, type HttpHandler } from '../../helpers/servers.js';
import { message, notice, sendContext, T0 } from './fixtures.js';

const APT_PACKAGE = 'prometheus-alertmanager';
const MINUTE = 60_000;

// ---------------------------------------------------------------------------------------------
// A real Alertmanager

/** The Alertmanager binary: $HEAL_ALERTMANAGER_BIN when set, else prometheus-alertmanager or alertmanager on PATH. */
function alertmanagerBinary(): string {
  const fromEnv = process.env['HEAL_ALERTMANAGER_BIN'];
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/usr/local/bin'];
  const candidates = fromEnv ? [fromEnv] : dirs.flatMap((dir) => [join(dir, 'prometheus-alertmanager'), join(dir, 'alertmanager')]);
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Try the next one.
    }
  }
  throw new Error(
    `Alertmanager is not installed: these tests need a real one. Install the Debian package: ` +
      `apt-get install -y ${APT_PACKAGE} (or point HEAL_ALERTMANAGER_BIN at an alertmanager binary).`,
  );
}

const CONFIG = `route:
  receiver: 'null'
receivers:
  - name: 'null'
`;

type RunningAlertmanager = {
  /** "http://127.0.0.1:<port>" */
  base: string;
  /** The alerts Alertmanager lists (active by default), for one service. */
  alerts(service: string, query?: string): Promise<ListedAlert[]>;
  /**
   * Alertmanager's clock (ms), from the Date header it answered with (to the second). Under CI's
   * `faketime -f '+400d'` run Alertmanager, a Go program, keeps the real time: a time the test
   * hands it (a resolved alert's end) is read from its clock, not from this process's.
   */
  now(): number;
  stop(): Promise<void>;
};

type ListedAlert = {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
};

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited(child);
  clearTimeout(killer);
}

async function startAlertmanager(): Promise<RunningAlertmanager> {
  const binary = alertmanagerBinary();
  const dir = mkdtempSync(join(tmpdir(), 'heal-am-'));
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(config, CONFIG);
  let lastError: Error | undefined;
  // A free port can be taken between finding it and binding it: try a few.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await closedPort();
    const storage = join(dir, `data-${attempt}`);
    const child = spawn(
      binary,
      [
        `--config.file=${config}`,
        `--storage.path=${storage}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => (output += `\n${String(error)}`));
    const base = `http://127.0.0.1:${port}`;
    const ready = await waitReady(base, child, 20_000);
    if (ready) {
      const answered = await fetch(`${base}/-/ready`);
      // The header is whole seconds: its clock reads half a second more, on average.
      const offsetMs = Date.parse(answered.headers.get('date') ?? '') + 500 - Date.now();
      if (!Number.isFinite(offsetMs)) throw new Error(`Alertmanager sent no Date header: ${[...answered.headers.keys()].join(', ')}`);
      return {
        base,
        now: () => Date.now() + offsetMs,
        async alerts(service, query = '') {
          const filter = encodeURIComponent(`service="${service}"`);
          const response = await fetch(`${base}/api/v2/alerts?filter=${filter}${query ? `&${query}` : ''}`);
          expect(response.status).toBe(200);
          return (await response.json()) as ListedAlert[];
        },
        async stop() {
          await stopProcess(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await stopProcess(child);
    lastError = new Error(`Alertmanager (${binary}) did not become ready on port ${port}:\n${output.slice(-2_000)}`);
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError ?? new Error('Alertmanager did not start');
}

async function waitReady(base: string, child: ChildProcess, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      const response = await fetch(`${base}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      if (response.status === 200) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function amSpec(url: string, fields: Record<string, unknown> = {}): AlertmanagerChannelSpec {
  const spec = channelSpec.parse({ type: 'alertmanager', url, ...fields });
  if (spec.type !== 'alertmanager') throw new Error('unreachable');
  return spec;
}

let serviceCount = 0;
/** A service name no other test uses, so tests sharing one Alertmanager never see each other's alerts. */
function freshService(what: string): string {
  serviceCount += 1;
  return `${what}-${serviceCount}`;
}

function downNotice(service: string, fields: Partial<Notice> = {}): Notice {
  return notice({ service, id: `${service}/down@1`, title: `${service} is down`, ...fields });
}

function resolvedNotice(service: string, of: 'down' | 'flapping', fields: Partial<Notice> = {}): Notice {
  return notice({
    service,
    kind: 'resolved',
    key: `${service}/${of}`,
    id: `${service}/${of}@1/resolved`,
    level: 'critical',
    title: of === 'down' ? `${service} is back up` : `${service} is no longer flapping`,
    detail: 'down for 12m',
    at: Date.now(),
    ...fields,
  });
}

function flappingNotice(service: string, fields: Partial<Notice> = {}): Notice {
  return notice({ service, kind: 'flapping', key: `${service}/flapping`, id: `${service}/flapping@1`, title: `${service} is flapping`, ...fields });
}

function ms(iso: string): number {
  return Date.parse(iso);
}

// ---------------------------------------------------------------------------------------------

describe('alertmanager alerts (payload)', () => {
  it.each([
    { kind: 'down', key: 'api/down', name: 'HealServiceDown' },
    { kind: 'flapping', key: 'api/flapping', name: 'HealServiceFlapping' },
    { kind: 'healed', key: 'api/healed', name: 'HealServiceHealed' },
    { kind: 'test', key: 'heal/test', name: 'HealTest' },
    { kind: 'resolved', key: 'api/down', name: 'HealServiceDown' },
    { kind: 'resolved', key: 'api/flapping', name: 'HealServiceFlapping' },
    { kind: 'resolved', key: 'my/odd.name/flapping', name: 'HealServiceFlapping' },
  ] as const)('names a $kind notice of key $key "$name"', ({ kind, key, name }) => {
    expect(alertName({ kind, key })).toBe(name);
  });

  const I = 5 * MINUTE;
  const now = T0 + 30_000;
  it.each([
    { kind: 'down', endsAt: now + 3 * I, why: 'three intervals ahead of now' },
    { kind: 'flapping', endsAt: now + 3 * I, why: 'three intervals ahead of now' },
    { kind: 'resolved', endsAt: T0, why: 'when it resolved' },
    { kind: 'healed', endsAt: T0 + I, why: 'one interval after it happened' },
    { kind: 'test', endsAt: T0 + I, why: 'one interval after it happened' },
  ] as const)('ends a $kind alert $why', ({ kind, endsAt }) => {
    expect(alertEndsAt({ kind, at: T0 }, now, I)).toBe(endsAt);
  });

  it('never ends a resolved alert later than now', () => {
    expect(alertEndsAt({ kind: 'resolved', at: T0 + MINUTE }, T0, I)).toBe(T0);
  });

  it('builds labels, annotations and times from the notice', () => {
    const alert = alertFor(notice(), { env: 'prod' }, T0, I);
    expect(alert).toEqual({
      labels: { env: 'prod', alertname: 'HealServiceDown', service: 'health-proxy', severity: 'critical', host: 'build-box' },
      annotations: {
        summary: 'health-proxy is down',
        description: 'port 127.0.0.1:3002: connection refused',
        action: 'restarted (launchd: com.example.health-proxy), still failing',
        notice_id: 'n-health-proxy-down',
      },
      startsAt: '2025-03-01T11:48:00.000Z',
      endsAt: '2025-03-01T12:15:00.000Z',
    });
  });

  it('leaves out the action when heal did nothing', () => {
    expect(alertFor(notice({ action: undefined }), {}, T0, I).annotations).not.toHaveProperty('action');
  });

  it('does not let the extra labels replace the ones that identify the alert', () => {
    const alert = alertFor(notice(), { alertname: 'Mine', service: 'x', severity: 'page', host: 'h', team: 'ops' }, T0, I);
    expect(alert.labels).toEqual({ alertname: 'HealServiceDown', service: 'health-proxy', severity: 'critical', host: 'build-box', team: 'ops' });
  });

  it('never starts an alert after it ends (a clock that went backwards)', () => {
    const alert = alertFor(notice({ kind: 'resolved', key: 'health-proxy/down', since: T0 + MINUTE, at: T0 }), {}, T0, I);
    expect(ms(alert.startsAt)).toBeLessThanOrEqual(ms(alert.endsAt));
  });

  it.each([
    { base: 'http://am:9093', url: 'http://am:9093/api/v2/alerts' },
    { base: 'http://am:9093/', url: 'http://am:9093/api/v2/alerts' },
    { base: 'https://example.com/alertmanager/', url: 'https://example.com/alertmanager/api/v2/alerts' },
    { base: 'http://am:9093/api/v2/alerts', url: 'http://am:9093/api/v2/alerts' },
    { base: 'http://am:9093/?token=abc', url: 'http://am:9093/api/v2/alerts?token=abc' },
  ])('posts to $url for a base of $base', ({ base, url }) => {
    expect(alertsUrl(base).href).toBe(url);
  });
});

describe('alertmanager channel against a real Alertmanager', () => {
  let am: RunningAlertmanager | undefined;
  /** Why it did not start: every test fails with it (a missing Alertmanager never skips). */
  let startError: unknown;
  const others: RunningAlertmanager[] = [];

  beforeAll(async () => {
    try {
      am = await startAlertmanager();
    } catch (error) {
      startError = error;
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all([am?.stop(), ...others.map((o) => o.stop())]);
  }, 30_000);

  function running(): RunningAlertmanager {
    if (!am) throw startError instanceof Error ? startError : new Error(`Alertmanager did not start: ${String(startError)}`);
    return am;
  }

  it('makes a firing alert with its labels and annotations, ending three intervals from now', async () => {
    const service = freshService('api');
    const before = Date.now();
    const outcome = await alertmanagerChannel.send(amSpec(running().base, { labels: { env: 'prod' } }), message([downNotice(service)]), sendContext());
    expect(outcome).toEqual({ ok: true, detail: 'status 200, 1 alert' });

    const [alert, ...more] = await running().alerts(service);
    expect(more).toEqual([]);
    expect(alert).toMatchObject({
      labels: { alertname: 'HealServiceDown', service, severity: 'critical', host: 'build-box', env: 'prod' },
      annotations: {
        summary: `${service} is down`,
        description: 'port 127.0.0.1:3002: connection refused',
        action: 'restarted (launchd: com.example.health-proxy), still failing',
        notice_id: `${service}/down@1`,
      },
      status: { state: 'active' },
    });
    expect(ms(alert!.startsAt)).toBe(T0 - 12 * MINUTE);
    // No interval in the context: five minutes.
    expect(ms(alert!.endsAt)).toBeGreaterThanOrEqual(before + 3 * DEFAULT_INTERVAL_MS - 1_000);
    expect(ms(alert!.endsAt)).toBeLessThanOrEqual(Date.now() + 3 * DEFAULT_INTERVAL_MS + 1_000);
  });

  it("takes the schedule's interval from the context", async () => {
    const service = freshService('api');
    const before = Date.now();
    await alertmanagerChannel.send(amSpec(running().base), message([downNotice(service)]), sendContext(5_000, { intervalMs: MINUTE }));
    const [alert] = await running().alerts(service);
    expect(ms(alert!.endsAt)).toBeGreaterThanOrEqual(before + 3 * MINUTE - 1_000);
    expect(ms(alert!.endsAt)).toBeLessThanOrEqual(Date.now() + 3 * MINUTE + 1_000);
  });

  it('ends the alert with a resolved notice, and only the alert it resolves', async () => {
    const service = freshService('api');
    const spec = amSpec(running().base);
    await alertmanagerChannel.send(spec, message([downNotice(service), flappingNotice(service)]), sendContext());
    expect((await running().alerts(service, 'active=true')).map((a) => a.labels['alertname']).sort()).toEqual(['HealServiceDown', 'HealServiceFlapping']);

    // Resolved two seconds ago by Alertmanager's clock (its now is known to a second).
    const resolvedAt = () => running().now() - 2_000;
    const outcome = await alertmanagerChannel.send(spec, message([resolvedNotice(service, 'down', { at: resolvedAt() })]), sendContext());
    expect(outcome.ok).toBe(true);
    const left = await running().alerts(service, 'active=true');
    expect(left.map((a) => a.labels['alertname'])).toEqual(['HealServiceFlapping']);

    await alertmanagerChannel.send(spec, message([resolvedNotice(service, 'flapping', { at: resolvedAt() })]), sendContext());
    expect(await running().alerts(service)).toEqual([]);
  });

  it('keeps one alert per condition when a reminder says it again', async () => {
    const service = freshService('api');
    const spec = amSpec(running().base);
    await alertmanagerChannel.send(spec, message([downNotice(service)]), sendContext(5_000, { intervalMs: MINUTE }));
    await alertmanagerChannel.send(spec, message([downNotice(service, { id: `${service}/down@1#2`, reminder: true })]), sendContext());
    const alerts = await running().alerts(service);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.annotations['notice_id']).toBe(`${service}/down@1#2`);
    // The later send (five-minute interval) moved the end further out.
    expect(ms(alerts[0]!.endsAt)).toBeGreaterThan(Date.now() + 10 * MINUTE);
  });

  it('turns several notices of one message into several alerts', async () => {
    const services = [freshService('multi'), freshService('multi'), freshService('multi')];
    const notices = services.map((service, i) => downNotice(service, { level: (['critical', 'warning', 'info'] as const)[i] }));
    const outcome = await alertmanagerChannel.send(amSpec(running().base), message(notices), sendContext());
    expect(outcome).toEqual({ ok: true, detail: 'status 200, 3 alerts' });
    for (const [i, service] of services.entries()) {
      const alerts = await running().alerts(service);
      expect(alerts.map((a) => a.labels)).toEqual([
        { alertname: 'HealServiceDown', service, severity: ['critical', 'warning', 'info'][i], host: 'build-box' },
      ]);
    }
  });

  it('shows a healed event for one interval', async () => {
    const service = freshService('healed');
    const at = Date.now();
    const healed = notice({ service, kind: 'healed', key: `${service}/healed`, id: `${service}/healed@${at}`, level: 'info', title: `${service} was down; heal restarted it`, since: at, at });
    await alertmanagerChannel.send(amSpec(running().base), message([healed]), sendContext(5_000, { intervalMs: 2 * MINUTE }));
    const [alert] = await running().alerts(service);
    expect(alert).toMatchObject({ labels: { alertname: 'HealServiceHealed', severity: 'info' }, status: { state: 'active' } });
    expect(ms(alert!.endsAt)).toBe(at + 2 * MINUTE);
  });

  it('is refused for good when Alertmanager rejects the alerts (400), with its reason', async () => {
    // The schema never lets such a label name through; a hand-made spec shows what a 400 does.
    const spec = { ...amSpec(running().base), labels: { 'bad-name': 'x' } };
    const outcome = await alertmanagerChannel.send(spec, message([downNotice(freshService('bad'))]), sendContext());
    expect(outcome).toEqual({ ok: false, retryable: false, error: 'status 400: Alertmanager refused the alerts: invalid label set: invalid name "bad-name"' });
  });

  it('says the endpoint is gone when the URL is not an Alertmanager v2 API (404)', async () => {
    const outcome = await alertmanagerChannel.send(amSpec(`${running().base}/not-here/`), message(), sendContext());
    expect(outcome).toEqual({ ok: false, retryable: false, gone: true, error: 'status 404: not an Alertmanager v2 API at this URL' });
  });

  it('keeps the userinfo and header values out of errors', async () => {
    const url = `${running().base.replace('http://', 'http://alice:pw-secret-789@')}/not-here`;
    const spec = amSpec(url, { headers: { Authorization: 'Bearer hdr-secret-456' } });
    const outcome = await sendToChannel(spec, message(), sendContext());
    expect(outcome).toMatchObject({ ok: false, gone: true });
    expect(JSON.stringify(outcome)).not.toMatch(/pw-secret-789|hdr-secret-456/);
  });

  it('is retryable once the Alertmanager has stopped (connection refused)', async () => {
    running();
    const other = await startAlertmanager();
    others.push(other);
    const spec = amSpec(other.base);
    expect((await alertmanagerChannel.send(spec, message(), sendContext())).ok).toBe(true);
    await other.stop();
    const outcome = await alertmanagerChannel.send(spec, message(), sendContext(2_000));
    expect(outcome).toEqual({ ok: false, retryable: true, error: 'connection refused' });
  }, 60_000);
});

describe('alertmanager channel outcomes Alertmanager itself rarely gives', () => {
  const servers = serverScope();
  afterEach(() => servers.closeAll());

  async function sendTo(handler: HttpHandler, { path = '', fields = {}, timeoutMs = 5_000 }: { path?: string; fields?: Record<string, unknown>; timeoutMs?: number } = {}) {
    const server = await servers.add(startHttpServer(handler));
    const outcome = await alertmanagerChannel.send(amSpec(server.url(path), fields), message(), sendContext(timeoutMs));
    return { server, outcome };
  }

  it('POSTs a JSON array to /api/v2/alerts under the base path, with the manifest headers', async () => {
    const { server, outcome } = await sendTo(reply(200), { path: '/am/', fields: { headers: { 'X-Scope-OrgID': 'team-a' } } });
    expect(outcome.ok).toBe(true);
    const [request] = server.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/am/api/v2/alerts' });
    expect(request?.headers).toMatchObject({ 'content-type': 'application/json', 'x-scope-orgid': 'team-a' });
    const body = JSON.parse(request?.body ?? '') as unknown[];
    expect(body).toHaveLength(1);
  });

  it('is rate limited by a 429 and says when to come back', async () => {
    const { outcome } = await sendTo(reply(429, 'slow down', { 'retry-after': '7' }));
    expect(outcome).toEqual({ ok: false, retryable: true, retryAfterMs: 7_000, error: 'status 429: rate limited: slow down' });
  });

  it.each([500, 502, 503])('retries a %i', async (status) => {
    const { outcome } = await sendTo(reply(status, { code: status, message: 'busy' }));
    expect(outcome).toEqual({ ok: false, retryable: true, error: `status ${status}: busy` });
  });

  it('gives up at its timeout when nothing answers', async () => {
    // Nothing answers, and the send's budget is ten minutes (past the test's own 30 s): the send
    // can only end by the channel timeout, which its error names. On a loaded machine it may run
    // out before the request is made: at most one request, and no connection left open.
    const { server, outcome } = await sendTo(() => undefined, { fields: { timeout: '300ms' }, timeoutMs: 600_000 });
    expect(outcome).toMatchObject({ ok: false, retryable: true, error: 'timed out after 300ms' });
    expect(server.requests.length).toBeLessThanOrEqual(1);
    await expect.poll(() => server.connections.open).toBe(0);
  });

  it('never shows a header value, even when the receiver echoes it', async () => {
    const echo: HttpHandler = (req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify(`bad token ${String(req.headers.authorization)}`));
    };
    const { outcome } = await sendTo(echo, { fields: { headers: { Authorization: 'Bearer hdr-secret-456' } } });
    expect(outcome).toEqual({ ok: false, retryable: false, error: 'status 400: Alertmanager refused the alerts: bad token [redacted]' });
  });

  it('sends nothing for a message without notices', async () => {
    const { server, outcome } = await sendTo(reply(200), {});
    expect(outcome.ok).toBe(true);
    const empty = await alertmanagerChannel.send(amSpec(server.url()), message([]), sendContext());
    expect(empty).toEqual({ ok: true, detail: 'no notices' });
    expect(server.requests).toHaveLength(1);
  });
});
