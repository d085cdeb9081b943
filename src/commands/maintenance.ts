import { formatLocalTime } from '../common/local-time.js';
import { machineTimeZone } from '../common/time.js';
import { loadManifest, manifestPath } from '../manifest/load.js';
import { maintenanceWindows } from '../manifest/resolve.js';
import { nextWindow, windowAt } from '../policy/maintenance.js';
import { print } from './context.js';

export type MaintenanceView = {
  name: string;
  every: string;
  timezone: string;
  /** The services it holds; absent: all. */
  services?: string[];
  restart: boolean;
  /** While it holds now: when it ends. */
  activeUntil?: string;
  next: { start: string; end: string };
};

/** `heal maintenance`: the manifest's maintenance windows, which one holds now, and when each comes next; touches nothing. */
export async function maintenanceCommand(options: { config?: string; json?: boolean }, now = Date.now()): Promise<number> {
  const { manifest } = await loadManifest(manifestPath(options.config, process.env), process.env);
  const zone = machineTimeZone();
  const iso = (ms: number) => new Date(ms).toISOString();
  const windows = maintenanceWindows(manifest, zone).map((window) => ({
    window,
    active: windowAt(window.schedule, window.timeZone, now),
    next: nextWindow(window.schedule, window.timeZone, now),
  }));
  const views = windows.map(({ window, active, next }): MaintenanceView => ({
    name: window.name,
    every: manifest.maintenance[window.name]!.every,
    timezone: window.timeZone,
    ...(window.services ? { services: [...window.services] } : {}),
    restart: window.restart ?? false,
    ...(active ? { activeUntil: iso(active.end) } : {}),
    next: { start: iso(next.start), end: iso(next.end) },
  }));
  if (options.json) {
    await print(`${JSON.stringify({ windows: views }, null, 2)}\n`);
    return 0;
  }
  if (!views.length) {
    await print('no maintenance windows (add them under maintenance: in the manifest)\n');
    return 0;
  }
  // Times in the window's own zone, as its `every` is written; to the second, the date when not today.
  const lines = views.map((v, k) => {
    const { window, active, next } = windows[k]!;
    const at = (ms: number, day: number) => formatLocalTime(ms, day, window.timeZone);
    return [
      `${v.name}: ${v.every} (${v.timezone})`,
      v.services ? `services ${v.services.join(', ')}` : 'all services',
      v.restart ? 'restarts go on, alerts held' : 'restarts and alerts held',
      active ? `ACTIVE until ${at(active.end, now)}` : `next ${at(next.start, now)} – ${at(next.end, next.start)}`,
    ].join(' · ');
  });
  await print(`${lines.join('\n')}\n`);
  return 0;
}
