/**
 * The process check against real processes, the pid handed in as the scan hands it in (a lookup on
 * the context): a child holding 256 MiB, one spinning a core, one asleep, and a pid nobody has.
 * The limits sit far from what the children use, so a loaded two-core machine cannot tip them: a
 * spinning process gets well over a tenth of a core even beside four others, a sleeping one none.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { checkName } from '../../src/checks/index.js';
import { judgeUsage, processChecker } from '../../src/checks/process.js';
import { checkSpec, type ProcessCheckSpec } from '../../src/checks/schema.js';
import type { PidFound } from '../../src/checks/types.js';
import { checkContext } from './context.js';
import { readyChild } from '../helpers/children.js';

const MiB = 1024 * 1024;

const HOLDS_256_MIB = `const b = Buffer.alloc(256 * 1024 * 1024, 1); console.log('ready'); setInterval(() => b[0]++, 1000);`;
const SPINS = `console.log('ready'); for (;;) {}`;
const SLEEPS = `console.log('ready'); setInterval(() => {}, 60000);`;

const spec = (fields: Record<string, unknown>): ProcessCheckSpec => checkSpec.parse({ type: 'process', ...fields }) as ProcessCheckSpec;

/** Runs the check on `pid`, found "from test". */
function run(fields: Record<string, unknown>, pid: number, timeoutMs = 5_000) {
  const lookup = async (): Promise<PidFound> => ({ ok: true, pid, from: 'test' });
  return processChecker.run(spec(fields), checkContext(timeoutMs, { pid: lookup }));
}

describe('the process check', () => {
  it('passes a process within max_rss and says what it uses', async () => {
    const pid = await readyChild(HOLDS_256_MIB);
    const outcome = await run({ max_rss: '2GB' }, pid);
    expect(outcome).toMatchObject({ ok: true, detail: expect.stringMatching(new RegExp(`^pid ${pid}: \\d{3} MiB$`)) });
  });

  it('fails a process over max_rss, in binary units', async () => {
    const pid = await readyChild(HOLDS_256_MIB);
    const outcome = await run({ max_rss: '100MB' }, pid);
    expect(outcome).toMatchObject({ ok: false, error: expect.stringMatching(new RegExp(`^pid ${pid} uses \\d{3} MiB, max_rss 100 MiB$`)) });
  });

  it('fails a process spinning a core over max_cpu, measured over the sample', async () => {
    const pid = await readyChild(SPINS);
    const outcome = await run({ max_cpu: '5%', sample: '500ms' }, pid);
    expect(outcome).toMatchObject({ ok: false, error: expect.stringMatching(new RegExp(`^pid ${pid} uses \\d+% CPU over 500ms, max_cpu 5%$`)) });
  });

  it('passes a sleeping process under max_cpu, with its memory and CPU in the detail', async () => {
    const pid = await readyChild(SLEEPS);
    const outcome = await run({ max_cpu: '50%', max_rss: '4GB', sample: '300ms' }, pid);
    expect(outcome).toMatchObject({ ok: true, detail: expect.stringMatching(new RegExp(`^pid ${pid}: \\d+(\\.\\d+)? MiB, \\d% CPU$`)) });
  });

  it('cuts the sample to half the attempt\'s budget', async () => {
    const pid = await readyChild(SPINS);
    // A budget with room for ps on a loaded machine: the sample is cut to its half, 3s.
    const outcome = await run({ max_cpu: '5%', sample: '1m' }, pid, 6_000);
    expect(outcome).toMatchObject({ ok: false, error: expect.stringContaining('CPU over 3s, max_cpu 5%') });
  });

  it('fails a pid that is gone, naming where it came from', async () => {
    const proc = spawn('true');
    await once(proc, 'exit');
    const outcome = await run({ max_rss: '1GB', max_cpu: '90%' }, proc.pid!);
    expect(outcome).toMatchObject({ ok: false, error: `no process: pid ${proc.pid} from test is gone` });
  });

  it('fails with what the pid lookup says when there is no pid', async () => {
    const lookup = async (): Promise<PidFound> => ({ ok: false, error: 'no pid: pidfile api.pid is missing or holds no pid' });
    const outcome = await processChecker.run(spec({ max_rss: '1GB' }), checkContext(2_000, { pid: lookup }));
    expect(outcome).toMatchObject({ ok: false, error: 'no pid: pidfile api.pid is missing or holds no pid' });
  });

  it('fails without a pid lookup rather than guess', async () => {
    const outcome = await processChecker.run(spec({ max_rss: '1GB' }), checkContext());
    expect(outcome).toMatchObject({ ok: false, error: expect.stringMatching(/^no pid: /) });
  });

  it('is named by its limits', () => {
    expect(checkName(spec({ max_rss: '1.5GB', max_cpu: '90%' }))).toBe('process max_rss 1.5 GiB, max_cpu 90%');
    expect(checkName(spec({ max_rss: '512MiB' }))).toBe('process max_rss 512 MiB');
  });
});

describe('judging what a process uses', () => {
  const limits = { max_rss: 1.5 * 1024 * MiB, max_cpu: 90 };

  it.each([
    [{ rssBytes: 312 * MiB, cpuPercent: 4.2 }, { ok: true, detail: 'pid 4242: 312 MiB, 4% CPU' }],
    [{ rssBytes: 1.6 * 1024 * MiB, cpuPercent: 4 }, { ok: false, error: 'pid 4242 uses 1.6 GiB, max_rss 1.5 GiB' }],
    [{ rssBytes: 312 * MiB, cpuPercent: 97 }, { ok: false, error: 'pid 4242 uses 97% CPU over 1s, max_cpu 90%' }],
    [{ rssBytes: 1.6 * 1024 * MiB, cpuPercent: 180 }, { ok: false, error: 'pid 4242 uses 1.6 GiB, max_rss 1.5 GiB, and 180% CPU over 1s, max_cpu 90%' }],
    [{ rssBytes: 1.5 * 1024 * MiB, cpuPercent: 90 }, { ok: true, detail: 'pid 4242: 1.5 GiB, 90% CPU' }],
    [{ rssBytes: 800 * 1024 }, { ok: true, detail: 'pid 4242: 800 KiB' }],
  ])('%j: %j', (usage, verdict) => {
    expect(judgeUsage(limits, 4242, usage, 1_000)).toEqual(verdict);
  });
});
