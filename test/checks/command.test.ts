import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandChecker } from '../../src/checks/command.js';
import { commandCheck } from '../../src/checks/schema.js';
import { probePid } from '../../src/process/identity.js';
import { waitFor } from '../helpers/cli.js';
import { checkContext } from './context.js';

const node = process.execPath;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heal-command-check-'));
  await mkdir(join(dir, 'work'));
  await writeFile(join(dir, 'work', 'marker'), '');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Pids a test started in the background, killed when the file ends whatever happened. */
const background: number[] = [];
afterAll(() => {
  for (const pid of background) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

/** The pid a command wrote to `name` in the test folder, once it is there. */
async function pidIn(name: string): Promise<number> {
  const path = join(dir, name);
  await waitFor(async () => /^\d+$/.test((await readFile(path, 'utf8').catch(() => '')).trim()), 20_000);
  const pid = Number((await readFile(path, 'utf8')).trim());
  background.push(pid);
  return pid;
}

/** A node program that ignores SIGTERM, writes its pid to `file` once it does, and runs a minute. */
const stubborn = (file: string): string =>
  `${JSON.stringify(node)} -e 'process.on("SIGTERM", () => {}); require("fs").writeFileSync(${JSON.stringify(file)}, String(process.pid)); setTimeout(() => {}, 60000)'`;

function check(fields: Record<string, unknown>, timeoutMs = 5_000) {
  return commandChecker.run(commandCheck.parse({ type: 'command', ...fields }), checkContext(timeoutMs, { baseDir: dir }));
}

describe('command check', () => {
  it('passes a program that exits 0', async () => {
    expect(await check({ run: [node, '-e', 'process.exit(0)'] })).toMatchObject({ ok: true, detail: 'exit 0' });
  });

  it('fails a program that exits 1, with what it said', async () => {
    const outcome = await check({ run: [node, '-e', 'console.error("db unreachable"); process.exit(1)'] });
    expect(outcome).toMatchObject({ ok: false, error: 'exit 1: db unreachable' });
  });

  it('fails a program that does not exist', async () => {
    const outcome = await check({ run: ['heal-no-such-program-anywhere'] });
    expect(outcome).toMatchObject({ ok: false, error: 'heal-no-such-program-anywhere: not found' });
  });

  it('kills a program that runs past its timeout and fails it', async () => {
    // It would run past the test's own timeout: settling at all means it was cut, and the error says by what.
    const outcome = await check({ run: [node, '-e', 'setTimeout(() => {}, 120_000)'] }, 500);
    expect(outcome).toMatchObject({ ok: false, error: 'timed out after 500ms' });
  });

  it('runs in cwd resolved against the manifest folder', async () => {
    const probe = [node, '-e', 'process.exit(require("fs").existsSync("marker") ? 0 : 3)'];
    expect(await check({ run: probe, cwd: 'work' })).toMatchObject({ ok: true });
    expect(await check({ run: probe })).toMatchObject({ ok: false, error: 'exit 3' });
  });

  it('never uses a shell', async () => {
    const outcome = await check({ run: [node, '-e', 'process.exit(process.argv[1] === "$HOME; exit 7" ? 0 : 1)', '$HOME; exit 7'] });
    expect(outcome.ok).toBe(true);
  });

  it.each([
    ['stdout', 'process.stdout'],
    ['stderr', 'process.stderr'],
  ])('passes a program that writes 4 MiB to %s and exits 0: the exit decides, not the output', async (_name, stream) => {
    const outcome = await check({ run: [node, '-e', `${stream}.write("x".repeat(4 * 1024 * 1024), () => process.exit(0))`] }, 20_000);
    expect(outcome).toMatchObject({ ok: true, detail: 'exit 0' });
  });

  it('fails a program that writes 4 MiB and exits 3 with its first line, the rest read and dropped', async () => {
    const outcome = await check({ run: [node, '-e', 'process.stderr.write("disk full\\n" + "y".repeat(4 * 1024 * 1024), () => process.exit(3))'] }, 20_000);
    expect(outcome).toMatchObject({ ok: false, error: 'exit 3: disk full' });
  });

  it('is judged by its own exit when a background process it started keeps its stdout open', async () => {
    // The background sleep inherits the pipe: waiting for the pipe to close would time out.
    const outcome = await check({ run: ['/bin/sh', '-c', 'sleep 60 & echo $! > holder.pid; echo ready'] }, 15_000);
    expect(outcome).toMatchObject({ ok: true, detail: 'exit 0' });
    // …and what it left running is not heal's to end: the check passed.
    expect(probePid(await pidIn('holder.pid'))).toBe('alive');
  });

  it('ends its whole process group when it is cut short: a background process too, SIGKILLed when it ignores SIGTERM', async () => {
    await rm(join(dir, 'stubborn.pid'), { force: true });
    const cut = new AbortController();
    const running = commandChecker.run(
      commandCheck.parse({ type: 'command', run: ['/bin/sh', '-c', `${stubborn('stubborn.pid')} & sleep 60 & wait`] }),
      checkContext(60_000, { baseDir: dir, signal: cut.signal }),
    );
    const pid = await pidIn('stubborn.pid');
    cut.abort();
    expect(await running).toMatchObject({ ok: false, error: 'timed out after 1m' });
    await waitFor(() => probePid(pid) === 'gone', 20_000);
  });

  it.each([
    [['/usr/bin/pg_isready', '-h', 'localhost'], 'command /usr/bin/pg_isready -h localhost'],
    [['check', 'two words'], 'command check "two words"'],
  ])('describes %j as %s', (run, label) => {
    expect(commandChecker.describe(commandCheck.parse({ type: 'command', run }))).toBe(label);
  });
});
