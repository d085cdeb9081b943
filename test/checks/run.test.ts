import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkIdentity, runChecks, type CheckRequest, type RunChecksOptions } from '../../src/checks/run.js';
import type { Deps, ExecResult } from '../../src/deps.js';
import type { CheckPlan } from '../../src/manifest/resolve.js';
import { checkSpec } from '../../src/checks/schema.js';
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

/** Polls that wait for what must happen, however loaded the machine (vitest's default is 1 s). */
const UNTIL = { timeout: 20_000 };

/**
 * The real effects, with `exec` counted: how many commands the runner has running (called, their
 * attempt not yet over: its signal not aborted), the most at once, every call, and whether each
 * call's promise has settled.
 */
function countedExec(): { deps: Deps; running: () => number; peak: () => number; calls: Promise<ExecResult>[]; settled: boolean[] } {
  const base = testDeps();
  let running = 0;
  let peak = 0;
  const calls: Promise<ExecResult>[] = [];
  const settled: boolean[] = [];
  const exec: Deps['exec'] = (argv, options) => {
    const index = calls.length;
    settled.push(false);
    running += 1;
    peak = Math.max(peak, running);
    let over = false;
    const end = (): void => {
      if (!over) (over = true), (running -= 1);
    };
    options.signal?.addEventListener('abort', end, { once: true });
    const call = base.exec(argv, options).finally(() => {
      settled[index] = true;
      end();
    });
    calls.push(call);
    return call;
  };
  return { deps: { ...base, exec }, running: () => running, peak: () => peak, calls, settled };
}

