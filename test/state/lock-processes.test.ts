/**
 * The scan lock across real processes: each child imports the real `acquireLock` (transpiled,
 * see child-modules.ts), waits at a barrier, and then all race for one state directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LockHeldError } from '../../src/common/errors.js';
import { acquireLock, lockFile } from '../../src/state/lock.js';
import { withClock } from '../helpers/faketime.js';
import { compileStateModules } from './child-modules.js';
import { capturingLogger, deadPid, exited, freshDir, lineReader } from './helpers.js';

/** Acquires the lock on "go", prints the outcome as JSON, releases on "release" (or is killed). */
const CHILD_SCRIPT = `
import { createInterface } from 'node:readline';
const [lockModule, dir] = process.argv.slice(2);
const { acquireLock } = await import(lockModule);
const commands = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const say = (value) => process.stdout.write(JSON.stringify(value) + '\\n');
say({ ready: true });
await commands.next();
try {
  const lock = await acquireLock(dir);
  say({ held: true, pid: process.pid });
  await commands.next();
  await lock.release();
} catch (error) {
  say({ held: false, name: error.name, holderPid: error.holderPid, message: error.message });
}
process.exit(0);
`;

type Outcome = { held: boolean; pid?: number; name?: string; holderPid?: number; message?: string };

type Racer = { child: ChildProcess; next: () => Promise<string>; send: (line: string) => void };

let workDir: string;
let removeWorkDir: () => Promise<void>;
let script: string;
let lockModule: string;

beforeAll(async () => {
  ({ dir: workDir, cleanup: removeWorkDir } = await freshDir('heal-lock-children-'));
  ({ lockModule } = await compileStateModules(workDir));
  script = join(workDir, 'racer.mjs');
  await writeFile(script, CHILD_SCRIPT);
});
afterAll(async () => removeWorkDir());

let dir: string;
let cleanup: () => Promise<void>;
const children: ChildProcess[] = [];
beforeEach(async () => ({ dir, cleanup } = await freshDir('heal-lock-race-')));
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await cleanup();
});

/** Starts `count` racers; with `clock` ('+1d', '-1d', …), each runs under faketime with its clock moved that far. */
async function startRacers(count: number, clock?: string): Promise<Racer[]> {
  const racers = Array.from({ length: count }, () => {
    const argv = [process.execPath, script, lockModule, dir];
    const run = clock ? withClock(clock, argv) : { file: process.execPath, args: argv.slice(1), env: process.env };
    const child = spawn(run.file, run.args, { env: run.env, stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin?.on('error', () => undefined); // a child that already exited: EPIPE is expected
    children.push(child);
    const send = (line: string): void => {
      if (child.exitCode === null && child.signalCode === null) child.stdin?.write(`${line}\n`);
    };
    return { child, next: lineReader(child), send };
  });
  await Promise.all(racers.map(async (r) => expect(JSON.parse(await r.next())).toEqual({ ready: true })));
  return racers;
}

async function race(racers: Racer[]): Promise<Outcome[]> {
  for (const r of racers) r.send('go');
  return Promise.all(racers.map(async (r) => JSON.parse(await r.next()) as Outcome));
}

async function finish(racers: Racer[]): Promise<void> {
  for (const r of racers) r.send('release');
  await Promise.all(racers.map((r) => exited(r.child)));
}

describe('the scan lock across processes', () => {
  it('refuses the lock while another live process holds it, and takes it over once that process is killed', async () => {
    const [holder] = await startRacers(1);
    const [outcome] = await race([holder!]);
    expect(outcome).toEqual({ held: true, pid: holder!.child.pid });

    const error = await acquireLock(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockHeldError);
    expect(error).toMatchObject({ holderPid: holder!.child.pid });

    holder!.child.kill('SIGKILL'); // dies holding the lock: no release
    await exited(holder!.child);
    expect(JSON.parse(await readFile(lockFile(dir), 'utf8'))).toMatchObject({ pid: holder!.child.pid });

    const { logger, lines } = capturingLogger();
    const lock = await acquireLock(dir, { logger });
    expect(JSON.parse(await readFile(lockFile(dir), 'utf8'))).toMatchObject({ pid: process.pid });
    expect(lines).toMatchObject([{ level: 40, previous: { pid: holder!.child.pid } }]);
    await lock.release();
  });

  it('refuses the lock while a live process holds a lock file it created itself', async () => {
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs'); const os = require('node:os');
         const fd = fs.openSync(process.argv[1], 'wx');
         fs.writeSync(fd, JSON.stringify({ pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() }));
         fs.closeSync(fd);
         console.log('held');
         setInterval(() => {}, 1000);`,
        lockFile(dir),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(holder);
    expect(await lineReader(holder)()).toBe('held');
    await expect(acquireLock(dir)).rejects.toMatchObject({ name: 'LockHeldError', holderPid: holder.pid });
  });

  it.each(['+1d', '+400d', '-1d'])("never takes a live process's lock from a process whose clock is %s off (faketime)", async (clock) => {
    const [holder] = await startRacers(1);
    expect(await race([holder!])).toEqual([{ held: true, pid: holder!.child.pid }]);
    const [challenger] = await startRacers(1, clock);
    const [outcome] = await race([challenger!]);
    expect(outcome).toMatchObject({ held: false, name: 'LockHeldError', holderPid: holder!.child.pid });
    expect(JSON.parse(await readFile(lockFile(dir), 'utf8'))).toMatchObject({ pid: holder!.child.pid });
    await finish([holder!, challenger!]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('lets exactly one of ten racing processes hold the lock', async () => {
    const racers = await startRacers(10);
    const outcomes = await race(racers);
    const winners = outcomes.filter((o) => o.held);
    expect(winners).toHaveLength(1);
    const losers = outcomes.filter((o) => !o.held);
    expect(losers).toHaveLength(9);
    for (const loser of losers) expect(loser).toMatchObject({ name: 'LockHeldError', holderPid: winners[0]!.pid });
    await finish(racers);
    expect(await readdir(dir)).toEqual([]);
  });

  it('lets exactly one of ten processes taking over the same stale lock win', async () => {
    const dead = await deadPid();
    await writeFile(lockFile(dir), JSON.stringify({ pid: dead, hostname: hostname(), startedAt: new Date().toISOString() }));
    const racers = await startRacers(10);
    const outcomes = await race(racers);
    const winners = outcomes.filter((o) => o.held);
    expect(winners).toHaveLength(1);
    for (const loser of outcomes.filter((o) => !o.held)) expect(loser.name).toBe('LockHeldError');
    expect(JSON.parse(await readFile(lockFile(dir), 'utf8'))).toMatchObject({ pid: winners[0]!.pid });
    expect(await readdir(dir)).toEqual(['scan.lock']);
    await finish(racers);
    expect(await readdir(dir)).toEqual([]);
  });
});
