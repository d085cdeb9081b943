/**
 * The quick HTTP probe of `heal init`: every usual health path of every port, all at once, each
 * GET within a short timeout; the first path in {@link HEALTH_PATHS} order that answered 2xx is
 * the port's.
 */
import { sendRequest } from '../common/http-request.js';
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

/** Probes every listener's health paths at once; by port, the path that answered 2xx. */
export async function probeHealthPaths(listeners: readonly Listener[], timeoutMs = PROBE_TIMEOUT_MS): Promise<HealthPaths> {
  const found = new Map<number, string>();
  await Promise.all(
    listeners.map(async (listener) => {
      const answers = await Promise.all(
        HEALTH_PATHS.map(async (path) => {
          const reply = await sendRequest(new URL(healthUrl(listener, path)), { timeoutMs, maxBodyBytes: 0 });
          return { path, status: reply.ok ? reply.status : undefined };
        }),
      );
      const path = chooseHealthPath(answers);
      if (path !== undefined) found.set(listener.port, path);
    }),
  );
  return found;
}
