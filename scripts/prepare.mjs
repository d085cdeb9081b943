// npm's `prepare`: builds dist/ (the bundle only; `npm run build` also type-checks) when heal is
// installed from git (`npm install -g --install-links git+https://…`), when `npm pack` makes the
// tarball, and after `npm ci` in a clone.
//
// For a git dependency npm clones the repository and runs `npm install --include=dev` in the
// clone before `prepare`, so the bundler is there. But npm exports its own command line's config
// to its children (@npmcli/config set-envs.js: npm_config_global=true, npm_config_prefix=…), so
// under `npm install -g` that inner install is a global one and the clone is left without its
// devDependencies (npm/cli#8440). Then they are installed here, into the clone, within a time
// limit. `--install-links` is the user's half: without it npm links the global package to its
// temporary clone, which it then deletes (npm/cli#4148, #6984, #9406).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const INSTALL_TIMEOUT_MS = 10 * 60_000;

function hasBundler() {
  try {
    createRequire(import.meta.url).resolve('esbuild');
    return true;
  } catch {
    return false;
  }
}

if (!hasBundler()) {
  const env = { ...process.env, npm_config_global: 'false' };
  delete env.npm_config_prefix;
  const npm = process.env.npm_execpath;
  const [command, args] = npm ? [process.execPath, [npm]] : ['npm', []];
  const result = spawnSync(
    command,
    [...args, 'install', '--include=dev', '--ignore-scripts', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `--prefix=${process.cwd()}`],
    { env, stdio: 'inherit', timeout: INSTALL_TIMEOUT_MS },
  );
  if (result.status !== 0) {
    console.error(`heal prepare: installing the build's devDependencies failed (${result.error?.message ?? `exit ${result.status}`}); run npm install in the clone, then npm run build`);
    process.exit(1);
  }
}

await import('./bundle.mjs');
