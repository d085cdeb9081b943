import { ConfigError } from '../common/errors.js';
import { loadManifest, manifestPath } from '../manifest/load.js';
import { programProblemLines } from '../manifest/programs.js';
import { print } from './context.js';

/**
 * `heal validate`: parse and check the manifest, touch nothing; exit 0 valid, 2 invalid. Beyond
 * the file itself, every program a restart or command check runs must exist and be executable,
 * and every `cwd` must be a folder (manifest/programs.ts), looked up with this shell's PATH.
 */
export async function validateCommand(options: { config?: string }): Promise<number> {
  const loaded = await loadManifest(manifestPath(options.config, process.env), process.env, { cache: false });
  const problems = await programProblemLines(loaded, process.env);
  if (problems.length) throw new ConfigError(problems);
  const { manifest, path } = loaded;
  const services = Object.values(manifest.services);
  const enabled = services.filter((s) => s.enabled).length;
  const checks = services.reduce((n, s) => n + s.checks.length, 0);
  const channels = Object.keys(manifest.alerts.channels).length;
  await print(
    `${path}: valid · ${services.length} service${services.length === 1 ? '' : 's'} (${enabled} enabled), ${checks} check${checks === 1 ? '' : 's'}, ${channels} alert channel${channels === 1 ? '' : 's'}\n`,
  );
  return 0;
}
