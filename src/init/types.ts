/**
 * What `heal init` finds on the machine, whichever supervisor it asked: the jobs (LaunchAgents or
 * systemd units), the TCP ports their processes listen on, and the health paths that answered.
 */

/** One TCP listening socket: the address it is bound to (`*`, `0.0.0.0`, `::`, `127.0.0.1`, `::1`, …) and its port. */
export type Listener = { address: string; port: number };

/** A LaunchAgent or a systemd unit, as discovery saw it. */
export type FoundJob = {
  supervisor: 'launchd' | 'systemd';
  /** The launchd label or the systemd unit name (`api.service`). */
  id: string;
  /** systemd: the unit belongs to the user's manager (`systemctl --user`). */
  user?: boolean;
  /** launchd: the plist the job was read from, when it is one of the user's. */
  plist?: string;
  /** systemd: FragmentPath, the file the unit was loaded from. */
  fragment?: string;
  /** What the job runs or says it is (ProgramArguments, Description), for a comment. */
  about?: string;
  /** The main pid, when the job runs. */
  pid?: number;
  /** Where the job lives is the user's own (~/Library/LaunchAgents, /etc/systemd/system, …). */
  own: boolean;
  /** What its process and the process's descendants listen on. */
  listeners: Listener[];
};

/** The first health path that answered 2xx on a port, by port. */
export type HealthPaths = ReadonlyMap<number, string>;
