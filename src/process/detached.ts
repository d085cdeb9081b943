/**
 * A service started with `detach: true`: its own session, never waited for and never killed by
 * heal (it must outlive the scan), its stdout and stderr appended to `<state dir>/logs/<service>.log`.
 * The log is opened without following links, so a planted `logs/<service>.log` symlink cannot
 * make heal — perhaps root — write a service's output into another file. heal watches the
 * process while it runs, so a service that dies at once is reported with its exit code and the
 * last lines it wrote, not only as a port that never opened.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoCode } from '../common/fs-errors.js';
import { stoppingBy } from './group.js';

/** Where a detached service runs, with what environment, and the log its output is appended to. */
export type DetachOptions = { cwd?: string; env?: Record<string, string>; logFile: string };

/** How a detached service ended, and the last lines it wrote to its log since it started. */
export type DetachedExit = { code: number | null; signal: NodeJS.Signals | null; lastLines: string[] };

/** A detached service that started, with its pid and its exit to come; or why it could not start. */
export type DetachResult =
  | {
      ok: true;
      pid: number;
      /** Resolves when the process exits; never, while it runs. */
      exited: Promise<DetachedExit>;
      /** Set when the disk refused the log: the service runs with its output discarded, and why. */
      logLost?: string;
    }
  | { ok: false; error: string };

/** Lines of the log given with an exit, and how much of the log's end is read for them. */
const TAIL_LINES = 5;
const TAIL_BYTES = 4_096;

/**
 * Starts argv as a detached process (its own session, not waited for) whose stdout and stderr
 * append to `logFile`. Resolves once the process has started or failed to. Once heal is being
 * stopped nothing starts (and this never resolves).
 */
export function spawnDetached(argv: readonly string[], options: DetachOptions): Promise<DetachResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.resolve({ ok: false, error: 'no program given' });
  if (stoppingBy()) return new Promise(() => undefined);
  const opened = openLogForAppend(options.logFile);
  // A log the disk refuses (full, read-only: even a recursive mkdir there says ENOENT) must not
  // keep the service down: it runs, its output discarded. A log refused for safety (a link, a
  // FIFO, a hard link) still stops the start.
  if (!opened.ok && !opened.logUnavailable) return Promise.resolve(opened);
  const log = opened.ok ? opened : undefined;
  const fd = log ? log.fd : 'ignore';
  const size = log?.size ?? 0;
  const close = () => (log ? closeSync(log.fd) : undefined);
  return new Promise((resolve) => {
    try {
      const child = spawn(file, args, {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        detached: true,
        stdio: ['ignore', fd, fd],
        shell: false,
      });
      const exit = new Promise<Omit<DetachedExit, 'lastLines'>>((done) => child.once('exit', (code, signal) => done({ code, signal })));
      child.once('error', (error: NodeJS.ErrnoException) => {
        close();
        resolve({ ok: false, error: error.code === 'ENOENT' ? `${file}: not found` : `${file}: ${error.message}` });
      });
      child.once('spawn', () => {
        close();
        child.unref();
        const exited = exit.then((how) => ({ ...how, lastLines: log ? lastLines(options.logFile, size) : [] }));
        resolve({ ok: true, pid: child.pid as number, exited, ...(opened.ok ? {} : { logLost: `its output is discarded: ${opened.error}` }) });
      });
    } catch (error) {
      close();
      resolve({ ok: false, error: `${file}: ${(error as Error).message}` });
    }
  });
}

/**
 * Opens `path` for appending (created 0600, its folder 0700), refusing — with the fix — a
 * symbolic link (the file or its folder), anything but a regular file, and a file with other
 * hard links. `size` is where this run's output begins. `logUnavailable` says the disk refused
 * (full, read-only, gone), not heal's safety rules: the service may then run without its log.
 */
export function openLogForAppend(path: string): { ok: true; fd: number; size: number } | { ok: false; error: string; logUnavailable?: boolean } {
  const dir = dirname(path);
  const refuse = (error: string) => ({ ok: false as const, error });
  // The disk refused (full, read-only, gone): the service may run without its log.
  const unavailable = (error: unknown, what: string) => ({ ok: false as const, error: `${what}: ${(error as Error).message}`, logUnavailable: true });
  try {
    if (isSymlink(dir)) return refuse(`${dir} is a symbolic link: heal writes no service log through a link; remove it (rm ${dir}) and heal makes the folder`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    return unavailable(plainMkdirError(dir, error), `cannot make the log folder ${dir}`);
  }
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted in the file's place fails at once instead of blocking the scan.
    fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ELOOP') return refuse(`${path} is a symbolic link: heal appends a service's output to no link; remove it (rm ${path})`);
    if (code === 'ENXIO') return refuse(`${path} is not a regular file; remove it (rm ${path})`);
    return unavailable(error, `cannot open the service log ${path}`);
  }
  const stat = fstatSync(fd);
  const problem = !stat.isFile() ? 'is not a regular file' : stat.nlink > 1 ? `has ${stat.nlink} hard links (another name for the same file)` : undefined;
  if (problem) {
    closeSync(fd);
    return refuse(`${path} ${problem}; remove it (rm ${path})`);
  }
  return { ok: true, fd, size: stat.size };
}

/** A recursive mkdir says ENOENT on a read-only disk; a plain one names the real cause (EROFS). */
function plainMkdirError(dir: string, error: unknown): unknown {
  if (errnoCode(error) !== 'ENOENT') return error;
  try {
    mkdirSync(dir, { mode: 0o700 });
    return error;
  } catch (plain) {
    return plain;
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * The last non-empty lines written to `path` after byte `from` (at most TAIL_LINES, from its last
 * TAIL_BYTES), without control characters; empty when it cannot be read. Never follows a link.
 */
export function lastLines(path: string, from: number): string[] {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const { size } = fstatSync(fd);
    const start = Math.max(from <= size ? from : 0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    const read = readSync(fd, buffer, 0, buffer.length, start);
    const lines = buffer
      .subarray(0, read)
      .toString('utf8')
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
      .split(/\r?\n/)
      // eslint-disable-next-line no-control-regex
      .map((line) => line.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '').trimEnd())
      .filter((line) => line.trim() !== '');
    // The first line may start mid-line when the tail was cut.
    if (start > from && lines.length > TAIL_LINES) lines.shift();
    return lines.slice(-TAIL_LINES);
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
