import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileChecker } from '../../src/checks/file.js';
import { fileCheck } from '../../src/checks/schema.js';
import { checkContext } from './context.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heal-file-check-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Writes a heartbeat file last touched `ageMs` ago. */
async function heartbeat(name: string, ageMs: number): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, 'beat\n');
  const when = new Date(Date.now() - ageMs);
  await utimes(path, when, when);
  return path;
}

function check(path: string, maxAge: string) {
  return fileChecker.run(fileCheck.parse({ type: 'file', path, max_age: maxAge }), checkContext(2_000, { baseDir: dir }));
}

describe('file check', () => {
  it('passes a heartbeat touched within max_age', async () => {
    const path = await heartbeat('heartbeat', 5_000);
    expect(await check(path, '1m')).toMatchObject({ ok: true, detail: '5s old' });
  });

  it('fails an expired heartbeat, saying how old it is', async () => {
    await heartbeat('heartbeat', 130_000);
    expect(await check('heartbeat', '1m')).toMatchObject({ ok: false, error: 'heartbeat is 2m10s old (max 1m)' });
  });

  it('fails a missing file', async () => {
    expect(await check('nope/heartbeat', '1m')).toMatchObject({ ok: false, error: 'no such file nope/heartbeat' });
  });

  it('reads a relative path from the manifest folder', async () => {
    await heartbeat('relative.beat', 1_000);
    expect(await check('relative.beat', '10s')).toMatchObject({ ok: true });
    expect(await check('./relative.beat', '10s')).toMatchObject({ ok: true });
  });

  it('measures age against the clock in deps', async () => {
    const path = await heartbeat('heartbeat', 0);
    const ctx = checkContext(2_000, { baseDir: dir });
    const later = { ...ctx, deps: { ...ctx.deps, now: () => Date.now() + 3_600_000 } };
    const outcome = await fileChecker.run(fileCheck.parse({ type: 'file', path, max_age: '5m' }), later);
    expect(outcome).toMatchObject({ ok: false, error: `${path} is 1h old (max 5m)` });
  });

  describe('a heartbeat modified in the future (the clock was set back since it was written)', () => {
    // One clock for the file's time and the check: the real one, read once.
    const NOW = Date.now();
    async function touchedAt(name: string, at: number): Promise<string> {
      const path = join(dir, name);
      await writeFile(path, 'beat\n');
      await utimes(path, new Date(at), new Date(at));
      return path;
    }
    const checkAt = (path: string, maxAge: string) => {
      const ctx = checkContext(2_000, { baseDir: dir });
      return fileChecker.run(fileCheck.parse({ type: 'file', path, max_age: maxAge }), { ...ctx, deps: { ...ctx.deps, now: () => NOW } });
    };

    it.each([
      ['a day ahead', 86_400_000, '2m', { ok: false, error: 'beat was modified 1d in the future (clock change?)' }],
      ['an hour ahead, max_age 1d', 3_600_000, '1d', { ok: false, error: 'beat was modified 1h in the future (clock change?)' }],
      ['6s ahead: past the 5s tolerance', 6_000, '2m', { ok: false, error: 'beat was modified 6s in the future (clock change?)' }],
      ['5s ahead: within the tolerance, fresh', 5_000, '2m', { ok: true, detail: '0ms old' }],
      ['1s ahead: within the tolerance, fresh', 1_000, '2m', { ok: true, detail: '0ms old' }],
      ['2s ahead, max_age 1s: the tolerance is never more than max_age', 2_000, '1s', { ok: false, error: 'beat was modified 2s in the future (clock change?)' }],
    ])('%s: %j', async (_what, aheadMs, maxAge, outcome) => {
      await touchedAt('beat', NOW + aheadMs);
      expect(await checkAt('beat', maxAge)).toMatchObject(outcome);
    });
  });

  it('describes itself by its path', () => {
    expect(fileChecker.describe(fileCheck.parse({ type: 'file', path: 'run/beat', max_age: '1m' }))).toBe('file run/beat');
  });
});
