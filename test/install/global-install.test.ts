/**
 * heal installed the way people install CLIs, with the real npm into temporary prefixes: from a
 * `git+file://` URL of a fresh clone of this repository's HEAD, and from the tarball `npm pack`
 * makes in a checkout. Each installed `heal` must run: --version, validate, a scan against a real
 * port, and `heal install … --print` naming the installed copy's cli.js (its realpath) and the
 * node that runs it.
 *
 * From git: `npm install -g --install-links <git URL>`. npm clones it and, for a package with a
 * `prepare` script, runs an install in the clone first; under `-g` npm exports `global=true` to that
 * inner install, which leaves the clone without the bundler (npm/cli#8440) — scripts/prepare.mjs
 * installs it there — and, without `--install-links`, links the global package to the temporary
 * clone it then deletes, leaving `heal` pointing at nothing (npm/cli#4148, #6984, #9406; seen here
 * with npm 11.19).
 *
 * The installs download heal's dependencies from the npm registry (into one npm cache of this
 * file's, so later installs reuse what the first fetched): minutes on a loaded machine. npm runs
 * on the real clock: the registry's TLS certificates are judged by it (CI's +400 days run would
 * find them expired), so faketime's variables are left out of npm's environment.
 */
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/** One install with a cold cache, on a two-core machine other test runs share. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;

let dir = '';
let clone = '';
let server: Server;
let port = 0;

/** PATH with the node running the tests first: npm, and `#!/usr/bin/env node`, find that node. */
const PATH = [dirname(process.execPath), process.env.PATH].filter(Boolean).join(delimiter);

/** The environment without faketime's preload: npm's TLS needs the real date. */
function realClock(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'LD_PRELOAD' && !name.startsWith('FAKETIME')));
}

type Run = { code: number; stdout: string; stderr: string };

function run(file: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd ?? dir,
        env: { ...(file === 'npm' ? realClock(process.env) : process.env), PATH, npm_config_cache: join(dir, 'npm-cache'), npm_config_update_notifier: 'false', HEAL_CONFIG: '', HEAL_STATE_DIR: '' },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 32 * 1024 * 1024,
      },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

async function ok(file: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  const result = await run(file, args, options);
  if (result.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${result.code}: ${result.stderr.trim().split('\n').slice(-15).join('\n')}`);
  return result.stdout;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heal-global-'));
  clone = join(dir, 'repo');
  // What a user's `npm install -g git+https://…` fetches: the committed tree, no dist/, no node_modules.
  await ok('git', ['clone', '--quiet', '--no-hardlinks', ROOT, clone]);
  server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
}, 120_000);

afterAll(async () => {
  server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The one heal-<version>.tgz npm pack wrote into `packs`. */
async function onlyTarball(packs: string): Promise<string> {
  const tarballs = (await readdir(packs)).filter((name) => /^heal-\d+\.\d+\.\d+\.tgz$/.test(name));
  expect(tarballs, 'npm pack wrote heal-<version>.tgz').toHaveLength(1);
  return join(packs, tarballs[0] as string);
}

/** Runs the installed heal through `<prefix>/bin/heal` and checks what a user would run first. */
async function expectWorkingHeal(prefix: string): Promise<void> {
  const heal = join(prefix, 'bin', 'heal');
  expect(existsSync(heal), `${heal} exists`).toBe(true);
  const installedCli = realpathSync(join(prefix, 'lib', 'node_modules', 'heal', 'dist', 'cli.js'));
  expect(realpathSync(heal)).toBe(installedCli);

  const version = await ok(heal, ['--version']);
  expect(version.trim()).toMatch(/^\d+\.\d+\.\d+$/);

  const project = await mkdtemp(join(dir, 'project-'));
  const manifest = join(project, 'services.yaml');
  await writeFile(manifest, `version: 1\nstate_dir: state\nservices:\n  tiny:\n    checks: [ { type: port, port: ${port} } ]\n`);
  expect(await ok(heal, ['validate', '--config', manifest])).toContain(`${manifest}: valid · 1 service`);

  const scan = JSON.parse(await ok(heal, ['scan', '--config', manifest, '--json'], { timeoutMs: 120_000 })) as { services: { name: string; status: string }[] };
  expect(scan.services).toEqual([expect.objectContaining({ name: 'tiny', status: 'up' })]);

  const cron = await ok(heal, ['install', 'cron', '--print', '--config', manifest]);
  expect(cron).toContain(` ${installedCli} scan --config ${manifest} `);
  expect(cron).toMatch(/ \/\S+\/node /);
  const systemd = await ok(heal, ['install', 'systemd', '--print', '--config', manifest]);
  expect(systemd).toMatch(new RegExp(`^ExecStart=/\\S+/node ${installedCli.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} scan --config `, 'm'));
}

describe('npm install -g', () => {
  it('from a git+file:// URL of a fresh clone: npm install -g --install-links builds dist/ (prepare) and heal runs from the prefix', async () => {
    const prefix = join(dir, 'from-git');
    await ok('npm', ['install', '-g', '--install-links', '--prefix', prefix, '--no-audit', '--no-fund', `git+file://${clone}`], { timeoutMs: INSTALL_TIMEOUT_MS });
    await expectWorkingHeal(prefix);
  }, INSTALL_TIMEOUT_MS + 120_000);

  it('from the tarball npm pack makes (prepare builds it into the tarball): heal runs from the prefix', async () => {
    // A developer's checkout: the repository's own node_modules, as after npm ci.
    await symlink(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    const packs = join(dir, 'packs');
    await mkdir(packs);
    await ok('npm', ['pack', '--silent', '--pack-destination', packs], { cwd: clone, timeoutMs: 300_000 });
    const tarball = await onlyTarball(packs);
    const prefix = join(dir, 'from-tarball');
    await ok('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', tarball], { timeoutMs: INSTALL_TIMEOUT_MS });
    await expectWorkingHeal(prefix);
  }, INSTALL_TIMEOUT_MS + 120_000);
});
