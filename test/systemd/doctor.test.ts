/**
 * `heal doctor` asks the real systemd (systemd 252 in a container booted by
 * test/helpers/container.ts) whether each systemd restart's unit exists: LoadState. A unit it
 * does not have is named with the manifest line to fix; one it has passes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
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
});
