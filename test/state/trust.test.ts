/**
 * Run as root, heal acts on what its state directory holds, so a state directory that another
 * user owns, or that group or others may write, is refused with the fix (exit 2), as a manifest
 * others may write is.
 */
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HealError } from '../../src/common/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import { acquireLock } from '../../src/state/lock.js';
import { ensureStateDir, loadState, untrustedStateDirProblem } from '../../src/state/store.js';
import { workspace } from '../helpers/cli.js';
import { builtCli } from '../reliability/support.js';
import { freshDir } from './helpers.js';

const ROOT = process.getuid?.() === 0;
const FIX = 'heal runs as root and would trust what others put there';

describe('untrustedStateDirProblem', () => {
  it.each([
    ['root, 0700, owned by root', 0o40700, 0, 0, undefined],
    ['root, 0755, owned by root', 0o40755, 0, 0, undefined],
    ['root, 0750, owned by root', 0o40750, 0, 0, undefined],
    ['not root, 0777, owned by another user', 0o40777, 1000, 501, undefined],
    ['heal not root at all (uid unknown)', 0o40777, 1000, undefined, undefined],
    ['root, 0777', 0o40777, 0, 0, `/s: state directory writable by group or others (mode 0777); ${FIX}: chmod go-w /s`],
    ['root, 1777 (sticky, like /tmp)', 0o41777, 0, 0, `/s: state directory writable by group or others (mode 1777); ${FIX}: chmod go-w /s`],
    ['root, 0770', 0o40770, 0, 0, `/s: state directory writable by group or others (mode 0770); ${FIX}: chmod go-w /s`],
    ['root, 0702', 0o40702, 0, 0, `/s: state directory writable by group or others (mode 0702); ${FIX}: chmod go-w /s`],
    ['root, 0700 owned by uid 1000', 0o40700, 1000, 0, `/s: state directory owned by uid 1000; ${FIX}: chown root /s`],
    ['root, 0777 owned by uid 1000', 0o40777, 1000, 0, `/s: state directory owned by uid 1000 and writable by group or others (mode 0777); ${FIX}: chown root /s && chmod go-w /s`],
  ])('%s', (_case, mode, owner, uid, expected) => {
    expect(untrustedStateDirProblem('/s', { mode, uid: owner }, uid)).toBe(expected);
  });
});

describe.runIf(ROOT)('as root, a state directory others control', () => {
  const cases = [
    ['mode 0777', 0o777, 0],
    ['mode 1777', 0o1777, 0],
    ['mode 0770', 0o770, 0],
    ['owned by uid 1000', 0o700, 1000],
  ] as const;

  it.each(cases)('%s: the lock, a save and a load are refused with the fix, and nothing is written', async (_case, mode, owner) => {
    const { dir, cleanup } = await freshDir('heal-trust-');
    try {
      const stateDir = join(dir, 'state');
      await mkdir(stateDir);
      await chmod(stateDir, mode);
      await chown(stateDir, owner, owner);
      const expected = untrustedStateDirProblem(stateDir, { mode: 0o40000 | mode, uid: owner }, 0);
      for (const attempt of [() => acquireLock(stateDir), () => ensureStateDir(stateDir), () => loadState(stateDir, silentLogger(), { readOnly: true })]) {
        const error = await attempt().then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(HealError);
        expect(error).toMatchObject({ code: 'config', message: expected });
      }
      expect(await readdir(stateDir)).toEqual([]);
    } finally {
      await cleanup();
    }
  });

  it.each(cases)('%s: heal scan, status and reset exit 2 with the one line, touching nothing', async (_case, mode, owner) => {
    await builtCli();
    const ws = await workspace('version: 1\nservices:\n  a:\n    checks: [ { type: command, run: [/bin/true] } ]\n');
    await mkdir(ws.stateDir);
    await chmod(ws.stateDir, mode);
    await chown(ws.stateDir, owner, owner);
    const line = untrustedStateDirProblem(ws.stateDir, { mode: 0o40000 | mode, uid: owner }, 0);
    for (const command of [['scan'], ['status'], ['reset', 'a']]) {
      const run = await ws.heal(...command);
      expect(run.code, `${command[0]}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toBe(`heal: ${line}\n`);
      expect(run.stdout).toBe('');
    }
    expect(await readdir(ws.stateDir)).toEqual([]);
    // The fix the line gives makes heal work again.
    await chown(ws.stateDir, 0, 0);
    await chmod(ws.stateDir, mode & ~0o022);
    expect((await ws.heal('scan')).code).toBe(0);
    expect(existsSync(join(ws.stateDir, 'state.json'))).toBe(true);
  });
});
