import { describe, expect, it } from 'vitest';
import { DEFAULT_LEVELS, type AlertConfig } from '../../src/alerts/levels.js';
import { planAlerts, type ServiceAlertInput } from '../../src/alerts/manager.js';
import { emptyAlertsState, type AlertsState } from '../../src/alerts/state.js';
import type { Message } from '../../src/alerts/types.js';

const MIN = 60_000;
const SCAN = 5 * MIN;
const T0 = Date.parse('2026-11-22T12:00:00Z');

const config: AlertConfig = {
  levels: {
    critical: { threshold: 2, cooldownMs: 60 * MIN, channels: ['discord', 'log'] },
    warning: { threshold: 3, cooldownMs: 120 * MIN, channels: ['log'] },
    info: { threshold: 10, cooldownMs: 24 * 60 * MIN, channels: ['log'] },
  },
  channels: { discord: { type: 'discord', webhook_url: 'http://127.0.0.1/api/webhooks/1/x', timeout: 5_000 }, log: { type: 'log' } },
  maxAgeMs: 24 * 60 * MIN,
};

const base = { alertLevel: 'critical', healedLevel: 'info', degradedLevel: 'warning', detail: 'port 127.0.0.1:1: connection refused' } as const;
const down = (service = 'api', extra: Partial<ServiceAlertInput> = {}): ServiceAlertInput => ({ ...base, service, status: 'down', rule: 'down', action: 'restarted: still failing', ...extra });
const up = (service = 'api'): ServiceAlertInput => ({ ...base, service, status: 'up', rule: 'healthy' });
const healed = (service = 'api'): ServiceAlertInput => ({ ...base, service, status: 'healed', rule: 'down', action: 'restarted (command: x)' });
const skipped = (service = 'api'): ServiceAlertInput => ({ ...base, service, status: 'skipped', rule: 'waiting-on-parent' });
const starting = (service = 'api'): ServiceAlertInput => ({ ...base, service, status: 'down', rule: 'starting' });

type Scan = ServiceAlertInput[];

/** Plays scans five minutes apart; returns what each scan sent as "kind@channel" lists, and the final state. */
function play(scans: Scan[], options: { start?: AlertsState; cfg?: AlertConfig; at?: (i: number) => number } = {}) {
  let state = options.start ?? emptyAlertsState();
  const sent: string[][] = [];
  const messages: Message[][] = [];
  scans.forEach((services, i) => {
    const now = options.at ? options.at(i) : T0 + i * SCAN;
    const plan = planAlerts(state, { config: options.cfg ?? config, services, known: ['api', 'db', 'web', 'a', 'b', 'c'], now, host: 'box' });
    state = plan.next;
    messages.push(plan.messages);
    sent.push(plan.messages.flatMap((m) => m.notices.map((n) => `${n.service}/${n.kind}${n.reminder ? '(reminder)' : ''}@${m.channel}`)));
  });
  return { sent, state, messages };
}

describe('thresholds', () => {
  it.each([
    ['critical (threshold 2)', 'critical', [[], ['api/down@discord', 'api/down@log']]],
    ['warning (threshold 3)', 'warning', [[], [], ['api/down@log']]],
  ] as const)('a %s key notifies after that many failing scans', (_what, level, expected) => {
    const { sent } = play(expected.map(() => [down('api', { alertLevel: level })]));
    expect(sent).toEqual(expected);
  });

  it('starts counting again when the service recovers before the threshold', () => {
    expect(play([[down()], [up()], [down()], [down()]]).sent).toEqual([[], [], [], ['api/down@discord', 'api/down@log']]);
  });
});

describe('cooldown and reminders', () => {
  it('does not repeat a key inside its cooldown, and reminds after it', () => {
    // critical: threshold 2, cooldown 60m; scans every 5 minutes.
    const scans = Array.from({ length: 15 }, () => [down()]);
    const { sent } = play(scans);
    const nonEmpty = sent.map((s, i) => [i, s] as const).filter(([, s]) => s.length);
    expect(nonEmpty).toEqual([
      [1, ['api/down@discord', 'api/down@log']],
      [13, ['api/down(reminder)@discord', 'api/down(reminder)@log']],
    ]);
  });
});

