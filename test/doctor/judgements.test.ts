/** heal doctor's judgements: each a pure function of gathered facts, driven by tables. */
import { describe, expect, it } from 'vitest';
import { judgeChannels } from '../../src/doctor/channels.js';
import { doctorExitCode, fail, findingLine, pass } from '../../src/doctor/finding.js';
import { judgeLastScan } from '../../src/doctor/last-scan.js';
import { judgeManifest, unsetVariables } from '../../src/doctor/manifest.js';
import { judgeNode } from '../../src/doctor/node-version.js';
import { judgeRestart, type RestartFact } from '../../src/doctor/restarts.js';
import { judgeSchedules } from '../../src/doctor/schedule.js';
import { judgeStateDir } from '../../src/doctor/state-dir.js';

const MINUTE = 60_000;
const NOW = 1_800_000_000_000;

describe('the Node version', () => {
  it.each([
    ['v20.0.0', '>=20', true],
    ['v20.19.1', '>=20', true],
    ['v24.3.0', '>=20', true],
    ['v18.20.4', '>=20', false],
    ['v16.0.0', '>=20', false],
    ['v20.5.0', '>=20.6.0', false],
    ['v20.6.0', '>=20.6.0', true],
    ['v18.19.0', '>=18.19 || >=20', true],
  ])('Node %s against engines %s passes: %s', (version, engines, ok) => {
    const finding = judgeNode(version, engines, '/usr/bin/node');
    expect(finding.ok).toBe(ok);
    expect(findingLine(finding)).toContain(`Node ${version} runs heal (/usr/bin/node`);
  });

  it('says which Node runs and what it needs, with the fix', () => {
    expect(findingLine(judgeNode('v18.20.4', '>=20', '/usr/local/bin/node'))).toBe(
      '✗ Node v18.20.4 runs heal (/usr/local/bin/node), which needs >=20 — install a supported Node (nodejs.org, or your package manager) and re-run heal install so the schedule uses it',
    );
  });

  it('fails on a range it cannot read rather than guessing', () => {
    expect(judgeNode('v20.1.0', '^20', '/usr/bin/node').ok).toBe(false);
  });
});

describe('the state directory', () => {
  it.each([
    [0o40700, 1000, true, '✓ state directory /s belongs to me and only it may write there (mode 0700)'],
    [0o40755, 1000, true, '✓ state directory /s belongs to me and only it may write there (mode 0755)'],
    [0o40777, 1000, false, '✗ state directory /s is writable by group or others (mode 0777) — chmod go-w /s'],
    [0o40770, 1000, false, '✗ state directory /s is writable by group or others (mode 0770) — chmod go-w /s'],
    [0o40700, 0, false, '✗ state directory /s is owned by uid 0, not me (uid 1000) who runs heal — chown me /s'],
  ])('mode %o owned by uid %i: passes %s', (mode, owner, ok, line) => {
    const findings = judgeStateDir({ dir: '/s', exists: true, isDirectory: true, uid: owner, mode }, 1000, 'me');
    expect(findings.every((f) => f.ok)).toBe(ok);
    expect(findings.map(findingLine)).toEqual([line]);
  });

  it('a state directory that does not exist yet is said so, and passes', () => {
    expect(judgeStateDir({ dir: '/s', exists: false }, 1000, 'me').map(findingLine)).toEqual(['✓ state directory /s does not exist yet: the first scan creates it (0700)']);
  });

  it('a file where the folder should be fails', () => {
    expect(judgeStateDir({ dir: '/s', exists: true, isDirectory: false, uid: 1000, mode: 0o100600 }, 1000, 'me')[0]?.ok).toBe(false);
  });
});

describe('the last scan', () => {
  it.each([
    [2 * MINUTE, true, '✓ the last scan ran 2m ago (every 5m)'],
    [15 * MINUTE, true, '✓ the last scan ran 15m ago (every 5m)'],
    [16 * MINUTE, false, '✗ the last scan ran 16m ago, but the schedule runs every 5m: it has stopped — read /s/cron.log for why the scheduled scan does not run or fails, and fix that'],
    [-60 * MINUTE, true, '✓ the last scan ran 0ms ago (every 5m)'],
  ])('%i ms ago with a 5m interval: passes %s', (ago, ok, line) => {
    const finding = judgeLastScan({ stateFile: '/s/state.json', lastScanAt: NOW - ago }, 5 * MINUTE, NOW, '/s/cron.log');
    expect(finding.ok).toBe(ok);
    expect(findingLine(finding)).toBe(line);
  });

  it('no state yet: says so, with what to do', () => {
    expect(findingLine(judgeLastScan({ stateFile: '/s/state.json', lastScanAt: undefined }, 5 * MINUTE, NOW, '/s/cron.log'))).toBe(
      '✗ no scan has run yet: there is no state in /s/state.json — run heal scan once, or wait for the schedule (every 5m) and read /s/cron.log if none comes',
    );
  });
});

