/**
 * The launchd restarter against a fake `launchctl` (test/fixtures/bin/launchctl), which stands
 * in for macOS's launchctl: same arguments, same exit codes, and it starts real service
 * processes, so a LaunchAgent is seen coming back on its port.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { restart } from '../../src/heal/index.js';
import { launchdDomains } from '../../src/heal/launchctl.js';
import { launchdRestarter } from '../../src/heal/launchd.js';
import type { RestartContext } from '../../src/heal/types.js';
import { launchdRestart } from '../../src/manifest/schema.js';
import { freePort, waitFor } from '../helpers/cli.js';
import {
  UID,
  healthy,
  restartContext,
  running,
  serviceProgram,
  servicePlist,
  testDeps,
  useFakeTool,
  type LaunchctlScenario,
} from '../helpers/fake-supervisors.js';

const fake = useFakeTool<LaunchctlScenario>('launchctl');
const LABEL = 'com.example.api';
const GUI = `gui/${UID}`;
const USER = `user/${UID}`;

function spec(fields: Record<string, unknown> = {}) {
  return launchdRestart.parse({ type: 'launchd', label: LABEL, ...fields });
}

/** A context whose pauses are recorded and skipped, so sequences with 1–3 s waits run at once. */
function quickContext(pauses: number[], timeoutMs = 10_000): RestartContext {
  return restartContext(fake.dir, timeoutMs, {
    deps: testDeps({
      sleep: async (ms) => {
        pauses.push(ms);
      },
    }),
  });
}

/** Writes a plist for LABEL serving on `port` under the test folder; its absolute path. */
async function writePlist(port: number, name = `${LABEL}.plist`, runAtLoad = true): Promise<string> {
  await mkdir(join(fake.dir, 'agents'), { recursive: true });
  const path = join(fake.dir, 'agents', name);
  await writeFile(path, servicePlist(LABEL, port, '', runAtLoad));
  return path;
}

describe('launchd restarter: kickstart', () => {
  it('kickstarts a loaded job with exactly ["kickstart", "-k", "gui/<uid>/<label>"] and the service comes back on its port', async () => {
    const port = await freePort();
    await fake.scenario({ jobs: { [`${GUI}/${LABEL}`]: { program: serviceProgram(port) } } });

    const outcome = await restart(spec(), restartContext(fake.dir));

    expect(outcome).toEqual({ ok: true, detail: `kickstart -k ${GUI}/${LABEL}` });
    expect(await fake.argvs()).toEqual([['kickstart', '-k', `${GUI}/${LABEL}`]]);
    await waitFor(() => healthy(port));
  });

  it('kills the running instance and starts a new one (-k)', async () => {
    const port = await freePort();
    await fake.scenario({ jobs: { [`${GUI}/${LABEL}`]: { program: serviceProgram(port) } } });
    await launchdRestarter.restart(spec(), restartContext(fake.dir));
    const before = (await fake.state()).jobs?.[`${GUI}/${LABEL}`]?.pid as number;
    await waitFor(() => healthy(port));

    expect(await launchdRestarter.restart(spec(), restartContext(fake.dir))).toMatchObject({ ok: true });

    const after = (await fake.state()).jobs?.[`${GUI}/${LABEL}`]?.pid as number;
    expect(after).not.toBe(before);
    expect(running(before)).toBe(false);
    await waitFor(() => healthy(port));
  });

  it('bootstraps the plist when the job is not loaded (113): enable, bootstrap into the domain, then kickstart it (a job without RunAtLoad)', async () => {
    const port = await freePort();
    const plist = await writePlist(port);
    // A disabled job: bootstrap refuses it until heal has enabled it.
    await fake.scenario({ disabled: [`${GUI}/${LABEL}`] });

    const outcome = await launchdRestarter.restart(spec({ plist: 'agents/com.example.api.plist' }), restartContext(fake.dir));

    expect(outcome).toMatchObject({ ok: true, detail: `bootstrap ${GUI} ${plist} (the job was not loaded), then kickstart ${GUI}/${LABEL}` });
    expect(await fake.argvs()).toEqual([
      ['kickstart', '-k', `${GUI}/${LABEL}`],
      ['enable', `${GUI}/${LABEL}`],
      ['bootstrap', GUI, plist],
      ['kickstart', `${GUI}/${LABEL}`],
    ]);
    await waitFor(() => healthy(port));
  });

  it('starts a job whose plist has no RunAtLoad: bootstrap only loads it, the kickstart after it runs it', async () => {
    const port = await freePort();
    await writePlist(port, `${LABEL}.plist`, false);
    const outcome = await launchdRestarter.restart(spec({ plist: 'agents/com.example.api.plist' }), restartContext(fake.dir));
    expect(outcome).toMatchObject({ ok: true });
    await waitFor(() => healthy(port));
  });

  it('retries bootstrap once after exit 5 (still unloading), pausing a second first, and succeeds', async () => {
    const port = await freePort();
    const plist = await writePlist(port);
    await fake.scenario({ bootstrapFailures: [5] });
    const pauses: number[] = [];

    const outcome = await launchdRestarter.restart(spec({ plist }), quickContext(pauses));

    expect(outcome).toMatchObject({ ok: true, detail: expect.stringContaining('bootstrap retried after exit 5') });
    expect(pauses).toEqual([1_000]);
    expect((await fake.argvs()).map((argv) => argv[0])).toEqual(['kickstart', 'enable', 'bootstrap', 'bootstrap', 'kickstart']);
    await waitFor(() => healthy(port));
  });

  it('retries bootstrap only once: a second exit 5 fails with what it means', async () => {
    const plist = await writePlist(await freePort());
    await fake.scenario({ bootstrapFailures: [5, 5] });

    const outcome = await launchdRestarter.restart(spec({ plist }), quickContext([]));

    expect(outcome).toEqual({
      ok: false,
      error: `launchctl bootstrap ${GUI} ${plist} failed: exit 5 (input/output error: bootstrap while still unloading): Bootstrap failed: 5: Input/output error; bootstrap retried after exit 5`,
    });
    expect((await fake.argvs()).filter((argv) => argv[0] === 'bootstrap')).toHaveLength(2);
  });

  it('fails a job that is not loaded and has no plist, saying so and what would help', async () => {
    const outcome = await launchdRestarter.restart(spec(), restartContext(fake.dir));

    expect(outcome).toMatchObject({ ok: false });
    const { error } = outcome as { error: string };
    expect(error).toContain(`launchctl kickstart -k ${GUI}/${LABEL} failed: exit 113 (could not find service): Could not find service "${LABEL}"`);
    expect(error).toContain('give `plist`');
    expect(await fake.argvs()).toHaveLength(1);
  });
});

