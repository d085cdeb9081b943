/**
 * The command restarter with real child processes: a waited restart is judged by its own exit
 * (however much it writes, whatever it leaves running in the background), a detached service's
 * log is never written through a link, and a detached service's exit is handed on with the last
 * lines of its log.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandRestarter } from '../../src/restart/command.js';
import { probePid } from '../../src/process/identity.js';
import { commandRestart } from '../../src/restart/schema.js';
import { waitFor } from '../helpers/cli.js';
import { restartContext } from '../helpers/fake-supervisors.js';

const node = process.execPath;
let dir: string;
let pids: number[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heal-command-restart-'));
});
afterEach(async () => {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  pids = [];
  await rm(dir, { recursive: true, force: true });
});

function spec(fields: Record<string, unknown>) {
  return commandRestart.parse({ type: 'command', ...fields });
}

/** The pid a process wrote to `name` in the test folder, once it is there; killed after the test. */
async function pidIn(name: string): Promise<number> {
  const path = join(dir, name);
  await waitFor(async () => /^\d+$/.test((await readFile(path, 'utf8').catch(() => '')).trim()), 20_000);
  const pid = Number((await readFile(path, 'utf8')).trim());
  pids.push(pid);
  return pid;
}

const log = (): string => join(dir, 'state', 'logs', 'api.log');

describe('command restarter: a waited restart is judged by its exit', () => {
  it('succeeds when the restart writes 4 MiB and exits 0', async () => {
    const outcome = await commandRestarter.restart(spec({ run: [node, '-e', 'process.stdout.write("x".repeat(4 << 20), () => process.exit(0))'], timeout: '20s' }), restartContext(dir, 30_000));
    expect(outcome).toEqual({ ok: true });
  });

  it('succeeds when the restart puts the service in the background holding its stdout, and leaves the service running', async () => {
    const outcome = await commandRestarter.restart(
      spec({ run: ['/bin/sh', '-c', 'sleep 60 & echo $! > service.pid; echo started'], timeout: '15s' }),
      restartContext(dir, 30_000),
    );
    expect(outcome).toEqual({ ok: true });
    expect(probePid(await pidIn('service.pid'))).toBe('alive');
  });
});

describe('command restarter: the log of a detached service', () => {
  const detached = (run: string[]) => spec({ run, detach: true });

  it('refuses a log that is a symbolic link, with the fix, and writes nothing through it', async () => {
    const victim = join(dir, 'victim');
    await writeFile(victim, 'precious\n');
    await mkdir(join(dir, 'state', 'logs'), { recursive: true });
    await symlink(victim, log());

    const outcome = await commandRestarter.restart(detached([node, '-e', 'console.log("pwned")']), restartContext(dir));

    expect(outcome).toEqual({ ok: false, error: `${log()} is a symbolic link: heal appends a service's output to no link; remove it (rm ${log()})` });
    expect(await readFile(victim, 'utf8')).toBe('precious\n');
  });

  it('refuses a logs folder that is a symbolic link', async () => {
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere);
    await mkdir(join(dir, 'state'));
    await symlink(elsewhere, join(dir, 'state', 'logs'));

    const outcome = await commandRestarter.restart(detached([node, '-e', 'console.log("pwned")']), restartContext(dir));

    expect(outcome).toMatchObject({ ok: false, error: expect.stringMatching(/logs is a symbolic link: heal writes no service log through a link; remove it/) });
    expect(await readFile(join(elsewhere, 'api.log'), 'utf8').catch(() => 'absent')).toBe('absent');
  });

  it('refuses a FIFO in place of the log at once, instead of blocking', async () => {
    await mkdir(join(dir, 'state', 'logs'), { recursive: true });
    execFileSync('mkfifo', [log()]);

    const outcome = await commandRestarter.restart(detached([node, '-e', '0']), restartContext(dir));

    expect(outcome).toEqual({ ok: false, error: `${log()} is not a regular file; remove it (rm ${log()})` });
  });

  it('refuses a log with a second hard link', async () => {
    await mkdir(join(dir, 'state', 'logs'), { recursive: true });
    await writeFile(join(dir, 'other'), '');
    execFileSync('ln', [join(dir, 'other'), log()]);

    const outcome = await commandRestarter.restart(detached([node, '-e', '0']), restartContext(dir));

    expect(outcome).toMatchObject({ ok: false, error: expect.stringContaining('has 2 hard links') });
  });

  it('appends to a regular log file', async () => {
    await mkdir(join(dir, 'state', 'logs'), { recursive: true });
    await writeFile(log(), 'earlier run\n');

    const outcome = await commandRestarter.restart(detached([node, '-e', 'console.log("this run")']), restartContext(dir));

    expect(outcome).toMatchObject({ ok: true });
    await (outcome.ok && outcome.exited);
    expect(await readFile(log(), 'utf8')).toBe('earlier run\nthis run\n');
  });
});

describe('command restarter: the exit of a detached service', () => {
  it('hands on how it exited and the last lines it wrote since it started, not those of earlier runs', async () => {
    await mkdir(join(dir, 'state', 'logs'), { recursive: true });
    await writeFile(log(), 'an earlier run said this\n');
    const script = 'for (let i = 1; i <= 8; i++) console.log("line " + i); console.error("\\u001b[31mcan\'t open file app.py\\u001b[0m"); process.exit(2)';

    const outcome = await commandRestarter.restart(spec({ run: [node, '-e', script], detach: true }), restartContext(dir));

    expect(outcome).toMatchObject({ ok: true, exited: expect.any(Promise) });
    const exit = await (outcome.ok ? outcome.exited : undefined);
    expect(exit).toEqual({ code: 2, signal: null, lastLines: ['line 5', 'line 6', 'line 7', 'line 8', "can't open file app.py"] });
  });

  it('gives the signal that killed it', async () => {
    const outcome = await commandRestarter.restart(spec({ run: [node, '-e', 'process.kill(process.pid, "SIGSEGV")'], detach: true }), restartContext(dir));
    expect(await (outcome.ok ? outcome.exited : undefined)).toEqual({ code: null, signal: 'SIGSEGV', lastLines: [] });
  });
});
