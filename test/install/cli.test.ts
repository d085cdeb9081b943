/**
 * `heal install` end to end through the built CLI (npm run build first), with HOME and
 * XDG_CONFIG_HOME pointed at temp folders, and a fake `crontab` (see helpers.ts) standing in for
 * cron's crontab(1) first on PATH.
 */
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CRON_MARKER } from '../../src/install/cron.js';
import { schedulePath } from '../../src/install/paths.js';
import { CLI, runHeal, type HealRun } from '../helpers/cli.js';
import { FAKE_BIN } from '../helpers/fake-supervisors.js';
import { fakeCrontab, parsePlist, parseUnit } from './helpers.js';

const UID = process.getuid?.() ?? 0;
let dir = '';
let home = '';
let manifest = '';

beforeEach(async () => {
  // A folder whose name needs quoting everywhere, so every renderer's escaping is exercised.
  dir = await mkdtemp(join(tmpdir(), 'heal-install-'));
  home = join(dir, 'home');
  await mkdir(home);
  const project = join(dir, "my project & co's");
  await mkdir(project);
  manifest = join(project, 'services.yaml');
  await writeManifest('');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function writeManifest(extra: string): Promise<void> {
  return writeFile(manifest, `version: 1\n${extra}services:\n  api:\n    checks: [ { type: port, port: 4000 } ]\n`);
}

function install(args: string[], env: Record<string, string> = {}): Promise<HealRun> {
  return runHeal(['install', ...args, '--config', manifest], { cwd: dir, env: { HOME: home, XDG_CONFIG_HOME: '', ...env } });
}

/** Every file under a folder, relative to it. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1)).sort();
}

/** The same binary as the node running the tests (the schedule may name it by a stable link). */
function sameNode(path: unknown): boolean {
  return typeof path === 'string' && path.startsWith('/') && realpathSync(path) === realpathSync(process.execPath);
}

describe('heal install launchd', () => {
  it('writes ~/Library/LaunchAgents/com.heal.scan.plist (0644) running node and dist/cli.js by absolute path, and prints the bootstrap line', async () => {
    const result = await install(['launchd']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const path = join(home, 'Library', 'LaunchAgents', 'com.heal.scan.plist');
    expect((await stat(path)).mode & 0o777).toBe(0o644);
    const plist = await parsePlist(await readFile(path, 'utf8'));
    const [node, ...rest] = plist['ProgramArguments'] as string[];
    expect(sameNode(node)).toBe(true);
    expect(rest).toEqual([CLI, 'scan', '--config', manifest]);
    expect(plist).toMatchObject({
      Label: 'com.heal.scan',
      StartInterval: 300,
      RunAtLoad: true,
      AbandonProcessGroup: true,
      LimitLoadToSessionType: ['Aqua', 'Background'],
      StandardOutPath: join(home, 'Library', 'Logs', 'heal', 'com.heal.scan.out.log'),
      StandardErrorPath: join(home, 'Library', 'Logs', 'heal', 'com.heal.scan.err.log'),
    });
    expect((plist['EnvironmentVariables'] as { PATH: string }).PATH.split(':')).toEqual([
      ...new Set([join(node as string, '..'), '/opt/homebrew/bin', '/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin']),
    ]);
    expect(plist).not.toHaveProperty('KeepAlive');
    expect(plist).not.toHaveProperty('ProcessType');
    expect(existsSync(join(home, 'Library', 'Logs', 'heal'))).toBe(true);
    expect(result.stdout).toContain(`\n  launchctl bootstrap gui/${UID} ${path}\n`);
    expect(result.stdout).not.toContain('bootout');
  });

  it.each([
    ['someone is logged in at the screen', `gui/${UID}`, []],
    ['nobody is (112: could not find domain)', `user/${UID}`, [`gui/${UID}`]],
  ] as const)('names the domain that exists on this Mac when %s: bootstrap %s', async (_when, domain, missingDomains) => {
    const scenario = join(dir, 'launchctl.json');
    await writeFile(scenario, JSON.stringify({ missingDomains, missingDomainCode: 112 }));
    const result = await install(['launchd'], {
      PATH: `${FAKE_BIN}${delimiter}${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}`,
      FAKE_LAUNCHCTL_SCENARIO: scenario,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`\n  launchctl bootstrap ${domain} ${join(home, 'Library', 'LaunchAgents', 'com.heal.scan.plist')}\n`);
    if (domain.startsWith('user')) expect(result.stdout).toContain(`(gui/${UID} does not exist here (nobody is logged in at this Mac's screen), so it loads into user/${UID}, which needs no login)`);
  });

  it('says to boot out the loaded job first when it replaces an earlier plist', async () => {
    await install(['launchd']);
    const again = await install(['launchd', '--interval', '600']);
    expect(again.code).toBe(0);
    const lines = again.stdout.split('\n').map((line) => line.trim());
    const bootout = lines.indexOf(`launchctl bootout gui/${UID}/com.heal.scan`);
    expect(bootout).toBeGreaterThan(0);
    expect(lines[bootout + 1]).toBe(`launchctl bootstrap gui/${UID} ${join(home, 'Library', 'LaunchAgents', 'com.heal.scan.plist')}`);
    const plist = await parsePlist(await readFile(join(home, 'Library', 'LaunchAgents', 'com.heal.scan.plist'), 'utf8'));
    expect(plist['StartInterval']).toBe(600);
  });

  it('--print prints the plist and writes nothing: HOME stays empty', async () => {
    const result = await install(['launchd', '--print', '--interval', '2m', '--label', 'org.example.heal']);
    expect(result.code).toBe(0);
    expect(await readdir(home)).toEqual([]);
    const plist = await parsePlist(result.stdout);
    expect(plist).toMatchObject({ Label: 'org.example.heal', StartInterval: 120 });
  });

  it("takes the interval from the manifest's interval when --interval is not given", async () => {
    await writeManifest('interval: 10m\n');
    const result = await install(['launchd', '--print']);
    expect(result.code).toBe(0);
    expect((await parsePlist(result.stdout))['StartInterval']).toBe(600);
  });

  it('refuses a label launchd would not take, and writes nothing', async () => {
    const result = await install(['launchd', '--label', 'com.heal scan']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--label com.heal scan');
    expect(await readdir(home)).toEqual([]);
  });
});

describe('heal install systemd', () => {
  it('writes heal-scan.service and heal-scan.timer into $XDG_CONFIG_HOME/systemd/user and prints how to enable them', async () => {
    const config = join(dir, 'xdg');
    const result = await install(['systemd'], { XDG_CONFIG_HOME: config });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const units = join(config, 'systemd', 'user');
    expect(await filesUnder(units)).toEqual(['heal-scan.service', 'heal-scan.timer']);
    for (const name of ['heal-scan.service', 'heal-scan.timer']) expect((await stat(join(units, name))).mode & 0o777).toBe(0o644);

    const service = parseUnit(await readFile(join(units, 'heal-scan.service'), 'utf8'));
    expect(service['Service']?.['Type']).toEqual(['oneshot']);
    expect(service['Service']?.['KillMode']).toEqual(['process']);
    const execStart = service['Service']?.['ExecStart']?.[0] ?? '';
    const node = execStart.split(' ')[0];
    expect(sameNode(node)).toBe(true);
    expect(execStart).toBe(`${node} ${CLI} scan --config "${manifest}"`);
    expect(service['Service']?.['Environment']).toEqual([`"PATH=${schedulePath(node as string)}"`]);
    expect(schedulePath(node as string).split(':')[0]).toBe(join(node as string, '..'));

    const timer = parseUnit(await readFile(join(units, 'heal-scan.timer'), 'utf8'));
    expect(timer['Timer']).toEqual({ Unit: ['heal-scan.service'], OnCalendar: ['*:0/5'], Persistent: ['true'], AccuracySec: ['1s'] });
    expect(timer['Install']).toEqual({ WantedBy: ['timers.target'] });
    expect(result.stdout).toContain('\n  systemctl --user daemon-reload && systemctl --user enable --now heal-scan.timer\n');
  });

  it('falls back to ~/.config/systemd/user without XDG_CONFIG_HOME', async () => {
    const result = await install(['systemd', '--interval', '420']);
    expect(result.code).toBe(0);
    expect(await filesUnder(home)).toEqual(['.config/systemd/user/heal-scan.service', '.config/systemd/user/heal-scan.timer']);
    const timer = parseUnit(await readFile(join(home, '.config/systemd/user/heal-scan.timer'), 'utf8'));
    expect(timer['Timer']).toEqual({ Unit: ['heal-scan.service'], OnBootSec: ['420s'], OnUnitActiveSec: ['420s'], AccuracySec: ['1s'] });
  });

  it('--print prints both units and writes nothing', async () => {
    const config = join(dir, 'xdg');
    const result = await install(['systemd', '--print'], { XDG_CONFIG_HOME: config });
    expect(result.code).toBe(0);
    expect(existsSync(config)).toBe(false);
    expect(await readdir(home)).toEqual([]);
    expect(result.stdout).toContain(`# ${join(config, 'systemd', 'user', 'heal-scan.service')}\n`);
    expect(result.stdout).toContain(`# ${join(config, 'systemd', 'user', 'heal-scan.timer')}\n`);
    expect(result.stdout).toContain('OnCalendar=*:0/5\n');
  });
});

describe('heal install cron', () => {
  let fake: Awaited<ReturnType<typeof fakeCrontab>>;
  beforeEach(async () => {
    fake = await fakeCrontab();
  });
  afterEach(async () => {
    await rm(fake.dir, { recursive: true, force: true });
  });
  const withFake = (extra: Record<string, string> = {}) => ({
    PATH: `${fake.bin}${delimiter}${process.env['PATH'] ?? ''}`,
    FAKE_CRONTAB_FILE: fake.table,
    FAKE_CRONTAB_LOG: fake.log,
    ...extra,
  });
  const calls = async (): Promise<string[][]> =>
    existsSync(fake.log) ? (await readFile(fake.log, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as string[]) : [];
  const stateDir = () => join(home, '.local', 'state', 'heal');

  it('prints the line by default, touching neither the crontab nor HOME', async () => {
    const result = await install(['cron'], withFake());
    expect(result.code).toBe(0);
    const line = result.stdout.trimEnd();
    expect(result.stdout.split('\n')).toHaveLength(2);
    expect(line).toMatch(/^\*\/5 \* \* \* \* PATH=\S+ \/\S+ /);
    expect(line).toContain(` ${CLI} scan --config '${manifest.replace(/'/g, `'\\''`)}' >> ${join(stateDir(), 'cron.log')} 2>&1 ${CRON_MARKER}`);
    expect(result.stderr).toContain('heal install cron --write');
    expect(result.stderr).toContain(`mkdir -p -m 700 ${stateDir()}`);
    expect(await calls()).toEqual([]);
    expect(await readdir(home)).toEqual([]);
  });

  it('refuses 7 minutes with exit 2, naming the intervals that work', async () => {
    const result = await install(['cron', '--interval', '420', '--write'], withFake());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--interval 420 (7m) does not fit cron');
    expect(result.stderr).toContain('300, 360, 600');
    expect(await calls()).toEqual([]);
  });

  it('--write replaces the old heal line and keeps every other line of the crontab', async () => {
    const before = [
      'MAILTO=me@example.com',
      '# nightly backup',
      '0 3 * * * /usr/bin/backup --all',
      `*/10 * * * * /usr/bin/node /old/heal/dist/cli.js scan --config /old/services.yaml ${CRON_MARKER}`,
      '@reboot /usr/bin/hello',
      '',
    ].join('\n');
    await writeFile(fake.table, before);
    const result = await install(['cron', '--write', '--interval', '900'], withFake());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const after = (await readFile(fake.table, 'utf8')).split('\n');
    expect(after).toHaveLength(6);
    expect(after.filter((_line, i) => i !== 3)).toEqual(['MAILTO=me@example.com', '# nightly backup', '0 3 * * * /usr/bin/backup --all', '@reboot /usr/bin/hello', '']);
    expect(after[3]).toMatch(/^\*\/15 \* \* \* \* /);
    expect(after[3]).toContain(CLI);
    expect(after[3]?.endsWith(CRON_MARKER)).toBe(true);
    expect(await calls()).toEqual([['-l'], ['-']]);
    expect(result.stdout).toContain('replaced the heal line in your crontab');
    // cron opens the log before heal runs, so its folder must exist.
    expect((await stat(stateDir())).isDirectory()).toBe(true);
  });

  it('--write treats "no crontab for user" (exit 1) as an empty crontab', async () => {
    const result = await install(['cron', '--write'], withFake());
    expect(result.code).toBe(0);
    const table = await readFile(fake.table, 'utf8');
    expect(table.split('\n')).toHaveLength(2);
    expect(table).toMatch(/^\*\/5 \* \* \* \* .*# heal scan \(managed by heal install cron\)\n$/);
    expect(result.stdout).toContain('added a heal line to your crontab');
  });

  it('--write stops with exit 1 and leaves the crontab alone when crontab -l fails for another reason', async () => {
    await writeFile(fake.table, '0 3 * * * /usr/bin/backup\n');
    const result = await install(['cron', '--write'], withFake({ FAKE_CRONTAB_DENY: '1' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('crontab -l failed (exit 1: You (tester) are not allowed to use this program (crontab))');
    expect(await calls()).toEqual([['-l']]);
    expect(await readFile(fake.table, 'utf8')).toBe('0 3 * * * /usr/bin/backup\n');
  });
});

describe('heal install: usage', () => {
  it.each([
    [['bogus'], 'unknown target "bogus"; use launchd, cron or systemd'],
    [['launchd', '--write'], '--write is for cron'],
    [['systemd', '--label', 'x.y'], '--label is for launchd'],
    [['cron', '--print', '--write'], '--print and --write exclude each other'],
    [['launchd', '--interval', 'soon'], '--interval soon: expected seconds (300) or a duration (5m)'],
  ])('heal install %j exits 2: %s', async (args, message) => {
    const result = await install(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(await readdir(home)).toEqual([]);
  });

  it('notes on stderr what the scheduled scan will not inherit: ${VAR} values and HEAL_STATE_DIR', async () => {
    await writeManifest('state_dir: .heal-state\n');
    await writeFile(manifest, (await readFile(manifest, 'utf8')).replace('checks:', 'description: "${HEAL_TEST_DESCRIPTION}"\n    checks:'));
    const result = await install(['systemd', '--print'], { HEAL_TEST_DESCRIPTION: 'the api', HEAL_STATE_DIR: join(dir, 'elsewhere') });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`heal: note: ${manifest} takes values from the environment (\${VAR}); the scheduled scan does not inherit this shell's`);
    expect(result.stderr).toContain(`heal: note: HEAL_STATE_DIR is set here but the scheduled scan will not see it: it uses ${join(manifest, '..', '.heal-state')}`);
  });

  it('exits 2 with the manifest\'s problems and writes nothing when the manifest is invalid', async () => {
    await writeFile(manifest, 'version: 1\nservices:\n  api:\n    checks: [ { type: port, prot: 4000 } ]\n');
    const result = await install(['launchd']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the manifest is invalid');
    expect(await readdir(home)).toEqual([]);
  });
});
