/** What parseManifest says of a manifest text, for the manifest's tests. */
import { ConfigError } from '../../src/common/errors.js';
import { parseManifest } from '../../src/manifest/parse.js';

/** The problems a manifest text produces, or [] when it is valid. */
export function problemsOf(text: string, env: Record<string, string> = {}): readonly string[] {
  try {
    parseManifest(text, env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}
