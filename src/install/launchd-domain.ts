/**
 * Which launchd domain heal's own LaunchAgent loads into on this Mac. `gui/<uid>` exists while
 * someone is logged in at the screen; a Mac reached only over SSH has none (launchctl says 112
 * "Could not find domain" or 125), and there the job goes into `user/<uid>`, the Background
 * session, which heal's plist allows (LimitLoadToSessionType). Asked with `launchctl print
 * gui/<uid>`; where there is no launchctl (not a Mac) the gui line is printed, with a note.
 */
import { createDeps, type Deps } from '../deps.js';
import { domainMissing, runLaunchctl } from '../supervisors/launchctl.js';
import { silentLogger } from '../log/logger.js';

/** How long the probe may take. */
const PROBE_TIMEOUT_MS = 5_000;

/** The domain to load into, and what the user should know about the choice. */
export type LoadDomain = { domain: string; note?: string };

/** Asks launchctl whether `gui/<uid>` exists here; never throws. */
export async function loadDomain(uid: number, deps: Pick<Deps, 'exec'> = createDeps(silentLogger())): Promise<LoadDomain> {
  const gui = `gui/${uid}`;
  const user = `user/${uid}`;
  const probe = await runLaunchctl(deps, ['print', gui], { timeoutMs: PROBE_TIMEOUT_MS, user: 'install' });
  if (probe.ok) return { domain: gui };
  if (domainMissing(probe.exitCode)) {
    return { domain: user, note: `${gui} does not exist here (nobody is logged in at this Mac's screen), so it loads into ${user}, which needs no login` };
  }
  if (probe.notFound) return { domain: gui, note: `launchctl is not here; on a Mac nobody is logged in to at the screen, load it into ${user} instead` };
  return { domain: gui, note: `could not ask launchctl which domain exists (${probe.error}); on a Mac nobody is logged in to at the screen, load it into ${user} instead` };
}
