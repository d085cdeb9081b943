import { describe, expect, it } from 'vitest';
import { CLOSED, halfOpensAt, onFoundDown } from '../../src/policy/breaker.js';
import { HEAL_MEMORY_MS, outagesIn, recordService, withHealIntent, withStartedProcess, type ServiceScanResult } from '../../src/policy/record.js';
import type { ServiceState } from '../../src/state/schema.js';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const SCAN = 5 * 60_000;
const settings = { flapThreshold: { count: 3, of: 3 }, breaker: { failure_threshold: 2, success_threshold: 2, open_for: 60_000, max_open_for: 3_600_000 } };
const checks = [{ name: 'port 127.0.0.1:1', ok: true, latencyMs: 1 }];

const up: ServiceScanResult = { healthy: true, checks, rule: 'healthy' };
const down: ServiceScanResult = { healthy: false, checks, rule: 'no-restart' };
const healed = (at: number): ServiceScanResult => ({ healthy: true, checks, rule: 'down', heal: { at, result: 'healed' } });
const healFailed = (at: number): ServiceScanResult => ({ healthy: false, checks, rule: 'down', heal: { at, result: 'failed', error: 'connection refused' } });
const capped: ServiceScanResult = { healthy: false, checks, rule: 'hourly-cap' };
const skipped: ServiceScanResult = { healthy: false, checks, rule: 'waiting-on-parent' };

/** Plays scans 5 minutes apart, each result built from its time. */
function play(results: ((at: number) => ServiceScanResult)[], start?: ServiceState, with_: Pick<typeof settings, 'breaker' | 'flapThreshold'> = settings): ServiceState {
  let state = start;
  results.forEach((result, i) => {
    const at = NOW + i * SCAN;
    state = recordService(state, result(at), with_, at);
  });
  return state!;
}

/** Scans from letters: u up, h healed, d down (heal failed), c held back by the cap, s skipped. */
const scans = (letters: string): ((at: number) => ServiceScanResult)[] =>
  [...letters].map((c) => ({ u: () => up, h: healed, d: healFailed, c: () => capped, s: () => skipped, n: () => down })[c as 'u']!);

