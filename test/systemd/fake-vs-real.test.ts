/**
 * The fake systemctl (test/fixtures/bin/systemctl), which the fast tests use, against the real
 * one (systemd 252 in a container booted by test/helpers/container.ts): every case runs the same
 * systemctl calls against both, and each call's exit code, stdout and stderr must be the same.
 * The real one is the reference, so the fake cannot drift from it unnoticed.
 */
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { refusedByStartLimit, SHOWN_PROPERTIES } from '../../src/restart/systemd.js';
import { parseShow } from '../../src/supervisors/systemctl.js';
import { useContainer, type ContainerUser } from '../helpers/container.js';
import { UID, useFakeTool, type FakeUnit, type SystemctlScenario } from '../helpers/fake-supervisors.js';

const container = useContainer();
const fake = useFakeTool<SystemctlScenario>('systemctl');

/** What a unit of a case is, written as a unit file for the real one and a scenario for the fake. */
type UnitKind = 'runs' | 'missing program' | 'failing oneshot';
type UnitDef = { kind: UnitKind; startLimitBurst?: number; startLimitIntervalSec?: number };
/**
 * A systemctl call; a wait until `is-active` prints a state (not recorded); the unit's main
 * process killed from outside systemd; whether heal's restarter reads the unit as refused by its
 * start limit (recorded: the timestamps it compares differ between the two, the verdict must not).
 */
type Step = string[] | { until: string; state: string } | { kill: string } | { refused: string };
type Case = { name: string; manager: 'system' | 'user'; env?: 'cron' | 'session'; units: Record<string, UnitDef>; steps: Step[] };
type Call = { argv: string[]; code: number | null; stdout: string; stderr: string };

const RUNS = ['/usr/bin/sleep', '1000'];
const MISSING = ['/nonexistent/heal-fake-vs-real'];
const ALL = ['-p', 'SubState', '-p', 'ActiveState', '-p', 'LoadState', '-p', 'Id', '-p', 'NRestarts', '-p', 'Result', '-p', 'MainPID'];
const STATE = ['-p', 'ActiveState', '-p', 'SubState', '-p', 'Result'];

