/**
 * `heal init` against a real systemd (in a container booted by test/helpers/container.ts): units
 * written to /etc/systemd/system — an HTTP service whose /health answers 200, a plain TCP
 * listener, a unit whose listener is a child of its main process (a shell that starts it), and a
 * unit that listens on nothing — are found running; the built CLI, run inside as root, proposes a
 * manifest that names the services after the units, gives each a port check, the HTTP one an http
 * check on /health, a systemd restart, and lists the quiet unit as a comment. The manifest passes
 * heal's own loader and validate, and a `heal scan` of it inside exits 0 while the units run. Run
 * as a lingering user, heal init proposes that user's own unit with a `user: true` restart.
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadManifest } from '../../src/manifest/load.js';
import { CLI, FIXTURES } from '../helpers/cli.js';
import { CONTAINER_NODE, useContainer } from '../helpers/container.js';

const container = useContainer();

const PORTS = { web: 18_081, raw: 18_082, child: 18_083, user: 18_084 };
const TCP_SERVER = (port: number) => `require('node:net').createServer((s) => s.end()).listen(${port}, '0.0.0.0')`;

/** The script forker.service runs: a shell that starts the listener in the background and waits. */
const FORKER = '/etc/heal-test/forker.sh';

const UNITS: Record<string, string> = {
  'web-api.service': `[Unit]\nDescription=the web API\n[Service]\nExecStart=${CONTAINER_NODE} ${join(FIXTURES, 'http-service.mjs')} --port ${PORTS.web}\n`,
  'raw-tcp.service': `[Service]\nExecStart=${CONTAINER_NODE} -e "${TCP_SERVER(PORTS.raw)}"\n`,
  // The shell is the main process; the listener is its child.
  'forker.service': `[Service]\nExecStart=/bin/sh ${FORKER}\n`,
  'quiet-worker.service': `[Unit]\nDescription=a worker that listens on nothing\n[Service]\nExecStart=/usr/bin/sleep 100000\n`,
};

type Manifest = { services: Record<string, { checks: Record<string, unknown>[]; restart: Record<string, unknown> }> };