describe('recordService', () => {
  it('keeps a heal remembered in the future (the clock was set back): it is not taken for an old one and forgotten', () => {
    const future = { at: NOW + 2 * HEAL_MEMORY_MS, result: 'failed' as const };
    const previous = recordService(undefined, down, settings, NOW - SCAN);
    expect(recordService({ ...previous, heals: [future] }, down, settings, NOW).heals).toEqual([future]);
  });

  it('starts a new service at the status it was seen in', () => {
    expect(recordService(undefined, down, settings, NOW)).toEqual({
      status: 'down', since: NOW, lastScanAt: NOW, failingScans: 1, healthyScans: 0, checks, heals: [],
      breaker: CLOSED, recent: 'd',
    });
  });

  it('keeps "since" while the status holds and counts consecutive scans', () => {
    expect(play([() => down, () => down])).toMatchObject({ status: 'down', since: NOW, failingScans: 2, healthyScans: 0 });
  });

  it('moves "since" and resets the other counter when the status changes', () => {
    expect(play([() => down, () => down, () => up])).toMatchObject({ status: 'up', since: NOW + 2 * SCAN, failingScans: 0, healthyScans: 1 });
  });

  it('appends the heal of this scan and forgets heals older than a day', () => {
    const old: ServiceState = { ...recordService(undefined, down, settings, NOW), heals: [{ at: NOW - HEAL_MEMORY_MS - 1, result: 'failed' }, { at: NOW - 1_000, result: 'failed' }] };
    expect(recordService(old, healed(NOW), settings, NOW).heals).toEqual([{ at: NOW - 1_000, result: 'failed' }, { at: NOW, result: 'healed' }]);
  });

  it('keeps the process a detached start made across scans, over a day, until the next restart replaces it', () => {
    const first = { pid: 4242, start: '1000' };
    const second = { pid: 4343, start: '2000' };
    const withFirst = recordService(undefined, { ...healed(NOW), started: first }, settings, NOW);
    expect(withFirst.process).toEqual(first);
    const later = play([() => up, () => down, () => skipped, ...Array.from({ length: 300 }, () => () => up)], withFirst);
    expect(later.process).toEqual(first);
    expect(later.heals).toEqual([]);
    expect(recordService(later, { ...healFailed(NOW), started: second }, settings, NOW).process).toEqual(second);
  });

  it('forgets the process once a restart starts none (its start failed, or the restart is no longer detached)', () => {
    const previous = recordService(undefined, { ...healed(NOW), started: { pid: 4242, start: '1000' } }, settings, NOW);
    expect(recordService(previous, healFailed(NOW + SCAN), settings, NOW + SCAN)).not.toHaveProperty('process');
  });

  describe('the breaker (failure_threshold 2, success_threshold 2, open_for 1m, max 1h)', () => {
    it.each([
      ['one failed heal', [healFailed], { state: 'closed', failures: 1 }],
      ['two failed heals in a row', [healFailed, healFailed], { state: 'open', openedAt: NOW + SCAN, openForMs: 60_000 }],
      ['a failed heal, then healthy', [healFailed, () => up], CLOSED],
      ['a failed heal, a scan held back, a failed heal', [healFailed, () => capped, healFailed], { state: 'open', openedAt: NOW + 2 * SCAN, openForMs: 60_000 }],
      ['open, then its trial heal fails: the wait doubles', [healFailed, healFailed, healFailed], { state: 'open', openedAt: NOW + 2 * SCAN, openForMs: 120_000 }],
      ['open, then one healthy scan: half-open', [healFailed, healFailed, () => up], { state: 'half_open', since: NOW + SCAN + 54_000, openForMs: 60_000, successes: 1 }],
      ['open, then two healthy scans: closed', [healFailed, healFailed, () => up, () => up], CLOSED],
      ['open, a trial that heals, then healthy: closed', [healFailed, healFailed, healed, () => up], CLOSED],
    ])('%s', (_what, results, breaker) => {
      expect(play(results as ((at: number) => ServiceScanResult)[]).breaker).toEqual(breaker);
    });

    it('never waits longer than max_open_for', () => {
      const long = { ...settings, breaker: { ...settings.breaker, open_for: 40 * 60_000 } };
      let state = recordService(undefined, healFailed(NOW), long, NOW);
      state = recordService(state, healFailed(NOW + 1), long, NOW + 1);
      state = recordService(state, healFailed(NOW + 50 * 60_000), long, NOW + 50 * 60_000);
      expect(state.breaker).toEqual({ state: 'open', openedAt: NOW + 50 * 60_000, openForMs: 3_600_000 });
    });
  });

  describe('remembers the scans that judged the service, as many as flapping looks back over', () => {
    it('marks up, healed and down scans, and leaves none for a scan waiting on a parent or still starting', () => {
      const starting: ServiceScanResult = { healthy: false, checks, rule: 'starting' };
      const wide = { ...settings, flapThreshold: { count: 3, of: 12 } };
      expect(play([...scans('uhds'), () => starting, () => down, () => capped], undefined, wide).recent).toBe('uhddd');
    });

    it('keeps one scan more than the window', () => {
      expect(play(scans('uuuuuuudh')).recent).toBe('udh'.padStart(4, 'u'));
    });

    it('counts an outage each time it was found down after being up', () => {
      expect(outagesIn('uddduhhu', 8)).toBe(3);
      expect(outagesIn('dddd', 4)).toBe(1);
      expect(outagesIn('hhh', 3)).toBe(3);
      // The first scan of the window went down only if the scan before it was up.
      expect(outagesIn('dduu', 3)).toBe(0);
      expect(outagesIn('udu', 2)).toBe(1);
    });
  });

  describe('flapping: one rule (went down in k of the last n scans)', () => {
    const kOfN = { ...settings, flapThreshold: { count: 3, of: 12 } };
    it.each([
      ['healed in 2 scans in a row', 'hh', settings, undefined],
      ['healed in 3 scans in a row (the old crash-loop guard)', 'hhh', settings, 'went down in 3 scans in a row'],
      ['healed twice, up on its own, healed once', 'hhuh', settings, undefined],
      ['held back by the hourly cap in many scans: down for good is not flapping', 'dcccccc', settings, undefined],
      ['down every other scan, 3 of 12', 'nunun', kOfN, 'went down 3 times in the last 12 scans'],
      ['down 15 minutes, up 5, three times, 3 of 12', 'nnnunnnunnn', kOfN, 'went down 3 times in the last 12 scans'],
      ['down twice in 12 scans, 3 of 12', 'nnnuuuuuunnn', kOfN, undefined],
      ['skipped scans do not count as coming back', 'nsnsn', kOfN, undefined],
    ])('%s', (_what, letters, with_, reason) => {
      expect(play(scans(letters), undefined, with_).flapping?.reason).toBe(reason);
    });

    it('lifts the mark once the service stayed up on its own for the whole window', () => {
      expect(play(scans('hhhuu')).flapping).toBeDefined();
      expect(play(scans('hhhuuu')).flapping).toBeUndefined();
      expect(play(scans('hhhuuhuuu')).flapping).toBeUndefined();
      expect(play(scans('hhhuuhuu')).flapping).toBeDefined();
    });

    it('opens the breaker when it starts flapping, even in a scan that healed it', () => {
      expect(play(scans('hhh')).breaker).toEqual({ state: 'open', openedAt: NOW + 2 * SCAN, openForMs: 60_000 });
    });

    it('keeps the breaker on probation while it flaps: found down again, the wait doubles each time, up to max_open_for', () => {
      // Flapping from the third scan; each trial heals it, and it dies again by the next scan.
      let state = play(scans('hhh'));
      const waits: number[] = [];
      for (let i = 3; i < 40; i++) {
        const at = NOW + i * SCAN;
        // As the policy decides: held while the breaker (after this finding) is open, else a trial restart.
        const held = halfOpensAt(onFoundDown(state.breaker, settings.breaker, at), at) !== undefined;
        state = recordService(state, held ? down : healed(at), settings, at);
        if (state.breaker.state === 'open' && state.breaker.openedAt === at) waits.push(state.breaker.openForMs);
      }
      expect(waits.slice(0, 7)).toEqual([120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000]);
      expect(state.flapping).toBeDefined();
    });

    it('closes the breaker once the flapping mark lifts', () => {
      const state = play(scans('hhhuuu'));
      expect(state.flapping).toBeUndefined();
      expect(state.breaker).toEqual(CLOSED);
    });
  });

  it('writes a heal down before its restart runs, leaving the breaker and the recent scans alone', () => {
    const before = play(scans('uud'));
    expect(withHealIntent(before, NOW + 3 * SCAN)).toEqual({ ...before, heals: [...before.heals, { at: NOW + 3 * SCAN, result: 'failed', error: expect.stringMatching(/^interrupted/) }] });
    expect(withHealIntent(undefined, NOW)).toMatchObject({ status: 'down', recent: '', breaker: CLOSED });
  });

  it('writes down the process a detached restart started, replacing the one before and leaving the rest alone', () => {
    const intent = withHealIntent({ ...play(scans('uud')), process: { pid: 100, start: '1' } }, NOW + 3 * SCAN);
    expect(withStartedProcess(intent, { pid: 200, start: '2' }, NOW + 3 * SCAN)).toEqual({ ...intent, process: { pid: 200, start: '2' } });
    expect(withStartedProcess(undefined, { pid: 200 }, NOW)).toEqual({ ...withHealIntent(undefined, NOW), process: { pid: 200 } });
  });
});
