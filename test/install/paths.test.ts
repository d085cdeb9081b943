/** The interval, the node binary, the PATH and the sh quoting every schedule shares. */
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { scheduleInterval } from '../../src/install/interval.js';
import { cliPath, homeDir, packageRoot, plistTemplateUrl, schedulePath, stableNodePath } from '../../src/install/paths.js';
import { shellQuote } from '../../src/common/shell.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('the interval', () => {
  it.each([
    ['300', 300],
    ['60', 60],
    ['5m', 300],
    ['90s', 90],
    ['2h', 7_200],
    [' 600 ', 600],
  ])('--interval %j is %i s', (option, seconds) => {
    expect(scheduleInterval(option, 300_000, '/x/services.yaml')).toEqual({ seconds, source: `--interval ${option}` });
  });

  it("is the manifest's interval without --interval", () => {
    expect(scheduleInterval(undefined, 600_000, '/x/services.yaml')).toEqual({ seconds: 600, source: 'interval: 10m in /x/services.yaml' });
  });

  it.each(['0', '-5', '1.5', 'abc', '500ms', '0s', ''])('refuses --interval %j', (option) => {
    expect(() => scheduleInterval(option, 300_000, '/x/services.yaml')).toThrow(expect.objectContaining({ code: 'usage' }));
  });

  it('refuses a manifest interval that is not whole seconds, naming the manifest', () => {
    expect(() => scheduleInterval(undefined, 1_500, '/x/services.yaml')).toThrow('interval: 1500ms in /x/services.yaml: a schedule needs a whole number of seconds');
  });
});

describe('the paths a schedule names', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = '';
  });

  it('finds the package root from src/ and from a bundle chunk in dist/chunks/, so a schedule runs dist/cli.js', () => {
    expect(cliPath()).toBe(join(ROOT, 'dist', 'cli.js'));
    expect(packageRoot(join(ROOT, 'dist', 'chunks'))).toBe(ROOT);
    expect(packageRoot(join(ROOT, 'src', 'install'))).toBe(ROOT);
    expect(fileURLToPath(plistTemplateUrl())).toBe(join(ROOT, 'launchd', 'heal.plist.template'));
  });

  it('puts the node binary\'s folder first on PATH, then the usual system folders, without repeats', () => {
    expect(schedulePath('/opt/node-v20/bin/node')).toBe('/opt/node-v20/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin');
    expect(schedulePath('/usr/bin/node')).toBe('/usr/bin:/usr/local/bin:/bin:/usr/sbin:/sbin');
  });

  it('names node by a stable link on PATH when it is the same binary (a Homebrew Cellar path dies on upgrade)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'heal-node-'));
    await mkdir(join(dir, 'bin'));
    await mkdir(join(dir, 'other'));
    await symlink(process.execPath, join(dir, 'bin', 'node'));
    await copyFile(process.execPath, join(dir, 'other', 'node'));
    expect(stableNodePath(process.execPath, ['relative', join(dir, 'other'), join(dir, 'bin')].join(':'))).toBe(join(dir, 'bin', 'node'));
  });

  it('keeps process.execPath when no node on PATH is the same binary', async () => {
    dir = await mkdtemp(join(tmpdir(), 'heal-node-'));
    await copyFile(process.execPath, join(dir, 'node'));
    expect(stableNodePath(process.execPath, dir)).toBe(process.execPath);
    expect(stableNodePath(process.execPath, undefined)).toBe(process.execPath);
  });

  it('takes HOME from the environment', () => {
    expect(homeDir({ HOME: '/tmp/somewhere' })).toBe('/tmp/somewhere');
  });
});

describe('sh quoting', () => {
  it.each([
    ['/usr/local/bin/node', '/usr/local/bin/node'],
    ['PATH=/a:/b', 'PATH=/a:/b'],
    ['/a b', "'/a b'"],
    ["it's", `'it'\\''s'`],
    ['$HOME', "'$HOME'"],
    ['a&b;c|d', "'a&b;c|d'"],
    ['', "''"],
  ])('quotes %j as %s', (word, quoted) => {
    expect(shellQuote(word)).toBe(quoted);
  });
});
