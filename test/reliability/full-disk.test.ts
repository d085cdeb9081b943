/**
 * A full or read-only state disk: heal still checks, restarts and alerts (through the log
 * channel at least), says in the report and the log that the state could not be saved, exits 4,
 * and the next scan on a healthy disk carries on from the last state that was saved. The state
 * directory is a real tmpfs of 64 KiB, filled or remounted read-only (see tiny-fs.ts).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readHistory } from '../../src/history/store.js';
import { ownIdentity } from '../../src/process/identity.js';
import { acquireLock } from '../../src/state/lock.js';
import { emptyState, stateSchema } from '../../src/state/schema.js';
import { saveState } from '../../src/state/store.js';
import { workspace, type Workspace } from '../helpers/cli.js';
import { deadPid, freshDir } from '../state/helpers.js';
import { builtCli, countLines } from './support.js';
import { CAN_MOUNT, tinyFs, type TinyFs } from './tiny-fs.js';

/** One service, checked by a file that exists; its restart is counted and does not bring it back. */
const MANIFEST = `version: 1
log_file: heal.log
defaults: { cooldown: 0s, verify_timeout: 500ms, retry_delay: 100ms }
alerts:
  levels:
    critical: { threshold: 1, cooldown: 0s, channels: [log] }
    warning: { threshold: 1, cooldown: 0s, channels: [log] }
    info: { threshold: 1, cooldown: 0s, channels: [log] }
  channels:
    log: { type: log }
services:
  svc:
    checks: [ { type: command, run: [/bin/test, -e, up.flag], timeout: 2s } ]
    restart: { type: command, run: [/bin/sh, -c, "echo restart >> restarts.log"], timeout: 2s }
`;

type Report = { stateSaved?: boolean; stateError?: string; services: { name: string; status: string; action?: string }[] };

/** A workspace whose state directory is a tiny tmpfs, after one good scan (svc up) saved its state there. */
async function afterAGoodScan(): Promise<{ ws: Workspace; fs: TinyFs; good: string }> {
  await builtCli();
  const ws = await workspace(MANIFEST);
  const fs = await tinyFs(ws.stateDir);
  await writeFile(join(ws.dir, 'up.flag'), '');
  const first = await ws.heal('scan', '--json');
  expect(first.code, first.stderr).toBe(0);
  expect(JSON.parse(first.stdout)).toMatchObject({ stateSaved: true, services: [{ name: 'svc', status: 'up' }] });
  const good = await readFile(join(ws.stateDir, 'state.json'), 'utf8');
  await rm(join(ws.dir, 'up.flag')); // the service goes down
  return { ws, fs, good };
}

