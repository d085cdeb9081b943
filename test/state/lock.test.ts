import { readFileSync, readlinkSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ownIdentity, startOf } from '../../src/process/identity.js';
import { LockHeldError } from '../../src/common/errors.js';
import { acquireLock, lockFile, type Lock } from '../../src/state/lock.js';
import { ageFile, capturingLogger, deadPid, freshDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await freshDir('heal-lock-')));
afterEach(async () => cleanup());

type Identity = { start?: string; boot?: string; pidns?: string };

/** Writes a lock file as another scan would have (`identity`: the holder's process identity, if it recorded one). */
async function writeLock(pid: number, options: { host?: string; startedAt?: number; identity?: Identity } = {}): Promise<string> {
  const info = { pid, hostname: options.host ?? hostname(), startedAt: new Date(options.startedAt ?? Date.now()).toISOString(), ...options.identity };
  const content = `${JSON.stringify(info)}\n`;
  await writeFile(lockFile(dir), content);
  return content;
}

/** The identity the live process `pid` (of this machine) would record in its lock. */
async function identityOf(pid: number): Promise<Identity> {
  const { pid: _ours, ...machine } = await ownIdentity();
  return { ...machine, start: await startOf(pid) };
}

/** What Linux says of `pid`, read here independently of heal: field 22 of its stat, the boot, the pid namespace. */
function linuxIdentityOf(pid: number): Identity {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return {
    start: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19],
    boot: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    pidns: readlinkSync('/proc/self/ns/pid'),
  };
}

const age = (path: string, ms: number): Promise<void> => ageFile(path, ms, dir);

async function heldBy(): Promise<{ pid: number; hostname: string; startedAt: string }> {
  return JSON.parse(await readFile(lockFile(dir), 'utf8')) as { pid: number; hostname: string; startedAt: string };
}