describe('runChecks', () => {
  it('runs 100 checks, 20 of them hung, in about one timeout rather than twenty: all 20 hang at once', async () => {
    const api = await servers.add(startHttpServer(reply(200, 'ok')));
    const hung = await servers.add(startHangingListener());
    // Healthy checks get a budget no load can exhaust; hung ones one the test chose.
    const requests: CheckRequest[] = Array.from({ length: 100 }, (_, i) => ({
      key: `svc-${i}#0`,
      plan:
        i % 5 === 0
          ? plan({ type: 'http', url: `http://127.0.0.1:${hung.port}/hang/${i}` }, { timeoutMs: 3_000 })
          : plan({ type: 'http', url: api.url(`/ok/${i}`) }, { timeoutMs: 25_000 }),
    }));

    const outcomes = await runChecks(requests, options(28_000));

    expect(outcomes.size).toBe(100);
    const failed = [...outcomes.values()].filter((o) => !o.ok);
    expect(failed).toHaveLength(20);
    expect(new Set(failed.map((o) => !o.ok && o.error))).toEqual(new Set(['timed out after 3s']));
    expect(hung.connections.total).toBe(20);
    // The 20 hung connections were open at the same moment: their timeouts overlapped, one after another they could not.
    expect(hung.connections.peak).toBe(20);
  });

  it('keeps at most `concurrency` checks running at once', async () => {
    // Six commands that outlive their 200 ms budget, counted as the runner starts and ends their
    // attempts (a server's own count of sockets would see a closed one after the next one opened).
    const counted = countedExec();
    const requests = Array.from({ length: 6 }, (_, i) => ({
      key: String(i),
      plan: plan({ type: 'command', run: ['sleep', '60', String(i)] }, { timeoutMs: 200 }),
    }));

    const outcomes = await runChecks(requests, options(25_000, { concurrency: 2, deps: counted.deps }));

    // Two at a time: neither one (serial) nor six (no cap).
    expect(counted.peak()).toBe(2);
    expect(counted.calls).toHaveLength(6);
    expect(counted.running()).toBe(0);
    expect([...outcomes.values()]).toEqual(Array.from({ length: 6 }, () => expect.objectContaining({ ok: false, error: 'timed out after 200ms' })));
    await Promise.all(counted.calls);
  });

  it('runs a check that several services share once, and gives each the outcome', async () => {
    const hung = await servers.add(startHangingListener());
    const url = `http://127.0.0.1:${hung.port}/health`;
    const requests = [
      { key: 'api#0', plan: plan({ type: 'http', url, name: 'api health' }, { timeoutMs: 500 }) },
      { key: 'worker#1', plan: plan({ type: 'http', url }, { timeoutMs: 500 }) },
    ];

    const outcomes = await runChecks(requests, options(25_000));

    // One connection, one timeout, one outcome for both.
    expect(hung.connections.total).toBe(1);
    expect(outcomes.get('api#0')).toMatchObject({ ok: false, error: 'timed out after 500ms' });
    expect(outcomes.get('worker#1')).toEqual(outcomes.get('api#0'));
  });

  it('runs the same process check of two services once each, with each service\'s pid, and once for one service', async () => {
    const asked: string[] = [];
    const pidOf = (service: string, pid: number): CheckRequest['pid'] => ({
      service,
      lookup: async () => (asked.push(service), { ok: false, error: `no pid: ${service} has none (${pid})` }),
    });
    const check = plan({ type: 'process', max_rss: '1GB' });
    const requests: CheckRequest[] = [
      { key: 'api#0', plan: check, pid: pidOf('api', 1) },
      { key: 'api#1', plan: check, pid: pidOf('api', 1) },
      { key: 'worker#0', plan: check, pid: pidOf('worker', 2) },
    ];

    const outcomes = await runChecks(requests, options(10_000));

    expect(asked.sort()).toEqual(['api', 'worker']);
    expect(outcomes.get('api#1')).toEqual(outcomes.get('api#0'));
    expect(outcomes.get('worker#0')).toMatchObject({ ok: false, error: 'no pid: worker has none (2)' });
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
    // Its own timeout is past the test's: only the deadline can end it, and the error says so.
    const outcomes = await runChecks(
      [{ key: 'slow', plan: plan({ type: 'http', url: `http://127.0.0.1:${hung.port}/` }, { timeoutMs: 120_000 }) }],
      options(300),
    );
    const outcome = outcomes.get('slow');
    expect(outcome?.ok).toBe(false);
    const budget = Number(/^timed out after (\d+)ms \(cut by the scan deadline\)$/.exec(outcome?.ok === false ? outcome.error : '')?.[1]);
    expect(budget).toBeGreaterThan(0);
    expect(budget).toBeLessThanOrEqual(300); // the time left to the deadline, not its own timeout
    await expect.poll(() => hung.connections.open, UNTIL).toBe(0);
  });

  it('does not retry when the delay would end past the deadline', async () => {
    const port = await closedPort();
    const pauses: number[] = [];
    const base = testDeps();
    const deps: Deps = { ...base, sleep: (ms, signal) => (pauses.push(ms), base.sleep(ms, signal)) };
    const outcomes = await runChecks(
      [{ key: 'down', plan: plan({ type: 'port', port }, { retries: 5, retryDelayMs: 1_000 }) }],
      options(500, { deps }),
    );
    // One attempt (no "after N attempts"), and no pause taken for a retry.
    expect(outcomes.get('down')).toEqual({ ok: false, latencyMs: expect.any(Number), error: 'connection refused' });
    expect(pauses).toEqual([]);
  });

  it('reports checks still queued at the deadline as not run', async () => {
    const hung = await servers.add(startHangingListener());
    const url = (i: number) => `http://127.0.0.1:${hung.port}/${i}`;
    // One at a time: the first ends at its own 300 ms timeout, the second (its own timeout past the
    // test's) runs until the scan's 2 s deadline cuts it, the third never starts. deps.now stands
    // still, so the budget the second gets is exactly the 2 s the scan had, whenever it starts.
    const frozen = Date.now();
    const deps: Deps = { ...testDeps(), now: () => frozen };
    const requests = [
      { key: '0', plan: plan({ type: 'http', url: url(0) }, { timeoutMs: 300 }) },
      { key: '1', plan: plan({ type: 'http', url: url(1) }, { timeoutMs: 120_000 }) },
      { key: '2', plan: plan({ type: 'http', url: url(2) }, { timeoutMs: 120_000 }) },
    ];

    const outcomes = await runChecks(requests, { deps, baseDir: process.cwd(), deadline: frozen + 2_000, concurrency: 1 });

    expect(outcomes.get('0')).toMatchObject({ ok: false, error: 'timed out after 300ms' });
    expect(outcomes.get('1')).toMatchObject({ ok: false, error: 'timed out after 2s (cut by the scan deadline)' });
    expect(outcomes.get('2')).toMatchObject({ ok: false, error: 'not run: the scan deadline passed' });
    expect(hung.connections.total).toBe(2);
  });

  it('returns once the scan ends even when a check does not settle on abort', async () => {
    // A program that ignores SIGTERM: exec only settles after its SIGKILL grace (seconds). The scan
    // is stopped once the program is up (the deadline and a stop end a scan the same way: its signal).
    const dir = await mkdtemp(join(tmpdir(), 'heal-run-stuck-'));
    try {
      const ready = join(dir, 'ready');
      const program = `process.on("SIGTERM", () => {}); require("fs").writeFileSync(${JSON.stringify(ready)}, ""); setInterval(() => {}, 1000)`;
      const counted = countedExec();
      const stop = new AbortController();
      const running = runChecks(
        [{ key: 'stuck', plan: plan({ type: 'command', run: [process.execPath, '-e', program] }, { timeoutMs: 120_000 }) }],
        options(25_000, { deps: counted.deps, signal: stop.signal }),
      );
      await expect.poll(() => existsSync(ready), UNTIL).toBe(true);
      stop.abort();
      const outcomes = await running;

      expect(outcomes.get('stuck')).toMatchObject({ ok: false, error: 'stopped before it finished' });
      // The runner let go while the command it started had not settled yet.
      expect(counted.settled).toEqual([false]);
      await Promise.all(counted.calls); // exec ends the program itself (SIGKILL after its grace)
      expect(counted.settled).toEqual([true]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops every attempt when the caller aborts', async () => {
    const hung = await servers.add(startHangingListener());
    const stop = new AbortController();
    // A timeout and a deadline past the test's own: only the abort can end it.
    const running = runChecks(
      [{ key: 'hung', plan: plan({ type: 'http', url: `http://127.0.0.1:${hung.port}/` }, { timeoutMs: 120_000 }) }],
      options(120_000, { signal: stop.signal }),
    );
    await expect.poll(() => hung.connections.open, UNTIL).toBe(1);
    stop.abort();
    const outcomes = await running;
    expect(outcomes.get('hung')).toMatchObject({ ok: false, error: 'stopped before it finished' });
    await expect.poll(() => hung.connections.open, UNTIL).toBe(0);
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