/** The down notices the log channel wrote for svc. */
async function downNotices(ws: Workspace): Promise<unknown[]> {
  const lines = (await readFile(join(ws.dir, 'heal.log'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return lines.filter((l) => l['alert'] === true && l['kind'] === 'down' && l['service'] === 'svc' && l['channel'] === 'log');
}

async function logLines(ws: Workspace): Promise<Record<string, unknown>[]> {
  return (await readFile(join(ws.dir, 'heal.log'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** What is left in the state directory besides the state file, the history's day files and the filler: no lock, no temp file. */
async function leftovers(ws: Workspace): Promise<string[]> {
  const history = (await readdir(join(ws.stateDir, 'history')).catch(() => [])).filter((name) => !/^\d{4}-\d{2}-\d{2}\.jsonl$/.test(name)).map((name) => `history/${name}`);
  return [...(await readdir(ws.stateDir)).filter((name) => name !== 'state.json' && name !== 'filler' && name !== 'history'), ...history];
}

/** The next scan, on a disk with room again: it starts from the last good state and saves. */
async function nextScanCarriesOn(ws: Workspace, good: string): Promise<void> {
  expect(await readFile(join(ws.stateDir, 'state.json'), 'utf8')).toBe(good);
  const next = await ws.heal('scan', '--json');
  expect(next.code, next.stderr).toBe(1); // svc is still down
  const report = JSON.parse(next.stdout) as Report;
  expect(report.stateSaved).toBe(true);
  expect(report.stateError).toBeUndefined();
  const state = stateSchema.parse(JSON.parse(await readFile(join(ws.stateDir, 'state.json'), 'utf8')));
  const before = stateSchema.parse(JSON.parse(good));
  // It went on from the good state: the service was up there, and this scan's restart is the one heal remembers.
  expect(before.services['svc']).toMatchObject({ status: 'up', heals: [] });
  expect(state.services['svc']).toMatchObject({ status: 'down' });
  expect(state.services['svc']?.heals).toHaveLength(1);
  expect(state.lastScan?.exitCode).toBe(1);
  expect(await leftovers(ws)).toEqual([]);
}

describe.runIf(CAN_MOUNT)('a full or read-only state disk', () => {
  it.each([
    ['full (not a byte free)', 0, /ENOSPC/],
    ['full but for one page (the lock fits, the state does not)', 4096, /ENOSPC/],
  ])('%s: checks, restarts, sends the down notice through the log channel, reports stateSaved: false, exits 4', async (_case, leave, code) => {
    const { ws, fs, good } = await afterAGoodScan();
    await fs.fill(leave);

    const run = await ws.heal('scan', '--json');
    expect(run.code, run.stderr).toBe(4);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.services).toMatchObject([{ name: 'svc', status: 'down', action: expect.stringContaining('restart') }]);
    expect(report.stateSaved).toBe(false);
    expect(report.stateError).toMatch(code);
    expect(report.stateError).toContain(join(ws.stateDir, 'state.json'));
    expect(await countLines(join(ws.dir, 'restarts.log'))).toBe(1); // the restart ran
    expect(await downNotices(ws)).toHaveLength(1); // and its down notice went out
    const errors = (await logLines(ws)).filter((l) => l['level'] === 50 && String(l['msg']).startsWith('state not saved: '));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.['msg']).toMatch(code);
    expect(await leftovers(ws)).toEqual([]); // the lock released, no half-written temp file
    expect(await readFile(join(ws.stateDir, 'state.json'), 'utf8')).toBe(good);

    await fs.unfill();
    await nextScanCarriesOn(ws, good);
  });

  it('read-only: checks, restarts, sends the down notice, says "state not saved" on the report, exits 4; carries on once writable', async () => {
    const { ws, fs, good } = await afterAGoodScan();
    await fs.readOnly();

    const run = await ws.heal('scan');
    expect(run.code, run.stderr).toBe(4);
    expect(run.stdout).toMatch(/^✗ svc +down +restarted/m);
    expect(run.stdout).toMatch(new RegExp(`^state not saved: cannot write the state file ${join(ws.stateDir, 'state.json')}: EROFS: .*; nothing this scan saw or did is remembered, the next scan starts from the last saved state \\(exit 4\\)$`, 'm'));
    expect(await countLines(join(ws.dir, 'restarts.log'))).toBe(1);
    expect(await downNotices(ws)).toHaveLength(1);
    expect((await logLines(ws)).some((l) => l['level'] === 40 && /cannot write the scan lock .*EROFS.*; scanning without the lock$/.test(String(l['msg'])))).toBe(true);

    await fs.writable();
    await nextScanCarriesOn(ws, good);
  });

  it('read-only: a detached restart still starts the service, its output discarded, and the report says why', async () => {
    const { ws, fs } = await afterAGoodScan();
    // The service writes its pid where the workspace finds it (and kills it when the test ends).
    await ws.write(MANIFEST.replace('verify_timeout: 500ms', 'verify_timeout: 30s').replace(
      'restart: { type: command, run: [/bin/sh, -c, "echo restart >> restarts.log"], timeout: 2s }',
      () => 'restart: { type: command, run: [/bin/sh, -c, "echo $$$$ > svc.pid; touch up.flag; exec sleep 120"], detach: true }',
    ));
    await fs.readOnly();

    const run = await ws.heal('scan', '--json');
    expect(run.code, run.stderr).toBe(4);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.services, run.stdout).toMatchObject([{ name: 'svc', status: 'healed' }]);
    expect(report.services[0]?.action).toMatch(/^restarted \(.*\), its output is discarded: cannot (make the log folder|open the service log) .*EROFS/);
    expect(existsSync(join(ws.dir, 'up.flag'))).toBe(true);
  });

  it('a temp file a killed writer left, filling the disk, is removed before the lock and the save need its space', async () => {
    const { dir, cleanup } = await freshDir('heal-full-');
    onTestFinished(cleanup); // after the unmount tinyFs registers (hooks run last-in, first-out)
    const fs = await tinyFs(join(dir, 'state'));
    const dead = await deadPid();
    const fillWithTempOf = async (name: string): Promise<void> => {
      await writeFile(join(fs.dir, `${name}.tmp-${dead}-0badc0ffee`), Buffer.alloc(fs.free()));
      expect(fs.free()).toBe(0);
    };
    await fillWithTempOf('scan.lock');
    const lock = await acquireLock(fs.dir, { proceedUnwritable: true });
    expect(lock.notHeld).toBeUndefined();
    expect(await readdir(fs.dir)).toEqual(['scan.lock']);
    await lock.release();
    await fillWithTempOf('state.json');
    await saveState(fs.dir, emptyState());
    expect(await readdir(fs.dir)).toEqual(['state.json']);
  });

  it('a history the disk refuses (its own tmpfs, full, then read-only): a warning line, the state saved, exit 0', async () => {
    await builtCli();
    const ws = await workspace(MANIFEST);
    await writeFile(join(ws.dir, 'up.flag'), '');
    const fs = await tinyFs(join(ws.stateDir, 'history'));
    await fs.fill(0);
    const full = await ws.heal('scan', '--json');
    expect(full.code, full.stderr).toBe(0);
    const report = JSON.parse(full.stdout) as Report & { warnings?: string[] };
    expect(report).toMatchObject({ stateSaved: true, services: [{ name: 'svc', status: 'up' }] });
    expect(report.warnings).toEqual([expect.stringMatching(new RegExp(`^history not recorded: cannot append to ${join(ws.stateDir, 'history')}: ENOSPC: no space left on device.*; the scan went on \\(uptime has a gap for it\\)$`))]);
    await fs.unfill();
    await fs.readOnly();
    const readOnly = await ws.heal('scan');
    expect(readOnly.code, readOnly.stderr).toBe(0);
    expect(readOnly.stdout).toMatch(/^warning: history not recorded: cannot append to .*: EROFS: read-only file system/m);
    await fs.writable();
    const next = await ws.heal('scan', '--json');
    expect(next.code, next.stderr).toBe(0);
    expect((JSON.parse(next.stdout) as { warnings?: string[] }).warnings).toBeUndefined();
    // Only the scan on a writable disk left its line.
    expect((await readHistory(ws.stateDir)).history.t).toHaveLength(1);
  });

  it("a live scan's lock on a full disk is still respected: exit 3, nothing restarted", async () => {
    const { ws, fs } = await afterAGoodScan();
    // This test process plays the live scan: its lock, with its identity, as heal writes one.
    const me = await ownIdentity();
    await writeFile(join(ws.stateDir, 'scan.lock'), `${JSON.stringify({ ...me, hostname: hostname(), startedAt: new Date().toISOString(), token: 'cafe' })}\n`);
    await fs.fill(0);
    const run = await ws.heal('scan');
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`^heal: another heal scan is running \\(pid ${process.pid}, lock .*scan\\.lock\\); skipped\\n$`));
    expect(existsSync(join(ws.dir, 'restarts.log'))).toBe(false);
  });

  it('a log_file on the full disk: one line on stderr, the log goes on to stderr, the scan runs', async () => {
    const { ws, fs } = await afterAGoodScan();
    await ws.write(MANIFEST.replace('log_file: heal.log', `log_file: ${join(ws.stateDir, 'heal.log')}`));
    await writeFile(join(ws.stateDir, 'heal.log'), '');
    await fs.fill(0);
    const run = await ws.heal('scan', '--json');
    expect(run.code).toBe(4);
    const [first, ...rest] = run.stderr.split('\n').filter(Boolean);
    expect(first).toBe(
      `heal: log_file ${join(ws.stateDir, 'heal.log')}: cannot write to it (ENOSPC: no space left on device); logging to stderr from here on: the disk is full: free some space, or name a file on another disk`,
    );
    const lines = rest.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l['alert'] === true && l['kind'] === 'down')).toHaveLength(1);
    expect(lines.some((l) => String(l['msg']).startsWith('state not saved: '))).toBe(true);
    expect(await countLines(join(ws.dir, 'restarts.log'))).toBe(1);
  });
});
