import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec } from '../../src/deps.js';
import { loadManifest } from '../../src/manifest/load.js';
import { parseManifest } from '../../src/manifest/parse.js';
import { programProblemLines, programProblems } from '../../src/manifest/programs.js';
import { ROOT } from '../helpers/cli.js';

/*
 * A folder laid out like a service's: the manifest's folder holds bin/ (executables), sbin/ (a
 * program without its x bit), app/ (a cwd with its own ./run.sh), a second PATH folder, and a
 * folder named like a program.
 */
let base = '';
const SCRIPT = '#!/bin/sh\nexit 0\n';

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'heal-programs-'));
  for (const folder of ['bin', 'sbin', 'app', 'app/tools', 'other', 'folder-named/prog']) await mkdir(join(base, folder), { recursive: true });
  for (const file of ['bin/start', 'app/run.sh', 'app/tools/check', 'other/only-here', 'start-here']) await writeFile(join(base, file), SCRIPT, { mode: 0o755 });
  await writeFile(join(base, 'sbin/start'), SCRIPT, { mode: 0o644 });
  await writeFile(join(base, 'sbin/lonely'), SCRIPT, { mode: 0o644 });
  await chmod(join(base, 'sbin/start'), 0o644);
});
afterAll(() => rm(base, { recursive: true, force: true }));

/** A one-service manifest whose restart is `restart` (YAML flow mapping body). */
function withRestart(restart: string, extra = ''): string {
  return `version: 1\nservices:\n  api:\n    checks: [ { type: port, port: 1 } ]\n    restart: { type: command, ${restart} }\n${extra}`;
}

function withCheck(check: string): string {
  return `version: 1\nservices:\n  api:\n    checks:\n      - { type: port, port: 1 }\n      - { type: command, ${check} }\n`;
}

async function problems(text: string, env: Record<string, string | undefined> = { PATH: '/usr/bin:/bin' }): Promise<string[]> {
  const parsed = parseManifest(text, env);
  return programProblemLines({ ...parsed, baseDir: base }, env);
}

