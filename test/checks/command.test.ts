import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandChecker } from '../../src/checks/command.js';
import { commandCheck } from '../../src/manifest/schema.js';
import { checkContext } from './context.js';

const node = process.execPath;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heal-command-check-'));
  await mkdir(join(dir, 'work'));
  await writeFile(join(dir, 'work', 'marker'), '');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

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
    const started = Date.now();
    const outcome = await check({ run: [node, '-e', 'setTimeout(() => {}, 30_000)'] }, 500);
    expect(outcome).toMatchObject({ ok: false, error: 'timed out after 500ms' });
    expect(Date.now() - started).toBeLessThan(3_000);
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
    [['/usr/bin/pg_isready', '-h', 'localhost'], 'command /usr/bin/pg_isready -h localhost'],
    [['check', 'two words'], 'command check "two words"'],
  ])('describes %j as %s', (run, label) => {
    expect(commandChecker.describe(commandCheck.parse({ type: 'command', run }))).toBe(label);
  });
});
