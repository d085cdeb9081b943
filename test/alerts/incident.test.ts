/**
 * The alert manager's incidents, pure, over scans five minutes apart: "k of n" thresholds,
 * damping, escalate_after, silences that hide messages but not incidents, resolved notices to
 * every channel that got the alert, "heal stopped restarting" said once, flapping folding the
 * down notices, and held-back healed notices counted.
 */
import { describe, expect, it } from 'vitest';
import type { AlertConfig, LevelConfig } from '../../src/alerts/levels.js';
import { planAlerts, type AlertPlan, type ServiceAlertInput } from '../../src/alerts/manager.js';
import { ordinal } from '../../src/alerts/incident.js';
import { emptyAlertsState, type AlertsState } from '../../src/alerts/state.js';

const MIN = 60_000;
const SCAN = 5 * MIN;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-11-22T12:00:00Z');

const level = (extra: Partial<LevelConfig> = {}): LevelConfig => ({ threshold: 3, cooldownMs: HOUR, channels: ['hook', 'log'], ...extra });
const configWith = (levels: Partial<AlertConfig['levels']> = {}): AlertConfig => ({
  levels: { critical: level(), warning: level({ threshold: 5, cooldownMs: 2 * HOUR, channels: ['log'] }), info: level({ threshold: 10, cooldownMs: 24 * HOUR, channels: ['log'] }), ...levels },
  channels: { hook: { type: 'webhook', url: 'http://127.0.0.1:9/hook', timeout: 5_000 }, log: { type: 'log' }, mail: { type: 'log' } },
  maxAgeMs: 24 * HOUR,
});

const base = { service: 'api', alertLevel: 'critical', healedLevel: 'info', degradedLevel: 'warning', detail: 'port 127.0.0.1:1: connection refused' } as const;
const d = (extra: Partial<ServiceAlertInput> = {}): ServiceAlertInput => ({ ...base, status: 'down', rule: 'no-restart', ...extra });
const u = (extra: Partial<ServiceAlertInput> = {}): ServiceAlertInput => ({ ...base, status: 'up', rule: 'healthy', ...extra });
const h = (extra: Partial<ServiceAlertInput> = {}): ServiceAlertInput => ({ ...base, status: 'healed', rule: 'down', action: 'restarted (command: x)', ...extra });

/** "d" down, "u" up, "h" healed: one scan each, five minutes apart. */
const pattern = (letters: string, extra: Partial<ServiceAlertInput> = {}) => [...letters].map((c) => ({ d, u, h })[c as 'd']!(extra));

type Step = { input: ServiceAlertInput; at?: number; change?: (state: AlertsState) => AlertsState; config?: AlertConfig };

/** Plays scans; returns every plan and, per scan, "title@channel" for each notice sent. */
function play(steps: (ServiceAlertInput | Step)[], options: { config?: AlertConfig; start?: AlertsState } = {}) {
  let state = options.start ?? emptyAlertsState();
  const plans: AlertPlan[] = [];
  steps.forEach((step, i) => {
    const s: Step = 'input' in step ? step : { input: step };
    if (s.change) state = s.change(state);
    const plan = planAlerts(state, { config: s.config ?? options.config ?? configWith(), services: [s.input], known: ['api'], now: s.at ?? T0 + i * SCAN, host: 'box' });
    state = plan.next;
    plans.push(plan);
  });
  const sent = plans.map((p) => p.routed.map((r) => `${r.notice.title}${r.notice.reminder ? ' (reminder)' : ''} → ${r.channels.join(',')}`));
  return { plans, sent, state, notices: plans.flatMap((p) => p.routed.map((r) => r.notice)) };
}