describe('programs a manifest runs', () => {
  it('names a run program that does not exist, by path and line', async () => {
    expect(await problems(withRestart('run: [/usr/bin/pythn3, app.py]'))).toEqual(['services.api.restart.run[0]: /usr/bin/pythn3 does not exist (line 5)']);
  });

  it.each([
    ['a program relative to the manifest folder', 'run: [bin/start]', []],
    ['a program relative to cwd', 'run: [./run.sh], cwd: app', []],
    ['a deeper program relative to cwd', 'run: [tools/check], cwd: app', []],
    ['a relative program missing from cwd', 'run: [bin/start], cwd: app', [`services.api.restart.run[0]: bin/start (${join('/BASE', 'app/bin/start')}) does not exist (line 5)`]],
    ['a program without its x bit', 'run: [sbin/start]', [`services.api.restart.run[0]: sbin/start (/BASE/sbin/start) is not executable: chmod +x /BASE/sbin/start (line 5)`]],
    ['a folder', 'run: [./app]', ['services.api.restart.run[0]: ./app (/BASE/app) is a folder, not a program (line 5)']],
    ['a stop program that does not exist', 'run: [bin/start], stop: [bin/stop]', ['services.api.restart.stop[0]: bin/stop (/BASE/bin/stop) does not exist (line 5)']],
    ['a cwd that does not exist', 'run: [/bin/sh], cwd: nowhere', ['services.api.restart.cwd: nowhere (/BASE/nowhere) does not exist: the command could not start in it (line 5)']],
    ['a cwd that is a file', 'run: [/bin/sh], cwd: start-here', ['services.api.restart.cwd: start-here (/BASE/start-here) is not a folder (line 5)']],
    ['a bare name on heal\'s PATH', 'run: [sh]', []],
    ['a bare name on the restart\'s own env.PATH only', 'run: [only-here], env: { PATH: "/BASE/other" }', []],
    ['a bare name missing from the restart\'s env.PATH', 'run: [sh], env: { PATH: "/BASE/other" }', ['services.api.restart.run[0]: sh is not found on its env.PATH (/BASE/other): give its full path or set env.PATH (line 5)']],
    ['a bare name found through a relative PATH entry (read from cwd)', 'run: [check], cwd: app, env: { PATH: "tools" }', []],
    ['a bare name found through an empty PATH entry (cwd)', 'run: [run.sh], cwd: app, env: { PATH: "/nonexistent::/usr/bin" }', []],
    ['a bare name whose first match is not executable, then an executable one', 'run: [start], env: { PATH: "/BASE/sbin:/BASE/bin" }', []],
    ['a bare name whose only match is not executable', 'run: [lonely], env: { PATH: "/BASE/sbin" }', ['services.api.restart.run[0]: lonely is on the PATH only as /BASE/sbin/lonely, which is not executable: chmod +x /BASE/sbin/lonely (line 5)']],
    ['a bare name that matches only a folder', 'run: [prog], env: { PATH: "/BASE/folder-named" }', ['services.api.restart.run[0]: prog is not found on its env.PATH (/BASE/folder-named): give its full path or set env.PATH (line 5)']],
  ])('%s', async (_what, restart, expected) => {
    const text = withRestart(restart.replaceAll('/BASE', base));
    expect(await problems(text)).toEqual(expected.map((line) => line.replaceAll('/BASE', base)));
  });

  it('looks a check\'s bare program up on heal\'s own PATH, and its relative one in its cwd', async () => {
    expect(await problems(withCheck('run: [only-here]'), { PATH: join(base, 'other') })).toEqual([]);
    expect(await problems(withCheck('run: [only-here]'), { PATH: '/usr/bin:/bin' })).toEqual([
      'services.api.checks[1].run[0]: only-here is not found on the PATH heal runs with (/usr/bin:/bin): give its full path (line 6)',
    ]);
    expect(await problems(withCheck('run: [./check], cwd: app/tools'))).toEqual([]);
    expect(await problems(withCheck('run: [./check], cwd: gone'))).toEqual([
      `services.api.checks[1].run[0]: ./check (${base}/gone/check) does not exist (line 6)`,
      `services.api.checks[1].cwd: gone (${base}/gone) does not exist: the command could not start in it (line 6)`,
    ]);
  });

  it('searches /usr/bin:/bin when heal has no PATH at all, as the child process would', async () => {
    expect(await problems(withRestart('run: [sh]'), {})).toEqual([]);
  });

  it('leaves disabled services alone, and only the services asked for when asked', async () => {
    const text = `version: 1
services:
  a:
    enabled: false
    checks: [ { type: port, port: 1 } ]
    restart: { type: command, run: [/nope/a] }
  b:
    checks: [ { type: port, port: 1 } ]
    restart: { type: command, run: [/nope/b] }
  c:
    checks: [ { type: port, port: 1 } ]
    restart: { type: command, run: [/nope/c] }
`;
    const { manifest } = parseManifest(text, {});
    expect((await programProblems(manifest, base, {})).map((p) => p.path.join('.'))).toEqual(['services.b.restart.run.0', 'services.c.restart.run.0']);
    expect((await programProblems(manifest, base, {}, ['c'])).map((p) => p.path.join('.'))).toEqual(['services.c.restart.run.0']);
  });

  it('keeps a value from the environment out of the line', async () => {
    const env = { PATH: '/usr/bin:/bin', APP_HOME: '/opt/s3cr3t-home' };
    expect(await problems(withRestart('run: ["${APP_HOME}/bin/api"]'), env)).toEqual(['services.api.restart.run[0]: [redacted]/bin/api does not exist (line 5)']);
  });

  it('finds nothing wrong with the bundled services.yaml', async () => {
    const loaded = await loadManifest(join(ROOT, 'services.yaml'), process.env, { cache: false });
    expect(await programProblemLines(loaded, process.env)).toEqual([]);
  });

  it('locates a problem from a cached manifest as from a parsed one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'heal-programs-cache-'));
    try {
      const path = join(dir, 'services.yaml');
      await writeFile(path, withRestart('run: [/usr/bin/pythn3]', '  other:\n    checks: [ { type: port, port: 1 } ]\n    restart: { type: command, run: [/bin/sh], cwd: missing }\n'));
      const env = { PATH: '/usr/bin:/bin', HEAL_CACHE_DIR: join(dir, 'cache') };
      const fresh = await loadManifest(path, env);
      const cached = await loadManifest(path, env);
      const expected = ['services.api.restart.run[0]: /usr/bin/pythn3 does not exist (line 5)', `services.other.restart.cwd: missing (${dir}/missing) does not exist: the command could not start in it (line 8)`];
      expect(await programProblemLines(fresh, env)).toEqual(expected);
      expect(await programProblemLines(cached, env)).toEqual(expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the answer agrees with starting the program', () => {
  // Each is run for real through deps.exec, with the same cwd and env a command restart gets: a
  // program reported as unstartable is exactly one the child process cannot start.
  it.each([
    ['/usr/bin/pythn3', undefined, undefined],
    ['bin/start', undefined, undefined],
    ['./run.sh', 'app', undefined],
    ['bin/start', 'app', undefined],
    ['sbin/start', undefined, undefined],
    ['./app', undefined, undefined],
    ['sh', undefined, undefined],
    ['sh', undefined, '/BASE/other'],
    ['only-here', undefined, '/BASE/other'],
    ['check', 'app', 'tools'],
    ['run.sh', 'app', '/nonexistent::/usr/bin'],
    ['start', undefined, '/BASE/sbin:/BASE/bin'],
    ['lonely', undefined, '/BASE/sbin'],
    ['prog', undefined, '/BASE/folder-named'],
  ])('%s (cwd %s, PATH %s)', async (program, cwd, path) => {
    const envPath = path?.replaceAll('/BASE', base);
    const restart = `run: [${JSON.stringify(program)}]${cwd ? `, cwd: ${cwd}` : ''}${envPath !== undefined ? `, env: { PATH: ${JSON.stringify(envPath)} }` : ''}`;
    const reported = (await problems(withRestart(restart), process.env)).length > 0;
    const ran = await exec([program], { timeoutMs: 10_000, cwd: join(base, cwd ?? '.'), ...(envPath !== undefined ? { env: { PATH: envPath } } : {}) });
    expect(reported, `${ran.failure}`).toBe(Boolean(ran.notFound));
  });
});
