/**
 * The quick HTTP probe of `heal init`: every usual health path of every port, all at once (up to
 * a scan's concurrency), each GET within a short timeout; the first path in {@link HEALTH_PATHS} order that answered 2xx is
 * the port's.
 */
import { forEachLimited } from '../checks/run.js';
import { sendRequest } from '../common/http-request.js';
import { DEFAULT_CONCURRENCY } from '../manifest/defaults.js';
import { healthUrl } from './proposal.js';
import type { HealthPaths, Listener } from './types.js';

/** The paths tried, in the order one is preferred. */
export const HEALTH_PATHS = ['/health', '/healthz', '/status', '/'] as const;

/** How long one probe may take. */
export const PROBE_TIMEOUT_MS = 1_500;

/** The first path (in `paths` order) whose answer was 2xx, or undefined (pure). */
export function chooseHealthPath(answers: readonly { path: string; status: number | undefined }[], paths: readonly string[] = HEALTH_PATHS): string | undefined {
  return paths.find((path) => answers.some((a) => a.path === path && a.status !== undefined && a.status >= 200 && a.status < 300));
}

/** How many probes run at once: as many as a scan's checks. */
export const PROBE_CONCURRENCY = DEFAULT_CONCURRENCY;

/** Probes every listener's health paths at once (at most {@link PROBE_CONCURRENCY} requests in flight); by port, the path that answered 2xx. */
export async function probeHealthPaths(listeners: readonly Listener[], timeoutMs = PROBE_TIMEOUT_MS): Promise<HealthPaths> {
  const answers = new Map<number, { path: string; status: number | undefined }[]>();
  const probes = listeners.flatMap((listener) => HEALTH_PATHS.map((path) => ({ listener, path })));
  await forEachLimited(probes, PROBE_CONCURRENCY, async ({ listener, path }) => {
    const reply = await sendRequest(new URL(healthUrl(listener, path)), { timeoutMs, maxBodyBytes: 0 });
    answers.set(listener.port, [...(answers.get(listener.port) ?? []), { path, status: reply.ok ? reply.status : undefined }]);
  });
  const found = new Map<number, string>();
  for (const [port, seen] of answers) {
    const path = chooseHealthPath(seen);
    if (path !== undefined) found.set(port, path);
  }
  return found;
}