describe('"k of n" thresholds: intermittent failure is seen', () => {
  it('alerts a service down every other scan once 3 of the last 6 failed, and keeps the incident open while it goes on', () => {
    const { sent } = play(pattern('dudududududu'), { config: configWith({ critical: level({ threshold: 3, window: 6 }) }) });
    expect(sent.flat()).toEqual(['api is down → hook,log']);
    expect(sent[4]).toEqual(['api is down → hook,log']);
  });

  it('resolves once fewer than k of the last n failed and the service is up', () => {
    const { sent } = play(pattern('ddduuuuu'), { config: configWith({ critical: level({ threshold: 3, window: 6 }) }) });
    expect(sent.map((s) => s.length)).toEqual([0, 0, 1, 0, 0, 0, 1, 0]);
    // Up for 3 scans, the last 6 still hold 3 failures; at the 4th, 2.
    expect(sent[6]).toEqual(['api is back up → hook,log']);
  });

  it('never alerts a service down every other scan with "3" (in a row): the flapping rule is what catches that by default', () => {
    expect(play(pattern('dududududu')).sent.flat()).toEqual([]);
  });
});

describe('damping: repeated outages fold into the open incident', () => {
  it('down 15 minutes, up 5, for two hours: a down, a resolved, one "down again", then quiet while the incident stays open', () => {
    const { sent, notices } = play(pattern('dddu'.repeat(6)));
    expect(sent.flat()).toEqual([
      'api is down → hook,log',
      'api is back up → hook,log',
      'api is down again (the 2nd time in 30m) → hook,log',
      // An hour after "down again": a reminder, counting every outage.
      'api is down (reminder) → hook,log',
    ]);
    expect(notices.at(-1)?.detail).toMatch(/^down 5 times since 2026-11-22T12:00:00Z; port/);
    // Before damping: a down and a resolved notice every 20 minutes, 12 in two hours.
    expect(sent.flat().length).toBeLessThanOrEqual(4);
  });

  it('resolves a reopened incident once the service stayed up for the level\'s window, saying how many outages and how long in all', () => {
    const { sent, notices } = play(pattern('dddudddduuu'));
    expect(sent.flat()).toEqual(['api is down → hook,log', 'api is back up → hook,log', 'api is down again (the 2nd time in 30m) → hook,log', 'api is back up → hook,log']);
    expect(notices.at(-1)).toMatchObject({ detail: 'down 2 times in 50m, for 35m in all', downForMs: 35 * MIN, id: `api/down@${T0}/resolved#2` });
  });

  it('starts a fresh incident when the service goes down again after the level\'s cooldown', () => {
    const steps: Step[] = [...pattern('dddu').map((input) => ({ input })), ...pattern('ddd').map((input, i) => ({ input, at: T0 + 3 * SCAN + HOUR + i * SCAN }))];
    const { sent, notices } = play(steps);
    expect(sent.flat()).toEqual(['api is down → hook,log', 'api is back up → hook,log', 'api is down → hook,log']);
    expect(notices.at(-1)?.id).toBe(`api/down@${T0 + 3 * SCAN + HOUR}#1`);
  });
});

describe('escalate_after', () => {
  const config = configWith({ warning: level({ threshold: 2, cooldownMs: 2 * HOUR, channels: ['log'], escalateAfterMs: HOUR }) });

  it('raises a warning still down after an hour to critical, at once, on critical\'s channels, and resolves to every channel that got it', () => {
    const { sent, notices } = play([...pattern('d'.repeat(14), { alertLevel: 'warning' }), u({ alertLevel: 'warning' })], { config });
    expect(sent.flat()).toEqual(['api is down → log', 'api is still down after 1h: raised from warning to critical → hook,log', 'api is back up → log,hook']);
    expect(sent[12]).toEqual(['api is still down after 1h: raised from warning to critical → hook,log']);
    expect(notices[1]).toMatchObject({ level: 'critical', kind: 'down', id: `api/down@${T0}#2` });
  });

  it('raises a service during a silence, and says so on the first scan after it', () => {
    const quiet = (state: AlertsState): AlertsState => ({ ...state, silences: { api: { createdAt: T0 + 5 * SCAN, until: T0 + 15 * SCAN - 1 } } });
    const steps: Step[] = pattern('d'.repeat(16), { alertLevel: 'warning' }).map((input, i) => (i === 5 ? { input, change: quiet } : { input }));
    const { sent } = play(steps, { config });
    expect(sent[1]).toEqual(['api is down → log']);
    expect(sent[15]).toEqual(['api is still down after 1h15m: raised to critical → hook,log']);
    expect(sent.flat()).toHaveLength(2);
  });

  it('does not raise a service that came back before escalate_after', () => {
    expect(play(pattern('ddddddduddddd', { alertLevel: 'warning' }), { config }).plans.every((p) => p.routed.every((r) => r.notice.level === 'warning'))).toBe(true);
  });
});