const cases: Case[] = [
  {
    name: 'a unit systemd does not know: show exits 0 with LoadState=not-found, is-active 3, restart and stop 5',
    manager: 'system',
    units: {},
    steps: [['show', ...ALL, 'nope.service'], ['show', '-p', 'ActiveState', '--value', 'nope'], ['is-active', 'nope'], ['restart', 'nope'], ['stop', 'nope'], ['reset-failed', 'nope']],
  },
  {
    name: 'a service started, shown (in D-Bus order, whatever the -p order) and stopped',
    manager: 'system',
    units: { web: { kind: 'runs' } },
    steps: [
      ['show', ...ALL, 'web'],
      ['is-active', 'web'],
      ['restart', 'web'],
      ['show', ...ALL, 'web.service'],
      ['show', '-p', 'ActiveState', '--value', 'web'],
      ['is-active', 'web'],
      ['stop', 'web'],
      ['show', ...STATE, 'web'],
      ['is-active', 'web'],
    ],
  },
  {
    name: 'a Type=simple service whose program is missing: restart exits 0, and the unit is failed a moment later',
    manager: 'system',
    units: { web: { kind: 'missing program' } },
    steps: [['restart', 'web'], { until: 'web', state: 'failed' }, ['show', ...STATE, 'web'], ['is-active', 'web']],
  },
  {
    name: 'a oneshot whose program fails: restart exits 1 in systemctl\'s words',
    manager: 'system',
    units: { job: { kind: 'failing oneshot' } },
    steps: [['restart', 'job'], ['show', ...STATE, 'job'], ['is-active', 'job']],
  },
  {
    name: 'the start limit: a start past it is refused until reset-failed',
    manager: 'system',
    units: { web: { kind: 'runs', startLimitBurst: 1, startLimitIntervalSec: 3_600 } },
    steps: [
      ['start', 'web'],
      { refused: 'web' },
      ['restart', 'web'],
      ['show', ...STATE, 'web'],
      { refused: 'web' },
      ['is-active', 'web'],
      ['restart', 'web'],
      ['reset-failed', 'web'],
      ['show', ...STATE, 'web'],
      ['restart', 'web'],
      ['show', ...STATE, 'web'],
      { refused: 'web' },
    ],
  },
  {
    name: 'a unit that had failed, refused by its start limit: it keeps its Result, and the refusal is worded after it',
    manager: 'system',
    units: { web: { kind: 'runs', startLimitBurst: 1, startLimitIntervalSec: 3_600 } },
    steps: [
      ['start', 'web'],
      ['kill', '-s', 'KILL', 'web'],
      { until: 'web', state: 'failed' },
      ['show', ...STATE, 'web'],
      ['restart', 'web'],
      ['show', ...STATE, 'web'],
      { refused: 'web' },
      ['reset-failed', 'web'],
      ['restart', 'web'],
      { refused: 'web' },
    ],
  },
  {
    name: 'a service killed behind systemd\'s back is failed',
    manager: 'system',
    units: { web: { kind: 'runs' } },
    // Result is left out: systemd says "signal", and the fake cannot see how its orphan died.
    steps: [['restart', 'web'], { kill: 'web' }, { until: 'web', state: 'failed' }, ['show', '-p', 'ActiveState', '-p', 'SubState', 'web'], ['is-active', 'web']],
  },
  {
    name: 'is-active of two units exits 0 when one of them is active',
    manager: 'system',
    units: { web: { kind: 'runs' }, other: { kind: 'runs' } },
    steps: [['restart', 'web'], ['is-active', 'web', 'other'], ['is-active', 'other']],
  },
  {
    name: 'usage errors: an unknown verb, a restart without a unit',
    manager: 'system',
    units: {},
    steps: [['frobnicate', 'web'], ['restart']],
  },
  {
    name: '--user from cron, without XDG_RUNTIME_DIR or a session bus: the bus cannot be reached',
    manager: 'user',
    env: 'cron',
    units: { web: { kind: 'runs' } },
    steps: [['--user', 'show', '-p', 'ActiveState', 'web'], ['--user', 'restart', 'web']],
  },
  {
    name: '--user with the runtime dir: restart, show, stop',
    manager: 'user',
    env: 'session',
    units: { web: { kind: 'runs' } },
    steps: [['--user', 'restart', 'web'], ['--user', 'show', ...ALL, 'web'], ['--user', 'is-active', 'web'], ['--user', 'stop', 'web'], ['--user', 'show', ...STATE, 'web']],
  },
  {
    name: '--user start limit, in the user manager\'s words',
    manager: 'user',
    env: 'session',
    units: { web: { kind: 'runs', startLimitBurst: 1, startLimitIntervalSec: 3_600 } },
    steps: [['--user', 'start', 'web'], ['--user', 'restart', 'web'], ['--user', 'reset-failed', 'web'], ['--user', 'restart', 'web'], ['--user', 'show', ...STATE, 'web']],
  },
];

/** Unit names of a case, prefixed so the cases never share a real unit. */
const unitName = (index: number, name: string): string => `c${index}-${name}`;
const rename = (index: number, units: Record<string, UnitDef>, word: string): string =>
  Object.keys(units).reduce((text, name) => text.replace(new RegExp(`^${name}(?=$|\\.service$)`), unitName(index, name)), word);

function unitFile(def: UnitDef): string {
  const limit = def.startLimitBurst === undefined ? [] : ['[Unit]', `StartLimitIntervalSec=${def.startLimitIntervalSec ?? 10}`, `StartLimitBurst=${def.startLimitBurst}`, ''];
  const service =
    def.kind === 'failing oneshot'
      ? ['[Service]', 'Type=oneshot', 'ExecStart=/bin/false']
      : ['[Service]', `ExecStart=${(def.kind === 'runs' ? RUNS : MISSING).join(' ')}`];
  return [...limit, ...service, ''].join('\n');
}

function fakeUnit(def: UnitDef): FakeUnit {
  return {
    program: def.kind === 'runs' ? RUNS : def.kind === 'missing program' ? MISSING : ['/bin/false'],
    ...(def.kind === 'failing oneshot' ? { failRestart: true } : {}),
    ...(def.startLimitBurst !== undefined ? { startLimitBurst: def.startLimitBurst, startLimitIntervalSec: def.startLimitIntervalSec ?? 10 } : {}),
  };
}

/** One side of the comparison. */
type Side = {
  setup(index: number, c: Case): Promise<void>;
  systemctl(argv: string[], c: Case): Promise<Omit<Call, 'argv'>>;
  mainPid(unit: string, c: Case): Promise<number>;
  kill(pid: number): Promise<void>;
};

