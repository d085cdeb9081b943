/**
 * The launchd restarter against a fake `launchctl` (test/fixtures/bin/launchctl), which stands
 * in for macOS's launchctl: same arguments, same exit codes, and it starts real service
 * processes, so a LaunchAgent is seen coming back on its port.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { restart } from '../../src/restart/index.js';
import { launchdDomains } from '../../src/supervisors/launchctl.js';
import { launchdRestarter } from '../../src/restart/launchd.js';
import type { RestartContext } from '../../src/restart/types.js';
import { launchdRestart } from '../../src/restart/schema.js';
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

/** The plist key that lets a LaunchAgent load into user/<uid> (the Background session) as well as gui/<uid>. */
const BOTH_SESSIONS = '\t<key>LimitLoadToSessionType</key>\n\t<array>\n\t\t<string>Aqua</string>\n\t\t<string>Background</string>\n\t</array>\n';

/** Writes a plist for LABEL serving on `port` under the test folder; its absolute path. */
async function writePlist(port: number, name = `${LABEL}.plist`, runAtLoad = true, extra = BOTH_SESSIONS): Promise<string> {
  await mkdir(join(fake.dir, 'agents'), { recursive: true });
  const path = join(fake.dir, 'agents', name);
  await writeFile(path, servicePlist(LABEL, port, extra, runAtLoad));
  return path;
}

/** A context whose clock moves only when it sleeps: waits and budgets without real time. */
function clockContext(timeoutMs = 30_000): RestartContext & { pauses: number[] } {
  let now = Date.now();
  const pauses: number[] = [];
  const ctx = restartContext(fake.dir, timeoutMs, {
    deps: testDeps({ now: () => now, sleep: async (ms) => void (pauses.push(ms), (now += ms)) }),
  });
  return Object.assign(ctx, { pauses });
}

/**
 * A service for graceful-stop tests: answers /health on `port`, and on SIGTERM writes "TERM" to
 * `marker` and exits (or, with `ignoreTerm`, writes it and keeps running).
 */
