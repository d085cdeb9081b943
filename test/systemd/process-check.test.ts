/**
 * The process check of a systemd service against a real systemd (in a container booted by
 * test/helpers/container.ts): `heal scan` runs inside as root, reads the unit's MainPID, finds the
 * service grown past max_rss, restarts the unit, and the next scan reads the new MainPID. A
 * stopped unit has no MainPID (0), and the check says so.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, FIXTURES, waitFor } from '../helpers/cli.js';
import { CONTAINER_NODE, useContainer } from '../helpers/container.js';
import { readFile, writeFile } from 'node:fs/promises';

const container = useContainer();

type Report = { services: { name: string; status: string; action?: string; checks: { ok: boolean; error?: string }[] }[] };

describe('a process check of a systemd unit', () => {
  let project = '';
  const manifest = () => join(project, 'services.yaml');

  beforeAll(async () => {
    if (!container.ready) return; // each test fails with the reason
    project = join(container.scratch, 'process-project');
    mkdirSync(project);
    await container.write(
      '/etc/systemd/system/grower.service',
      `[Service]\nExecStart=${CONTAINER_NODE} ${join(FIXTURES, 'process-service.mjs')}\nWorkingDirectory=${project}\n`,
    );
    await container.ok(['systemctl', 'daemon-reload']);
    await writeFile(
      manifest(),
      `version: 1
state_dir: state
defaults: { cooldown: 0s, timeout: 5s, verify_timeout: 20s }
services:
  grower:
    checks: [ { type: process, max_rss: 200MB, max_cpu: 300% } ]
    restart: { type: systemd, unit: grower.service }
`,
    );
  }, 120_000);

  /** `heal scan --json` inside, as root. */
  async function scan(...flags: string[]): Promise<Report['services'][number]> {
    const result = await container.run([CONTAINER_NODE, CLI, 'scan', '--json', ...flags, '--config', manifest()], { timeoutMs: 60_000 });
    const report = JSON.parse(result.stdout || '{"services":[]}') as Report;
    const service = report.services[0];
    if (!service) throw new Error(`no report: ${result.stderr}`);
    return service;
  }

  const mainPid = async (): Promise<number> => Number((await container.ok(['systemctl', 'show', '-p', 'MainPID', '--value', 'grower.service'])).trim());

  it('reads MainPID, restarts the unit once its process grew past max_rss, and reads the new MainPID next', async () => {
    expect(await scan('--dry-run')).toMatchObject({ status: 'down', checks: [{ ok: false, error: 'no pid: systemd MainPID of grower.service is 0 (ActiveState=inactive)' }] });

    await container.ok(['systemctl', 'start', 'grower.service']);
    const first = await mainPid();
    expect(first).toBeGreaterThan(0);
    expect(await scan()).toMatchObject({ status: 'up', checks: [{ ok: true }] });

    await writeFile(join(project, 'grow'), '');
    await waitFor(async () => Number(await readFile(join(project, 'grown'), 'utf8').catch(() => '')) === first, 30_000);
    expect(await scan('--dry-run')).toMatchObject({ status: 'down', checks: [{ ok: false, error: expect.stringMatching(new RegExp(`^pid ${first} uses \\d{3} MiB, max_rss 200 MiB$`)) }] });

    expect(await scan()).toMatchObject({ status: 'healed', action: 'restarted (systemd: grower.service)' });
    const second = await mainPid();
    expect(second).toBeGreaterThan(0);
    expect(second).not.toBe(first);
    expect(await scan()).toMatchObject({ status: 'up', checks: [{ ok: true }] });
  }, 120_000);
});