let user: ContainerUser;

const real: Side = {
  async setup(index, c) {
    for (const [name, def] of Object.entries(c.units)) {
      const dir = c.manager === 'user' ? `${user.home}/.config/systemd/user` : '/etc/systemd/system';
      await container.write(`${dir}/${unitName(index, name)}.service`, unitFile(def), c.manager === 'user' ? user : undefined);
    }
    if (c.manager === 'user') await container.ok(['systemctl', '--user', 'daemon-reload'], { user, env: { XDG_RUNTIME_DIR: `/run/user/${user.uid}` } });
    else await container.ok(['systemctl', 'daemon-reload']);
  },
  async systemctl(argv, c) {
    const env: Record<string, string> = c.env === 'session' ? { XDG_RUNTIME_DIR: `/run/user/${user.uid}` } : {};
    return container.run(['systemctl', ...argv], c.manager === 'user' ? { user, env } : {});
  },
  async mainPid(unit, c) {
    const flag = c.manager === 'user' ? ['--user'] : [];
    return Number((await real.systemctl([...flag, 'show', '-p', 'MainPID', '--value', unit], c)).stdout.trim());
  },
  async kill(pid) {
    await container.ok(['kill', '-KILL', String(pid)]);
  },
};

const fakeSide: Side = {
  async setup(index, c) {
    const units = Object.fromEntries(Object.entries(c.units).map(([name, def]) => [`${unitName(index, name)}.service`, fakeUnit(def)]));
    await fake.scenario({ [c.manager]: units });
  },
  systemctl(argv, c) {
    // The fake is first on PATH (useFakeTool), which also removed XDG_RUNTIME_DIR, as under cron.
    const env = { ...process.env, ...(c.env === 'session' ? { XDG_RUNTIME_DIR: `/run/user/${UID}` } : {}) };
    return new Promise((resolve) => {
      const child = spawn('systemctl', argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  },
  async mainPid(unit, c) {
    const flag = c.manager === 'user' ? ['--user'] : [];
    return Number((await fakeSide.systemctl([...flag, 'show', '-p', 'MainPID', '--value', unit], c)).stdout.trim());
  },
  async kill(pid) {
    process.kill(pid, 'SIGKILL');
  },
};

/** Pids differ between the two; whether there is one does not. */
const normalize = (text: string): string => text.replace(/MainPID=[1-9]\d*/g, 'MainPID=<pid>').trimEnd();

async function play(side: Side, index: number, c: Case): Promise<Call[]> {
  await side.setup(index, c);
  const calls: Call[] = [];
  const flag = c.manager === 'user' ? ['--user'] : [];
  for (const step of c.steps) {
    if (Array.isArray(step)) {
      const argv = step.map((word) => rename(index, c.units, word));
      const result = await side.systemctl(argv, c);
      calls.push({ argv, code: result.code, stdout: normalize(result.stdout), stderr: normalize(result.stderr) });
    } else if ('kill' in step) {
      await side.kill(await side.mainPid(unitName(index, step.kill), c));
    } else if ('refused' in step) {
      const unit = unitName(index, step.refused);
      const shown = await side.systemctl([...flag, 'show', ...SHOWN_PROPERTIES.flatMap((name) => ['-p', name]), unit], c);
      calls.push({ argv: ['<refused by its start limit?>', unit], code: shown.code, stdout: String(refusedByStartLimit(parseShow(shown.stdout))), stderr: '' });
    } else {
      const deadline = Date.now() + 10_000;
      const unit = unitName(index, step.until);
      while ((await side.systemctl([...flag, 'is-active', unit], c)).stdout.trim() !== step.state) {
        if (Date.now() > deadline) throw new Error(`${unit} did not become ${step.state} within 10s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  return calls;
}

beforeAll(async () => {
  if (!container.ready) return; // each test fails with the reason
  user = await container.lingeringUser('healer');
}, 120_000);

describe('the fake systemctl against systemd 252', () => {
  it.each(cases.map((c, index) => [c.name, index, c] as const))('%s', async (_name, index, c) => {
    const expected = await play(real, index, c);
    // A container that answers nothing would make both sides equally empty.
    expect(expected.some((call) => call.stdout !== '' || call.stderr !== '')).toBe(true);
    const seen = await play(fakeSide, index, c);
    expect(seen).toEqual(expected);
  });
});
