/** `heal status` through the built CLI: what it says with no state folder, after a reset, and how it writes times. */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { workspace } from '../helpers/cli.js';

describe('heal status', () => {
  it('with no state folder yet says so in one line, exits 0 and creates nothing (not even the log_file inside it)', async () => {
    const ws = await workspace('version: 1\nlog_file: state/heal.log\nservices:\n  api:\n    checks: [ { type: command, run: [/bin/true] } ]\n');
    const run = await ws.heal('status');
    expect(run).toEqual({ code: 0, stdout: `no scan has run yet (state folder ${ws.stateDir} does not exist)\n`, stderr: '' });
    expect(existsSync(ws.stateDir)).toBe(false);
    // `home` is the workspace's HOME, where the manifest cache lives; nothing else appeared.
    expect((await readdir(ws.dir)).sort()).toEqual(['home', 'services.yaml']);

    const json = await ws.heal('status', '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ services: [{ name: 'api', status: 'unknown' }] });
    expect(existsSync(ws.stateDir)).toBe(false);
  });

  it('after heal reset shows a running service up since it was, and writes times as local times to the second, never ISO', async () => {
    const ws = await workspace('version: 1\nservices:\n  api:\n    checks: [ { type: command, run: [/bin/true] } ]\n');
    expect((await ws.heal('scan')).code).toBe(0);
    const silenced = await ws.heal('silence', 'api', '--for', '2h', '--state-dir', ws.stateDir);
    expect(silenced.stdout).toMatch(/^api: silenced for 2h, until (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d\n$/);
    expect((await ws.heal('reset', 'api')).code).toBe(0);
    const run = await ws.heal('status');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^api {3}up for \d+(ms|s) · silenced until (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d · heals 0\/6 this hour · uptime /m);
    expect(run.stdout).not.toMatch(/\d{4}-\d\d-\d\dT\d\d|\.\d{3}Z/);
  });
});
