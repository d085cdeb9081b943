import { afterEach, describe, expect, it } from 'vitest';
import { checkIdentity, runChecks, type CheckRequest, type RunChecksOptions } from '../../src/checks/run.js';
import type { CheckPlan } from '../../src/manifest/resolve.js';
import { checkSpec } from '../../src/manifest/schema.js';
import { testDeps } from './context.js';
import { closedPort, reply, serverScope, startHangingListener, startHttpServer } from '../helpers/servers.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

/** A plan from manifest fields, with explicit attempt settings. */
function plan(fields: Record<string, unknown>, settings: Partial<Omit<CheckPlan, 'spec'>> = {}): CheckPlan {
  return { spec: checkSpec.parse(fields), timeoutMs: 1_000, retries: 0, retryDelayMs: 0, ...settings };
}

function options(deadlineInMs: number, rest: Partial<RunChecksOptions> = {}): RunChecksOptions {
  return { deps: testDeps(), baseDir: process.cwd(), deadline: Date.now() + deadlineInMs, ...rest };
}

/** Runs the requests and returns the outcomes with how long it took. */
async function timed(requests: CheckRequest[], opts: RunChecksOptions) {
  const started = Date.now();
  const outcomes = await runChecks(requests, opts);
  return { outcomes, elapsed: Date.now() - started };
}

