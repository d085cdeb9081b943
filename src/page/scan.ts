/** The status page after a full scan: written when the manifest asks, never at the scan's cost. */
import type { PageSources } from './write.js';
import { statusPagePath, writeStatusPage } from './write.js';

/**
 * Rewrites the manifest's `status_page` (when it has one) from the scan's final state. A page
 * that cannot be written is a warning — logged, and returned for the report — never a failed scan.
 */
export async function statusPageAfterScan(sources: PageSources): Promise<string | undefined> {
  const path = statusPagePath(sources.loaded);
  if (!path) return undefined;
  const written = await writeStatusPage(path, sources);
  if (written.ok) return undefined;
  sources.logger.warn({ page: path }, written.error);
  return written.error;
}