describe('resolved notices', () => {
  it('sends one resolved notice, with how long it was down, to the channels that got the alert', () => {
    const { sent, messages, state } = play([[down()], [down()], [down()], [up()]]);
    expect(sent[3]).toEqual(['api/resolved@discord', 'api/resolved@log']);
    const notice = messages[3]![0]!.notices[0]!;
    expect(notice).toMatchObject({ title: 'api is back up', detail: 'down for 15m', downForMs: 15 * MIN, id: `api/down@${T0}/resolved` });
    // The resolved incident is remembered for the level's cooldown (damping), then forgotten.
    expect(state.keys['api/down']).toMatchObject({ resolvedAt: T0 + 3 * SCAN, notified: { channels: ['discord', 'log'] } });
    expect(play([[down()], [down()], [down()], [up()], [up()]], { at: (i) => (i < 4 ? T0 + i * SCAN : T0 + 3 * SCAN + 60 * MIN) }).state.keys).toEqual({});
  });

  it('sends it whatever the cooldown; an outage within the cooldown after it reopens the same incident, which resolves once up for the level\'s window', () => {
    const { sent, messages } = play([[down()], [down()], [up()], [down()], [down()], [up()], [up()]]);
    expect(sent[2]).toEqual(['api/resolved@discord', 'api/resolved@log']);
    expect(sent[4]).toEqual(['api/down@discord', 'api/down@log']);
    expect(messages[4]![0]!.notices[0]).toMatchObject({ id: `api/down@${T0}#2`, title: 'api is down again (the 2nd time in 20m)' });
    expect(sent[5]).toEqual([]);
    expect(sent[6]).toEqual(['api/resolved@discord', 'api/resolved@log']);
    expect(messages[6]![0]!.notices[0]).toMatchObject({ id: `api/down@${T0}/resolved#2`, detail: 'down 2 times in 30m, for 20m in all' });
  });

  it('sends nothing when a key recovers before it ever notified', () => {
    expect(play([[down()], [up()]]).sent).toEqual([[], []]);
  });

  it('says a notified outage was fixed by heal instead of sending a separate healed notice', () => {
    const { sent, messages } = play([[down()], [down()], [healed()]]);
    expect(sent[2]).toEqual(['api/resolved@discord', 'api/resolved@log']);
    expect(messages[2]![0]!.notices[0]!.detail).toBe('down for 10m; heal restarted it');
  });
});

describe('healed and flapping', () => {
  it('notifies a heal at the healed level at once, at most once per that level\'s cooldown', () => {
    const cfg: AlertConfig = { ...config, levels: { ...config.levels, info: { threshold: 10, cooldownMs: 20 * MIN, channels: ['log'] } } };
    const { sent } = play([[healed()], [up()], [healed()], [up()], [up()], [healed()]], { cfg });
    expect(sent).toEqual([['api/healed@log'], [], [], [], [], ['api/healed@log']]);
  });

  it('notifies a flapping service at once at its own alert level, and resolves it when it stops', () => {
    const flapping = { since: T0, reason: 'went down in 3 scans in a row' };
    const { sent, messages } = play([[{ ...healed(), alertLevel: 'critical', flapping }], [{ ...up(), flapping }], [up()]]);
    expect(sent[0]).toEqual(expect.arrayContaining(['api/flapping@discord', 'api/flapping@log']));
    expect(messages[0]![0]!.level).toBe('critical');
    expect(play([[{ ...healed(), alertLevel: 'warning', flapping }]]).messages[0]!.map((m) => [m.channel, m.level])).toEqual([['log', 'warning']]);
    expect(sent[2]).toEqual(['api/resolved@discord', 'api/resolved@log']);
    expect(messages[2]![0]!.notices[0]!.title).toBe('api is no longer flapping');
  });
});

describe('grouping', () => {
  it('sends one message per channel when many services fail together', () => {
    const ten = ['api', 'db', 'web', 'a', 'b', 'c'];
    const { messages } = play([ten.map((s) => down(s)), ten.map((s) => down(s))]);
    expect(messages[1]!.map((m) => [m.channel, m.notices.length])).toEqual([['discord', 6], ['log', 6]]);
  });

  it('gives a message the highest level of its notices', () => {
    const { messages } = play([[down('api', { alertLevel: 'warning' }), down('db')], [down('api', { alertLevel: 'warning' }), down('db')], [down('api', { alertLevel: 'warning' }), down('db')]]);
    const log = messages[2]!.find((m) => m.channel === 'log')!;
    expect(log.notices.map((n) => `${n.service}:${n.level}`)).toEqual(['api:warning']);
    expect(messages[1]!.find((m) => m.channel === 'log')!.level).toBe('critical');
  });
});

describe('inhibition', () => {
  it('holds back a child skipped because its parent is down: one outage, one alert about its cause', () => {
    const { sent } = play([[down('db'), skipped('web')], [down('db'), skipped('web')], [down('db'), skipped('web')]]);
    expect(sent.flat().filter((s) => s.startsWith('web'))).toEqual([]);
    expect(sent[1]).toEqual(['db/down@discord', 'db/down@log']);
  });

  it('does not count a service that is still starting after a restart', () => {
    expect(play([[down()], [starting()], [starting()], [down()]]).sent).toEqual([[], [], [], ['api/down@discord', 'api/down@log']]);
  });
});

describe('silences', () => {
  const silenced = (until: number): AlertsState => ({ ...emptyAlertsState(), silences: { api: { until, createdAt: T0 } } });

  it('sends nothing for a silenced service, but keeps counting', () => {
    const { sent, state } = play([[down()], [down()], [down()]], { start: silenced(T0 + 2 * SCAN + 1) });
    expect(sent).toEqual([[], [], []]);
    expect(state.keys['api/down']?.failing).toBe(3);
  });

  it('notifies once the silence ends if the failure goes on, and forgets the expired silence', () => {
    const { sent, state } = play([[down()], [down()], [down()], [down()]], { start: silenced(T0 + 2 * SCAN + 1) });
    expect(sent[3]).toEqual(['api/down@discord', 'api/down@log']);
    expect(state.silences).toEqual({});
  });
});