describe('channels that forget a firing alert (Alertmanager)', () => {
  it('are told every scan that a damped incident still fires while the service is briefly up, and told once it resolves', () => {
    const config = configWith({ critical: level({ channels: ['am'] }) });
    config.channels['am'] = { type: 'alertmanager', url: 'http://127.0.0.1:9093', timeout: 5_000 };
    let state = emptyAlertsState();
    const upkeep: string[][] = [];
    pattern('dddudddduuu').forEach((input, i) => {
      const plan = planAlerts(state, { config, services: [input], known: ['api'], now: T0 + i * SCAN, host: 'box', resendChannels: ['am'] });
      state = plan.next;
      upkeep.push(plan.messages.flatMap((m) => m.notices.map((n) => n.kind)));
    });
    // down; resolved; (counting again); down again; then up but still open: re-sent as firing; then resolved.
    expect(upkeep).toEqual([[], [], ['down'], ['resolved'], [], [], ['down'], ['down'], ['down'], ['down'], ['resolved']]);
  });
});

describe('resolved goes to the channels that got the alert, whatever the level says now', () => {
  it('after a reminder to a changed channel list, the resolved notice goes to the old channels and the new', () => {
    const before = configWith({ critical: level({ channels: ['hook', 'log'] }) });
    const after = configWith({ critical: level({ channels: ['mail'] }) });
    const steps: Step[] = [
      ...pattern('ddd').map((input) => ({ input, config: before })),
      { input: d(), at: T0 + 2 * SCAN + HOUR, config: after },
      { input: u(), at: T0 + 3 * SCAN + HOUR, config: after },
    ];
    const { sent } = play(steps);
    expect(sent.flat()).toEqual(['api is down → hook,log', 'api is down (reminder) → mail', 'api is back up → hook,log,mail']);
  });
});

describe('silences hide messages, not incidents', () => {
  const silence = (from: number, length: number) => (state: AlertsState): AlertsState => ({ ...state, silences: { api: { createdAt: from, until: from + length } } });

  it('sends the resolved notice of an alert sent before the silence, during the silence', () => {
    const { sent } = play([d(), d(), d(), { input: d(), change: silence(T0 + 3 * SCAN, HOUR) }, u()]);
    expect(sent.flat()).toEqual(['api is down → hook,log', 'api is back up → hook,log']);
  });

  it('alerts a service still down when the silence ends on the first scan after it, when it failed for its threshold', () => {
    const { sent } = play([{ input: d(), change: silence(T0, 2 * SCAN + 1) }, d(), d(), d()]);
    expect(sent.map((s) => s.length)).toEqual([0, 0, 0, 1]);
  });

  it('owes a reopened incident its "down again" until the silence ends', () => {
    const { sent } = play([d(), d(), d(), u(), { input: d(), change: silence(T0 + 4 * SCAN, 3 * SCAN - 1) }, d(), d(), d()]);
    expect(sent.flat()).toEqual(['api is down → hook,log', 'api is back up → hook,log', 'api is down again (the 2nd time in 35m) → hook,log']);
    // Due at the third failing scan (30m), silenced then; sent at the first scan after the silence.
    expect(sent[6]).toEqual([]);
    expect(sent[7]).toHaveLength(1);
  });
});

