/**
 * A restart that can never work is found before the outage: `heal validate` refuses a program
 * that does not exist (exit 2, by path and line), `heal scan` warns about it in the log and the
 * report, scan after scan (from the manifest cache too), and otherwise scans as before.
 */
import { describe, expect, it } from 'vitest';
import { freePort, workspace } from '../helpers/cli.js';
import { startTcpServer } from '../helpers/servers.js';

const PYTHN3 = 'services.api.restart.run[0]: /usr/bin/pythn3 does not exist (line 6)';

function manifest(port: number): string {
  return `version: 1
services:
  api:
    checks: [ { type: port, port: ${port} } ]
    restart:
      run: [/usr/bin/pythn3, app.py]
      type: command
      cwd: srv
`;
}

describe('a restart program that does not exist', () => {
  it('is an error for heal validate, by path and line, with every such problem', async () => {
    const ws = await workspace(manifest(await freePort()));
    const run = await ws.heal('validate');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`${PYTHN3}\nservices.api.restart.cwd: srv (${ws.dir}/srv) does not exist: the command could not start in it (line 8)\nheal: the manifest is invalid (2 problems)\n`);
  });

  it('is a warning in a dry run that would restart the service', async () => {
    const ws = await workspace(manifest(await freePort()).replace('      cwd: srv\n', ''));
    const run = await ws.heal('scan', '--dry-run', '--json');
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { warnings?: string[]; services: { action?: string }[] };
    expect(report.services[0]?.action).toMatch(/^would restart/);
    expect(report.warnings).toEqual([PYTHN3]);
  });

  it('is a warning for heal scan, in the log and the report, every scan, and the scan goes on', async () => {
    const server = await startTcpServer((socket) => socket.end());
    try {
      const ws = await workspace(manifest(server.port).replace('      cwd: srv\n', ''));
      for (const scan of [1, 2]) {
        // The second scan is served from the manifest cache: the warning still says where.
        const run = await ws.heal('scan', '--json');
        expect(run.code, `scan ${scan}: ${run.stderr}`).toBe(0);
        const report = JSON.parse(run.stdout) as { warnings?: string[]; services: { status: string }[] };
        expect(report.warnings).toEqual([PYTHN3]);
        expect(report.services[0]?.status).toBe('up');
        const logged = run.stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: number; msg: string });
        expect(logged.filter((l) => l.msg === PYTHN3).map((l) => l.level)).toEqual([40]);
      }
    } finally {
      await server.close();
    }
  });
});
