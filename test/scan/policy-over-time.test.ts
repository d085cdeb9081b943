/**
 * The heal policy over simulated time: the real `scan()` in this process, over one state
 * directory, with a clock handed in through Deps that scans jump forward between them (five
 * minutes, an hour, a day) — so a breaker's open_for, a cooldown, start_grace and the hourly cap
 * pass without real sleeping. The checks and restarts are real: a command check (`test -e up`)
 * that passes once a restart created the file `up`, a port check against a real closed or open
 * port, and restarts that are small real processes (`sh -c …`) counting themselves in a file.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, serverScope, startTcpServer } from '../helpers/servers.js';
import { HOUR, MINUTE, SECOND, simWorkspace, type SimWorkspace } from '../helpers/sim.js';

const servers = serverScope();
afterEach(() => servers.closeAll());

/** A restart that appends a line to restarts.txt, and creates `up` only once the file `fixed` exists. */
const RESTART = `{ type: command, run: [sh, -c, "echo restart >> restarts.txt; if [ -e fixed ]; then touch up; fi"] }`;

/** The check the restart can satisfy: the file `up` exists. */
const UP_CHECK = `{ type: command, run: [test, -e, up] }`;

/** How many times RESTART ran. */
async function restartsRun(ws: SimWorkspace): Promise<number> {
  const text = await readFile(join(ws.dir, 'restarts.txt'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).length;
}

/** From now on the restart brings the service back. */
const fixRestart = (ws: SimWorkspace) => writeFile(join(ws.dir, 'fixed'), '');
/** The service dies (its `up` file goes). */
const kill = (ws: SimWorkspace) => rm(join(ws.dir, 'up'), { force: true });

/** One service "web" whose checks and settings the test gives. */
function manifest(checks: string, defaults: string): string {
  return `version: 1
defaults: { ${defaults} }
services:
  web:
    checks: ${checks}
    restart: ${RESTART}
`;
}

/**
 * The durations a reason names ("restarted 1m3s ago, start_grace ends in 3m57s"), in ms. The
 * clock moves on while a scan runs (a failed restart's verify_timeout, real process starts), so
 * tests compare them with what they expect within a margin.
 */
function durationsIn(reason: string | undefined, pattern: RegExp): number[] {
  const match = pattern.exec(reason ?? '');
  if (!match) throw new Error(`"${reason}" does not match ${pattern}`);
  const units: Record<string, number> = { ms: 1, s: SECOND, m: MINUTE, h: HOUR, d: 24 * HOUR };
  return match.slice(1).map((text) => [...(text ?? '').matchAll(/(\d+)(ms|s|m|h|d)/g)].reduce((sum, [, n, unit]) => sum + Number(n) * units[unit!]!, 0));
}

/** How far the clock may move on during one scan here: a failed restart's verify and real process starts. */
const SCAN_DRIFT = 15 * SECOND;
const near = (expected: number) => expect.toSatisfy((ms: number) => ms >= expected - SCAN_DRIFT && ms <= expected + SCAN_DRIFT, `within ${SCAN_DRIFT} ms of ${expected} ms`);

describe('the circuit breaker over time', () => {
  it('opens after failure_threshold failed heals, probes only the cheapest check while open, and after each open_for tries one restart, doubling the wait up to max_open_for', async () => {
    const port = await closedPort();
    const ws = await simWorkspace(
      manifest(`[ ${UP_CHECK}, { type: port, port: ${port} } ]`, 'cooldown: 0s, max_heals_per_hour: 100, verify_timeout: 2s, breaker: { failure_threshold: 2, success_threshold: 2, open_for: 10m, max_open_for: 1h }'),
    );

    expect(await ws.scanService('web')).toMatchObject({ code: 1, status: 'down', rule: 'down', action: expect.stringMatching(/^restarted/) });
    expect((await ws.remembered('web')).breaker).toEqual({ state: 'closed', failures: 1 });
    ws.clock.advance(5 * MINUTE);
    expect(await ws.scanService('web')).toMatchObject({ status: 'down', rule: 'down' });
    const opened = (await ws.remembered('web')).breaker;
    if (opened.state !== 'open') throw new Error(`breaker is ${opened.state}, not open`);
    expect(opened.openForMs).toBe(10 * MINUTE);
    expect(await restartsRun(ws)).toBe(2);

    // While open: held back, and only the port check (the cheapest) runs.
    ws.clock.advance(5 * MINUTE);
    const held = await ws.scanService('web');
    expect(held).toMatchObject({ code: 1, status: 'down', rule: 'breaker-open', action: 'held back' });
    expect(durationsIn(held.reason, /^circuit breaker open: one restart will be tried in (\S+)$/)).toEqual([near(5 * MINUTE)]);
    expect(held.checks).toEqual([{ type: 'port', name: `port 127.0.0.1:${port}`, ok: false, latencyMs: expect.any(Number), error: 'connection refused' }]);
    expect(await ws.status('web')).toMatchObject({ breaker: 'open', halfOpenInMs: expect.any(Number) });

    // Each open_for ends in one trial restart with every check; it fails, and the wait doubles, up to an hour.
    let restarts = 2;
    for (const openFor of [10 * MINUTE, 20 * MINUTE, 40 * MINUTE, HOUR, HOUR]) {
      const { breaker } = await ws.remembered('web');
      if (breaker.state !== 'open') throw new Error(`breaker is ${breaker.state}`);
      expect(breaker.openForMs).toBe(openFor);
      // A minute before it ends: still held.
      ws.clock.advance(breaker.openedAt + openFor - MINUTE - ws.clock.now());
      expect(await ws.scanService('web')).toMatchObject({ rule: 'breaker-open', action: 'held back' });
      expect(await restartsRun(ws)).toBe(restarts);
      ws.clock.advance(MINUTE);
      expect(await ws.status('web')).toMatchObject({ breaker: 'half_open' });
      const trial = await ws.scanService('web');
      expect(trial).toMatchObject({ code: 1, status: 'down', rule: 'half-open-trial', action: expect.stringMatching(/^restarted/) });
      expect(trial.checks.map((c) => c.type)).toEqual(['command', 'port']);
      expect(await restartsRun(ws)).toBe(++restarts);
    }
    expect((await ws.remembered('web')).breaker).toMatchObject({ state: 'open', openForMs: HOUR });
    // Over three simulated hours (10m + 20m + 40m + 1h + 1h), seven restarts in all.
    expect(ws.clock.now() - opened.openedAt).toBeGreaterThan(3 * HOUR);
    expect(restarts).toBe(7);
  });

  it('does not take a passing probe for health while open: the other checks must pass too', async () => {
    const open = await servers.add(startTcpServer((socket) => socket.destroy()));
    const ws = await simWorkspace(manifest(`[ ${UP_CHECK}, { type: port, port: ${open.port} } ]`, 'cooldown: 0s, verify_timeout: 2s, breaker: { failure_threshold: 2, open_for: 1h }'));
    for (let n = 0; n < 2; n++) {
      await ws.scanService('web');
      ws.clock.advance(5 * MINUTE);
    }
    expect((await ws.remembered('web')).breaker).toMatchObject({ state: 'open' });

    for (let n = 0; n < 3; n++) {
      const held = await ws.scanService('web');
      expect(held).toMatchObject({ code: 1, status: 'down', rule: 'breaker-open', action: 'held back' });
      expect(held.checks.map((c) => [c.type, c.ok])).toEqual([['command', false], ['port', true]]);
      expect((await ws.remembered('web')).breaker).toMatchObject({ state: 'open', openForMs: HOUR });
      ws.clock.advance(5 * MINUTE);
    }
    expect(await restartsRun(ws)).toBe(2);
  });

  it('closes after success_threshold healthy scans once the half-open trial brings the service back', async () => {
    const ws = await simWorkspace(manifest(`[ ${UP_CHECK} ]`, 'cooldown: 0s, verify_timeout: 2s, breaker: { failure_threshold: 2, success_threshold: 2, open_for: 30m }'));
    for (let n = 0; n < 2; n++) {
      expect(await ws.scanService('web')).toMatchObject({ status: 'down', rule: 'down' });
      ws.clock.advance(5 * MINUTE);
    }
    expect(await ws.status('web')).toMatchObject({ breaker: 'open' });

    await fixRestart(ws);
    ws.clock.advance(30 * MINUTE);
    const trial = await ws.scanService('web');
    expect(trial).toMatchObject({ code: 0, status: 'healed', rule: 'half-open-trial', action: expect.stringMatching(/^restarted \(command: sh -c/) });
    // The trial is the first healthy scan of success_threshold (2).
    expect(await ws.status('web')).toMatchObject({ status: 'up', breaker: 'half_open' });

    ws.clock.advance(5 * MINUTE);
    expect(await ws.scanService('web')).toMatchObject({ code: 0, status: 'up', rule: 'healthy' });
    expect((await ws.remembered('web')).breaker).toEqual({ state: 'closed', failures: 0 });
    expect(await restartsRun(ws)).toBe(3);
  });
});

describe('the cooldown', () => {
  it('holds back a second restart until cooldown has passed since the last one (less 10 s of schedule slack)', async () => {
    const ws = await simWorkspace(manifest(`[ ${UP_CHECK} ]`, 'cooldown: 10m, verify_timeout: 2s'));
    await fixRestart(ws);
    expect(await ws.scanService('web')).toMatchObject({ code: 0, status: 'healed', rule: 'down' });

    await kill(ws);
    ws.clock.advance(2 * MINUTE);
    const held = await ws.scanService('web');
    expect(held).toMatchObject({ code: 1, status: 'down', rule: 'cooldown', action: 'held back' });
    expect(durationsIn(held.reason, /^cooldown: last restart (\S+) ago, next allowed in (\S+)$/)).toEqual([near(2 * MINUTE), near(8 * MINUTE)]);
    expect(await ws.status('web')).toMatchObject({ cooldownLeftMs: expect.any(Number) });

    ws.clock.advance(7 * MINUTE + 30 * SECOND);
    expect(await ws.scanService('web')).toMatchObject({ rule: 'cooldown', action: 'held back' });
    expect(await restartsRun(ws)).toBe(1);

    // 9m50s after the restart: inside the slack, so the scan due at 10m does not wait a whole interval.
    ws.clock.advance(20 * SECOND);
    expect(await ws.scanService('web')).toMatchObject({ code: 0, status: 'healed', rule: 'down' });
    expect(await restartsRun(ws)).toBe(2);
  });
});

describe('start_grace', () => {
  it('holds a service that is still starting after a restart, and restarts it again once start_grace is over', async () => {
    const ws = await simWorkspace(manifest(`[ ${UP_CHECK} ]`, 'cooldown: 0s, start_grace: 5m, verify_timeout: 2s'));
    expect(await ws.scanService('web')).toMatchObject({ code: 1, status: 'down', rule: 'down', action: expect.stringMatching(/^restarted/) });

    ws.clock.advance(MINUTE);
    const starting = await ws.scanService('web');
    expect(starting).toMatchObject({ code: 1, status: 'down', rule: 'starting', action: 'held back' });
    expect(durationsIn(starting.reason, /^starting: restarted (\S+) ago, start_grace ends in (\S+)$/)).toEqual([near(MINUTE), near(4 * MINUTE)]);
    ws.clock.advance(3 * MINUTE);
    expect(await ws.scanService('web')).toMatchObject({ rule: 'starting' });
    expect(await restartsRun(ws)).toBe(1);
    expect((await ws.remembered('web')).heals).toHaveLength(1);

    ws.clock.advance(MINUTE);
    expect(await ws.scanService('web')).toMatchObject({ status: 'down', rule: 'down', action: expect.stringMatching(/^restarted/) });
    expect(await restartsRun(ws)).toBe(2);
  });
});

describe('the hourly cap', () => {
  it('allows max_heals_per_hour restarts in a sliding hour, then holds back until the oldest is an hour old', async () => {
    const ws = await simWorkspace(manifest(`[ ${UP_CHECK} ]`, 'cooldown: 0s, max_heals_per_hour: 2, verify_timeout: 2s, breaker: { failure_threshold: 100 }'));
    for (const n of [1, 2]) {
      expect(await ws.scanService('web')).toMatchObject({ code: 1, status: 'down', rule: 'down', action: expect.stringMatching(/^restarted/) });
      expect(await restartsRun(ws)).toBe(n);
      ws.clock.advance(5 * MINUTE);
    }
    const held = await ws.scanService('web');
    expect(held).toMatchObject({ code: 1, status: 'down', rule: 'hourly-cap', action: 'held back' });
    expect(durationsIn(held.reason, /^hourly cap: 2 of 2 restarts used in the last hour, next allowed in (\S+)$/)).toEqual([near(50 * MINUTE)]);
    expect(await ws.status('web')).toMatchObject({ healsLastHour: 2, maxHealsPerHour: 2 });

    // An hour after the first restart, one is free again.
    ws.clock.advance(50 * MINUTE);
    expect(await ws.scanService('web')).toMatchObject({ rule: 'down', action: expect.stringMatching(/^restarted/) });
    expect(await restartsRun(ws)).toBe(3);
    expect(await ws.status('web')).toMatchObject({ healsLastHour: 2 });
  });
});