describe('acquireLock', () => {
  it('creates scan.lock 0600 holding our pid, hostname and start time', async () => {
    const before = Date.now();
    const lock = await acquireLock(dir);
    expect(lock.path).toBe(join(dir, 'scan.lock'));
    expect((await stat(lock.path)).mode & 0o777).toBe(0o600);
    const info = await heldBy();
    expect(info).toMatchObject({ pid: process.pid, hostname: hostname() });
    expect(Date.parse(info.startedAt)).toBeGreaterThanOrEqual(before - 1);
    await lock.release();
  });

  it('creates a missing state directory 0700', async () => {
    const stateDir = join(dir, 'nested', 'heal');
    const lock = await acquireLock(stateDir);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    await lock.release();
  });

  it('refuses a second acquire in the same directory with a LockHeldError naming the holder', async () => {
    const lock = await acquireLock(dir);
    const error = await acquireLock(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockHeldError);
    expect(error).toMatchObject({ code: 'locked', holderPid: process.pid });
    expect((error as Error).message).toContain(lockFile(dir));
    await lock.release();
  });

  it('can be acquired again after release, and release removes the file', async () => {
    const first = await acquireLock(dir);
    await first.release();
    expect(await readdir(dir)).toEqual([]);
    const second = await acquireLock(dir);
    await second.release();
  });

  it('releases idempotently', async () => {
    const lock = await acquireLock(dir);
    await lock.release();
    await lock.release();
    const again = await acquireLock(dir);
    await lock.release(); // the old handle must not remove the new holder's lock
    await expect(acquireLock(dir)).rejects.toBeInstanceOf(LockHeldError);
    await again.release();
  });

  it('leaves the lock in place at release when it is no longer ours', async () => {
    const { logger, lines } = capturingLogger();
    const lock = await acquireLock(dir, { logger });
    const theirs = await writeLock(process.ppid); // someone took it over meanwhile
    await lock.release();
    expect(await readFile(lockFile(dir), 'utf8')).toBe(theirs);
    expect(lines).toMatchObject([{ level: 40, lock: lockFile(dir) }]);
  });

  it('takes over a lock whose process is dead, with a warning', async () => {
    const pid = await deadPid();
    await writeLock(pid);
    const { logger, lines } = capturingLogger();
    const lock = await acquireLock(dir, { logger });
    expect((await heldBy()).pid).toBe(process.pid);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, lock: lockFile(dir), previous: { pid } });
    expect(lines[0]?.msg).toContain(`pid ${pid} is no longer running`);
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it.runIf(process.platform === 'linux')('records who holds it: pid, start time (/proc/<pid>/stat field 22), boot id and pid namespace', async () => {
    const lock = await acquireLock(dir);
    expect(await heldBy()).toMatchObject({ pid: process.pid, ...linuxIdentityOf(process.pid) });
    expect(await ownIdentity()).toEqual({ pid: process.pid, ...linuxIdentityOf(process.pid) });
    await lock.release();
  });

  it.each([
    ['a year ago', -365 * 86_400_000],
    ['an hour ago (a scan_timeout over ten minutes)', -3_600_000],
    ['a day from now (the clock was set back)', 86_400_000],
  ])('never takes over a live holder whose lock says it started %s', async (_when, offsetMs) => {
    const content = await writeLock(process.ppid, { startedAt: Date.now() + offsetMs, identity: await identityOf(process.ppid) });
    await age(lockFile(dir), Math.max(0, -offsetMs));
    await expect(acquireLock(dir)).rejects.toMatchObject({ name: 'LockHeldError', holderPid: process.ppid });
    expect(await readFile(lockFile(dir), 'utf8')).toBe(content);
  });

  it.each([
    ['a day forward', 86_400_000],
    ['a year forward', 365 * 86_400_000],
    ['a day back', -86_400_000],
  ])("keeps respecting a live holder's lock after the clock steps %s", async (_step, stepMs) => {
    const content = await writeLock(process.ppid, { identity: await identityOf(process.ppid) });
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + stepMs });
    try {
      await expect(acquireLock(dir)).rejects.toMatchObject({ name: 'LockHeldError', holderPid: process.ppid });
    } finally {
      vi.useRealTimers();
    }
    expect(await readFile(lockFile(dir), 'utf8')).toBe(content);
  });

  it('respects a live holder that recorded no start time (a lock file written by hand or by an older heal)', async () => {
    const content = await writeLock(process.ppid, { startedAt: Date.now() - 365 * 86_400_000 });
    await expect(acquireLock(dir)).rejects.toMatchObject({ name: 'LockHeldError', holderPid: process.ppid });
    expect(await readFile(lockFile(dir), 'utf8')).toBe(content);
  });

  it('takes over a lock whose pid now belongs to another process (another start time: the pid was reused)', async () => {
    await writeLock(process.ppid, { identity: { ...(await identityOf(process.ppid)), start: '1' } });
    const { logger, lines } = capturingLogger();
    const lock = await acquireLock(dir, { logger });
    expect((await heldBy()).pid).toBe(process.pid);
    expect(lines[0]?.msg).toContain(`pid ${process.ppid} is now another process`);
    await lock.release();
  });

  it.runIf(process.platform === 'linux')('takes over a lock taken on this machine before it last booted, even if its pid is alive now', async () => {
    await writeLock(process.ppid, { identity: { ...(await identityOf(process.ppid)), boot: '00000000-0000-0000-0000-000000000000' } });
    const { logger, lines } = capturingLogger();
    const lock = await acquireLock(dir, { logger });
    expect((await heldBy()).pid).toBe(process.pid);
    expect(lines[0]?.msg).toContain('ran before this machine last booted');
    await lock.release();
  });

  it.runIf(process.platform === 'linux')('does not judge a lock of another pid namespace (another container) on this boot, and says how to clear it', async () => {
    const content = await writeLock(await deadPid(), { host: 'a-container', identity: { ...(await identityOf(process.pid)), pidns: 'pid:[1]' } });
    const { logger, lines } = capturingLogger();
    await expect(acquireLock(dir, { logger })).rejects.toBeInstanceOf(LockHeldError);
    expect(await readFile(lockFile(dir), 'utf8')).toBe(content);
    expect(lines[0]?.msg).toMatch(/on a-container, which this machine cannot check: if no heal scan runs there any more, remove .*scan\.lock$/);
  });

  it('does not judge the pid of a lock taken on another host', async () => {
    await writeLock(await deadPid(), { host: 'some-other-host.invalid' });
    await expect(acquireLock(dir)).rejects.toBeInstanceOf(LockHeldError);
  });

  it.each([
    ['an empty file', ''],
    ['bytes that are not JSON', '\u0000garbage'],
    ['JSON of the wrong shape', '{"pid":"one"}'],
  ])('treats a lock holding %s as held while it is fresh, and takes it over once it is old', async (_what, content) => {
    await writeFile(lockFile(dir), content);
    await expect(acquireLock(dir)).rejects.toMatchObject({ name: 'LockHeldError', holderPid: undefined });
    expect(await readFile(lockFile(dir), 'utf8')).toBe(content);

    await age(lockFile(dir), 30_000);
    const { logger, lines } = capturingLogger();
    const lock = await acquireLock(dir, { logger });
    expect((await heldBy()).pid).toBe(process.pid);
    expect(lines[0]?.msg).toMatch(/unreadable content/);
    await lock.release();
  });

  it('takes over even when a takeover marker was left by a process killed mid-takeover', async () => {
    await writeLock(await deadPid());
    await writeFile(`${lockFile(dir)}.takeover`, '{"pid":1}');
    await age(`${lockFile(dir)}.takeover`, 60_000);
    const lock = await acquireLock(dir);
    expect((await heldBy()).pid).toBe(process.pid);
    expect(await readdir(dir)).toEqual(['scan.lock']);
    await lock.release();
  });

  it("never removes a live process's takeover marker, however old its file time", async () => {
    const pid = await deadPid();
    const content = await writeLock(pid);
    const marker = `${lockFile(dir)}.takeover`;
    await writeFile(marker, `${JSON.stringify({ pid: process.ppid, hostname: hostname(), startedAt: new Date().toISOString(), ...(await identityOf(process.ppid)) })}\n`);
    await age(marker, 3_600_000);
    await expect(acquireLock(dir)).rejects.toMatchObject({ name: 'LockHeldError', holderPid: pid });
    expect(await readFile(lockFile(dir), 'utf8')).toBe(content);
    expect(await readdir(dir)).toEqual(['scan.lock', 'scan.lock.takeover']);
  });

  it('gives up with a LockHeldError, touching nothing, while another takeover is in progress', async () => {
    const pid = await deadPid();
    const content = await writeLock(pid);
    await writeFile(`${lockFile(dir)}.takeover`, '{"pid":1}');
    await expect(acquireLock(dir)).rejects.toMatchObject({ name: 'LockHeldError', holderPid: pid });
    expect(await readFile(lockFile(dir), 'utf8')).toBe(content);
  });

  it('lets exactly one of ten concurrent acquires hold the lock', async () => {
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => acquireLock(dir)));
    const held = results.filter((r): r is PromiseFulfilledResult<Lock> => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(held).toHaveLength(1);
    expect(refused).toHaveLength(9);
    for (const error of refused) expect(error).toBeInstanceOf(LockHeldError);
    await held[0]!.value.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('lets exactly one of ten concurrent takeovers of the same stale lock win', async () => {
    await writeLock(await deadPid());
    const { logger, lines } = capturingLogger();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => acquireLock(dir, { logger })));
    const held = results.filter((r): r is PromiseFulfilledResult<Lock> => r.status === 'fulfilled');
    expect(held).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LockHeldError);
    expect(lines.filter((l) => /took over/.test(l.msg))).toHaveLength(1);
    expect(await readdir(dir)).toEqual(['scan.lock']);
    await held[0]!.value.release();
  });
});
