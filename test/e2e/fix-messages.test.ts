/**
 * Problems that say the fix, through the built CLI as a new user meets them: exit 2, one stderr
 * line per problem (a manifest that is not there, or cannot be read, is one line alone), nothing
 * on stdout, no stack trace, no state.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runHeal, type HealRun } from '../helpers/cli.js';
import { nodeForOthers } from '../helpers/node-for-others.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heal-fix-messages-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Exit 2, nothing on stdout, no stack trace; the stderr lines. */
function refused(run: HealRun): string[] {
  expect({ code: run.code, stdout: run.stdout, trace: /\n\s+at |Error:/.test(run.stderr) }).toEqual({ code: 2, stdout: '', trace: false });
  return run.stderr.split('\n').slice(0, -1);
}

describe('a manifest heal cannot read: one line with the fix', () => {
  it('not there: not found, and no state directory made', { timeout: 120_000 }, async () => {
    const path = join(dir, 'nowhere', 'services.yaml');
    const stateDir = join(dir, 'state-missing');
    expect(refused(await runHeal(['scan', '--config', path, '--state-dir', stateDir], { cwd: dir }))).toEqual([`${path}: not found: create it, or pass --config FILE / set HEAL_CONFIG`]);
    expect(existsSync(stateDir)).toBe(false);
  });

  it('no --config and no services.yaml here: the default path, not found', { timeout: 120_000 }, async () => {
    const here = join(dir, 'empty-folder');
    await mkdir(here);
    expect(refused(await runHeal(['validate'], { cwd: here }))).toEqual([`${join(here, 'services.yaml')}: not found: create it, or pass --config FILE / set HEAL_CONFIG`]);
  });

  it('a folder', { timeout: 120_000 }, async () => {
    const folder = join(dir, 'conf');
    await mkdir(folder, { recursive: true });
    expect(refused(await runHeal(['validate', '--config', folder]))).toEqual([`${folder}: a folder, not a file: pass the manifest in it (--config ${folder}/services.yaml)`]);
  });

  it('an empty file', { timeout: 120_000 }, async () => {
    const path = join(dir, 'empty.yaml');
    await writeFile(path, '# to do\n');
    expect(refused(await runHeal(['validate', '--config', path]))).toEqual(['manifest: the file is empty (no YAML in it, or only comments): write at least `version: 1` and `services:` with one service']);
  });

  it('a file heal may not read (EACCES): as root, the CLI runs as nobody', { timeout: 120_000 }, async () => {
    // Root reads any file: the refusal is seen by nobody (uid 65534), running a copy of the build.
    const root = process.getuid?.() === 0;
    const place = join(dir, 'private');
    await mkdir(place, { recursive: true });
    const path = join(place, 'services.yaml');
    await writeFile(path, 'version: 1\nservices: {}\n');
    await chmod(path, root ? 0o600 : 0o000);
    const cli = join(dir, 'build', 'cli.js');
    await cp(join(CLI, '..'), join(dir, 'build'), { recursive: true });
    for (const folder of [dir, place, join(dir, 'build'), join(dir, 'build', 'chunks')]) await chmod(folder, 0o755);
    const run = await new Promise<HealRun>((resolve) => {
      execFile(
        root ? nodeForOthers() : process.execPath,
        [cli, 'validate', '--config', path],
        { cwd: '/', env: { PATH: process.env.PATH ?? '', HOME: dir, HEAL_CONFIG: '' }, timeout: 60_000, ...(root ? { uid: 65534, gid: 65534 } : {}) },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
      );
    });
    const uid = root ? 65534 : process.getuid?.();
    expect(refused(run)).toEqual([`${path}: cannot read it (EACCES: permission denied): let the user heal runs as (uid ${uid}) read it and enter its folders (chmod u+r, or chown)`]);
  });
});

describe('a manifest a new user wrote', () => {
  it('says each fix on its line, then how many', { timeout: 120_000 }, async () => {
    const path = join(dir, 'first-try.yaml');
    await writeFile(
      path,
      `version: 1
services:
  api:
    checks:
      - { type: http, url: 127.0.0.1:3000/health, body_contain: ok }
      - { type: http, url: "http://127.0.0.1:3000/", status: "200" }
    cooldown: 1m30s
  web:
    restart: { type: command, run: [/bin/true] }
  checks:
    - { type: port, port: 3001 }
`,
    );
    expect(refused(await runHeal(['validate', '--config', path]))).toEqual([
      'services.api.checks[0].url: not a URL: add http:// (http://127.0.0.1:3000/health) (line 5)',
      'services.api.checks[0].body_contain: unknown key: did you mean body_contains? (line 5)',
      'services.api.checks[1].status: a number, not a string: write status: 200 (line 6)',
      'services.web.checks: required (line 9)',
      'services.checks: a service named checks? `checks:` belongs inside a service: indent it under web (line 10)',
      'heal: the manifest is invalid (5 problems)',
    ]);
  });

  it("a service's keys indented too far", { timeout: 120_000 }, async () => {
    const path = join(dir, 'indented.yaml');
    await writeFile(path, 'version: 1\nservices:\n  api:\n      checks:\n        - { type: port, port: 3000 }\n    restart: { type: command, run: [/bin/true] }\n');
    expect(refused(await runHeal(['validate', '--config', path]))).toEqual([
      'services.api.checks: indented 6 spaces, but restart: (line 6), a key of the same mapping, 4: move lines 4–5 2 spaces left (line 4)',
      'heal: the manifest is invalid (1 problem)',
    ]);
  });
});
