import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const SCRIPT = join(ROOT, 'scripts', 'build-if-stale.mjs');
const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A project folder whose inputs are `inputAge` seconds old and whose dist/ (when given) is `distAge` old. */
function project(inputAge: number, distAge?: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'heal-build-'));
  folders.push(dir);
  const now = Date.now() / 1000;
  const put = (path: string, age: number) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), 'x');
    utimesSync(join(dir, path), now - age, now - age);
  };
  for (const input of ['src/cli.ts', 'src/scan/index.ts', 'scripts/bundle.mjs', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) put(input, inputAge + 100);
  if (distAge !== undefined) for (const output of ['dist/cli.js', 'dist/chunks/scan-1.js']) put(output, distAge);
  return dir;
}

const check = (dir: string) => execFileSync(process.execPath, [SCRIPT, '--check'], { cwd: dir, encoding: 'utf8' });

describe('build-if-stale (npm start)', () => {
  it('skips the build when dist/ is newer than every input', () => {
    expect(check(project(0, 10))).toBe('fresh: dist/ is newer than every input\n');
  });

  it('builds when dist/cli.js is missing', () => {
    expect(check(project(0))).toBe('stale: dist/cli.js is missing\n');
  });

  it.each(['src/scan/index.ts', 'scripts/bundle.mjs', 'package.json', 'tsconfig.build.json'])('builds when %s changed after the build', (input) => {
    const dir = project(0, 10);
    const now = Date.now() / 1000;
    utimesSync(join(dir, input), now, now);
    expect(check(dir)).toBe(`stale: ${input} changed since the last build\n`);
  });
});
