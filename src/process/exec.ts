/**
 * Runs a command heal waits for — a command check, a waited restart, `stop`, launchctl,
 * systemctl — from argv, never through a shell, and judges it by its own process's exit:
 *
 * - It runs as the leader of a process group of its own; a timeout or an abort ends the whole
 *   group (SIGTERM, then SIGKILL after a grace), so nothing it started is left behind.
 * - Its exit decides, not its pipes closing: a program that leaves a background process holding
 *   its stdout (a restart script that starts the service with `&`) is done when it exits.
 * - Its output is kept up to {@link OUTPUT_CAP_BYTES} per stream and the rest is read and
 *   discarded, so a chatty program never blocks on a full pipe nor dies of a closed one.
 * - Once heal is being stopped (SIGTERM/SIGINT, see interrupt.ts) no command starts, and none
 *   that was running settles: the scan is abandoned where it stands, and nothing a command cut
 *   short by the stop would have said is recorded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { onTimeoutOrAbort, timedOutAfter, type WaitEnd } from '../common/deadline.js';
import { firstLine } from '../common/error-text.js';
import { endGroup, stoppingBy, trackGroup } from './group.js';

/** How {@link exec} runs a command. */
export type ExecOptions = {
  /** Its process group is ended (SIGTERM, then SIGKILL) when this runs out. */
  timeoutMs: number;
  cwd?: string;
  /** Added to heal's own environment. */
  env?: Record<string, string>;
  /** Ends its process group like the timeout does. */
  signal?: AbortSignal;
};

/** How a child process ended. Never an exception: a missing program is `failed` with a reason. */
export type ExecResult = {
  exitCode: number | undefined;
  timedOut: boolean;
  /** At most {@link OUTPUT_CAP_BYTES} of it, without its final newline. */
  stdout: string;
  stderr: string;
  /** Set when it did not exit 0: a one-line reason ("exit 1: …", "timed out after 3s", "…: not found"). */
  failure?: string;
  /** The program could not be started at all (ENOENT, EACCES). */
  notFound?: boolean;
};

/** Output kept per stream; the rest is read and discarded. */
export const OUTPUT_CAP_BYTES = 256 * 1024;
/** Between SIGTERM and SIGKILL of a group that ran out of time. */
const KILL_GRACE_MS = 2_000;
/** How long a SIGKILLed leader may take to be reported gone before exec gives up waiting. */
const AFTER_KILL_MS = 1_000;
/** After the exit, output that is still arriving is read until the pipes are quiet this long… */
const OUTPUT_IDLE_MS = 100;
/** …but never longer than this: a background process may hold the pipes open for days. */
const OUTPUT_MAX_MS = 1_000;

/** Runs argv with a hard timeout; resolves once the program exited (or could not start). */
export function exec(argv: readonly string[], options: ExecOptions): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.resolve(failed('no program given'));
  if (stoppingBy()) return new Promise(() => undefined);
  let child: ChildProcess;
  try {
    child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group (setsid): a timeout or a stop ends everything it started.
      detached: true,
      shell: false,
    });
  } catch (error) {
    return Promise.resolve(failed(`${file}: ${(error as Error).message}`));
  }
  return waitFor(child, file, options);
}

