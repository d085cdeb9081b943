/** A CheckContext for running one check directly, with the real effects and a silent logger. */
import { tmpdir } from 'node:os';
import type { CheckContext } from '../../src/checks/types.js';
import { createDeps, type Deps } from '../../src/deps.js';
import { silentLogger } from '../../src/log/logger.js';

/** The real effects, logging nowhere. */
export function testDeps(): Deps {
  return createDeps(silentLogger());
}

/** One attempt's context: a budget of `timeoutMs`, its signal aborting when it runs out. */
export function checkContext(timeoutMs = 2_000, overrides: Partial<CheckContext> = {}): CheckContext {
  return { deps: testDeps(), signal: AbortSignal.timeout(timeoutMs), timeoutMs, baseDir: tmpdir(), ...overrides };
}
