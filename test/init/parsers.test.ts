/**
 * The small readers of heal init: `launchctl list` (the format launchctl(1) describes — "three
 * columns … the PID of the job if it is running … the last exit status … the job's label" — as
 * quoted at https://serverdevworker.com/398633cbd: "PID Status Label / 1234 0 com.apple.some.service /
 * - 78 com.example.failed.service"), `systemctl list-units` and `systemctl show` of several
 * units, the process tree, and which health path wins.
 */
import { describe, expect, it } from 'vitest';
import { parseLaunchctlList } from '../../src/init/launchctl-list.js';
import { parentFromStat, parsePsParents, withDescendants } from '../../src/init/process-tree.js';
import { isOwnUnit, parseListUnits, parseShowBlocks } from '../../src/init/systemd-units.js';
import { chooseHealthPath } from '../../src/init/probe.js';
import { serviceNameFrom, uniqueServiceNames } from '../../src/init/names.js';

describe('parseLaunchctlList', () => {
  it('reads pid and label of each loaded job; "-" is a job with no process', () => {
    const output = ['PID\tStatus\tLabel', '1234\t0\tcom.example.api', '-\t78\tcom.example.failed', '-\t-15\tcom.example.killed', '0\t0\tcom.apple.other.service', '567\t-\tapplication.com.example.App.1234.5678'].join('\n');
    expect(parseLaunchctlList(output)).toEqual([
      { label: 'com.example.api', pid: 1234 },
      { label: 'com.example.failed' },
      { label: 'com.example.killed' },
      { label: 'com.apple.other.service' },
      { label: 'application.com.example.App.1234.5678', pid: 567 },
    ]);
  });
});

describe('systemctl output', () => {
  it('lists the service units of list-units --plain --no-legend', () => {
    const output = ['dbus.service                loaded active running D-Bus System Message Bus', 'web-api.service             loaded active running the web API', 'foo.socket loaded active running x', ''].join('\n');
    expect(parseListUnits(output)).toEqual(['dbus.service', 'web-api.service']);
  });

  it('reads show of several units, block by block, in any property order', () => {
    const output = [
      'MainPID=412',
      'Id=web-api.service',
      'Description=the web API',
      'FragmentPath=/etc/systemd/system/web-api.service',
      '',
      'Id=dbus.service',
      'MainPID=0',
      'FragmentPath=/lib/systemd/system/dbus.service',
      'Description=',
      '',
    ].join('\n');
    expect(parseShowBlocks(output)).toEqual([
      { id: 'web-api.service', mainPid: 412, fragment: '/etc/systemd/system/web-api.service', description: 'the web API' },
      { id: 'dbus.service', mainPid: undefined, fragment: '/lib/systemd/system/dbus.service', description: undefined },
    ]);
  });

  it.each([
    ['/etc/systemd/system/api.service', true],
    ['/run/systemd/system/api.service', true],
    ['/home/alice/.config/systemd/user/api.service', true],
    ['/lib/systemd/system/ssh.service', false],
    ['/usr/lib/systemd/user/pipewire.service', false],
    ['/run/systemd/transient/run-u3.service', false],
    [undefined, false],
  ])('a unit from %s is the user\'s own: %s', (fragment, own) => {
    expect(isOwnUnit(fragment, '/home/alice')).toBe(own);
  });
});

describe('the process tree', () => {
  it('reads the parent of a /proc/PID/stat line whose name holds spaces and parentheses', () => {
    expect(parentFromStat('4242 (my (odd) name) S 17 4242 4242 0 -1 4194560')).toBe(17);
  });

  it('finds a process and all its descendants, once each', () => {
    const parents = parsePsParents(['    1     0', '  100     1', '  101   100', '  102   101', '  200     1', '  103   100'].join('\n'));
    expect(withDescendants(100, parents)).toEqual([100, 101, 103, 102]);
    expect(withDescendants(999, parents)).toEqual([999]);
  });
});

describe('chooseHealthPath', () => {
  it.each([
    [[{ path: '/', status: 200 }, { path: '/health', status: 204 }], '/health'],
    [[{ path: '/', status: 200 }, { path: '/health', status: 404 }, { path: '/status', status: 200 }], '/status'],
    [[{ path: '/health', status: 301 }, { path: '/', status: 302 }], undefined],
    [[{ path: '/health', status: undefined }], undefined],
  ])('%j → %s', (answers, path) => {
    expect(chooseHealthPath(answers)).toBe(path);
  });
});

describe('service names', () => {
  it.each([
    ['api.service', 'api'],
    ['com.Example.API', 'com.example.api'],
    ['getty@tty1.service', 'getty-tty1'],
    ['_underscore.service', 'underscore'],
    ['@@@.service', 'service'],
    ['a\\x2db.service', 'a-x2db'],
  ])('%s → %s', (id, name) => {
    expect(serviceNameFrom(id)).toBe(name);
  });

  it('makes clashing names unique', () => {
    expect(uniqueServiceNames(['api.service', 'API', 'api.service', 'api-2'])).toEqual(['api', 'api-2', 'api-3', 'api-2-2']);
  });
});