describe('heal init against a real systemd', () => {
  let project = '';
  const heal = (...args: string[]) => container.run([CONTAINER_NODE, CLI, ...args], { timeoutMs: 90_000 });

  beforeAll(async () => {
    if (!container.ready) return; // each test fails with the reason
    project = join(container.scratch, 'init-project');
    await container.ok(['mkdir', '-p', project]);
    await container.write(FORKER, `${CONTAINER_NODE} -e "${TCP_SERVER(PORTS.child)}" &\nwait\n`);
    for (const [name, text] of Object.entries(UNITS)) await container.write(`/etc/systemd/system/${name}`, text);
    await container.ok(['systemctl', 'daemon-reload']);
    await container.ok(['systemctl', 'start', ...Object.keys(UNITS)]);
    // Until all three ports listen (node starts slowly on a loaded machine).
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ss = await container.run(['ss', '-Hltn']);
      if ([PORTS.web, PORTS.raw, PORTS.child].every((port) => ss.stdout.includes(`:${port} `))) break;
      if (Date.now() > deadline) throw new Error(`the units did not listen within 60s: ${ss.stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 120_000);

  it('proposes a service per listening unit, with port checks, an http check on /health and systemd restarts', async () => {
    const printed = await heal('init', '--print');
    expect(printed.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(printed.code).toBe(0);
    const manifest = parse(printed.stdout) as Manifest;
    expect(manifest.services['web-api']).toEqual({
      checks: [
        { type: 'port', host: '127.0.0.1', port: PORTS.web },
        { type: 'http', url: `http://127.0.0.1:${PORTS.web}/health` },
      ],
      restart: { type: 'systemd', unit: 'web-api.service' },
    });
    expect(manifest.services['raw-tcp']).toEqual({
      checks: [{ type: 'port', host: '127.0.0.1', port: PORTS.raw }],
      restart: { type: 'systemd', unit: 'raw-tcp.service' },
    });
    expect(manifest.services['forker']).toEqual({
      checks: [{ type: 'port', host: '127.0.0.1', port: PORTS.child }],
      restart: { type: 'systemd', unit: 'forker.service' },
    });
    // The quiet unit is a comment, not a service; the system's own units are left out.
    expect(manifest.services['quiet-worker']).toBeUndefined();
    expect(printed.stdout).toMatch(/^#\s+quiet-worker\.service \(pid \d+, \/etc\/systemd\/system\/quiet-worker\.service\) — a worker that listens on nothing$/m);
    expect(Object.keys(manifest.services).filter((name) => /^(systemd-|dbus|user@|getty)/.test(name))).toEqual([]);
    expect(printed.stdout).toMatch(/^# alerts:/m);
    expect(printed.stdout).not.toContain('systemd-journald.service');

    // --all keeps the system's own units too: journald listens on no TCP port, so it is a comment.
    const all = await heal('init', '--print', '--all');
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^#\s+systemd-journald\.service \(pid \d+, /m);
    expect(Object.keys((parse(all.stdout) as Manifest).services)).toEqual(expect.arrayContaining(['web-api', 'raw-tcp', 'forker']));
  }, 120_000);

  it('writes services.yaml that heal loads and validates, and a scan of it passes while the units run', async () => {
    const out = join(project, 'services.yaml');
    const written = await heal('init', '--out', out);
    expect(written.code).toBe(0);
    expect(written.stdout).toContain(`wrote ${out}: `);
    const loaded = await loadManifest(out, {}, { cache: false });
    expect(Object.keys(loaded.manifest.services)).toEqual(expect.arrayContaining(['web-api', 'raw-tcp', 'forker']));
    expect(loaded.manifest.services['web-api']?.restart).toMatchObject({ type: 'systemd', unit: 'web-api.service', user: false });

    expect((await heal('validate', '--config', out)).code).toBe(0);
    const scan = await heal('scan', '--json', '--config', out, '--state-dir', join(project, 'state'));
    const report = JSON.parse(scan.stdout) as { services: { name: string; status: string }[] };
    const status = Object.fromEntries(report.services.map((s) => [s.name, s.status]));
    expect(status).toMatchObject({ 'web-api': 'up', 'raw-tcp': 'up', forker: 'up' });
    expect(scan.code).toBe(0);

    const before = await readFile(out, 'utf8');
    const again = await heal('init', '--out', out);
    expect(again.code).toBe(2);
    expect(again.stderr.trim().split('\n')).toEqual([`heal: init: ${out} exists; pass --force to replace it, --out FILE to write elsewhere, or --print`]);
    expect(await readFile(out, 'utf8')).toBe(before);
    expect((await heal('init', '--out', out, '--force')).code).toBe(0);
  }, 180_000);

  it("proposes a user's own unit with a --user restart, run as that user (cron's environment: no XDG_RUNTIME_DIR)", async () => {
    const user = await container.lingeringUser('alice');
    const runtime = { XDG_RUNTIME_DIR: `/run/user/${user.uid}` };
    await container.write(
      `${user.home}/.config/systemd/user/user-api.service`,
      `[Unit]\nDescription=alice's API\n[Service]\nExecStart=${CONTAINER_NODE} ${join(FIXTURES, 'http-service.mjs')} --port ${PORTS.user}\n`,
      user,
    );
    await container.ok(['systemctl', '--user', 'daemon-reload'], { user, env: runtime });
    await container.ok(['systemctl', '--user', 'start', 'user-api.service'], { user, env: runtime });
    const deadline = Date.now() + 60_000;
    while (!(await container.run(['ss', '-Hltn'])).stdout.includes(`:${PORTS.user} `)) {
      if (Date.now() > deadline) throw new Error('user-api.service did not listen within 60s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const printed = await container.run([CONTAINER_NODE, CLI, 'init', '--print'], { user, timeoutMs: 90_000 });
    expect(printed.code).toBe(0);
    expect(printed.stderr).toContain("heal: note: not run as root: the ports of the system's units that run as other users cannot be seen");
    const manifest = parse(printed.stdout) as Manifest;
    expect(manifest.services['user-api']).toEqual({
      checks: [
        { type: 'port', host: '127.0.0.1', port: PORTS.user },
        { type: 'http', url: `http://127.0.0.1:${PORTS.user}/health` },
      ],
      restart: { type: 'systemd', unit: 'user-api.service', user: true },
    });
    expect(printed.stdout).toContain(`# user-api.service (pid `);
    expect(printed.stdout).toContain(`${user.home}/.config/systemd/user/user-api.service, systemctl --user)\n  # alice's API\n`);
  }, 180_000);
});