describe('launchd restarter: domains', () => {
  it.each([
    [undefined, [`gui/${UID}`, `user/${UID}`]],
    ['gui', [`gui/${UID}`]],
    ['user', [`user/${UID}`]],
    ['gui/501', ['gui/501']],
    ['user/502', ['user/502']],
  ])('domain %j is tried as %j', (domain, expected) => {
    expect(launchdDomains(domain)).toEqual(expected);
  });

  it('kickstarts in user/<uid> when the gui domain is not available (125, a headless Mac)', async () => {
    const port = await freePort();
    await fake.scenario({ missingDomains: [GUI], jobs: { [`${USER}/${LABEL}`]: { program: serviceProgram(port) } } });

    const outcome = await launchdRestarter.restart(spec(), restartContext(fake.dir));

    expect(outcome).toEqual({ ok: true, detail: `kickstart -k ${USER}/${LABEL} (${GUI} not available, used ${USER})` });
    expect(await fake.argvs()).toEqual([
      ['kickstart', '-k', `${GUI}/${LABEL}`],
      ['kickstart', '-k', `${USER}/${LABEL}`],
    ]);
    await waitFor(() => healthy(port));
  });

  it('bootstraps into user/<uid> when bootstrap into the gui domain says 125', async () => {
    const port = await freePort();
    const plist = await writePlist(port);
    await fake.scenario({ bootstrapFailures: [125] });

    const outcome = await launchdRestarter.restart(spec({ plist }), restartContext(fake.dir));

    expect(outcome).toMatchObject({ ok: true });
    expect(await fake.argvs()).toEqual([
      ['kickstart', '-k', `${GUI}/${LABEL}`],
      ['enable', `${GUI}/${LABEL}`],
      ['bootstrap', GUI, plist],
      ['kickstart', '-k', `${USER}/${LABEL}`],
      ['enable', `${USER}/${LABEL}`],
      ['bootstrap', USER, plist],
      ['kickstart', `${USER}/${LABEL}`],
    ]);
    await waitFor(() => healthy(port));
  });

  it('keeps to a configured domain: no fallback, and 125 is explained', async () => {
    await fake.scenario({ missingDomains: [GUI] });

    const outcome = await launchdRestarter.restart(spec({ domain: 'gui' }), restartContext(fake.dir));

    expect(outcome).toMatchObject({ ok: false, error: expect.stringContaining('exit 125 (domain not available)') });
    expect(await fake.argvs()).toEqual([['kickstart', '-k', `${GUI}/${LABEL}`]]);
  });
});