describe('"heal stopped restarting it until …", once', () => {
  const stopped = { untilMs: T0 + 30 * MIN, why: 'its circuit breaker is open: restarts did not bring it back for good' };

  it('is part of the down notice when heal had stopped by then, and not said again', () => {
    const { notices } = play([d(), d(), d({ stopped }), d({ stopped }), d({ stopped })]);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.action).toBe('heal stopped restarting it until 2026-11-22T12:30:00Z (its circuit breaker is open: restarts did not bring it back for good), then tries once');
  });

  it('is a notice of its own when heal stops after the alert went out, to the channels that got it', () => {
    const { sent, notices } = play([d(), d(), d(), d(), d({ stopped }), d({ stopped })]);
    expect(sent[4]).toEqual(['heal stopped restarting api until 2026-11-22T12:30:00Z → hook,log']);
    expect(sent[5]).toEqual([]);
    expect(notices[1]).toMatchObject({ id: `api/down@${T0}/stopped`, kind: 'down', detail: expect.stringMatching(/^its circuit breaker is open/) });
  });
});

describe('flapping', () => {
  const flapping = { since: T0 + 4 * SCAN, reason: 'went down 3 times in the last 12 scans' };

  it('is one notice at the service\'s level; the down notices fold into it while it is open; resolved once it is stable', () => {
    const steps = [...pattern('dddud'), ...pattern('dddudd', { flapping }), ...pattern('uu')];
    const { sent } = play(steps);
    expect(sent.flat()).toEqual(['api is down → hook,log', 'api is back up → hook,log', 'api is flapping → hook,log', 'api is no longer flapping → hook,log']);
  });

  it('folds healed notices into itself too', () => {
    const { sent } = play([h(), ...pattern('hhh', { flapping })], { config: configWith({ info: level({ threshold: 1, cooldownMs: 0, channels: ['log'] }) }) });
    expect(sent.flat()).toEqual(['api was down; heal restarted it → log', 'api is flapping → hook,log']);
  });
});

describe('held-back healed notices', () => {
  it('are counted while the level\'s cooldown holds them, and the next notice says how many', () => {
    const info = level({ threshold: 10, cooldownMs: HOUR, channels: ['log'] });
    const steps: Step[] = [...pattern('huhuh').map((input) => ({ input })), { input: h(), at: T0 + HOUR + MIN }];
    const { plans, notices } = play(steps, { config: configWith({ info }) });
    // Until the cooldown ends, less its schedule slack (10 s), as every wait between scans.
    const untilMs = T0 + HOUR - 10_000;
    expect(plans.map((p) => p.held)).toEqual([
      [], [], [{ service: 'api', kind: 'healed', level: 'info', count: 1, untilMs }], [], [{ service: 'api', kind: 'healed', level: 'info', count: 2, untilMs }], [],
    ]);
    expect(plans[4]?.next.keys['api/healed']).toMatchObject({ held: 2 });
    expect(notices.map((n) => n.detail)).toEqual([
      'port 127.0.0.1:1: connection refused',
      'port 127.0.0.1:1: connection refused; healed 2 more times since the last notice at 2026-11-22T12:00:00Z',
    ]);
  });
});

describe('state written before incidents were kept', () => {
  it('reminds an incident whose key only has a failing count, as before', () => {
    const start: AlertsState = { ...emptyAlertsState(), keys: { 'api/down': { failing: 5, since: T0 - HOUR, level: 'critical', notified: { at: T0 - HOUR, channels: ['hook', 'log'], count: 1 } } } };
    const { sent } = play([d()], { start });
    expect(sent).toEqual([['api is down (reminder) → hook,log']]);
  });
});

it.each([[1, '1st'], [2, '2nd'], [3, '3rd'], [4, '4th'], [11, '11th'], [12, '12th'], [13, '13th'], [21, '21st'], [102, '102nd']])('ordinal(%i) is %s', (n, text) => {
  expect(ordinal(n)).toBe(text);
});