async function termAwareProgram(port: number, marker: string, ignoreTerm = false): Promise<string[]> {
  const script = join(fake.dir, `term-aware-${port}.mjs`);
  await writeFile(
    script,
    `import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
createServer((req, res) => res.end('ok')).listen(${port}, '127.0.0.1');
process.on('SIGTERM', () => {
  appendFileSync(${JSON.stringify(marker)}, 'TERM\\n');
  ${ignoreTerm ? '' : 'process.exit(0);'}
});
`,
  );
  return [process.execPath, script];
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

  it('kills the running instance with SIGKILL and starts a new one (-k): the service gets no SIGTERM', async () => {
    const port = await freePort();
    const marker = join(fake.dir, 'term.log');
    await fake.scenario({ jobs: { [`${GUI}/${LABEL}`]: { program: await termAwareProgram(port, marker) } } });
    await launchdRestarter.restart(spec(), restartContext(fake.dir));
    const before = (await fake.state()).jobs?.[`${GUI}/${LABEL}`]?.pid as number;
    await waitFor(() => healthy(port));

    expect(await launchdRestarter.restart(spec(), restartContext(fake.dir))).toMatchObject({ ok: true });

    const after = (await fake.state()).jobs?.[`${GUI}/${LABEL}`]?.pid as number;
    expect(after).not.toBe(before);
    expect(running(before)).toBe(false);
    expect(existsSync(marker)).toBe(false);
    await waitFor(() => healthy(port));
  });

  it('treats exit 37 (a start already under way) as a start, not a failure, and says so', async () => {
    const port = await freePort();
    await fake.scenario({ jobs: { [`${GUI}/${LABEL}`]: { program: serviceProgram(port) } }, inProgress: [`${GUI}/${LABEL}`] });

    const outcome = await launchdRestarter.restart(spec(), restartContext(fake.dir));

    expect(outcome).toEqual({
      ok: true,
      detail: `kickstart -k ${GUI}/${LABEL}: launchd was already starting it (exit 37)`,
      note: 'launchd was already starting it (exit 37)',
    });
    // launchd finishes the start it had under way; verify sees the service.
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

  it('retries bootstrap only once: a second exit 5 fails naming its causes and what heal tried', async () => {
    const plist = await writePlist(await freePort());
    await fake.scenario({ bootstrapFailures: [5, 5] });

    const outcome = await launchdRestarter.restart(spec({ plist }), quickContext([]));

    expect(outcome).toEqual({
      ok: false,
      error:
        `launchctl bootstrap ${GUI} ${plist} failed: exit 5 (input/output error: the job is already loaded, is disabled, ` +
        'may not load in this session type (LimitLoadToSessionType), or is still unloading): Bootstrap failed: 5: Input/output error; ' +
        'bootstrap retried after exit 5 (heal had run enable first)',
    });
    expect((await fake.argvs()).map((argv) => argv[0])).toEqual(['kickstart', 'enable', 'bootstrap', 'bootstrap']);
  });

  it('goes on to kickstart when bootstrap says 37 (launchd is loading it already), and says so', async () => {
    const port = await freePort();
    const plist = await writePlist(port, `${LABEL}.plist`, false);
    await fake.scenario({ inProgress: [`${GUI}/${LABEL}`] });

    const outcome = await launchdRestarter.restart(spec({ plist }), restartContext(fake.dir));

    expect(outcome).toMatchObject({ ok: true, note: 'launchd was already starting it (exit 37)' });
    expect((await fake.argvs()).map((argv) => argv[0])).toEqual(['kickstart', 'enable', 'bootstrap', 'kickstart']);
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

  it.each([
    [112, 'could not find domain'],
    [125, 'domain not available'],
  ] as const)('kickstarts in user/<uid> when the gui domain does not exist (%i, a headless Mac)', async (code, meaning) => {
    const port = await freePort();
    await fake.scenario({ missingDomains: [GUI], missingDomainCode: code, jobs: { [`${USER}/${LABEL}`]: { program: serviceProgram(port) } } });

    const outcome = await launchdRestarter.restart(spec(), restartContext(fake.dir));

    expect(outcome).toEqual({ ok: true, detail: `kickstart -k ${USER}/${LABEL} (${GUI}: exit ${code} (${meaning}); used ${USER})` });
    expect(await fake.argvs()).toEqual([
      ['kickstart', '-k', `${GUI}/${LABEL}`],
      ['kickstart', '-k', `${USER}/${LABEL}`],
    ]);
    await waitFor(() => healthy(port));
  });

  it.each([112, 125])('bootstraps into user/<uid> when bootstrap into the gui domain says %i', async (code) => {
    const port = await freePort();
    const plist = await writePlist(port);
    await fake.scenario({ bootstrapFailures: [code] });

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

  it('cannot bootstrap into user/<uid> a plist that allows only the Aqua session: exit 5, named', async () => {
    const plist = await writePlist(await freePort(), `${LABEL}.plist`, true, '');
    await fake.scenario({ missingDomains: [GUI] });

    const outcome = await launchdRestarter.restart(spec({ plist }), quickContext([]));

    expect(outcome).toMatchObject({ ok: false, error: expect.stringContaining(`launchctl bootstrap ${USER} ${plist} failed: exit 5 (input/output error: `) });
    expect((outcome as { error: string }).error).toContain('may not load in this session type (LimitLoadToSessionType)');
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

  it('fails a load that printed "Load failed: 5" though launchctl exited 0', async () => {
    const plist = await writePlist(await freePort());
    // Disabled and not loaded: unload and load both print their failure, and exit 0.
    await fake.scenario({ disabled: [`${GUI}/${LABEL}`] });

    const outcome = await launchdRestarter.restart(spec({ plist, method: 'reload' }), quickContext([]));

    expect(outcome).toEqual({
      ok: false,
      error:
        `launchctl load ${plist} failed: exit 5 (input/output error: the job is already loaded, is disabled, may not load in this session type (LimitLoadToSessionType), or is still unloading): ` +
        'Load failed: 5: Input/output error (it exited 0); ' +
        `launchctl unload ${plist} failed: exit 113 (could not find service): Unload failed: 113: Could not find specified service (it exited 0)`,
    });
  });

  it('needs a plist, and says so without calling launchctl', async () => {
    const outcome = await launchdRestarter.restart(spec({ method: 'reload' }), restartContext(fake.dir));

    expect(outcome).toEqual({ ok: false, error: 'launchd method "reload" needs `plist`: the path of the job\'s .plist file' });
    expect(await fake.argvs()).toEqual([]);
  });
});

describe('launchd restarter: stop_grace, a graceful stop before the restart', () => {
  const TARGET = `${GUI}/${LABEL}`;

  it('sends SIGTERM, waits for the job to exit, then kickstarts it (no -k): the service shut down cleanly', async () => {
    const port = await freePort();
    const marker = join(fake.dir, 'term.log');
    await fake.scenario({ jobs: { [TARGET]: { program: await termAwareProgram(port, marker) } } });
    await launchdRestarter.restart(spec(), restartContext(fake.dir));
    await waitFor(() => healthy(port));
    const before = (await fake.state()).jobs?.[TARGET]?.pid as number;
    const callsBefore = (await fake.argvs()).length;

    const outcome = await launchdRestarter.restart(spec({ stop_grace: '5s' }), restartContext(fake.dir));

    expect(outcome).toEqual({ ok: true, detail: `kickstart ${TARGET}; launchctl kill SIGTERM ${TARGET}: pid ${before} exited` });
    const argvs = (await fake.argvs()).slice(callsBefore);
    expect(argvs[0]).toEqual(['print', TARGET]);
    expect(argvs[1]).toEqual(['kill', 'SIGTERM', TARGET]);
    expect(argvs.at(-1)).toEqual(['kickstart', TARGET]);
    expect(await readFile(marker, 'utf8')).toBe('TERM\n');
    await waitFor(() => healthy(port));
  });

  it('falls back to kickstart -k (SIGKILL) when the job has not exited within stop_grace', async () => {
    const port = await freePort();
    const marker = join(fake.dir, 'term.log');
    await fake.scenario({ jobs: { [TARGET]: { program: await termAwareProgram(port, marker, true) } } });
    await launchdRestarter.restart(spec(), restartContext(fake.dir));
    await waitFor(() => healthy(port));
    const before = (await fake.state()).jobs?.[TARGET]?.pid as number;
    const ctx = clockContext();

    const outcome = await launchdRestarter.restart(spec({ stop_grace: '1s' }), ctx);

    expect(outcome).toEqual({ ok: true, detail: `kickstart -k ${TARGET}; pid ${before} did not exit within 1s of SIGTERM: kickstart -k (SIGKILL)` });
    expect(ctx.pauses.reduce((a, b) => a + b, 0)).toBe(1_000);
    expect((await fake.argvs()).at(-1)).toEqual(['kickstart', '-k', TARGET]);
    await waitFor(() => readFile(marker, 'utf8').then((text) => text === 'TERM\n', () => false));
    expect(running(before)).toBe(false);
    await waitFor(() => healthy(port));
  });

  it('kickstarts at once a job that is loaded but not running', async () => {
    const port = await freePort();
    await fake.scenario({ jobs: { [TARGET]: { program: serviceProgram(port) } } });

    const outcome = await launchdRestarter.restart(spec({ stop_grace: '5s' }), restartContext(fake.dir));

    expect(outcome).toEqual({ ok: true, detail: `kickstart ${TARGET}; it was not running` });
    expect(await fake.argvs()).toEqual([
      ['print', TARGET],
      ['kickstart', TARGET],
    ]);
    await waitFor(() => healthy(port));
  });

  it('bootstraps a job that is not loaded, as kickstart -k would', async () => {
    const port = await freePort();
    const plist = await writePlist(port);

    const outcome = await launchdRestarter.restart(spec({ stop_grace: '5s', plist }), restartContext(fake.dir));

    expect(outcome).toMatchObject({ ok: true });
    expect((await fake.argvs()).map((argv) => argv[0])).toEqual(['print', 'enable', 'bootstrap', 'kickstart']);
    await waitFor(() => healthy(port));
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
    // The fake launchctl never returns: the outcome names the budget that ended it (a hang would never settle).
    await fake.scenario({ hang: ['kickstart'], jobs: { [`${GUI}/${LABEL}`]: { program: serviceProgram(await freePort()) } } });

    const outcome = await launchdRestarter.restart(spec(fields), restartContext(fake.dir, timeoutMs));

    expect(outcome).toEqual({ ok: false, error: `launchctl kickstart -k ${GUI}/${LABEL} timed out: ${says}` });
  });

  it('does not start a bootstrap retry after the deadline has passed', async () => {
    const plist = await writePlist(await freePort());
    await fake.scenario({ bootstrapFailures: [5] });
    // The pause before the retry ends past the deadline (heal's clock jumps during it, as when the
    // machine sleeps). The real launchctl calls before it keep a 30 s budget, so a loaded machine
    // cannot make them time out first (a 1 s budget once did, on Node 24).
    const ctx = restartContext(fake.dir, 60_000);
    let now = Date.now();
    ctx.deps = testDeps({ now: () => now, sleep: async (ms) => void (now += ms + 60_000) });

    const outcome = await launchdRestarter.restart(spec({ plist, timeout: '30s' }), ctx);

    expect(outcome).toMatchObject({ ok: false, error: expect.stringContaining('timed out: the 30s restart timeout ran out') });
    expect((await fake.argvs()).filter((argv) => argv[0] === 'bootstrap')).toHaveLength(1);
  });

  it.each([
    [{}, 'launchd: com.example.api'],
    [{ method: 'reload', plist: 'x.plist' }, 'launchd: com.example.api (reload)'],
  ])('describes %j as %s', (fields, label) => {
    expect(launchdRestarter.describe(spec(fields))).toBe(label);
  });
});
