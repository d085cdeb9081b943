/**
 * Simulated time for in-process tests. One clock starts at a fixed instant, moves on with real
 * elapsed time (real sockets and real processes take real time), and jumps forward whenever the
 * code under test sleeps or the test calls `advance` — so a breaker's `open_for`, a cooldown or a
 * day of outbox `max_age` pass without real sleeping, and the suite passes on any date (also under
 * `faketime`). Everything under test gets this clock through `Deps`; nothing mixes it with the
 * machine's clock.
 *
 * `simWorkspace` adds a scratch folder with a services.yaml and a state directory, and runs the
 * real `scan()` in this process with the simulated clock.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { Deps } from '../../src/deps.js';
import type { Logger } from '../../src/log/logger.js';
import { loadManifest, type LoadedManifest } from '../../src/manifest/load.js';
import { scan, scanExitCode, type ScanReport, type ServiceReport } from '../../src/scan/index.js';
import { statusView, type ServiceStatusView } from '../../src/status/view.js';
import { updateState } from '../../src/state/mutate.js';
import type { ServiceState, State } from '../../src/state/schema.js';
import { loadState } from '../../src/state/store.js';
import { capturingLogger, type LogLine } from '../state/helpers.js';
import { testDeps } from './fake-supervisors.js';

/** 2026-11-22T12:00:00Z: where a simulated clock starts unless told otherwise. */
export const SIM_T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A clock for `Deps`: real elapsed time plus every simulated jump. */
export type SimClock = {
  /** Milliseconds since the epoch, whole: the start, plus real time elapsed, plus every jump. */
  now(): number;
  /**
   * Deps.sleep: jumps the clock forward by `ms` at once (nothing when `signal` has aborted), then
   * yields to the event loop once, so real I/O still moves on between rounds of a retry loop.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Jumps the clock forward by `ms` (the time between two scheduled scans, say). */
  advance(ms: number): void;
};

/** A simulated clock that reads `start` now. */
export function simClock(start: number = SIM_T0): SimClock {
  const realStart = performance.now();
  let jumped = 0;
  return {
    now: () => start + jumped + Math.floor(performance.now() - realStart),
    async sleep(ms, signal) {
      if (ms > 0 && !signal?.aborted) jumped += Math.ceil(ms);
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
    advance(ms) {
      if (ms < 0) throw new Error(`a clock only moves forward (advance(${ms}))`);
      jumped += ms;
    },
  };
}

/** The real effects (exec, spawn, env) with the simulated clock's `now` and `sleep`. */
export function simDeps(clock: SimClock, overrides: Partial<Deps> = {}): Deps {
  return testDeps({ now: clock.now, sleep: clock.sleep, ...overrides });
}

/** A scratch folder with a services.yaml and a state directory, scanned in this process. */
export type SimWorkspace = {
  dir: string;
  stateDir: string;
  clock: SimClock;
  deps: Deps;
  logger: Logger;
  /** Every log line written so far (pino JSON, debug and up). */
  logs: LogLine[];
  /** Rewrites services.yaml (read again at the next scan). */
  write(text: string): Promise<void>;
  /** The manifest as heal reads it (never from the user's manifest cache). */
  load(): Promise<LoadedManifest>;
  /** One full `scan()` at the clock's now. */
  scan(options?: { only?: string[]; dryRun?: boolean }): Promise<ScanReport>;
  /** One service of a `scan()`'s report. */
  scanService(name: string): Promise<ServiceReport & { code: number; report: ScanReport }>;
  /** What state.json holds. */
  state(): Promise<State>;
  /** What state.json remembers of one service. */
  remembered(name: string): Promise<ServiceState>;
  /** `heal status` of one service, at the clock's now. */
  status(name: string): Promise<ServiceStatusView>;
  /** Changes the state under the scan lock, as `heal silence` and `heal reset` do. */
  update(change: (state: State) => State): Promise<void>;
};

/**
 * A workspace for in-process scans at simulated time, the clock starting at `start` (SIM_T0).
 * `env` is added to process.env for the manifest's `${VAR}`s and for `deps.env`. Made inside a
 * test, it removes its folder when the test finishes.
 */
export async function simWorkspace(manifestText: string, options: { start?: number; env?: Record<string, string> } = {}): Promise<SimWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), 'heal-sim-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const manifest = join(dir, 'services.yaml');
  const stateDir = join(dir, 'state');
  const clock = simClock(options.start);
  const { logger, lines } = capturingLogger();
  const env = { ...process.env, ...options.env };
  const deps = simDeps(clock, { logger, env });
  // Parsed once per write(): the file only changes there.
  let loaded: Promise<LoadedManifest> | undefined;
  const load = () => (loaded ??= loadManifest(manifest, env, { cache: false }));
  const state = () => loadState(stateDir, logger, { readOnly: true });
  const ws: SimWorkspace = {
    dir,
    stateDir,
    clock,
    deps,
    logger,
    logs: lines,
    async write(text) {
      loaded = undefined;
      await writeFile(manifest, text);
    },
    load,
    async scan(scanOptions = {}) {
      return scan({ loaded: await load(), stateDir, deps, ...scanOptions });
    },
    async scanService(name) {
      const report = await ws.scan();
      const service = report.services.find((s) => s.name === name);
      if (!service) throw new Error(`no service ${name} in the report: ${JSON.stringify(report)}`);
      return { ...service, code: scanExitCode(report), report };
    },
    state,
    async remembered(name) {
      const service = (await state()).services[name];
      if (!service) throw new Error(`the state remembers no service ${name}`);
      return service;
    },
    async status(name) {
      const view = statusView(await load(), await state(), clock.now());
      const service = view.services.find((s) => s.name === name);
      if (!service) throw new Error(`no service ${name} in heal status`);
      return service;
    },
    async update(change) {
      await updateState(stateDir, logger, change);
    },
  };
  await ws.write(manifestText);
  return ws;
}
