/**
 * Memory and CPU of real processes: a child that holds 256 MiB, one that spins, one that sleeps,
 * and a pid nobody has. The CPU assertions hold on a loaded two-core machine: a spinning process
 * gets well over a tenth of a core even when four others compete, and a sleeping one none.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { exec } from '../../src/process/exec.js';
import { parseProcStatCpuMs, parsePsTime, readUsage, residentBytes } from '../../src/process/usage.js';
import { readyChild } from '../helpers/children.js';

const MiB = 1024 * 1024;

const options = { exec, sampleMs: 500, timeoutMs: 5_000 };

describe('the usage of a process', () => {
  it('reads the resident memory of a process holding 256 MiB', async () => {
    const pid = await readyChild(`const b = Buffer.alloc(256 * 1024 * 1024, 1); console.log('ready'); setInterval(() => b[0]++, 1000);`);
    const rss = await residentBytes(pid, options);
    expect(typeof rss).toBe('number');
    expect(rss as number).toBeGreaterThanOrEqual(256 * MiB);
    expect(rss as number).toBeLessThan(1024 * MiB);
  });

  it('sees a spinning process use CPU now, and a sleeping one use none', async () => {
    const busy = await readyChild(`console.log('ready'); for (;;) {}`);
    const idle = await readyChild(`console.log('ready'); setInterval(() => {}, 60000);`);
    const [spinning, sleeping] = await Promise.all([readUsage(busy, options), readUsage(idle, options)]);
    expect(spinning).toMatchObject({ ok: true });
    expect(sleeping).toMatchObject({ ok: true });
    expect((spinning as { cpuPercent: number }).cpuPercent).toBeGreaterThan(10);
    expect((spinning as { cpuPercent: number }).cpuPercent).toBeLessThan(250);
    expect((sleeping as { cpuPercent: number }).cpuPercent).toBeLessThan(5);
  });

  it('says a pid with no process is gone', async () => {
    const proc = spawn('true');
    await once(proc, 'exit');
    const pid = proc.pid!;
    expect(await readUsage(pid, options)).toEqual({ ok: false, error: `no process ${pid}`, gone: true });
    expect(await residentBytes(pid, options)).toEqual({ error: `no process ${pid}`, gone: true });
  });
});

describe('reading CPU times', () => {
  it.each([
    ['0:01.23', 1_230],
    ['12:03.50', 723_500],
    ['01:02:03', 3_723_000],
    ['2-01:02:03', 176_523_000],
  ])('ps prints %s: %i ms', (text, ms) => {
    expect(parsePsTime(text)).toBe(ms);
  });

  it('rejects what is not a time', () => {
    expect(parsePsTime('')).toBeUndefined();
    expect(parsePsTime('soon')).toBeUndefined();
  });

  it('adds utime and stime of /proc/PID/stat, with a command name that holds spaces and parentheses', () => {
    const stat = '4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 12345 1000000 200 18446744073709551615';
    expect(parseProcStatCpuMs(stat)).toBe(3_000);
  });
});
