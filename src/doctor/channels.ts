/**
 * Is each alert channel configured, and (with `--send`) does a test notice get through? Pure,
 * over the channels the manifest declares, the variables their settings take from an environment
 * that does not set them, and the outcomes of `heal alert test`'s sends. The schema has already
 * required every channel's settings (a channel missing one is a manifest problem).
 */
import { fail, pass, type Finding } from './finding.js';
import { channelOf, type UnsetVariable } from './manifest.js';

/** A test send's outcome for one channel. */
export type SendResult = { ok: true } | { ok: false; error: string };

/** One finding per channel, then one per test send when `sends` is given. */
export function judgeChannels(
  channels: Readonly<Record<string, { type: string }>>,
  unset: readonly UnsetVariable[],
  sends: Readonly<Record<string, SendResult>> | undefined,
): Finding[] {
  const findings: Finding[] = [];
  for (const [name, spec] of Object.entries(channels)) {
    const missing = [...new Set(unset.filter((u) => channelOf(u) === name).map((u) => u.name))];
    if (missing.length) {
      const list = missing.join(', ');
      findings.push(
        fail(
          `alert channel ${name} (${spec.type}): ${list} ${missing.length === 1 ? 'is' : 'are'} not set`,
          `export ${list} where heal runs, and for the schedule too (the cron line, Environment= in heal-scan.service, EnvironmentVariables in the plist)`,
        ),
      );
    } else {
      findings.push(pass(`alert channel ${name} (${spec.type}) is configured${sends ? '' : ' (heal doctor --send sends it a test notice)'}`));
    }
    const sent = sends?.[name];
    if (sent?.ok) findings.push(pass(`alert channel ${name}: a test notice was sent`));
    else if (sent) findings.push(fail(`alert channel ${name}: the test notice failed: ${sent.error}`, `check ${name}'s settings in the manifest and its environment, then heal alert test --channel ${name}`));
  }
  return findings;
}
