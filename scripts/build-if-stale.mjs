// `npm start`'s build: runs `npm run build` only when dist/ is older than one of its inputs (src/,
// scripts/bundle.mjs, package.json, tsconfig*.json) or missing. The build type-checks and bundles
// (some 15 s on a small machine); a scan takes a few tens of milliseconds, so an unchanged tree
// starts the scan at once. `node scripts/build-if-stale.mjs --check` only says whether it would build.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every file under `dir` (or `dir` itself), with its mtime; none when it does not exist. */
function files(dir) {
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    return [];
  }
  if (!stat.isDirectory()) return [{ path: dir, mtimeMs: stat.mtimeMs }];
  return readdirSync(dir).flatMap((name) => files(join(dir, name)));
}

const inputs = ['src', 'scripts/bundle.mjs', 'package.json', ...readdirSync('.').filter((name) => /^tsconfig.*\.json$/.test(name))].flatMap(files);
const built = files('dist');
const newestInput = inputs.reduce((newest, file) => (file.mtimeMs > newest.mtimeMs ? file : newest), { path: '', mtimeMs: 0 });
const oldestOutput = built.reduce((oldest, file) => Math.min(oldest, file.mtimeMs), Infinity);
const why = !built.some((file) => file.path === join('dist', 'cli.js')) ? 'dist/cli.js is missing' : newestInput.mtimeMs > oldestOutput ? `${newestInput.path} changed since the last build` : undefined;

if (process.argv.includes('--check')) {
  process.stdout.write(why ? `stale: ${why}\n` : 'fresh: dist/ is newer than every input\n');
} else if (why) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['run', 'build', '--silent'], { stdio: 'inherit' });
  process.exitCode = run.status ?? 1;
}
