/**
 * The command restarter's `stop`, `pidfile` and, with `detach: true`, the process its last start
 * made: the old process is stopped before the new one starts. Real child processes: one that exits
 * on SIGTERM, one that ignores it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { childIdentity, probePid } from '../../src/process/identity.js';
import { commandRestarter } from '../../src/restart/command.js';
import { readPidFile, stopPid } from '../../src/restart/stop-process.js';
import { commandRestart } from '../../src/restart/schema.js';
import { waitFor } from '../helpers/cli.js';
import { restartContext, testDeps } from '../helpers/fake-supervisors.js';

const node = process.execPath;
let dir: string;
let children: ChildProcess[] = [];
/** Services a detached restart started: killed after each test. */
let started: number[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heal-command-stop-'));
});
afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children = [];
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

function spec(fields: Record<string, unknown>) {
  return commandRestart.parse({ type: 'command', run: [node, '-e', 'process.exit(0)'], ...fields });
}

type Old = { pid: number; exited: Promise<NodeJS.Signals | null> };

/** Starts an old service process and writes its pid to `old.pid`; resolves once its SIGTERM handling is set up. */
async function oldProcess(onSigterm: 'exits' | 'ignores'): Promise<Old> {
  const code =
    onSigterm === 'ignores'
      ? 'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)'
      : 'console.log("ready"); setInterval(() => {}, 1000)';
  const child = spawn(node, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  await writeFile(join(dir, 'old.pid'), `${child.pid}\n`);
  return { pid: child.pid as number, exited };
}

describe('command restarter: stopping the old process', () => {
  it('SIGKILLs an old process that ignores SIGTERM once stop_grace has passed, then starts the new one', async () => {
    const old = await oldProcess('ignores');
    const marker = join(dir, 'started');
    const started = Date.now();

    const outcome = await commandRestarter.restart(
      spec({ pidfile: 'old.pid', stop_grace: '600ms', run: [node, '-e', `require("fs").writeFileSync(${JSON.stringify(marker)}, "")`] }),
      restartContext(dir),
    );

    expect(await old.exited).toBe('SIGKILL');
    // A lower bound only: the restarter reads the same clock and kills once 600 ms of it have passed.
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(outcome).toEqual({ ok: true, detail: `old pid ${old.pid} ignored SIGTERM for 600ms: SIGKILLed` });
    expect(await readFile(marker, 'utf8')).toBe('');
  });

  it('does not SIGKILL an old process that exits on SIGTERM', async () => {
    const old = await oldProcess('exits');

    // A grace past the test's own timeout: settling at all proves the restarter did not wait it out.
    const outcome = await commandRestarter.restart(spec({ pidfile: 'old.pid', stop_grace: '10m' }), restartContext(dir));

    expect(await old.exited).toBe('SIGTERM');
    expect(outcome).toMatchObject({ ok: true, detail: expect.stringMatching(new RegExp(`^old pid ${old.pid} exited on SIGTERM after \\d+ms$`)) });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['garbage', 'not a pid\n'],
    ['a negative number', '-1'],
    ['pid 1', '1'],
    ['a dead pid', 'DEAD'],
  ])('starts normally when the pidfile is %s: nothing to stop', async (_, content) => {
    if (content !== undefined) {
      let text = content;
      if (content === 'DEAD') {
        const gone = spawn(node, ['-e', '']);
        await new Promise((resolve) => gone.once('exit', resolve));
        text = String(gone.pid);
      }
      await writeFile(join(dir, 'old.pid'), text);
    }
    expect(await commandRestarter.restart(spec({ pidfile: 'old.pid' }), restartContext(dir))).toEqual({ ok: true });
  });

  it('runs `stop` (argv, verbatim) before the start', async () => {
    const journal = join(dir, 'journal');
    const append = (word: string) => `require("fs").appendFileSync(${JSON.stringify(journal)}, ${JSON.stringify(word)} + " " + JSON.stringify(process.argv.slice(1)) + "\\n")`;

    const outcome = await commandRestarter.restart(
      spec({ stop: [node, '-e', append('stop'), '$HOME; rm -rf x', '--now'], run: [node, '-e', append('start')] }),
      restartContext(dir),
    );

    expect(outcome).toEqual({ ok: true });
    expect((await readFile(journal, 'utf8')).trim().split('\n')).toEqual(['stop ["$HOME; rm -rf x","--now"]', 'start []']);
  });

  it('still starts when `stop` fails, and says so in the detail', async () => {
    const outcome = await commandRestarter.restart(
      spec({ stop: [node, '-e', 'console.error("no such job"); process.exit(3)'], detach: true, run: [node, '-e', 'process.exit(0)'] }),
      restartContext(dir),
    );

    expect(outcome).toMatchObject({ ok: true, detail: expect.stringMatching(/^stop failed: exit 3: no such job; started pid \d+/) });
  });

  it('puts a failed stop into the error when the start fails too', async () => {
    const outcome = await commandRestarter.restart(
      spec({ stop: ['heal-no-such-stop-program'], run: [node, '-e', 'process.exit(4)'] }),
      restartContext(dir),
    );

    expect(outcome).toEqual({ ok: false, error: 'exit 4 (before the start: stop failed: heal-no-such-stop-program: not found)' });
  });

  it('bounds `stop` by the restart timeout', async () => {
    // `stop` never ends on its own: the restart settling, with the timeout named, is the bound. The
    // same timeout bounds the start, so the start is /bin/true and the timeout is long enough for
    // it on a loaded machine (a Node start once took over 500 ms there).
    const outcome = await commandRestarter.restart(spec({ stop: [node, '-e', 'setInterval(() => {}, 1000)'], run: ['/bin/true'], timeout: '3s' }), restartContext(dir));

    expect(outcome).toEqual({ ok: true, detail: 'stop failed: timed out after 3s' });
  });
});

describe('command restarter: the process its last detached start made', () => {
  /** A detached restart whose new service writes `new` once it runs, so the test can see the start. */
  const detachedSpec = () => spec({ detach: true, stop_grace: '10m', run: [node, '-e', `require("fs").writeFileSync(${JSON.stringify(join(dir, 'new'))}, String(process.pid)); setTimeout(() => {}, 60000)`] });

  /** The pid the new service wrote, killed after the test. */
  async function newPid(): Promise<number> {
    await waitFor(async () => /^\d+$/.test(await readFile(join(dir, 'new'), 'utf8').catch(() => '')), 20_000);
    const pid = Number(await readFile(join(dir, 'new'), 'utf8'));
    started.push(pid);
    return pid;
  }

  it('records the process it started: its pid and kernel start time', async () => {
    const outcome = await commandRestarter.restart(detachedSpec(), restartContext(dir));
    const pid = await newPid();

    expect(outcome).toMatchObject({ ok: true, detail: expect.stringContaining(`started pid ${pid},`) });
    expect(outcome.ok && outcome.started).toEqual(await childIdentity(pid));
    expect(outcome.ok && outcome.started).toMatchObject({ pid, start: expect.any(String) });
  });

  it('stops that process (known by pid and start time) before the new start, like a pidfile\'s', async () => {
    const old = await oldProcess('exits');
    const recorded = await childIdentity(old.pid);

    const outcome = await commandRestarter.restart(detachedSpec(), restartContext(dir, 10_000, { recorded }));
    const pid = await newPid();

    expect(await old.exited).toBe('SIGTERM');
    expect(outcome).toMatchObject({ ok: true, detail: expect.stringMatching(new RegExp(`^old pid ${old.pid} exited on SIGTERM after \\d+ms; started pid ${pid},`)) });
  });

  it('leaves alone a process that has the recorded pid but another start time (the pid was reused)', async () => {
    const other = await oldProcess('exits');
    const recorded = { ...(await childIdentity(other.pid))!, start: '1' };

    const outcome = await commandRestarter.restart(detachedSpec(), restartContext(dir, 10_000, { recorded }));
    await newPid();

    expect(outcome).toMatchObject({ ok: true, detail: expect.stringMatching(/^started pid \d+,/) });
    expect(probePid(other.pid)).toBe('alive');
  });

  it('stops nothing without detach: true, whatever the state recorded', async () => {
    const old = await oldProcess('exits');
    const recorded = await childIdentity(old.pid);

    expect(await commandRestarter.restart(spec({}), restartContext(dir, 10_000, { recorded }))).toEqual({ ok: true });
    expect(probePid(old.pid)).toBe('alive');
  });
});

describe('stopping a pid', () => {
  it.each([
    ['a pid and a newline', '123\n', 123],
    ['a pid between spaces', ' 4567 ', 4567],
    ['a pid with trailing garbage', '12abc', undefined],
    ['0 (our process group)', '0', undefined],
    ["heal's own pid", String(process.pid), undefined],
  ])('reads a pidfile holding %s as %j', async (_, content, pid) => {
    await writeFile(join(dir, 'x.pid'), content);
    expect(await readPidFile(join(dir, 'x.pid'))).toBe(pid);
  });

  it('cuts the grace short when the restart is aborted, and SIGKILLs at once', async () => {
    const old = await oldProcess('ignores');
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);

    // A grace past the test's own timeout: only the abort can end the wait.
    const result = await stopPid(old.pid, 120_000, testDeps(), abort.signal);

    expect(result).toMatchObject({ outcome: 'killed' });
    expect(await old.exited).toBe('SIGKILL');
  });
});