describe('the schedule', () => {
  const expected = { cli: '/opt/heal/lib/node_modules/heal/dist/cli.js', config: '/home/me/services.yaml' };
  const cronLine = `*/5 * * * * PATH=/usr/bin:/bin /usr/bin/node ${expected.cli} scan --config ${expected.config} >> /s/cron.log 2>&1 # heal scan (managed by heal install cron)`;

  it('none installed: fails with the install command for this platform', () => {
    expect(judgeSchedules([], expected, 'linux').map(findingLine)).toEqual([
      '✗ no schedule runs heal scan: no heal line in your crontab, no heal-scan.service, no com.heal.scan.plist — heal install cron --write --config /home/me/services.yaml (or heal install systemd --config /home/me/services.yaml and enable the timer)',
    ]);
    expect(findingLine(judgeSchedules([], expected, 'darwin')[0]!)).toContain('— heal install launchd --config /home/me/services.yaml, then run the launchctl line it prints');
  });

  it.each([
    ['cron', cronLine, true],
    ['cron', cronLine.replace(expected.cli, '/old/heal/dist/cli.js'), false],
    ['cron', cronLine.replace(expected.config, '/elsewhere/services.yaml'), false],
    ['systemd', `ExecStart=/usr/bin/node ${expected.cli} scan --config ${expected.config}\n`, true],
    ['launchd', `<array>\n<string>/usr/bin/node</string>\n<string>${expected.cli}</string>\n<string>scan</string>\n<string>--config</string>\n<string>${expected.config}</string>`, true],
  ] as const)('a %s schedule that runs this heal on this manifest: %s', (kind, text, ok) => {
    const [finding] = judgeSchedules([{ kind, where: 'there', text }], expected, 'linux');
    expect(finding?.ok).toBe(ok);
  });

  it('a unit file or plist the scheduler has not taken up fails with the command that does it', () => {
    const unit = `ExecStart=/usr/bin/node ${expected.cli} scan --config ${expected.config}\n`;
    const off = { ok: false as const, reason: 'heal-scan.timer is not enabled (disabled)', fix: 'systemctl --user daemon-reload && systemctl --user enable --now heal-scan.timer' };
    expect(judgeSchedules([{ kind: 'systemd', where: '/u/heal-scan.service', text: unit, active: off }], expected, 'linux').map(findingLine)).toEqual([
      `✗ schedule (systemd, /u/heal-scan.service) runs this heal on ${expected.config}, but heal-scan.timer is not enabled (disabled) — systemctl --user daemon-reload && systemctl --user enable --now heal-scan.timer`,
    ]);
    expect(judgeSchedules([{ kind: 'systemd', where: '/u/heal-scan.service', text: unit, active: { ok: true } }], expected, 'linux')[0]?.ok).toBe(true);
  });

  it('a schedule of another copy of heal names the fix', () => {
    const [finding] = judgeSchedules([{ kind: 'cron', where: 'your crontab', text: cronLine.replace(expected.cli, '/old/cli.js') }], expected, 'linux');
    expect(findingLine(finding!)).toBe(
      `✗ schedule (cron, your crontab) does not run this heal (${expected.cli}) — re-run heal install cron --write --config /home/me/services.yaml with this heal`,
    );
  });

  it('finds a path written with quotes in a crontab and escaped in a plist', () => {
    const odd = { cli: expected.cli, config: "/home/me/my project & co's/services.yaml" };
    const cron = `* * * * * node ${expected.cli} scan --config '/home/me/my project & co'\\''s/services.yaml' # heal`;
    const plist = `<string>${expected.cli}</string><string>/home/me/my project &amp; co&apos;s/services.yaml</string>`;
    expect(judgeSchedules([{ kind: 'cron', where: 'c', text: cron }, { kind: 'launchd', where: 'l', text: plist }], odd, 'linux').every((f) => f.ok)).toBe(true);
  });
});

