/** Shared fixtures for the state tests: temp dirs, a captured logger, dead pids, child processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from '../../src/log/logger.js';

/** A fresh directory under the OS temp dir, and a function that removes it. */
export async function freshDir(prefix = 'heal-state-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export type LogLine = { level: number; msg: string; [key: string]: unknown };

/** A pino logger whose JSON lines are collected in `lines`. */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

/** The pid of a process that has run and exited (and been reaped), so nothing owns it now. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn node');
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => resolve());
  });
  return pid;
}

/** Resolves when the child has exited. */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Reads `child`'s stdout line by line: each call resolves with the next line. */
export function lineReader(child: ChildProcess): () => Promise<string> {
  if (!child.stdout) throw new Error('child has no stdout pipe');
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return async () => {
    const next = await lines.next();
    if (next.done) throw new Error(`child ${child.pid} closed stdout before the expected line`);
    return next.value;
  };
}

/**
 * "Now" by the file system's clock: the mtime of a file just written in `dir`. File times and
 * `Date.now()` may disagree (faketime shifts the one and not the other), so a test that ages a
 * file for heal, which compares file times only with file times, ages it from this.
 */
export async function fsNow(dir: string): Promise<number> {
  const probe = join(dir, `.fs-now-${process.pid}-${Math.random().toString(16).slice(2)}`);
  await writeFile(probe, '');
  try {
    return (await stat(probe)).mtimeMs;
  } finally {
    await unlink(probe);
  }
}

/** Sets `path`'s mtime `ms` before the file system's now. */
export async function ageFile(path: string, ms: number, dir: string): Promise<void> {
  const then = new Date((await fsNow(dir)) - ms);
  await utimes(path, then, then);
}
