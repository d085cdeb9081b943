import { hostname } from 'node:os';
import { sendToChannel } from '../alerts/channels/index.js';
import { alertConfig, LEVELS } from '../alerts/levels.js';
import type { Message, SendOutcome } from '../alerts/types.js';
import type { LoadedManifest } from '../manifest/load.js';
import type { Logger } from '../log/logger.js';
import { createDeps } from '../deps.js';
import { HealError } from '../common/errors.js';
import type { AlertLevel } from '../alerts/schema.js';
import { openContext, print } from './context.js';

/** `heal alert test [--channel NAME] [--level L]`: a test notice through each channel, reported per channel. */
export async function alertTestCommand(options: { config?: string; channel?: string; level?: string }): Promise<number> {
  const { loaded, logger } = await openContext(options);
  const config = alertConfig(loaded.manifest);
  const level = (options.level ?? 'info') as AlertLevel;
  if (!LEVELS.includes(level)) throw new HealError('usage', `alert test --level ${options.level}: expected one of ${LEVELS.join(', ')}`);
  let names = options.level ? config.levels[level].channels : Object.keys(config.channels);
  if (options.channel) {
    if (!Object.hasOwn(config.channels, options.channel)) throw new HealError('usage', `alert test --channel ${options.channel}: no channel of that name (have: ${Object.keys(config.channels).join(', ')})`);
    names = [options.channel];
  }
  const results = await sendTestNotices(loaded, logger, names, level);
  const lines = results.map(({ channel, outcome }) => (outcome.ok ? `${channel}: sent` : `${channel}: FAILED: ${outcome.error}${outcome.retryable ? ' (transient)' : ''}`));
  await print(`${lines.join('\n')}\n`);
  return results.every((r) => r.outcome.ok) ? 0 : 1;
}

/**
 * Sends one test notice of `level` through each of the channels `names`, all at once, each within
 * its own timeout (5 s for a channel without one); `sendToChannel` never throws. Also used by
 * `heal doctor --send`.
 */
export async function sendTestNotices(
  loaded: LoadedManifest,
  logger: Logger,
  names: readonly string[],
  level: AlertLevel,
): Promise<{ channel: string; outcome: SendOutcome }[]> {
  const config = alertConfig(loaded.manifest);
  const deps = createDeps(logger);
  const now = Date.now();
  return Promise.all(
    names.map(async (channel) => {
      const spec = config.channels[channel]!;
      const timeoutMs = 'timeout' in spec ? spec.timeout : 5_000;
      const message: Message = {
        id: `heal-test-${now.toString(36)}-${channel}`,
        channel,
        level,
        createdAt: now,
        notices: [{
          id: `test@${now}`, key: 'heal/test', kind: 'test', level, service: 'heal',
          title: `heal test notice (${level})`, detail: `A test notice from heal alert test on ${hostname()}: if you read this, the ${channel} channel works.`,
          since: now, at: now, host: hostname(),
        }],
      };
      const outcome = await sendToChannel(spec, message, { deps, signal: AbortSignal.timeout(timeoutMs), timeoutMs, intervalMs: loaded.manifest.interval, secrets: loaded.secrets });
      return { channel, outcome };
    }),
  );
}
