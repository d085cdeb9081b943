/**
 * heal's own LaunchAgent, rendered from launchd/heal.plist.template, loaded into the fake
 * launchctl (test/fixtures/bin/launchctl), which plays back what a real Mac does with a job's
 * plist keys (each behaviour there names its public source): the session types a domain takes,
 * the process group launchd kills when a job exits, the background band a job's children
 * inherit, and the job's environment.
 *
 * The job's program is a stand-in for `heal scan` — /bin/sh running a script that leaves a
 * service running and exits, as a scan whose restart command backgrounds a service does — so
 * what is tested is the plist: every key but ProgramArguments is the one heal installs.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { exec } from '../../src/deps.js';
import { DEFAULT_LAUNCHD_LABEL, renderPlist } from '../../src/install/launchd.js';
import { plistTemplateUrl, schedulePath } from '../../src/install/paths.js';
import { waitFor } from '../helpers/cli.js';
import { UID, running, useFakeTool, type LaunchctlScenario } from '../helpers/fake-supervisors.js';

const fake = useFakeTool<LaunchctlScenario>('launchctl');
const LABEL = DEFAULT_LAUNCHD_LABEL;

/** The stand-in for `heal scan`: leaves a service (`sleep`) in its process group, records what it saw, exits. */
const SCAN = `#!/bin/sh
out=$(dirname "$0")
sleep 1000 &
echo $! > "$out/service.pid"
echo "$PATH" > "$out/path.txt"
exit 0
`;

/** heal's plist for the stand-in scan, in the test folder; `edit` changes its text (a key dropped or added). */
async function healPlist(edit: (xml: string) => string = (xml) => xml): Promise<string> {
  const script = join(fake.dir, 'scan.sh');
  await writeFile(script, SCAN, { mode: 0o755 });
  const xml = renderPlist(await readFile(plistTemplateUrl(), 'utf8'), {
    node: '/bin/sh',
    cli: script,
    config: join(fake.dir, 'services.yaml'),
    path: schedulePath('/usr/local/bin/node', { homebrew: true }),
    intervalSeconds: 300,
    label: LABEL,
    stdout: join(fake.dir, 'scan.out.log'),
    stderr: join(fake.dir, 'scan.err.log'),
  });
  const plist = join(fake.dir, `${LABEL}.plist`);
  await writeFile(plist, edit(xml));
  return plist;
}

const launchctl = (...args: string[]) => exec(['launchctl', ...args], { timeoutMs: 10_000 });

/** Bootstraps the plist (RunAtLoad runs the stand-in scan), waits for the scan to end and launchd to reap it; the service's pid. */
async function runJob(plist: string, domain = `gui/${UID}`): Promise<number> {
  const booted = await launchctl('bootstrap', domain, plist);
  expect(booted.failure, booted.stderr).toBeUndefined();
  const pidFile = join(fake.dir, 'service.pid');
  await waitFor(() => readFile(pidFile, 'utf8').then((text) => text.trim() !== '', () => false), 10_000);
  const service = Number((await readFile(pidFile, 'utf8')).trim());
  onTestFinished(() => {
    try {
      process.kill(service, 'SIGKILL');
    } catch {
      // gone already
    }
  });
  const job = (await fake.state()).jobs?.[`${domain}/${LABEL}`]?.pid as number;
  await waitFor(() => !running(job), 10_000);
  // launchd reaps the job when its process is gone: the fake does so at its next call.
  await launchctl('print', `${domain}/${LABEL}`);
  return service;
}

/**
 * True when the process lives and no SIGTERM is waiting for it: a signal sent before this look
 * shows as pending (/proc/<pid>/status SigPnd, ShdPnd) until it is delivered, so a service the
 * fake signalled cannot pass for alive just because it has not died yet.
 */
async function aliveUnsignalled(pid: number): Promise<boolean> {
  if (!running(pid)) return false;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const pending = [...status.matchAll(/^(?:SigPnd|ShdPnd):\s*([0-9a-f]+)$/gm)].map((m) => BigInt(`0x${m[1]}`));
  const SIGTERM_BIT = 1n << 14n;
  return running(pid) && pending.every((mask) => (mask & SIGTERM_BIT) === 0n);
}

/** The nice value of a process (field 19 of /proc/<pid>/stat). */
async function niceOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

const drop = (key: string) => (xml: string) => xml.replace(new RegExp(`\\t<key>${key}</key>\\n\\t<(true/|array>[\\s\\S]*?</array)>\\n`), '');

describe("heal's LaunchAgent, as launchd treats it", () => {
  it.each([`gui/${UID}`, `user/${UID}`])('loads into %s: with someone at the screen, and on a Mac reached only over SSH', async (domain) => {
    const plist = await healPlist();
    await runJob(plist, domain);
    expect((await fake.state()).jobs?.[`${domain}/${LABEL}`]).toMatchObject({ plist });
  });

  it('would not load into user/<uid> without LimitLoadToSessionType: Background (bootstrap exit 5)', async () => {
    const plist = await healPlist(drop('LimitLoadToSessionType'));
    const booted = await launchctl('bootstrap', `user/${UID}`, plist);
    expect(booted).toMatchObject({ exitCode: 5, stderr: 'Bootstrap failed: 5: Input/output error' });
  });

  it('leaves a service the scan left running alive when the scan exits (AbandonProcessGroup)', async () => {
    const service = await runJob(await healPlist());
    expect(await aliveUnsignalled(service)).toBe(true);
  });

  it('would lose that service without AbandonProcessGroup: launchd SIGTERMs the exited job\'s process group', async () => {
    const service = await runJob(await healPlist(drop('AbandonProcessGroup')));
    await waitFor(() => !running(service));
  });

  it('starts services at normal priority: no ProcessType, whose Background band children inherit', async () => {
    const service = await runJob(await healPlist());
    expect(await niceOf(service)).toBe(0);
  });

  it('would have throttled them with ProcessType Background, as it had before', async () => {
    const service = await runJob(await healPlist((xml) => xml.replace('\t<key>RunAtLoad</key>', '\t<key>ProcessType</key>\n\t<string>Background</string>\n\t<key>RunAtLoad</key>')));
    expect(await niceOf(service)).toBeGreaterThan(0);
  });

  it("runs the scan with node's folder and Homebrew's (Apple silicon, Intel) on PATH", async () => {
    await runJob(await healPlist());
    expect((await readFile(join(fake.dir, 'path.txt'), 'utf8')).trim()).toBe('/usr/local/bin:/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin');
  });
});
