/**
 * `heal init --from launchd` (the built CLI) on a LaunchAgents folder in a temp HOME, with
 * stand-ins for macOS's tools first on PATH (ps is the real one):
 *
 * - `launchctl list` prints the tab-separated `PID Status Label` table of launchctl(1) ("three
 *   columns … the PID of the job if it is running … the last exit status … the job's label"; a
 *   captured example: "PID Status Label / 1234 0 com.apple.some.service / - 78
 *   com.example.failed.service" at https://serverdevworker.com/398633cbd).
 * - `lsof -nP -iTCP -sTCP:LISTEN -a -p PIDS` prints lsof's table for the asked pids only, as
 *   macOS's lsof does ("COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME" / "httpd 123 _www
 *   4u IPv6 0xc27b87c7b8c7b8c7 0t0 TCP *:http (LISTEN)", https://code-examples.net/en/q/437801;
 *   -P prints the port as a number), and exits 1 when it lists nothing.
 *
 * The jobs' processes are real: an HTTP service whose /health answers 200, a shell whose child
 * listens on [::1], a process that listens on nothing, and an Apple job that "listens" and must
 * be left out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadManifest } from '../../src/manifest/load.js';
import { FIXTURES, runHeal } from '../helpers/cli.js';

const PLIST = (label: string, program: string[]) => `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${label}</string>
  <key>ProgramArguments</key>
  <array>
${program.map((arg) => `    <string>${arg}</string>`).join('\n')}
  </array>
  <key>RunAtLoad</key>
  <true/>
</dict>
</plist>
`;

/** A free port on the loopback. */
async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Until `port` on `host` accepts a connection. */
async function listening(host: string, port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, host, () => (socket.end(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${host}:${port} did not listen within 60s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('heal init --from launchd, with launchctl and lsof stand-ins', () => {
  let dir = '';
  let home = '';
  const children: ChildProcess[] = [];
  const ports = { api: 0, child: 0 };
  let env: Record<string, string> = {};

  const start = (argv: string[]): ChildProcess => {
    // A group of its own, so the shell's children go with it.
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: 'ignore', detached: true });
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'heal-init-launchd-'));
    home = join(dir, 'home');
    const agents = join(home, 'Library', 'LaunchAgents');
    const bin = join(dir, 'bin');
    await mkdir(agents, { recursive: true });
    await mkdir(bin);
    ports.api = await freePort('127.0.0.1');
    ports.child = await freePort('::1');

    const api = start([process.execPath, join(FIXTURES, 'http-service.mjs'), '--port', String(ports.api)]);
    const shell = start(['/bin/sh', '-c', `"${process.execPath}" -e "require('node:net').createServer((s) => s.end()).listen(${ports.child}, '::1')" & wait`]);
    const worker = start(['/bin/sh', '-c', 'sleep 600 & wait']);
    const apple = start(['/bin/sh', '-c', 'sleep 600 & wait']);
    await listening('127.0.0.1', ports.api);
    await listening('::1', ports.child);
    // The shell's child, found as ps finds it.
    const ps = await new Promise<string>((resolve) => {
      const out: Buffer[] = [];
      spawn('ps', ['-o', 'pid=', '--ppid', String(shell.pid)]).stdout?.on('data', (chunk: Buffer) => out.push(chunk)).on('end', () => resolve(Buffer.concat(out).toString()));
    });
    const childPid = Number(ps.trim().split('\n')[0]);

    await writeFile(join(agents, 'com.example.api.plist'), PLIST('com.example.api', [process.execPath, 'http-service.mjs']));
    await writeFile(join(agents, 'com.example.proxy.plist'), PLIST('com.example.proxy', ['/bin/sh', '-c', 'proxy & wait']));
    await writeFile(join(agents, 'com.example.worker.plist'), PLIST('com.example.worker', ['/usr/local/bin/worker']));
    await writeFile(join(agents, 'com.example.stopped.plist'), PLIST('com.example.stopped', ['/usr/local/bin/stopped']));
    await writeFile(join(agents, 'com.example.binary.plist'), 'bplist00\u00d4\u0001\u0002\u0003');

    const list = [
      'PID\tStatus\tLabel',
      `${api.pid}\t0\tcom.example.api`,
      `${shell.pid}\t0\tcom.example.proxy`,
      `${worker.pid}\t0\tcom.example.worker`,
      '-\t78\tcom.example.stopped',
      `${apple.pid}\t0\tcom.apple.Safari.SafeBrowsing.Service`,
      '-\t0\tcom.apple.quicklook',
    ].join('\n');
    const lsofLines: Record<string, string[]> = {
      [String(api.pid)]: [`node    ${api.pid} alice   21u  IPv4 0xc27b87c7b8c7b8c7      0t0  TCP 127.0.0.1:${ports.api} (LISTEN)`],
      [String(childPid)]: [`node    ${childPid} alice   19u  IPv6 0xc27b87c7b8c7b8c8      0t0  TCP [::1]:${ports.child} (LISTEN)`],
      [String(apple.pid)]: [`com.apple ${apple.pid} alice 5u IPv6 0xc27b87c7b8c7b8c9 0t0 TCP *:7000 (LISTEN)`],
    };
    await writeFile(join(dir, 'list.txt'), `${list}\n`);
    await writeFile(join(dir, 'lsof.json'), JSON.stringify(lsofLines));
    await writeFile(join(bin, 'launchctl'), `#!/bin/sh\n[ "$1" = list ] && [ $# -eq 1 ] && exec cat '${join(dir, 'list.txt')}'\necho "stand-in launchctl: $*: not supported" >&2\nexit 64\n`);
    await writeFile(
      join(bin, 'lsof'),
      `#!${process.execPath}
const lines = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(join(dir, 'lsof.json'))}, 'utf8'));
const args = process.argv.slice(2);
if (args.slice(0, 5).join(' ') !== '-nP -iTCP -sTCP:LISTEN -a -p') { console.error('stand-in lsof: unexpected ' + args.join(' ')); process.exit(64); }
const found = args[5].split(',').flatMap((pid) => lines[pid] ?? []);
if (found.length === 0) process.exit(1);
console.log('COMMAND   PID   USER   FD   TYPE             DEVICE SIZE/OFF NODE NAME');
console.log(found.join('\\n'));
`,
    );
    await chmod(join(bin, 'launchctl'), 0o755);
    await chmod(join(bin, 'lsof'), 0o755);
    env = { HOME: home, PATH: `${bin}:${process.env['PATH'] ?? ''}` };
  }, 120_000);

  afterAll(async () => {
    for (const child of children) if (child.pid) process.kill(-child.pid, 'SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('proposes the listening LaunchAgents with port and http checks and launchd restarts; the rest are comments or left out', async () => {
    const run = await runHeal(['init', '--from', 'launchd', '--print'], { cwd: dir, env, timeoutMs: 90_000 });
    expect(run.stderr).toBe(`heal: note: ${join(home, 'Library', 'LaunchAgents', 'com.example.binary.plist')}: a binary plist: heal init reads XML plists only (plutil -convert xml1 FILE makes one)\n`);
    expect(run.code).toBe(0);
    const manifest = parse(run.stdout) as { services: Record<string, unknown> };
    const agents = join(home, 'Library', 'LaunchAgents');
    expect(manifest.services).toEqual({
      'com.example.api': {
        checks: [
          { type: 'port', host: '127.0.0.1', port: ports.api },
          { type: 'http', url: `http://127.0.0.1:${ports.api}/health` },
        ],
        restart: { type: 'launchd', label: 'com.example.api', plist: join(agents, 'com.example.api.plist') },
      },
      'com.example.proxy': {
        checks: [{ type: 'port', host: '::1', port: ports.child }],
        restart: { type: 'launchd', label: 'com.example.proxy', plist: join(agents, 'com.example.proxy.plist') },
      },
    });
    expect(run.stdout).toMatch(/^#\s+com\.example\.stopped \(not running, .*com\.example\.stopped\.plist\) — \/usr\/local\/bin\/stopped$/m);
    expect(run.stdout).toMatch(/^#\s+com\.example\.worker \(pid \d+, .*com\.example\.worker\.plist\) — \/usr\/local\/bin\/worker$/m);
    expect(run.stdout).not.toContain('com.apple');
  }, 120_000);

  it('writes ./services.yaml that heal loads, and refuses to overwrite it without --force', async () => {
    const first = await runHeal(['init', '--from', 'launchd'], { cwd: dir, env, timeoutMs: 90_000 });
    expect(first.code).toBe(0);
    const path = join(dir, 'services.yaml');
    const loaded = await loadManifest(path, {}, { cache: false });
    expect(loaded.manifest.services['com.example.api']?.restart).toMatchObject({ type: 'launchd', label: 'com.example.api', method: 'kickstart' });
    const text = await readFile(path, 'utf8');

    const again = await runHeal(['init', '--from', 'launchd'], { cwd: dir, env, timeoutMs: 90_000 });
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`heal: init: ${path} exists; pass --force to replace it, --out FILE to write elsewhere, or --print\n`);
    expect(await readFile(path, 'utf8')).toBe(text);
  }, 120_000);

  it('refuses a source it does not know, --print with --out, a machine without launchctl and an --out it cannot write, in one line each', async () => {
    const unknown = await runHeal(['init', '--from', 'upstart', '--print'], { cwd: dir, env });
    expect([unknown.code, unknown.stderr]).toEqual([2, 'heal: init: unknown --from "upstart"; use launchd or systemd\n']);
    const both = await runHeal(['init', '--print', '--out', 'x.yaml'], { cwd: dir, env });
    expect([both.code, both.stderr]).toEqual([2, 'heal: init: --print and --out exclude each other\n']);
    const noLaunchctl = await runHeal(['init', '--from', 'launchd', '--print'], { cwd: dir, env: { HOME: home, PATH: '/usr/bin:/bin' } });
    expect([noLaunchctl.code, noLaunchctl.stderr.split('\n').filter((line) => !line.startsWith('heal: note:'))]).toEqual([
      2,
      ['heal: init --from launchd: launchctl not found: the launchd init needs macOS', ''],
    ]);
    const nowhere = join(dir, 'no-such-folder', 'services.yaml');
    const missing = await runHeal(['init', '--from', 'launchd', '--out', nowhere], { cwd: dir, env, timeoutMs: 90_000 });
    expect([missing.code, missing.stderr.split('\n').filter((line) => !line.startsWith('heal: note:'))]).toEqual([
      2,
      [`heal: init: cannot write ${nowhere}: its folder does not exist; pick another --out, or --print`, ''],
    ]);
  }, 60_000);
});
