/**
 * The systemd user units, parsed back with a small unit-file parser (every key asserted) and, where
 * systemd-analyze is installed, checked by systemd itself (calendar expressions, `verify`).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { schedulePath } from '../../src/install/paths.js';
import {
  execStart,
  renderService,
  renderTimer,
  systemdArgument,
  systemdEnvironment,
  systemdExecutable,
  systemdUserDir,
  timerSchedule,
} from '../../src/install/systemd.js';
import type { ScanJob } from '../../src/install/target.js';
import { exampleJob, onPath, parseUnit, unquoteExecStart } from './helpers.js';

/** systemd-analyze checks what heal writes; .ci/run installs it (Debian package systemd). */
function requireSystemdAnalyze(): void {
  if (!onPath('systemd-analyze')) throw new Error('systemd-analyze is not on PATH: apt-get install systemd');
}

function job(overrides: Partial<ScanJob> = {}): ScanJob {
  return exampleJob('/home/you', overrides);
}

function run(program: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(program, args, { env, timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe('heal-scan.service', () => {
  it('is a oneshot with KillMode=process that runs absolute node and CLI paths with --config and a PATH, and nothing else', () => {
    expect(parseUnit(renderService(job()))).toEqual({
      Unit: { Description: ['heal scan: check local services and restart what is down'] },
      Service: {
        Type: ['oneshot'],
        // The real timer in test/systemd/schedule.test.ts proves what this is for: a detached
        // service the scan started outlives it.
        KillMode: ['process'],
        ExecStart: ['/usr/local/bin/node /usr/local/lib/node_modules/heal/dist/cli.js scan --config /home/you/services.yaml'],
        Environment: ['"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"'],
      },
    });
  });

  it.each([
    ['spaces', '/home/Jane Doe/heal stuff'],
    ['a double quote and a backslash', '/home/you/a "b" c\\d'],
    ['an apostrophe', "/home/you/it's"],
    ['a percent sign (a specifier otherwise)', '/home/you/100%'],
    ['a dollar sign (a variable otherwise)', '/home/you/$HOME/${USER}'],
    ['a lone-looking semicolon and &', '/home/you/a ; b & c'],
  ])('keeps every argument whole through systemd quoting: a folder with %s', (_what, folder) => {
    const node = `${folder}/bin/node`.replace(/["'\\]/g, '_');
    const options = job({ node, cli: `${folder}/dist/cli.js`, config: `${folder}/services.yaml`, path: schedulePath(node) });
    expect(unquoteExecStart(execStart(options))).toEqual([node, `${folder}/dist/cli.js`, 'scan', '--config', `${folder}/services.yaml`]);
  });

  it.each([
    ['/usr/bin/node', '/usr/bin/node'],
    ['/opt/my node/bin/node', '"/opt/my node/bin/node"'],
    ['/opt/100%/node', '/opt/100%%/node'],
    ['/opt/$x/node', '/opt/$x/node'],
  ])('writes the executable %s as %s (specifiers expand there, variables do not)', (path, written) => {
    expect(systemdExecutable(path)).toBe(written);
  });

  it.each(['/opt/a"b/node', "/opt/it's/node", '/opt/a\\b/node'])('refuses an executable path systemd refuses: %s', (path) => {
    expect(() => systemdExecutable(path)).toThrow(expect.objectContaining({ code: 'usage', message: expect.stringContaining('quotes or backslashes') }));
  });

  it.each([
    ['scan', 'scan'],
    ['a b', '"a b"'],
    ['a"b', '"a\\"b"'],
    ['a\\b', '"a\\\\b"'],
    ['100%', '100%%'],
    ['$HOME', '$$HOME'],
    ['', '""'],
  ])('quotes the argument %j as %s', (word, written) => {
    expect(systemdArgument(word)).toBe(written);
  });

  it('quotes Environment= whole, escaping backslashes, quotes and % but leaving $ alone', () => {
    expect(systemdEnvironment('PATH', '/a b/"c"\\d/100%/$x:/usr/bin')).toBe('"PATH=/a b/\\"c\\"\\\\d/100%%/$x:/usr/bin"');
  });
});

describe('heal-scan.timer', () => {
  it('fires on a calendar for 5 minutes: OnCalendar=*:0/5, Persistent, AccuracySec=1s, wanted by timers.target', () => {
    expect(parseUnit(renderTimer(job()))).toEqual({
      Unit: { Description: ['Run heal scan every 5m'] },
      Timer: { Unit: ['heal-scan.service'], OnCalendar: ['*:0/5'], Persistent: ['true'], AccuracySec: ['1s'] },
      Install: { WantedBy: ['timers.target'] },
    });
  });

  it('falls back to OnBootSec + OnUnitActiveSec for 7 minutes, which no calendar expression keeps evenly', () => {
    expect(parseUnit(renderTimer(job({ intervalSeconds: 420 })))).toEqual({
      Unit: { Description: ['Run heal scan every 7m'] },
      Timer: { Unit: ['heal-scan.service'], OnBootSec: ['420s'], OnUnitActiveSec: ['420s'], AccuracySec: ['1s'] },
      Install: { WantedBy: ['timers.target'] },
    });
  });

  const calendars: Array<[number, string, string]> = [
    [1, '*:*:0/1', '*-*-* *:*:*'],
    [30, '*:*:0/30', '*-*-* *:*:00/30'],
    [60, '*:0/1', '*-*-* *:00/1:00'],
    [300, '*:0/5', '*-*-* *:00/5:00'],
    [900, '*:0/15', '*-*-* *:00/15:00'],
    [1_800, '*:0/30', '*-*-* *:00/30:00'],
    [3_600, '0/1:00', '*-*-* 00/1:00:00'],
    [7_200, '0/2:00', '*-*-* 00/2:00:00'],
    [43_200, '0/12:00', '*-*-* 00/12:00:00'],
    [86_400, '*-*-* 00:00:00', '*-*-* 00:00:00'],
  ];

  it.each(calendars)('maps %i s to OnCalendar=%s', (seconds, expression) => {
    expect(timerSchedule(seconds)).toEqual({ kind: 'calendar', onCalendar: expression });
  });

  it.each(calendars)('systemd-analyze reads %i s\'s %s as %s', async (_seconds, expression, normalized) => {
    requireSystemdAnalyze();
    const result = await run('systemd-analyze', ['calendar', expression]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Normalized form: ${normalized}`);
  });

  it.each([
    [7, '7s'],
    [90, '90s'],
    [420, '420s'],
    [2_700, '2700s'],
    [18_000, '18000s'],
    [172_800, '172800s'],
  ])('maps %i s, which divides no minute, hour or day, to a monotonic %s', (seconds, every) => {
    expect(timerSchedule(seconds)).toEqual({ kind: 'monotonic', every });
  });
});

describe('the user unit folder', () => {
  it.each([
    [{ XDG_CONFIG_HOME: '/home/you/.cfg' }, '/home/you/.cfg/systemd/user'],
    [{}, '/home/you/.config/systemd/user'],
    [{ XDG_CONFIG_HOME: '' }, '/home/you/.config/systemd/user'],
    [{ XDG_CONFIG_HOME: 'relative' }, '/home/you/.config/systemd/user'],
  ])('with %j is %s', (env, dir) => {
    expect(systemdUserDir('/home/you', env)).toBe(dir);
  });
});

describe('systemd-analyze verify', () => {
  let dir = '';
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['the 5-minute calendar timer', 300],
    ['the 7-minute monotonic timer', 420],
  ])('accepts both units, %s, with node under a folder named with a space, %% and $', async (_what, intervalSeconds) => {
    requireSystemdAnalyze();
    dir = await mkdtemp(join(tmpdir(), 'heal-systemd-'));
    const odd = join(dir, 'my node 100% $x');
    await mkdir(odd);
    // verify checks that the executable exists, so this proves the ExecStart= executable unquotes to it.
    const node = join(odd, 'node');
    await symlink(process.execPath, node);
    const units = join(dir, 'units');
    await mkdir(units);
    const options = job({ node, config: join(odd, 'services.yaml'), path: schedulePath(node), intervalSeconds });
    await writeFile(join(units, 'heal-scan.service'), renderService(options));
    await writeFile(join(units, 'heal-scan.timer'), renderTimer(options));
    const runtime = join(dir, 'runtime');
    await mkdir(runtime, { mode: 0o700 });
    const result = await run('systemd-analyze', ['verify', '--user', join(units, 'heal-scan.service'), join(units, 'heal-scan.timer')], {
      ...process.env,
      XDG_RUNTIME_DIR: runtime,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
