import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ManifestFileError } from '../../src/common/errors.js';
import { manifestFileProblem } from '../../src/manifest/file-problem.js';
import { loadManifest } from '../../src/manifest/load.js';

describe('a manifest file heal cannot read says why and the fix, in one line', () => {
  it.each([
    ['ENOENT', '/srv/services.yaml: not found: create it, or pass --config FILE / set HEAL_CONFIG'],
    ['ENOTDIR', '/srv/services.yaml: not found: create it, or pass --config FILE / set HEAL_CONFIG'],
    ['EACCES', '/srv/services.yaml: cannot read it (EACCES: permission denied): let the user heal runs as (uid 501) read it and enter its folders (chmod u+r, or chown)'],
    ['directory', '/srv/services.yaml: a folder, not a file: pass the manifest in it (--config /srv/services.yaml/services.yaml)'],
    ['EIO', '/srv/services.yaml: cannot read it (EIO): pass a readable file with --config FILE or HEAL_CONFIG'],
  ])('%s', (code, line) => {
    expect(manifestFileProblem('/srv/services.yaml', code, 501)).toBe(line);
  });

  it('leaves the uid out where the platform has none', () => {
    expect(manifestFileProblem('/m.yaml', 'EPERM', undefined)).toBe('/m.yaml: cannot read it (EPERM: permission denied): let the user heal runs as read it and enter its folders (chmod u+r, or chown)');
  });
});

describe('loading such a file', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'heal-file-problem-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const refusal = async (path: string): Promise<ConfigError> => {
    const error = await loadManifest(path, {}, { cache: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ManifestFileError);
    return error as ConfigError;
  };

  it('a missing file is not found, not invalid', async () => {
    const path = join(dir, 'nope', 'services.yaml');
    expect((await refusal(path)).problems).toEqual([`${path}: not found: create it, or pass --config FILE / set HEAL_CONFIG`]);
  });

  it('a folder is named as one, with the file to pass instead', async () => {
    const path = join(dir, 'conf');
    await mkdir(path);
    expect((await refusal(path)).problems).toEqual([`${path}: a folder, not a file: pass the manifest in it (--config ${path}/services.yaml)`]);
  });

  it('an empty file says it is empty and what to write', async () => {
    const path = join(dir, 'empty.yaml');
    await writeFile(path, '');
    expect((await refusal(path)).problems).toEqual(['manifest: the file is empty (no YAML in it, or only comments): write at least `version: 1` and `services:` with one service']);
  });
});
