/**
 * The fake launchctl and systemctl (test/fixtures/bin), which stand in for macOS's launchctl and
 * systemd's systemctl in tests: `useFakeTool(name)` puts them first on PATH for each test, gives
 * each test its own scenario file and call log, and afterwards kills every service process the
 * fake started and restores the environment.
 *
 * heal's restarters and checks run launchctl / systemctl through deps.exec, which inherits
 * process.env, and read `deps.env` (process.env itself with createDeps' default) to decide on
 * XDG_RUNTIME_DIR — so the environment a test sets here is the one heal and the fakes see.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { createDeps, type Deps } from '../../src/deps.js';
import { probePid } from '../../src/process/identity.js';
import type { RestartContext } from '../../src/restart/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { FIXTURES } from './cli.js';

export const FAKE_BIN = join(FIXTURES, 'bin');
export const HTTP_SERVICE = join(FIXTURES, 'http-service.mjs');
/** The uid heal appends to "gui" and "user" domains and puts in /run/user/<uid>. */
export const UID = process.getuid?.() ?? 0;

/** One call the fake saw. */
export type FakeCall = { argv: string[]; env: Record<string, string>; cwd: string };

/** A launchd job as the fake launchctl keeps it (the plist keys it acts on, once bootstrapped). */
export type FakeJob = {
  program: string[];
  cwd?: string;
  pid?: number;
  lastExitCode?: number;
  plist?: string;
  env?: Record<string, string>;
  stdout?: string;
  stderr?: string;
  /** ProcessType Background: run at the background band (nice 10 in the fake). */
  background?: boolean;
  /** AbandonProcessGroup: its process group is left alone when the job exits. */
  abandonProcessGroup?: boolean;
};
export type LaunchctlScenario = {
  jobs?: Record<string, FakeJob>;
  /** Domains that do not exist here: gui/<uid> on a Mac nobody is logged in to at the screen. */
  missingDomains?: string[];
  /** How launchctl says a domain is missing: 112 "Could not find domain" or 125 (default). */
  missingDomainCode?: 112 | 125;
  disabled?: string[];
  bootstrapFailures?: number[];
  /** Targets with a start under way: kickstart and bootstrap answer 37 once. */
  inProgress?: string[];
  hang?: string[];
  started?: number[];
};

/**
 * A systemd unit as the fake systemctl keeps it: a Type=simple service running `program`, or
 * with `failRestart` a oneshot whose program fails; `startLimitBurst` starts in
 * `startLimitIntervalSec` (default 5 in 10 s) before starts are refused.
 */
export type FakeUnit = {
  program: string[];
  cwd?: string;
  pid?: number;
  failed?: boolean;
  NRestarts?: number;
  Result?: string;
  failRestart?: boolean;
  startLimitBurst?: number;
  startLimitIntervalSec?: number;
  /** When the starts the start limit counts happened (ms; written by the fake). */
  starts?: number[];
};
export type SystemctlScenario = {
  system?: Record<string, FakeUnit>;
  user?: Record<string, FakeUnit>;
  hang?: string[];
  started?: number[];
};

export type FakeTool<S> = {
  /** This test's scratch folder. */
  readonly dir: string;
  /** Replaces the scenario. */
  scenario(value: S): Promise<void>;
  /** The scenario as the fake left it (its state: pids, NRestarts …). */
  state(): Promise<S>;
  /** Every call so far, in order. */
  calls(): Promise<FakeCall[]>;
  /** The argv of every call so far. */
  argvs(): Promise<string[][]>;
};

/** Env vars a test may change, restored after each test. */
const TOUCHED = ['PATH', 'XDG_RUNTIME_DIR', 'DBUS_SESSION_BUS_ADDRESS'] as const;

/**
 * Registers hooks that give each test a fake `launchctl` or `systemctl` first on PATH, an empty
 * scenario, no XDG_RUNTIME_DIR / DBUS_SESSION_BUS_ADDRESS (as under cron), and clean up after it.
 */
export function useFakeTool<S extends LaunchctlScenario | SystemctlScenario>(name: 'launchctl' | 'systemctl'): FakeTool<S> {
  const prefix = `FAKE_${name.toUpperCase()}`;
  let dir = '';
  let saved: Record<string, string | undefined> = {};
  const scenarioFile = (): string => join(dir, 'scenario.json');
  const logFile = (): string => join(dir, 'calls.jsonl');

  const tool: FakeTool<S> = {
    get dir() {
      return dir;
    },
    scenario: (value) => writeFile(scenarioFile(), JSON.stringify(value, null, 2)),
    state: async () => JSON.parse(await readFile(scenarioFile(), 'utf8')) as S,
    calls: async () => {
      const text = await readFile(logFile(), 'utf8').catch(() => '');
      return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as FakeCall);
    },
    argvs: async () => (await tool.calls()).map((call) => call.argv),
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `heal-fake-${name}-`));
    saved = Object.fromEntries([...TOUCHED, `${prefix}_SCENARIO`, `${prefix}_LOG`].map((key) => [key, process.env[key]]));
    // The fakes first; node's folder next, for their `#!/usr/bin/env node`.
    process.env.PATH = [FAKE_BIN, dirname(process.execPath), saved.PATH].filter(Boolean).join(delimiter);
    delete process.env.XDG_RUNTIME_DIR;
    delete process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env[`${prefix}_SCENARIO`] = scenarioFile();
    process.env[`${prefix}_LOG`] = logFile();
    await tool.scenario({} as S);
  });

  afterEach(async () => {
    const state = await tool.state().catch(() => ({}) as S);
    for (const pid of state.started ?? []) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await rm(dir, { recursive: true, force: true });
  });

  return tool;
}

/** The real effects with a silent logger; `deps.env` is process.env itself. */
export function testDeps(overrides: Partial<Deps> = {}): Deps {
  return { ...createDeps(silentLogger()), ...overrides };
}

/** A RestartContext with the real effects and a budget of `timeoutMs`. */
export function restartContext(baseDir: string, timeoutMs = 10_000, overrides: Partial<RestartContext> = {}): RestartContext {
  return {
    deps: testDeps(),
    service: 'api',
    baseDir,
    stateDir: join(baseDir, 'state'),
    timeoutMs,
    signal: AbortSignal.timeout(timeoutMs),
    ...overrides,
  };
}

/** A plist for the fake launchctl: the job runs http-service.mjs on `port` (at load, unless `runAtLoad` is false). */
export function servicePlist(label: string, port: number, extra = '', runAtLoad = true): string {
  const args = [process.execPath, HTTP_SERVICE, '--port', String(port)].map((a) => `\t\t<string>${a}</string>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
\t<key>Label</key>
\t<string>${label}</string>
\t<key>ProgramArguments</key>
\t<array>
${args}
\t</array>
\t<key>RunAtLoad</key>
\t<${runAtLoad}/>
${extra}</dict>
</plist>
`;
}

/** The argv of a real service: http-service.mjs answering /health on `port`. */
export function serviceProgram(port: number): string[] {
  return [process.execPath, HTTP_SERVICE, '--port', String(port)];
}

/**
 * True when the pid is a live process. Unlike kill(pid, 0) alone, a zombie counts as dead: the
 * fakes' services are orphans, and an init that does not reap (some containers) keeps them as
 * zombies after they were killed.
 */
export function running(pid: number): boolean {
  return probePid(pid) !== 'gone';
}

/** True when http://127.0.0.1:<port>/health answers 200. */
export async function healthy(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1_000) });
    await response.text();
    return response.status === 200;
  } catch {
    return false;
  }
}
