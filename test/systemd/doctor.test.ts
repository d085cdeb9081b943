/**
 * `heal doctor` asks the real systemd (systemd 252 in a container booted by
 * test/helpers/container.ts) whether each systemd restart's unit exists: LoadState. A unit it
 * does not have is named with the manifest line to fix; one it has passes. And whether the timer
 * `heal install systemd` wrote is enabled in the user's manager.
 */
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { CONTAINER_NODE, useContainer } from '../helpers/container.js';

const container = useContainer();

describe('heal doctor against the real systemd', () => {
  it('names a restart unit systemd does not have, with the line to fix, and passes one it has', { timeout: 120_000 }, async () => {
    const project = join(container.scratch, 'doctor');
    mkdirSync(project, { recursive: true, mode: 0o755 });
    const manifest = join(project, 'services.yaml');
    writeFileSync(
      manifest,
      `version: 1
state_dir: state
services:
  api:
    checks: [ { type: port, port: 4000 } ]
    restart: { type: systemd, unit: heal-doctor-typo }
  journal:
    checks: [ { type: port, port: 4001 } ]
    restart: { type: systemd, unit: systemd-journald }
`,
      { mode: 0o644 },
    );
    const result = await container.run([CONTAINER_NODE, CLI, 'doctor', '--config', manifest], { timeoutMs: 60_000 });
    const lines = result.stdout.split('\n');
    expect(lines).toContain(`✗ restart of api: systemd has no unit heal-doctor-typo.service — fix the unit name in ${manifest} (line 6) or create the unit`);
    expect(lines).toContain('✓ restart of journal: systemd has the unit systemd-journald.service');
    expect(result.code).toBe(1);
  });

  it('finds the units heal install systemd wrote, says the timer is not enabled with the command, and passes it once enabled', { timeout: 180_000 }, async () => {
    const user = await container.lingeringUser('doctor');
    const project = join(container.scratch, 'doctor-user');
    mkdirSync(project, { recursive: true, mode: 0o755 });
    const manifest = join(project, 'services.yaml');
    writeFileSync(manifest, `version: 1\nstate_dir: state\nservices:\n  web:\n    checks: [ { type: port, port: 4002 } ]\n`, { mode: 0o644 });
    chownSync(project, user.uid, user.gid);
    chownSync(manifest, user.uid, user.gid);
    const asUser = (argv: string[]) => container.run(argv, { user, env: { XDG_RUNTIME_DIR: `/run/user/${user.uid}` }, timeoutMs: 60_000 });
    const installed = await asUser([CONTAINER_NODE, CLI, 'install', 'systemd', '--config', manifest]);
    expect(installed.code, installed.stderr).toBe(0);
    const service = `${user.home}/.config/systemd/user/heal-scan.service`;

    const before = (await asUser([CONTAINER_NODE, CLI, 'doctor', '--config', manifest])).stdout.split('\n');
    expect(before).toContainEqual(
      expect.stringMatching(
        new RegExp(`^✗ schedule \\(systemd, ${service}\\) runs this heal on ${manifest}, but heal-scan\\.timer is not enabled \\(.*\\) — systemctl --user daemon-reload && systemctl --user enable --now heal-scan\\.timer$`),
      ),
    );

    const enabled = await asUser(['sh', '-c', 'systemctl --user daemon-reload && systemctl --user enable --now heal-scan.timer']);
    expect(enabled.code, enabled.stderr).toBe(0);
    const after = (await asUser([CONTAINER_NODE, CLI, 'doctor', '--config', manifest])).stdout.split('\n');
    expect(after).toContain(`✓ schedule (systemd, ${service}) runs this heal (${CLI}) on ${manifest}`);
  });
});