describe('runChecks', () => {
  it('runs 100 checks, 20 of them hung, in about one timeout rather than twenty', async () => {
    const api = await servers.add(startHttpServer(reply(200, 'ok')));
    const hung = await servers.add(startHangingListener());
    const requests: CheckRequest[] = Array.from({ length: 100 }, (_, i) => ({
      key: `svc-${i}#0`,
      plan: plan({ type: 'http', url: i % 5 === 0 ? `http://127.0.0.1:${hung.port}/hang/${i}` : api.url(`/ok/${i}`) }),
    }));

    const { outcomes, elapsed } = await timed(requests, options(30_000));

    expect(elapsed).toBeLessThan(10_000);
    expect(outcomes.size).toBe(100);
    const failed = [...outcomes.values()].filter((o) => !o.ok);
    expect(failed).toHaveLength(20);
    expect(new Set(failed.map((o) => !o.ok && o.error))).toEqual(new Set(['timed out after 1s']));
    expect(hung.connections.total).toBe(20);
  });

  it('keeps at most `concurrency` checks running at once', async () => {
    const hung = await servers.add(startHangingListener());
    const requests = Array.from({ length: 6 }, (_, i) => ({
      key: String(i),
      plan: plan({ type: 'http', url: `http://127.0.0.1:${hung.port}/${i}` }, { timeoutMs: 200 }),
    }));

    const { outcomes, elapsed } = await timed(requests, options(10_000, { concurrency: 2 }));

    // Six 200 ms hangs, two at a time: three waves, neither one nor six.
    expect(elapsed).toBeGreaterThanOrEqual(590);
    expect(elapsed).toBeLessThan(1_100);
    expect(hung.connections.total).toBe(6);
    expect([...outcomes.values()].every((o) => !o.ok)).toBe(true);
  });

  it('runs a check that several services share once, and gives each the outcome', async () => {
    const hung = await servers.add(startHangingListener());
    const url = `http://127.0.0.1:${hung.port}/health`;
    const requests = [
      { key: 'api#0', plan: plan({ type: 'http', url, name: 'api health' }, { timeoutMs: 500 }) },
      { key: 'worker#1', plan: plan({ type: 'http', url }, { timeoutMs: 500 }) },
    ];

    const { outcomes, elapsed } = await timed(requests, options(10_000));

    expect(hung.connections.total).toBe(1);
    expect(outcomes.get('api#0')).toMatchObject({ ok: false, error: 'timed out after 500ms' });
    expect(outcomes.get('worker#1')).toEqual(outcomes.get('api#0'));
    expect(elapsed).toBeLessThan(1_500);
  });

  it('runs checks that differ in anything but their name separately', async () => {
    const api = await servers.add(startHttpServer(reply(200, 'ok')));
    const requests = [
      { key: 'a', plan: plan({ type: 'http', url: api.url(), body_contains: 'ok' }) },
      { key: 'b', plan: plan({ type: 'http', url: api.url() }) },
      { key: 'c', plan: plan({ type: 'http', url: api.url() }, { timeoutMs: 2_000 }) },
      { key: 'd', plan: plan({ type: 'http', url: api.url(), name: 'same as b' }) },
    ];
    const outcomes = await runChecks(requests, options(10_000));
    expect([...outcomes.keys()]).toEqual(['a', 'b', 'c', 'd']);
    expect(api.requests).toHaveLength(3);
  });

  it('passes an endpoint that fails twice then recovers, given two retries', async () => {
    let calls = 0;
    const flaky = await servers.add(startHttpServer((req, res, seen) => reply(++calls <= 2 ? 500 : 200)(req, res, seen)));
    const outcomes = await runChecks(
      [{ key: 'flaky', plan: plan({ type: 'http', url: flaky.url() }, { retries: 2, retryDelayMs: 50 }) }],
      options(10_000),
    );
    expect(outcomes.get('flaky')).toMatchObject({ ok: true, detail: 'status 200; passed on attempt 3' });
    expect(flaky.requests).toHaveLength(3);
  });

  it('fails it with one retry, reporting the last error and the attempts', async () => {
    let calls = 0;
    const flaky = await servers.add(startHttpServer((req, res, seen) => reply(++calls <= 2 ? 500 : 200)(req, res, seen)));
    const outcomes = await runChecks(
      [{ key: 'flaky', plan: plan({ type: 'http', url: flaky.url() }, { retries: 1, retryDelayMs: 50 }) }],
      options(10_000),
    );
    expect(outcomes.get('flaky')).toMatchObject({ ok: false, error: 'status 500 (expected 200-399) (after 2 attempts)' });
    expect(flaky.requests).toHaveLength(2);
  });

  it('cuts an attempt at the scan deadline', async () => {
    const hung = await servers.add(startHangingListener());
    const { outcomes, elapsed } = await timed(
      [{ key: 'slow', plan: plan({ type: 'http', url: `http://127.0.0.1:${hung.port}/` }, { timeoutMs: 5_000 }) }],
      options(300),
    );
    const outcome = outcomes.get('slow');
    expect(outcome?.ok).toBe(false);
    expect(outcome?.ok === false && outcome.error).toMatch(/^timed out after \d+ms \(cut by the scan deadline\)$/);
    expect(elapsed).toBeLessThan(600);
  });

  it('does not retry when the delay would end past the deadline', async () => {
    const port = await closedPort();
    const { outcomes, elapsed } = await timed(
      [{ key: 'down', plan: plan({ type: 'port', port }, { retries: 5, retryDelayMs: 1_000 }) }],
      options(500),
    );
    expect(outcomes.get('down')).toMatchObject({ ok: false, error: 'connection refused' });
    expect(elapsed).toBeLessThan(300);
  });

  it('reports checks still queued at the deadline as not run', async () => {
    const hung = await servers.add(startHangingListener());
    const requests = [0, 1, 2].map((i) => ({
      key: String(i),
      plan: plan({ type: 'http', url: `http://127.0.0.1:${hung.port}/${i}` }, { timeoutMs: 400 }),
    }));

    const { outcomes, elapsed } = await timed(requests, options(600, { concurrency: 1 }));

    expect(outcomes.get('0')).toMatchObject({ ok: false, error: 'timed out after 400ms' });
    expect(outcomes.get('1')).toMatchObject({ ok: false, error: expect.stringMatching(/cut by the scan deadline/) });
    expect(outcomes.get('2')).toMatchObject({ ok: false, error: 'not run: the scan deadline passed' });
    expect(hung.connections.total).toBe(2);
    expect(elapsed).toBeLessThan(900);
  });

  it('returns within a few ms of the deadline even when a check does not settle on abort', async () => {
    // The child leaves a grandchild holding its output pipe, so exec keeps waiting after the kill.
    const grandchild = `require("child_process").spawn(process.execPath, ["-e", "setTimeout(() => {}, 3000)"], { stdio: "inherit" }); setTimeout(() => {}, 60000)`;
    const { outcomes, elapsed } = await timed(
      [{ key: 'stuck', plan: plan({ type: 'command', run: [process.execPath, '-e', grandchild] }, { timeoutMs: 10_000 }) }],
      options(500),
    );
    expect(outcomes.get('stuck')).toMatchObject({ ok: false, error: expect.stringMatching(/^timed out after \d+ms \(cut by the scan deadline\)$/) });
    // exec alone would wait for the pipe for seconds; the runner lets go right after the deadline.
    expect(elapsed).toBeLessThan(800);
  });

  it('stops every attempt when the caller aborts', async () => {
    const hung = await servers.add(startHangingListener());
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    const { outcomes, elapsed } = await timed(
      [{ key: 'hung', plan: plan({ type: 'http', url: `http://127.0.0.1:${hung.port}/` }, { timeoutMs: 5_000 }) }],
      options(10_000, { signal: stop.signal }),
    );
    expect(outcomes.get('hung')).toMatchObject({ ok: false, error: 'stopped before it finished' });
    expect(elapsed).toBeLessThan(500);
  });

  it('never throws: a past deadline, an unknown check type and no checks at all are values', async () => {
    const unknown = { spec: { type: 'ping' }, timeoutMs: 100, retries: 0, retryDelayMs: 0 } as unknown as CheckPlan;
    const late = await runChecks([{ key: 'x', plan: plan({ type: 'port', port: 1 }) }], options(-1));
    expect(late.get('x')).toMatchObject({ ok: false, error: 'not run: the scan deadline passed' });
    const odd = await runChecks([{ key: 'y', plan: unknown }], options(1_000));
    expect(odd.get('y')).toMatchObject({ ok: false, error: 'unknown check type "ping"' });
    expect((await runChecks([], options(1_000))).size).toBe(0);
  });
});

describe('checkIdentity', () => {
  it.each([
    { what: 'the same spec in another key order', fields: { url: 'http://a/', method: 'GET', type: 'http' }, same: true },
    { what: 'the same spec under another report name', fields: { type: 'http', url: 'http://a/', name: 'other' }, same: true },
    { what: 'another url', fields: { type: 'http', url: 'http://b/' }, same: false },
    { what: 'an added body_contains', fields: { type: 'http', url: 'http://a/', body_contains: 'ok' }, same: false },
  ])('counts $what as the same check: $same', ({ fields, same }) => {
    const base = checkIdentity(plan({ type: 'http', url: 'http://a/' }));
    expect(checkIdentity(plan(fields)) === base).toBe(same);
  });

  it('tells apart the same spec with other attempt settings', () => {
    const spec = { type: 'port', port: 80 };
    expect(checkIdentity(plan(spec, { timeoutMs: 1_000 }))).not.toBe(checkIdentity(plan(spec, { timeoutMs: 2_000 })));
  });
});