describe('launchd restarter: reload', () => {
  it('runs unload, waits 2 s, load, waits 3 s, in that order', async () => {
    const port = await freePort();
    const plist = await writePlist(port);
    await fake.scenario({ jobs: { [`${GUI}/${LABEL}`]: { program: serviceProgram(port), plist } } });
    const pauses: number[] = [];

    const outcome = await launchdRestarter.restart(spec({ plist, method: 'reload' }), quickContext(pauses));

    expect(outcome).toEqual({ ok: true, detail: `unload + load ${plist}` });
    expect(await fake.argvs()).toEqual([
      ['unload', plist],
      ['load', plist],
    ]);
    expect(pauses).toEqual([2_000, 3_000]);
    await waitFor(() => healthy(port));
  });

  it('needs a plist, and says so without calling launchctl', async () => {
    const outcome = await launchdRestarter.restart(spec({ method: 'reload' }), restartContext(fake.dir));

    expect(outcome).toEqual({ ok: false, error: 'launchd method "reload" needs `plist`: the path of the job\'s .plist file' });
    expect(await fake.argvs()).toEqual([]);
  });
});

describe('launchd restarter: limits', () => {
  it('fails with one clear line when launchctl is not installed', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'heal-no-launchctl-'));
    process.env.PATH = empty; // restored by useFakeTool after the test
    try {
      expect(await launchdRestarter.restart(spec(), restartContext(fake.dir))).toEqual({
        ok: false,
        error: 'launchctl not found: the launchd restarter needs macOS',
      });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it.each(['com.example.api; touch /tmp/heal-pwned', '$(reboot)', 'com example', 'gui/501/com.example', '-k', ''])(
    'the manifest refuses the label %j before it can reach launchctl',
    (label) => {
      expect(launchdRestart.safeParse({ type: 'launchd', label }).success).toBe(false);
    },
  );

  it('passes odd but valid labels and plist paths to launchctl verbatim, as data, never through a shell', async () => {
    const label = 'com.example.-odd_label..1';
    const name = 'my $HOME; touch pwned `id` & echo.plist';
    await mkdir(join(fake.dir, 'agents'));
    const plist = join(fake.dir, 'agents', name);
    await writeFile(plist, servicePlist(label, await freePort()));

    await launchdRestarter.restart(spec({ label, plist: `agents/${name}` }), restartContext(fake.dir));

    expect(await fake.argvs()).toEqual([
      ['kickstart', '-k', `${GUI}/${label}`],
      ['enable', `${GUI}/${label}`],
      ['bootstrap', GUI, plist],
      ['kickstart', `${GUI}/${label}`],
    ]);
    expect(existsSync(join(fake.dir, 'pwned'))).toBe(false);
    expect(existsSync(join(process.cwd(), 'pwned'))).toBe(false);
  });

  it.each([
    ['its own timeout', { timeout: '1s' }, 10_000, 'the 1s restart timeout ran out'],
    ['the time the scan has left', { timeout: '30s' }, 800, 'the 800ms restart timeout ran out'],
  ])('fails a launchctl that hangs at %s', async (_, fields, timeoutMs, says) => {
    await fake.scenario({ hang: ['kickstart'], jobs: { [`${GUI}/${LABEL}`]: { program: serviceProgram(await freePort()) } } });
    const started = Date.now();

    const outcome = await launchdRestarter.restart(spec(fields), restartContext(fake.dir, timeoutMs));

    expect(outcome).toEqual({ ok: false, error: `launchctl kickstart -k ${GUI}/${LABEL} timed out: ${says}` });
    expect(Date.now() - started).toBeLessThan(Math.min(timeoutMs, 1_000) + 2_500);
  });

  it('does not start a bootstrap retry after the deadline has passed', async () => {
    const plist = await writePlist(await freePort());
    await fake.scenario({ bootstrapFailures: [5] });
    // The pause before the retry takes the rest of the budget.
    const ctx = restartContext(fake.dir, 10_000);
    let now = Date.now();
    ctx.deps = testDeps({ now: () => now, sleep: async (ms) => void (now += ms) });

    const outcome = await launchdRestarter.restart(spec({ plist, timeout: '1s' }), ctx);

    expect(outcome).toMatchObject({ ok: false, error: expect.stringContaining('timed out: the 1s restart timeout ran out') });
    expect((await fake.argvs()).filter((argv) => argv[0] === 'bootstrap')).toHaveLength(1);
  });

  it.each([
    [{}, 'launchd: com.example.api'],
    [{ method: 'reload', plist: 'x.plist' }, 'launchd: com.example.api (reload)'],
  ])('describes %j as %s', (fields, label) => {
    expect(launchdRestarter.describe(spec(fields))).toBe(label);
  });
});
