/**
 * The status page after a scan: the real `scan()` in this process, at a simulated clock
 * (test/helpers/sim.ts), with `status_page` in the manifest.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanExitCode } from '../../src/scan/index.js';
import { MINUTE, simWorkspace } from '../helpers/sim.js';
import { pageTime } from '../../src/page/render.js';

const MANIFEST = (page: string) => `version: 1
status_page: ${page}
services:
  api:
    checks: [ { type: command, run: ["true"] } ]
  db:
    checks: [ { type: command, run: ["false"] } ]
`;

/** The "Last scan" time the page shows. */
const lastScanOf = (html: string) => /Last scan: <time datetime="([^"]+)"/.exec(html)?.[1];

describe('status_page after a scan', () => {
  it('is rewritten after each full scan, relative to the manifest, and left alone by --dry-run and --only', async () => {
    const ws = await simWorkspace(MANIFEST('status/index.html'));
    const page = join(ws.dir, 'status', 'index.html');
    const first = await ws.scan();
    expect(first.warnings).toBeUndefined();
    const html = await readFile(page, 'utf8');
    expect(lastScanOf(html)).toBe(first.startedAt);
    expect(html).toContain('<h2 id="svc-api">api</h2><span class="status up">Up since');
    expect(html).toContain('<h2 id="svc-db">db</h2><span class="status down">Down since');
    expect(html).toContain(`Last scan: <time datetime="${first.startedAt}">${pageTime(Date.parse(first.startedAt))}</time>`);
    expect((await stat(page)).mode & 0o777).toBe(0o644);

    ws.clock.advance(5 * MINUTE);
    await ws.scan({ dryRun: true });
    await ws.scan({ only: ['api'] });
    expect(lastScanOf(await readFile(page, 'utf8'))).toBe(first.startedAt);

    ws.clock.advance(5 * MINUTE);
    const third = await ws.scan();
    expect(lastScanOf(await readFile(page, 'utf8'))).toBe(third.startedAt);
    // Two full scans of db, both down, ten minutes apart: its 24 h uptime is 0, api's 100.
    const now = await readFile(page, 'utf8');
    expect(/<h2 id="svc-db">[\s\S]*?<dd>([^<]*)<\/dd>/.exec(now)?.[1]).toBe('0.00%');
    expect(/<h2 id="svc-api">[\s\S]*?<dd>([^<]*)<\/dd>/.exec(now)?.[1]).toBe('100.00%');
  }, 120_000);

  it('a page that cannot be written is a warning in the report and the log, never a failed scan', async () => {
    const ws = await simWorkspace(MANIFEST('blocker/index.html'));
    await writeFile(join(ws.dir, 'blocker'), 'a file where the folder should be');
    const report = await ws.scan();
    const warning = `status page not written: cannot write ${join(ws.dir, 'blocker', 'index.html')}: a part of its path is a file, not a folder; give status_page (or --out) a file in a folder heal may write`;
    expect(report.warnings).toEqual([warning]);
    expect(report.stateSaved).toBe(true);
    // db is down: exit 1 for that, as without a page.
    expect(scanExitCode(report)).toBe(1);
    expect(ws.logs.filter((l) => l.msg === warning)).toHaveLength(1);
    expect((await ws.state()).lastScan?.startedAt).toBe(Date.parse(report.startedAt));
  }, 120_000);
});
