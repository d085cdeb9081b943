import { expect, it } from 'vitest';
import { logLevel } from '../../src/commands/context.js';

it.each([
  ['HEAL_LOG_LEVEL wins', 'debug', undefined, true, 'debug'],
  ['a log file gets every info line', undefined, '/var/log/heal.log', true, 'info'],
  ['stderr that is not a terminal (launchd, cron) gets info', undefined, undefined, false, 'info'],
  ['a terminal with no log file gets warnings only', undefined, undefined, true, 'warn'],
])('%s', (_what, given, file, tty, level) => {
  expect(logLevel(given, file, tty)).toBe(level);
});