describe('services heal no longer watches', () => {
  const leave = (state: AlertsState, known: string[] = [], services: ServiceAlertInput[] = []) =>
    planAlerts(state, { config, services, known, now: T0 + 3 * SCAN, host: 'box' });

  it('closes the open alert of a service that left the manifest, to the channels that got it, and forgets its keys', () => {
    const { state } = play([[down('api')], [down('api')]]);
    const plan = leave(state);
    expect(plan.next.keys).toEqual({});
    expect(plan.messages.map((m) => m.channel)).toEqual(['discord', 'log']);
    const notice = plan.messages[0]?.notices[0];
    expect(notice).toMatchObject({
      id: `api/down@${T0}/unwatched`,
      key: 'api/down',
      kind: 'resolved',
      level: 'critical',
      service: 'api',
      title: 'api is no longer watched',
      since: T0,
      at: T0 + 3 * SCAN,
      downForMs: 3 * SCAN,
    });
    expect(notice?.detail).toBe('api was removed from the manifest, renamed or disabled while its down alert was open (for 15m); heal closes the alert and no longer checks api, so it cannot say whether it recovered');
    expect(plan.messages[1]?.notices).toEqual([notice]);
  });

  it('closes a flapping alert too, once, and says nothing for a service whose alert never went out', () => {
    const { state } = play([[down('api', { flapping: { since: T0, reason: 'healed 3 scans running' } }), down('db')]]);
    expect(Object.keys(state.keys).sort()).toEqual(['api/down', 'api/flapping', 'db/down']);
    const plan = leave(state);
    expect(plan.routed.map((r) => `${r.notice.key}:${r.notice.title}`)).toEqual(['api/flapping:api is no longer watched']);
    expect(plan.next.keys).toEqual({});
    expect(leave(plan.next).messages).toEqual([]);
  });

  it('renamed: closes the old name\'s alert while the new name starts counting', () => {
    const { state } = play([[down('api')], [down('api')]]);
    const plan = leave(state, ['api-v2'], [down('api-v2')]);
    expect(plan.routed.map((r) => r.notice.title)).toEqual(['api is no longer watched']);
    expect(Object.keys(plan.next.keys)).toEqual(['api-v2/down']);
  });

  it('closes a silenced service\'s alert too (a silence hides new messages, not the end of an incident), and forgets a healed event without a notice', () => {
    const { state } = play([[down('api')], [down('api')]]);
    const silence = { api: { until: T0 + 10 * SCAN, createdAt: T0 + 2 * SCAN } };
    expect(leave({ ...state, silences: silence }).routed.map((r) => r.notice.title)).toEqual(['api is no longer watched']);
    const afterHeal = play([[healed('web')]]).state;
    expect(Object.keys(afterHeal.keys)).toEqual(['web/healed']);
    const plan = leave(afterHeal);
    expect(plan.messages).toEqual([]);
    expect(plan.next.keys).toEqual({});
  });
});

it('uses the documented default levels', () => {
  expect(DEFAULT_LEVELS).toEqual({
    critical: { threshold: 3, cooldownMs: 3_600_000, channels: ['log'] },
    warning: { threshold: 5, cooldownMs: 7_200_000, channels: ['log'] },
    info: { threshold: 10, cooldownMs: 86_400_000, channels: ['log'] },
  });
});

describe('refresh for channels that forget', () => {
  const cfg: AlertConfig = {
    ...config,
    levels: { ...config.levels, critical: { threshold: 1, cooldownMs: 60 * MIN, channels: ['am', 'log'] } },
    channels: { ...config.channels, am: { type: 'alertmanager', url: 'http://127.0.0.1:9093', timeout: 5_000 } },
  };
  const playAm = (scans: Scan[]) => {
    let state = emptyAlertsState();
    return scans.map((services, i) => {
      const plan = planAlerts(state, { config: cfg, services, known: ['api'], now: T0 + i * SCAN, host: 'box', resendChannels: ['am'] });
      state = plan.next;
      return { routed: plan.routed.map((r) => r.notice.kind), sent: plan.messages.flatMap((m) => m.notices.map((n) => `${n.id}@${m.channel}`)) };
    });
  };

  it('re-sends a firing alert to Alertmanager every scan, with the same id, without counting it as a notice', () => {
    const [first, second, third] = playAm([[down()], [down()], [down()]]);
    expect(first!.sent).toEqual([`api/down@${T0}#1@am`, `api/down@${T0}#1@log`]);
    expect(second).toEqual({ routed: [], sent: [`api/down@${T0}#1@am`] });
    expect(third).toEqual({ routed: [], sent: [`api/down@${T0}#1@am`] });
  });

  it('stops re-sending once the alert resolves', () => {
    const results = playAm([[down()], [up()], [up()]]);
    expect(results[1]!.sent).toEqual([`api/down@${T0}/resolved@am`, `api/down@${T0}/resolved@log`]);
    expect(results[2]!.sent).toEqual([]);
  });
});
