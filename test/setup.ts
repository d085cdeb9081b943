// Runs in every test file's own process before its tests (vitest's forks pool, isolated).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

// Every test process (and the heal processes it starts) creates files with umask 022: heal, run as
// root, refuses a manifest that group or others may write, and a developer's umask must not decide
// whether the suite passes.
process.umask(0o022);

// The suite writes nothing outside its temp folders: HOME and the XDG folders (heal's manifest
// cache, its default state directory, `heal install`'s unit folder) point into a home of this
// file's own, removed when its tests end. Children inherit it; a workspace's `heal` gets its own.
const home = mkdtempSync(join(tmpdir(), 'heal-test-home-'));
Object.assign(process.env, {
  HOME: home,
  XDG_CACHE_HOME: join(home, '.cache'),
  XDG_STATE_HOME: join(home, '.local', 'state'),
  XDG_CONFIG_HOME: join(home, '.config'),
  XDG_DATA_HOME: join(home, '.local', 'share'),
});
// A developer's own settings must not leak into what the tests run.
for (const name of ['HEAL_CONFIG', 'HEAL_STATE_DIR', 'HEAL_CACHE_DIR', 'HEAL_LOG_LEVEL']) delete process.env[name];
afterAll(() => rmSync(home, { recursive: true, force: true }));
