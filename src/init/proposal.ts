/**
 * The proposal of `heal init`, pure: which of the jobs found become services (with a check per
 * port, an http check where a health path answered, and the restart through their supervisor),
 * which are only listed, and which are left out as the system's own.
 */
import { launchdLabel, systemdUnit } from '../manifest/fields.js';
import { byPort, dialHost } from './listeners.js';
import { uniqueServiceNames } from './names.js';
import type { FoundJob, HealthPaths, Listener } from './types.js';

export type ProposedCheck = { type: 'port'; host: string; port: number } | { type: 'http'; url: string };

export type ProposedRestart =
  | { type: 'launchd'; label: string; plist?: string }
  | { type: 'systemd'; unit: string; user?: true };

/** A service of the manifest to be. */
export type ProposedService = { name: string; job: FoundJob; checks: ProposedCheck[]; restart: ProposedRestart };

export type Proposal = {
  services: ProposedService[];
  /** Jobs kept that listen on nothing: listed as comments, their checks are the user's call. */
  quiet: FoundJob[];
  /** Jobs that listen but whose label or unit heal's manifest refuses (a label with a space): comments, with why. */
  unnamed: { job: FoundJob; reason: string }[];
  /** How many jobs were left out (the system's own, or neither listening nor the user's). */
  leftOut: number;
};

/**
 * systemd units that are the system's own plumbing: systemd's, the bus, logins, terminals, the
 * user managers, and the usual base services of a distribution.
 */
const SYSTEMD_PLUMBING =
  /^(systemd-.*|dbus(-broker)?|dbus-.*|user@.*|user-runtime-dir@.*|getty@.*|serial-getty@.*|console-getty|container-getty@.*|polkit|accounts-daemon|udisks2|upower|rtkit-daemon|networkd-dispatcher|NetworkManager.*|wpa_supplicant|ModemManager|cron|anacron|atd|rsyslog|unattended-upgrades|packagekit|snapd.*|multipathd|irqbalance|thermald|avahi-daemon|cups.*|bluetooth|colord|gdm.*|lightdm|sddm|power-profiles-daemon|switcheroo-control|kerneloops|apport.*|whoopsie|pipewire.*|wireplumber|pulseaudio|gvfs-.*|at-spi-.*|xdg-.*|gpg-agent.*|dirmngr|ssh-agent|gnome-.*|evolution-.*|tracker-.*|obex|dconf|plymouth.*|blk-availability|lvm2-.*|dm-event|mdmonitor|smartmontools|fwupd|secureboot-db|setvtrgb|keyboard-setup|console-setup|kmod.*|apparmor|ufw|e2scrub.*|logrotate|man-db|fstrim|emergency|rescue|initrd-.*|ifup@.*|networking|resolvconf)\.service$/;

/** Whether the job is the system's own: Apple's `com.apple.*`, or a systemd unit of the plumbing. */
export function isSystemJob(job: FoundJob): boolean {
  return job.supervisor === 'launchd' ? job.id.startsWith('com.apple.') : SYSTEMD_PLUMBING.test(job.id);
}

/**
 * Whether `heal init` proposes the job: with `all` every job; otherwise one that is not the
 * system's own and that listens on a TCP port or lives in the user's own places.
 */
export function isProposed(job: FoundJob, all: boolean): boolean {
  return all || (!isSystemJob(job) && (job.listeners.length > 0 || job.own));
}

/** Why heal's manifest would refuse the job's label or unit in a restart, or undefined when it takes it. */
export function refusedId(job: FoundJob): string | undefined {
  const parsed = (job.supervisor === 'launchd' ? launchdLabel : systemdUnit).safeParse(job.id);
  return parsed.success ? undefined : parsed.error.issues[0]?.message ?? 'not a name heal accepts';
}

/** `http://127.0.0.1:8080/health`, `http://[::1]:8080/health`. */
export function healthUrl(listener: Listener, path: string): string {
  const host = dialHost(listener.address);
  return `http://${host.includes(':') ? `[${host}]` : host}:${listener.port}${path}`;
}

/** The checks of a listening job: a port check per port, then an http check per port whose health path answered. */
export function checksFor(job: FoundJob, health: HealthPaths): ProposedCheck[] {
  const ports = byPort(job.listeners);
  const checks: ProposedCheck[] = ports.map((l) => ({ type: 'port', host: dialHost(l.address), port: l.port }));
  for (const l of ports) {
    const path = health.get(l.port);
    if (path !== undefined) checks.push({ type: 'http', url: healthUrl(l, path) });
  }
  return checks;
}

function restartFor(job: FoundJob): ProposedRestart {
  if (job.supervisor === 'launchd') return { type: 'launchd', label: job.id, ...(job.plist ? { plist: job.plist } : {}) };
  return { type: 'systemd', unit: job.id, ...(job.user ? { user: true as const } : {}) };
}

/** The same order on every machine, whatever its locale. */
const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The proposal for the jobs found, services in the order of their names. */
export function propose(jobs: readonly FoundJob[], health: HealthPaths, options: { all: boolean }): Proposal {
  const kept = jobs.filter((job) => isProposed(job, options.all));
  const unnamed = kept.flatMap((job) => {
    const reason = job.listeners.length > 0 ? refusedId(job) : undefined;
    return reason === undefined ? [] : [{ job, reason }];
  });
  const listening = kept.filter((job) => job.listeners.length > 0 && refusedId(job) === undefined);
  const names = uniqueServiceNames(listening.map((job) => job.id));
  const services = listening
    .map((job, i) => ({ name: names[i] as string, job, checks: checksFor(job, health), restart: restartFor(job) }))
    .sort((a, b) => byCodePoint(a.name, b.name));
  const quiet = kept.filter((job) => job.listeners.length === 0).sort((a, b) => byCodePoint(a.id, b.id));
  return { services, quiet, unnamed, leftOut: jobs.length - kept.length };
}