function waitFor(child: ChildProcess, file: string, options: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve) => {
    let settled = false;
    let cut: WaitEnd | undefined;
    let guard: NodeJS.Timeout | undefined;
    /** Stops waiting for the timeout and the signal. */
    let stopWaiting: (() => void) | undefined;
    const stdout = capture(child.stdout);
    const stderr = capture(child.stderr);

    const settle = (result: ExecResult): void => {
      if (settled) return;
      settled = true;
      stopWaiting?.();
      clearTimeout(guard);
      // A background process still holding the pipes: keep draining them, but not the event loop.
      for (const c of [stdout, stderr]) c.release();
      if (!stoppingBy()) resolve(result);
    };
    const end = (why: WaitEnd): void => {
      if (cut || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      cut = why;
      endGroup(child.pid, KILL_GRACE_MS);
      // A leader stuck in the kernel (uninterruptible I/O) must not hold the scan.
      guard = setTimeout(() => settle(judge(undefined, null)), KILL_GRACE_MS + AFTER_KILL_MS);
    };

    const judge = (code: number | null | undefined, signal: NodeJS.Signals | null): ExecResult => {
      const base = { exitCode: code ?? undefined, timedOut: cut === 'timeout', stdout: stdout.text(), stderr: stderr.text() };
      if (cut === 'timeout') return { ...base, failure: timedOutAfter(options.timeoutMs) };
      if (cut === 'aborted') return { ...base, failure: 'cancelled at the scan deadline' };
      if (code === 0) return base;
      const said = firstLine(base.stderr) || firstLine(base.stdout);
      const how = code !== null && code !== undefined ? `exit ${code}` : `killed by ${signal ?? 'a signal'}`;
      return { ...base, failure: said ? `${how}: ${said}` : how };
    };

    child.once('error', (error: NodeJS.ErrnoException) => {
      // Only a failed start counts (heal never calls child.kill(), whose failures come here too).
      if (child.pid !== undefined) return;
      const base = { exitCode: undefined, timedOut: false, stdout: '', stderr: '' };
      if (error.code === 'ENOENT' && options.cwd !== undefined && !existsSync(options.cwd)) {
        return settle({ ...base, notFound: true, failure: `${options.cwd}: no such directory (cwd)` });
      }
      if (error.code === 'ENOENT' || error.code === 'EACCES') {
        return settle({ ...base, notFound: true, failure: `${file}: ${error.code === 'ENOENT' ? 'not found' : 'permission denied'}` });
      }
      settle({ ...base, failure: `${file}: ${error.message}` });
    });
    child.once('exit', (code, signal) => {
      stopWaiting?.();
      void outputSettled(stdout, stderr).then(() => settle(judge(code, signal)));
    });
    if (child.pid === undefined) return;
    trackGroup(child);
    stopWaiting = onTimeoutOrAbort(options.timeoutMs, [options.signal], end);
  });
}

type Capture = {
  text(): string;
  ended(): boolean;
  /** Calls `listener` on each chunk and at the end. */
  onActivity(listener: () => void): void;
  /** Stops keeping output and lets the stream no longer hold the event loop. */
  release(): void;
};

/** Reads a stream to its end, keeping its first OUTPUT_CAP_BYTES. */
function capture(stream: Readable | null): Capture {
  const chunks: Buffer[] = [];
  let kept = 0;
  let ended = stream === null;
  let released = false;
  const listeners: (() => void)[] = [];
  const notify = (): void => {
    for (const listener of listeners) listener();
  };
  stream?.on('data', (chunk: Buffer) => {
    if (!released && kept < OUTPUT_CAP_BYTES) {
      const part = chunk.subarray(0, OUTPUT_CAP_BYTES - kept);
      chunks.push(part);
      kept += part.length;
    }
    notify();
  });
  stream?.once('close', () => {
    ended = true;
    notify();
  });
  stream?.on('error', () => undefined);
  return {
    text: () => Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, ''),
    ended: () => ended,
    onActivity: (listener) => listeners.push(listener),
    release() {
      released = true;
      listeners.length = 0;
      (stream as { unref?: () => void } | null)?.unref?.();
    },
  };
}

/**
 * Resolves when both pipes closed, or once no output arrived for OUTPUT_IDLE_MS after the exit
 * (a background process holds them), at most OUTPUT_MAX_MS after it. What the program wrote
 * before it exited is already in the pipes and read first: the quiet period is only judged after
 * the event loop has polled them once more.
 */
function outputSettled(...captures: Capture[]): Promise<void> {
  return new Promise((resolve) => {
    let idle: NodeJS.Timeout | undefined;
    let quiet = false;
    const done = (): void => {
      clearTimeout(idle);
      clearTimeout(cap);
      resolve();
    };
    const cap = setTimeout(done, OUTPUT_MAX_MS);
    const arm = (): void => {
      quiet = false;
      clearTimeout(idle);
      idle = setTimeout(() => {
        quiet = true;
        setImmediate(() => quiet && done());
      }, OUTPUT_IDLE_MS);
    };
    const check = (): void => (captures.every((c) => c.ended()) ? done() : arm());
    for (const c of captures) c.onActivity(check);
    check();
  });
}

function failed(failure: string): ExecResult {
  return { exitCode: undefined, timedOut: false, stdout: '', stderr: '', failure };
}
