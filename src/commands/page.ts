import { resolve } from 'node:path';
import { HealError } from '../common/errors.js';
import { statusPagePath, writeStatusPage } from '../page/write.js';
import { loadState } from '../state/store.js';
import { openContext, print } from './context.js';

export type PageOptions = { config?: string; stateDir?: string; out?: string };

/** `heal page`: writes the status page now, to `--out` or the manifest's `status_page`; runs no check and takes no lock. */
export async function pageCommand(options: PageOptions, now = Date.now()): Promise<number> {
  const { loaded, logger, stateDir } = await openContext(options);
  const path = options.out !== undefined ? resolve(options.out) : statusPagePath(loaded);
  if (!path) throw new HealError('usage', `page: no file to write: give --out FILE, or set status_page (such as status/index.html) in ${loaded.path}`);
  const written = await writeStatusPage(path, { loaded, stateDir, state: await loadState(stateDir, logger, { readOnly: true }), now, logger });
  if (!written.ok) {
    process.stderr.write(`heal: ${written.error}\n`);
    return 1;
  }
  await print(`status page written: ${written.path}\n`);
  return 0;
}