describe('restart targets', () => {
  const judge = (fact: RestartFact) => findingLine(judgeRestart(fact, 'services.yaml'));

  it.each<[RestartFact, string]>([
    [{ service: 'api', type: 'systemd', unit: 'api', user: false, line: 12, loadState: 'not-found' }, '✗ restart of api: systemd has no unit api.service — fix the unit name in services.yaml (line 12) or create the unit'],
    [{ service: 'api', type: 'systemd', unit: 'api.service', user: true, loadState: 'loaded' }, '✓ restart of api: the user manager (systemctl --user) has the unit api.service'],
    [{ service: 'api', type: 'systemd', unit: 'api', user: false, loadState: 'masked' }, '✗ restart of api: systemd has api.service masked — systemctl unmask api.service'],
    [{ service: 'mac', type: 'launchd', label: 'com.x.mac', target: 'gui/501/com.x.mac', known: true }, '✓ restart of mac: launchd knows com.x.mac (gui/501/com.x.mac)'],
    [
      { service: 'mac', type: 'launchd', label: 'com.x.mac', line: 7, target: 'gui/501/com.x.mac', known: false, exitCode: 113 },
      '✗ restart of mac: launchd has no job com.x.mac in gui/501 — fix the label in services.yaml (line 7), or load the job (launchctl bootstrap gui/501 <its plist>) and give heal its plist',
    ],
    [
      { service: 'mac', type: 'launchd', label: 'com.x.mac', target: 'gui/501/com.x.mac', known: false, exitCode: 113, plist: { path: '/p.plist', exists: true } },
      "✓ restart of mac: com.x.mac is not loaded, and heal's restart bootstraps it from /p.plist",
    ],
    [
      { service: 'mac', type: 'launchd', label: 'com.x.mac', line: 7, target: 'gui/501/com.x.mac', known: false, exitCode: 113, plist: { path: '/p.plist', exists: false } },
      '✗ restart of mac: launchd has no job com.x.mac in gui/501, and its plist /p.plist does not exist — fix label or plist in services.yaml (line 7), or create the plist',
    ],
    [{ service: 'mac', type: 'launchd', label: 'com.x.mac', target: 'gui/0/com.x.mac', known: false, notFound: true }, '✗ restart of mac: launchctl is not on this machine, and a launchd restart needs macOS — use a systemd or command restart for mac here'],
    [{ service: 'w', type: 'command', program: './w.sh', problems: [] }, '✓ restart of w: ./w.sh is there and executable'],
    [
      { service: 'w', type: 'command', program: './w.sh', problems: ['services.w.restart.run[0]: ./w.sh (/p/w.sh) is not executable: chmod +x /p/w.sh (line 9)'] },
      "✗ restart of w: services.w.restart.run[0]: ./w.sh (/p/w.sh) is not executable: chmod +x /p/w.sh (line 9) — fix the program's path in services.yaml, or install it / chmod +x it",
    ],
  ])('%j', (fact, line) => {
    expect(judge(fact)).toBe(line);
  });
});

describe('the manifest and the channels', () => {
  const problems = [
    'alerts.channels.hook.url: environment variable HOOK_URL is not set (line 5)',
    'services.api.checks[0].headers.authorization: environment variable API_TOKEN is not set (line 9)',
    'services.w.restart.run[0]: ./w.sh does not exist (line 12)',
    'services.api.checks[1].url: Invalid URL (line 14)',
  ];

  it('picks the unset variables out of the problem lines', () => {
    expect(unsetVariables(problems).map((u) => [u.at, u.name])).toEqual([
      ['alerts.channels.hook.url', 'HOOK_URL'],
      ['services.api.checks[0].headers.authorization', 'API_TOKEN'],
    ]);
  });

  it("reports each problem once: a channel's variable with the channel, a restart's program with the restart", () => {
    expect(judgeManifest('services.yaml', problems, true).map(findingLine)).toEqual([
      '✗ manifest: services.api.checks[0].headers.authorization: environment variable API_TOKEN is not set (line 9) — export API_TOKEN in the environment heal runs with, the schedule\'s too',
      '✗ manifest: services.api.checks[1].url: Invalid URL (line 14) — fix it in services.yaml (heal validate checks it)',
    ]);
    expect(judgeManifest('services.yaml', problems, false)).toHaveLength(3);
    expect(judgeManifest('services.yaml', [], true).map(findingLine)).toEqual(['✓ manifest services.yaml is valid']);
    expect(judgeManifest('/h/services.yaml', ['/h/services.yaml: cannot read the manifest (no such file)'], false).map(findingLine)).toEqual([
      '✗ manifest: /h/services.yaml: cannot read the manifest (no such file) — point --config (or $HEAL_CONFIG) at your services.yaml, or change the file as the line says',
    ]);
  });

  it('names a channel whose variable is not set, and each test send', () => {
    const lines = judgeChannels({ hook: { type: 'webhook' }, log: { type: 'log' } }, unsetVariables(problems), { log: { ok: true } }).map(findingLine);
    expect(lines).toEqual([
      '✗ alert channel hook (webhook): HOOK_URL is not set — export HOOK_URL where heal runs, and for the schedule too (the cron line, Environment= in heal-scan.service, EnvironmentVariables in the plist)',
      '✓ alert channel log (log) is configured',
      '✓ alert channel log: a test notice was sent',
    ]);
    expect(findingLine(judgeChannels({ hook: { type: 'webhook' } }, [], { hook: { ok: false, error: 'HTTP 404' } })[1]!)).toBe(
      "✗ alert channel hook: the test notice failed: HTTP 404 — check hook's settings in the manifest and its environment, then heal alert test --channel hook",
    );
  });
});

describe('the exit code', () => {
  it('is 0 when every finding passed, 1 otherwise', () => {
    expect(doctorExitCode([pass('a'), pass('b')])).toBe(0);
    expect(doctorExitCode([pass('a'), fail('b', 'fix b')])).toBe(1);
  });
});
