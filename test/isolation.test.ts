/** The suite's own promise: it writes nothing outside its temp folders (see test/setup.ts). */
import { homedir, tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cacheDir } from '../src/manifest/cache.js';
import type { LoadedManifest } from '../src/manifest/load.js';
import { stateDirFor } from '../src/state/location.js';

describe('a test process', () => {
  it('has a HOME of its own inside the temp folder, so heal’s cache and default state land there', () => {
    const home = homedir();
    expect(home.startsWith(`${tmpdir()}/heal-test-home-`)).toBe(true);
    expect(cacheDir(process.env).startsWith(`${home}/`)).toBe(true);
    const noStateDir = { manifest: {}, baseDir: '/' } as unknown as LoadedManifest;
    expect(stateDirFor(undefined, {}, noStateDir).startsWith(`${home}/`)).toBe(true);
  });

  it('carries none of the developer’s HEAL_* settings', () => {
    expect(Object.keys(process.env).filter((name) => name.startsWith('HEAL_') && name !== 'HEAL_TEST_RESULTS')).toEqual([]);
  });
});
